// Package writeheavy has a lock written more often than read.
package writeheavy

import "sync"

var (
	mu    sync.RWMutex // want `^mu: keep, write-heavy \(2 read call sites, 6 write call sites\): a swap needs at least 1 times as many read call sites as write call sites \(-ratio\)$`
	count int
)

func inc() {
	mu.Lock()
	count++
	mu.Unlock()
}

func dec() {
	mu.Lock()
	defer mu.Unlock()
	count--
}

func reset() bool {
	if !mu.TryLock() {
		return false
	}
	count = 0
	mu.Unlock()
	return true
}

func get() int {
	mu.RLock()
	defer mu.RUnlock()
	return count
}
