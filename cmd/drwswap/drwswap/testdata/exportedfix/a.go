// Package exportedfix has an exported lock; the test that analyzes it sets
// -exported.
package exportedfix

import "sync"

var Mu sync.RWMutex // want `^Mu: swap for drwmutex.RWMutex \(1 read call site, 1 write call site\)$`

func Use() {
	Mu.RLock()
	Mu.Unlock()
}
