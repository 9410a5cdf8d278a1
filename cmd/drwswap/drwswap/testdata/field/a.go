// Package field has locks in fields of package-level struct vars, of an
// anonymous and of a named struct type, and two locks in one spec; sync stays
// imported for sync.Once.
package field

import (
	"strings"
	"sync"
)

var cache struct {
	mu sync.RWMutex // want `^cache.mu: swap for drwmutex.RWMutex \(2 read call sites, 2 write call sites\)$`
	m  map[string]int
}

func cached(key string) (int, bool) {
	cache.mu.RLock()
	defer cache.mu.RUnlock()
	v, ok := cache.m[strings.ToLower(key)]
	return v, ok
}

func store(key string, v int) {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	cache.m[strings.ToLower(key)] = v
}

// registry's only value is reg, so its lock is a package-level lock.
type registry struct {
	mu    sync.RWMutex // want `^reg.mu: swap for drwmutex.RWMutex \(3 read call sites, 2 write call sites\)$`
	names []string
	once  sync.Once
}

var reg registry

func (r *registry) add(name string) {
	r.once.Do(func() {})
	r.mu.Lock()
	r.names = append(r.names, name)
	r.mu.Unlock()
}

func (r *registry) has(name string) bool {
	l := r.mu.RLocker()
	l.Lock()
	defer l.Unlock()
	for _, n := range r.names {
		if n == name {
			return true
		}
	}
	return r.mu.TryRLock() && release()
}

func release() bool {
	reg.mu.RUnlock()
	return true
}

var left, right sync.RWMutex // want `^left, right: keep, write-heavy \(1 read call site, 2 write call sites\): a swap needs at least 1 times as many read call sites as write call sites \(-ratio\)$`

func both() {
	left.Lock()
	right.Lock()
	left.RUnlock()
}

var (
	initialized                = sync.RWMutex{} // want `^initialized: swap for drwmutex.RWMutex \(1 read call site, 0 write call sites\)$`
	typed         sync.RWMutex = sync.RWMutex{} // want `^typed: swap for drwmutex.RWMutex \(1 read call site, 0 write call sites\)$`
	fromCall                   = newLock()      // want `^fromCall: keep, needs the type \(0 read call sites, 0 write call sites\): it is initialized from a sync.RWMutex value at a.go:\d+:\d+$`
	typedFromCall sync.RWMutex = newLock()      // want `^typedFromCall: keep, needs the type \(0 read call sites, 0 write call sites\): it is initialized from a sync.RWMutex value at a.go:\d+:\d+$`
)

func newLock() sync.RWMutex { return sync.RWMutex{} }

// A struct type literal in the value, not the var's type.
var pair = struct {
	mu sync.RWMutex // want `^pair.mu: swap for drwmutex.RWMutex \(1 read call site, 0 write call sites\)$`
	n  int
}{n: 2}

func readBoth() {
	initialized.RLock()
	typed.RLock()
	pair.mu.RLock()
}
