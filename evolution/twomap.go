package evolution

import (
	"maps"
	"sync"
	"sync/atomic"
)

// TwoMap is bcmills' first demo of what became sync.Map (golang/go#17973),
// DMap's idea with a map in place of the tree. Loads read an immutable tenured map without locking; keys stored since the
// last promotion live in a live map, a full copy of tenured plus the new
// keys, guarded by an RWMutex. Loads that reach the live map count; once
// they are as many as it has keys, the live map becomes the tenured one, and
// the next store copies it again.
//
// Its flaws: the map is insert-only (StoreOrLoad never overwrites); every
// load of a key missing from tenured takes the RWMutex's read lock, whose
// shared counter is the very bottleneck of golang/go#17973, even when live is
// nil; and each promotion followed by a store copies the whole map.
//
// The zero TwoMap is empty and ready for use. A TwoMap must not be copied
// after first use. A StoreOrLoad that stores a key synchronizes before every
// Load that finds it.
type TwoMap[K comparable, V any] struct {
	// tenured is never modified once published; nil until a promotion.
	tenured atomic.Pointer[map[K]V]
	// liveLoads counts the loads that read live since it was created.
	liveLoads atomic.Uint32

	mu sync.RWMutex
	// live, if non-nil, holds every key of tenured and the keys stored
	// since; it requires mu.
	live map[K]V
}

// liveLoadsLimit caps liveLoads below the value where it would wrap.
const liveLoadsLimit = 1 << 31

// Load returns the value stored for key, and whether there is one.
func (m *TwoMap[K, V]) Load(key K) (value V, ok bool) {
	if p := m.tenured.Load(); p != nil {
		if value, ok = (*p)[key]; ok {
			return value, true
		}
	}
	return m.loadSlow(key)
}

func (m *TwoMap[K, V]) loadSlow(key K) (value V, ok bool) {
	m.mu.RLock()
	// Look at tenured again: a promotion between Load's look and the lock
	// may have moved the key there and set live to nil. Under the read
	// lock no promotion can run, so tenured and live agree.
	if p := m.tenured.Load(); p != nil {
		if value, ok = (*p)[key]; ok {
			m.mu.RUnlock()
			return value, true
		}
	}
	promote := false
	if m.live != nil {
		value, ok = m.live[key]
		n := m.liveLoads.Add(1)
		promote = n >= liveLoadsLimit || int64(n) >= int64(len(m.live))
	}
	m.mu.RUnlock()
	if promote {
		m.promote()
	}
	return value, ok
}

// promote makes live the tenured map if enough loads still ask for it: a
// store or another promotion may have come first.
func (m *TwoMap[K, V]) promote() {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.liveLoads.Load()
	if m.live != nil && (n >= liveLoadsLimit || int64(n) >= int64(len(m.live))) {
		live := m.live
		m.tenured.Store(&live)
		m.live = nil
		m.liveLoads.Store(0)
	}
}

// StoreOrLoad stores value for key unless a value is present, and returns
// the value the map then holds and whether it was present (dup).
func (m *TwoMap[K, V]) StoreOrLoad(key K, value V) (actual V, dup bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.live == nil {
		m.live = make(map[K]V, m.tenuredLen()+1)
		if p := m.tenured.Load(); p != nil {
			maps.Copy(m.live, *p)
		}
	}
	if actual, dup = m.live[key]; dup {
		return actual, true
	}
	m.live[key] = value
	return value, false
}

func (m *TwoMap[K, V]) tenuredLen() int {
	if p := m.tenured.Load(); p != nil {
		return len(*p)
	}
	return 0
}
