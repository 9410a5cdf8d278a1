// Package exported has locks that other packages can name: kept unless
// -exported. An exported var's unexported field is not one of them.
package exported

import "sync"

var Mu sync.RWMutex // want `^Mu: keep, exported \(1 read call site, 1 write call site\): changing its type changes the package's API; -exported swaps it anyway$`

var Registry struct {
	sync.RWMutex // want `^Registry.RWMutex: keep, exported \(1 read call site, 0 write call sites\)`
	names        []string
}

// Cache is exported, so other packages can make Cache values.
type Cache struct {
	mu sync.RWMutex // want `^cache.mu: keep, exported \(1 read call site, 0 write call sites\)`
}

var cache Cache

var Config struct {
	mu     sync.RWMutex // want `^Config.mu: swap for drwmutex.RWMutex \(1 read call site, 1 write call site\)$`
	values map[string]string
}

func Use() {
	Mu.RLock()
	Mu.Unlock()
	Registry.RLock()
	cache.mu.RLock()
	Config.mu.RLock()
	Config.mu.Unlock()
}
