// Package locker uses locks as sync.Locker values, through RLocker and
// sync.NewCond, and through a variable holding a lock's address: all fine,
// since drwmutex.RWMutex has the same methods.
package locker

import "sync"

var (
	mu    sync.RWMutex // want `^mu: swap for drwmutex.RWMutex \(3 read call sites, 2 write call sites\)$`
	ready = sync.NewCond(&mu)
	done  bool
)

func wait() {
	l := mu.RLocker()
	l.Lock()
	defer l.Unlock()
	mu.RLock()
	_ = done
	mu.RUnlock()
}

func finish() {
	p := &mu
	p.Lock()
	done = true
	p.Unlock()
	ready.Broadcast()
}

var readers sync.RWMutex // want `^readers: swap for drwmutex.RWMutex \(1 read call site, 0 write call sites\)$`

var asLocker sync.Locker = readers.RLocker()
