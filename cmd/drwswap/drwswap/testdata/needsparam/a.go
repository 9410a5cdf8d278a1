// Package needsparam passes a lock's address to a *sync.RWMutex parameter.
package needsparam

import "sync"

var mu sync.RWMutex // want `^mu: keep, needs the type \(2 read call sites, 0 write call sites\): its address flows into the \*sync.RWMutex parameter of withRead at a.go:\d+:\d+$`

func withRead(l *sync.RWMutex, f func()) {
	l.RLock()
	defer l.RUnlock()
	f()
}

func use() {
	withRead(&mu, func() {})
	mu.RLock()
	mu.RUnlock()
}
