package evolution

import (
	"maps"
	"sync"
	"sync/atomic"
)

// NoExpungedMap asks of the final sync.Map "can we do without expunged?": it
// is sync.Map with its expunged state removed. A deleted entry is nil, and a
// store may revive a nil entry on the lock-free path, as in the final
// design. When a new key needs a dirty map, dirtyLocked copies read's live
// entries into it and skips the deleted ones, as tryExpungeLocked does, but
// with a plain check of p instead of a compare-and-swap to expunged. It also
// republishes read without the skipped entries, since an entry left in read
// but not in dirty would lose every later lock-free store to it at the next
// promotion.
//
// The flaw is a race: the check and the decision are not atomic. A Store
// that loaded read before dirtyLocked republished it can set p of an entry
// that dirtyLocked has just found nil and is leaving out of both maps; the
// value is then in no map, and the Store is lost.
// TestNoExpungedMapLosesStore shows it deterministically through a hook that
// runs the Store inside that window. In the final design the CAS from nil to
// expunged makes the Store either land before the check (and the entry is
// kept) or see expunged (and take the mutex to put the entry back).
//
// Sequentially the design is correct, and passes the same model test as
// syncmap. It exists for that contrast; never use it concurrently. Its code
// is syncmap's less expunged, so it repeats syncmap's on purpose.
//
// The zero NoExpungedMap is empty and ready for use. It must not be copied
// after first use.
type NoExpungedMap[K comparable, V any] struct {
	mu sync.Mutex
	// read holds the entries Loads may use without mu; it is replaced under
	// mu, never modified. When dirty is non-nil, every entry of read is
	// also in dirty.
	read atomic.Pointer[readView[K, V]]
	// dirty, if non-nil, holds read's entries plus the keys stored since it
	// was built; it requires mu.
	dirty map[K]*entry[V]
	// misses counts the lookups that took mu since the last promotion.
	misses int

	// afterDeletedCheck, when non-nil, runs in dirtyLocked right after it
	// has found key's entry deleted and before it leaves the entry out: the
	// test hook that opens the race window.
	afterDeletedCheck func(key K)
}

func (m *NoExpungedMap[K, V]) loadView() readView[K, V] { return loadView(&m.read) }

// Load returns the value stored for key, and whether there is one.
func (m *NoExpungedMap[K, V]) Load(key K) (value V, ok bool) {
	read := m.loadView()
	if e, ok := read.m[key]; ok {
		return e.load()
	}
	if !read.amended {
		return value, false
	}
	m.mu.Lock()
	read = m.loadView()
	e, ok := read.m[key]
	if !ok && read.amended {
		// Count the miss whether or not dirty has key: until a promotion,
		// every Load of it takes mu.
		e = m.dirty[key]
		m.missLocked()
	}
	m.mu.Unlock()
	if e == nil {
		return value, false
	}
	return e.load()
}

// entryLocked returns the entry for key, from read or, counting a miss,
// from dirty; nil if there is none.
func (m *NoExpungedMap[K, V]) entryLocked(key K) *entry[V] {
	read := m.loadView()
	if e, ok := read.m[key]; ok {
		return e
	}
	e := m.dirty[key]
	if e != nil {
		m.missLocked()
	}
	return e
}

// missLocked counts a lookup that took mu, and promotes dirty once the
// misses have paid for copying it.
func (m *NoExpungedMap[K, V]) missLocked() {
	if m.misses++; m.misses >= len(m.dirty) {
		m.promoteLocked()
	}
}

// promoteLocked publishes dirty, which holds every entry, as the new read.
func (m *NoExpungedMap[K, V]) promoteLocked() {
	m.read.Store(&readView[K, V]{m: m.dirty})
	m.dirty = nil
	m.misses = 0
}

