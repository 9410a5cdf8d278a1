package evolution

import (
	"maps"
	"sync"
	"sync/atomic"
)

// CleanDirtyMap is the design of the first sync.Map CL (golang.org/cl/33912,
// for golang/go#18177): a clean map that Loads read without locking and a
// dirty map that every write updates under a mutex, with at most one of the
// two non-nil. The first write after a promotion copies clean into dirty and
// drops clean, so that until enough Loads have missed (taken the mutex) to
// pay for it, every Load takes the mutex; once misses reach len(dirty),
// dirty becomes clean.
//
// Its flaw: a write, even an overwrite of a key present, copies the whole
// map when clean is in use and sends every Load to the mutex until the next
// promotion, so interleaved reads and writes copy the map back and forth.
// rsc's review asked for what the final design built: both maps at once, and
// a key once in read staying on the lock-free path.
//
// The zero CleanDirtyMap is empty and ready for use. It must not be copied
// after first use. It has sync.Map's methods and, as for sync.Map, a write
// operation synchronizes before any read operation that observes it.
type CleanDirtyMap[K comparable, V any] struct {
	mu sync.Mutex
	// clean, if non-nil, holds the whole map and is never modified; dirty is
	// then nil. Replacing it requires mu.
	clean atomic.Pointer[map[K]V]
	// dirty, if non-nil, holds the whole map and requires mu; clean is then
	// nil. Both are nil only before the first operation and after Clear.
	dirty map[K]V
	// misses counts the Loads that took mu since the last write.
	misses int
}

// Load returns the value stored for key, and whether there is one.
func (m *CleanDirtyMap[K, V]) Load(key K) (value V, ok bool) {
	if clean := m.clean.Load(); clean != nil {
		value, ok = (*clean)[key]
		return value, ok
	}
	return m.loadSlow(key)
}

func (m *CleanDirtyMap[K, V]) loadSlow(key K) (value V, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dirty == nil {
		if clean := m.clean.Load(); clean != nil {
			value, ok = (*clean)[key]
		} else {
			// Completely empty: publish an empty clean map, so that the
			// next Loads need not lock.
			m.clean.Store(&map[K]V{})
		}
		return value, ok
	}
	value, ok = m.dirty[key]
	m.missLocked()
	return value, ok
}

// missLocked counts a Load that took mu, and promotes dirty once the misses
// have paid for copying it.
func (m *CleanDirtyMap[K, V]) missLocked() {
	if m.misses++; m.misses >= len(m.dirty) {
		m.promoteLocked()
	}
}

func (m *CleanDirtyMap[K, V]) promoteLocked() {
	dirty := m.dirty
	m.clean.Store(&dirty)
	m.dirty = nil
}

// dirtyLocked prepares the map for a write: dirty becomes a copy of clean and
// clean is dropped, so that no Load can read what the write changes.
func (m *CleanDirtyMap[K, V]) dirtyLocked() map[K]V {
	m.misses = 0
	if m.dirty != nil {
		return m.dirty
	}
	m.dirty = make(map[K]V)
	if clean := m.clean.Load(); clean != nil {
		maps.Copy(m.dirty, *clean)
	}
	m.clean.Store(nil)
	return m.dirty
}

// contentsLocked returns the map that holds the contents, for reading.
func (m *CleanDirtyMap[K, V]) contentsLocked() map[K]V {
	if m.dirty != nil {
		return m.dirty
	}
	if clean := m.clean.Load(); clean != nil {
		return *clean
	}
	return nil
}

// Store sets the value for key.
func (m *CleanDirtyMap[K, V]) Store(key K, value V) {
	m.mu.Lock()
	m.dirtyLocked()[key] = value
	m.mu.Unlock()
}

// LoadOrStore returns the existing value for key if present. Otherwise, it
// stores and returns value. The loaded result is true if the value was
// loaded, false if stored.
func (m *CleanDirtyMap[K, V]) LoadOrStore(key K, value V) (actual V, loaded bool) {
	if clean := m.clean.Load(); clean != nil {
		if actual, loaded = (*clean)[key]; loaded {
			return actual, true
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if actual, loaded = m.contentsLocked()[key]; loaded {
		return actual, true
	}
	m.dirtyLocked()[key] = value
	return value, false
}

// LoadAndDelete deletes the value for key, returning the previous value if
// any. The loaded result reports whether the key was present.
func (m *CleanDirtyMap[K, V]) LoadAndDelete(key K) (value V, loaded bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if value, loaded = m.contentsLocked()[key]; loaded {
		delete(m.dirtyLocked(), key)
	}
	return value, loaded
}

// Delete deletes the value for key.
func (m *CleanDirtyMap[K, V]) Delete(key K) { m.LoadAndDelete(key) }

// Swap stores value for key and returns the previous value if any. The
// loaded result reports whether the key was present.
func (m *CleanDirtyMap[K, V]) Swap(key K, value V) (previous V, loaded bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	previous, loaded = m.contentsLocked()[key]
	m.dirtyLocked()[key] = value
	return previous, loaded
}

// CompareAndSwap swaps the old and new values for key if the value stored
// in the map is equal to old. It panics if V values are not comparable.
func (m *CleanDirtyMap[K, V]) CompareAndSwap(key K, old, new V) (swapped bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.contentsLocked()[key]; !ok || !equal("CompareAndSwap", cur, old) {
		return false
	}
	m.dirtyLocked()[key] = new
	return true
}

// CompareAndDelete deletes the entry for key if its value is equal to old. It
// panics if V values are not comparable.
func (m *CleanDirtyMap[K, V]) CompareAndDelete(key K, old V) (deleted bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.contentsLocked()[key]; !ok || !equal("CompareAndDelete", cur, old) {
		return false
	}
	delete(m.dirtyLocked(), key)
	return true
}

// Range calls f for each key and value present, stopping if f returns false.
// It promotes dirty first, as the final sync.Map does, so that it iterates
// over an immutable map and f may call any method.
func (m *CleanDirtyMap[K, V]) Range(f func(key K, value V) bool) {
	clean := m.clean.Load()
	if clean == nil {
		m.mu.Lock()
		if m.dirty != nil {
			m.promoteLocked()
		}
		clean = m.clean.Load()
		m.mu.Unlock()
	}
	if clean == nil {
		return
	}
	for k, v := range *clean {
		if !f(k, v) {
			return
		}
	}
}

// Clear deletes all the entries.
func (m *CleanDirtyMap[K, V]) Clear() {
	m.mu.Lock()
	m.clean.Store(nil)
	m.dirty = nil
	m.misses = 0
	m.mu.Unlock()
}
