// Package aliased imports sync under another name, and with a dot.
package aliased

import (
	"fmt"
	s "sync"
)

var mu s.RWMutex // want `^mu: swap for drwmutex.RWMutex \(1 read call site, 1 write call site\)$`

func show() {
	mu.RLock()
	fmt.Println("aliased")
	mu.Unlock()
}
