// Package ratio is read twice as often as written: a swap by default, kept
// with -ratio 3 (the test that analyzes it sets that flag).
package ratio

import "sync"

var (
	mu    sync.RWMutex // want `^mu: keep, write-heavy \(4 read call sites, 2 write call sites\): a swap needs at least 3 times as many read call sites as write call sites \(-ratio\)$`
	names []string
)

func first() string {
	mu.RLock()
	defer mu.RUnlock()
	return names[0]
}

func count() int {
	mu.RLock()
	defer mu.RUnlock()
	return len(names)
}

func add(name string) {
	mu.Lock()
	defer mu.Unlock()
	names = append(names, name)
}
