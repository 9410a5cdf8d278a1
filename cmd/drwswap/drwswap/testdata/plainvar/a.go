// Package plainvar has a read-mostly unexported lock, the only use of sync.
package plainvar

import "sync"

var (
	mu     sync.RWMutex // want `^mu: swap for drwmutex.RWMutex \(4 read call sites, 2 write call sites\)$`
	config = map[string]string{}
)

func get(key string) string {
	mu.RLock()
	defer mu.RUnlock()
	return config[key]
}

func lookup(key string) (string, bool) {
	mu.RLock()
	v, ok := config[key]
	mu.RUnlock()
	return v, ok
}

func set(key, value string) {
	mu.Lock()
	config[key] = value
	mu.Unlock()
}