// dirtyLocked builds dirty from read's live entries and republishes read
// with the same entries. The nil check below is the flaw.
func (m *NoExpungedMap[K, V]) dirtyLocked() {
	if m.dirty != nil {
		return
	}
	read := m.loadView()
	m.dirty = make(map[K]*entry[V], len(read.m)+1)
	for k, e := range read.m {
		if e.p.Load() == nil {
			if m.afterDeletedCheck != nil {
				m.afterDeletedCheck(k)
			}
			continue // a Store may revive e right now, and be lost
		}
		m.dirty[k] = e
	}
	m.read.Store(&readView[K, V]{m: maps.Clone(m.dirty), amended: true})
}

// entryOrAdd returns key's entry if either map has one; otherwise it stores
// value under key and returns nil.
func (m *NoExpungedMap[K, V]) entryOrAdd(key K, value V) *entry[V] {
	if e, ok := m.loadView().m[key]; ok {
		return e
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entryLocked(key)
	if e == nil {
		m.addLocked(key, value)
	}
	return e
}

// addLocked stores a key that has no entry in either map.
func (m *NoExpungedMap[K, V]) addLocked(key K, value V) {
	m.dirtyLocked()
	m.dirty[key] = newEntry(value)
}

// Store sets the value for key.
func (m *NoExpungedMap[K, V]) Store(key K, value V) { m.Swap(key, value) }

// Swap stores value for key and returns the previous value if any. The
// loaded result reports whether the key was present.
func (m *NoExpungedMap[K, V]) Swap(key K, value V) (previous V, loaded bool) {
	e := m.entryOrAdd(key, value)
	if e == nil {
		return previous, false
	}
	if p := e.p.Swap(&value); p != nil {
		return *p, true
	}
	return previous, false
}

// LoadOrStore returns the existing value for key if present. Otherwise, it
// stores and returns value. The loaded result is true if the value was
// loaded, false if stored.
func (m *NoExpungedMap[K, V]) LoadOrStore(key K, value V) (actual V, loaded bool) {
	e := m.entryOrAdd(key, value)
	if e == nil {
		return value, false
	}
	for {
		if p := e.p.Load(); p != nil {
			return *p, true
		}
		if e.p.CompareAndSwap(nil, &value) {
			return value, false
		}
	}
}

// lookup returns the entry for key, taking mu only if read lacks it.
func (m *NoExpungedMap[K, V]) lookup(key K) *entry[V] {
	read := m.loadView()
	if e, ok := read.m[key]; ok || !read.amended {
		return e
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entryLocked(key)
}

// LoadAndDelete deletes the value for key, returning the previous value if
// any. The loaded result reports whether the key was present.
func (m *NoExpungedMap[K, V]) LoadAndDelete(key K) (value V, loaded bool) {
	if e := m.lookup(key); e != nil {
		return e.deleteLive()
	}
	return value, false
}

// Delete deletes the value for key.
func (m *NoExpungedMap[K, V]) Delete(key K) { m.LoadAndDelete(key) }

// CompareAndSwap swaps the old and new values for key if the value stored
// in the map is equal to old. It panics if V values are not comparable.
func (m *NoExpungedMap[K, V]) CompareAndSwap(key K, old, new V) (swapped bool) {
	e := m.lookup(key)
	return e != nil && e.compareAndSwapLive("CompareAndSwap", old, &new)
}

// CompareAndDelete deletes the entry for key if its value is equal to old. It
// panics if V values are not comparable.
func (m *NoExpungedMap[K, V]) CompareAndDelete(key K, old V) (deleted bool) {
	e := m.lookup(key)
	return e != nil && e.compareAndSwapLive("CompareAndDelete", old, nil)
}

// Range calls f for each key and value present, stopping if f returns false.
// It promotes dirty first, so that it iterates over an immutable map.
func (m *NoExpungedMap[K, V]) Range(f func(key K, value V) bool) {
	rangeRead(&m.mu, &m.read, m.promoteLocked, f)
}

// Clear deletes all the entries.
func (m *NoExpungedMap[K, V]) Clear() {
	m.mu.Lock()
	m.read.Store(nil)
	m.dirty = nil
	m.misses = 0
	m.mu.Unlock()
}
