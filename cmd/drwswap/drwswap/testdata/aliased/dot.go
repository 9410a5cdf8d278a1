package aliased

import . "sync"

var dotted RWMutex // want `^dotted: swap for drwmutex.RWMutex \(1 read call site, 0 write call sites\)$`

func peek() {
	dotted.RLock()
}
