// Package needsreturn returns a lock's address as a *sync.RWMutex.
package needsreturn

import "sync"

var mu sync.RWMutex // want `^mu: keep, needs the type \(1 read call site, 1 write call site\): its address flows into the \*sync.RWMutex result of lockOf at a.go:\d+:\d+$`

func lockOf() *sync.RWMutex {
	return &mu
}

func use() {
	mu.RLock()
	mu.Unlock()
}
