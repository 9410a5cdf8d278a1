package evolution

import (
	"sync"
	"sync/atomic"
)

// DeltaDirtyMap asks of the final sync.Map "may dirty hold only the
// increments?": it has sync.Map's read and dirty maps, except that dirty
// holds only the keys read lacks instead of a full copy, so no expunged
// state is needed to keep the two in step.
//
// The price is what makes the design lose. A deleted entry (p == nil) in
// read may never be revived on the lock-free path, since promotion drops
// deleted entries from read and would lose the write; so a store to a
// deleted key takes the mutex, adds a new entry to dirty and republishes
// read without the deleted ones, copying it. A Load that finds a deleted
// entry cannot tell whether the key was stored again, so it takes the mutex
// and counts a miss; with dirty often empty, that miss promotes at once,
// copying read again. Deleting and then reading or rewriting a key thus
// costs a copy of the whole map (BenchmarkDeleteThenLoad); the final design's
// full dirty copy plus expunged keeps both on the lock-free path.
//
// The zero DeltaDirtyMap is empty and ready for use. It must not be copied
// after first use. It has sync.Map's methods and, as for sync.Map, a write
// operation synchronizes before any read operation that observes it.
type DeltaDirtyMap[K comparable, V any] struct {
	mu sync.Mutex
	// read holds the entries Loads may use without mu; it is replaced under
	// mu, never modified. A deleted entry in it stays deleted.
	read atomic.Pointer[readView[K, V]]
	// dirty holds the keys stored since the last promotion that read lacked,
	// each with a live entry; it requires mu. Whenever mu is free, no key is
	// in both read and dirty.
	dirty map[K]*entry[V]
	// misses counts the operations that took mu to look a key up since the
	// last promotion.
	misses int
}

func (m *DeltaDirtyMap[K, V]) loadView() readView[K, V] { return loadView(&m.read) }

// Load returns the value stored for key, and whether there is one.
func (m *DeltaDirtyMap[K, V]) Load(key K) (value V, ok bool) {
	read := m.loadView()
	e, inRead := read.m[key]
	if inRead {
		if value, ok = e.load(); ok {
			return value, true
		}
	} else if !read.amended {
		return value, false
	}
	return m.loadSlow(key)
}

// loadSlow runs when read lacks key but dirty may have it, or read's entry
// for key is deleted.
func (m *DeltaDirtyMap[K, V]) loadSlow(key K) (value V, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	read := m.loadView()
	e, inRead := read.m[key]
	if inRead {
		if value, ok = e.load(); ok {
			return value, true
		}
	}
	if inRead || read.amended {
		e = m.dirty[key]
		m.missLocked()
	}
	if e == nil {
		return value, false
	}
	return e.load()
}

// missLocked counts a lookup that took mu, and promotes once the misses have
// paid for the copy.
func (m *DeltaDirtyMap[K, V]) missLocked() {
	if m.misses++; m.misses >= len(m.dirty) {
		m.promoteLocked()
	}
}

// promoteLocked publishes read's live entries and dirty's as the new read.
func (m *DeltaDirtyMap[K, V]) promoteLocked() {
	next := liveEntries(m.loadView().m, len(m.dirty))
	for k, e := range m.dirty {
		next[k] = e
	}
	m.read.Store(&readView[K, V]{m: next})
	m.dirty = nil
	m.misses = 0
}

// liveEntries copies the entries of m that are not deleted, with room for
// extra more. Dropping a deleted entry is safe because no lock-free path
// revives one; an entry deleted after the check is kept, deleted.
func liveEntries[K comparable, V any](m map[K]*entry[V], extra int) map[K]*entry[V] {
	next := make(map[K]*entry[V], len(m)+extra)
	for k, e := range m {
		if e.p.Load() != nil {
			next[k] = e
		}
	}
	return next
}

// addLocked stores key, which has no live entry, as a new entry in dirty.
// If read holds a deleted entry for key, read is republished without its
// deleted entries, so that read and dirty stay disjoint.
func (m *DeltaDirtyMap[K, V]) addLocked(key K, value V) {
	read := m.loadView()
	if m.dirty == nil {
		m.dirty = make(map[K]*entry[V])
	}
	m.dirty[key] = newEntry(value)
	if _, dead := read.m[key]; dead {
		m.read.Store(&readView[K, V]{m: liveEntries(read.m, 0), amended: true})
	} else if !read.amended {
		m.read.Store(&readView[K, V]{m: read.m, amended: true})
	}
}

// entryLocked returns the entry for key, from read or dirty, or nil. A key
// found in dirty counts as a miss, as in the final design; an absent one does
// not, or a run of new keys would promote, copying read, every other store.
func (m *DeltaDirtyMap[K, V]) entryLocked(key K) *entry[V] {
	read := m.loadView()
	if e, ok := read.m[key]; ok {
		return e // dirty lacks key, so a deleted e means no entry
	}
	e := m.dirty[key]
	if e != nil {
		m.missLocked() // may promote dirty, e with it, into read
	}
	return e
}

// tryStoreLive replaces a live value, never reviving a deleted entry.
func (e *entry[V]) tryStoreLive(value *V) (previous *V, ok bool) {
	for {
		p := e.p.Load()
		if p == nil {
			return nil, false
		}
		if e.p.CompareAndSwap(p, value) {
			return p, true
		}
	}
}

// Store sets the value for key.
func (m *DeltaDirtyMap[K, V]) Store(key K, value V) { m.Swap(key, value) }

// Swap stores value for key and returns the previous value if any. The
// loaded result reports whether the key was present.
func (m *DeltaDirtyMap[K, V]) Swap(key K, value V) (previous V, loaded bool) {
	if e, ok := m.loadView().m[key]; ok {
		if p, ok := e.tryStoreLive(&value); ok {
			return *p, true
		}
	}
	return m.swapSlow(key, value)
}

func (m *DeltaDirtyMap[K, V]) swapSlow(key K, value V) (previous V, loaded bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.entryLocked(key); e != nil {
		if p, ok := e.tryStoreLive(&value); ok {
			return *p, true
		}
	}
	m.addLocked(key, value)
	return previous, false
}

// LoadOrStore returns the existing value for key if present. Otherwise, it
// stores and returns value. The loaded result is true if the value was
// loaded, false if stored.
func (m *DeltaDirtyMap[K, V]) LoadOrStore(key K, value V) (actual V, loaded bool) {
	if e, ok := m.loadView().m[key]; ok {
		if actual, loaded = e.load(); loaded {
			return actual, true
		}
	}
	return m.loadOrStoreSlow(key, value)
}

func (m *DeltaDirtyMap[K, V]) loadOrStoreSlow(key K, value V) (actual V, loaded bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.entryLocked(key); e != nil {
		if actual, loaded = e.load(); loaded {
			return actual, true
		}
	}
	m.addLocked(key, value)
	return value, false
}

// LoadAndDelete deletes the value for key, returning the previous value if
// any. The loaded result reports whether the key was present.
func (m *DeltaDirtyMap[K, V]) LoadAndDelete(key K) (value V, loaded bool) {
	read := m.loadView()
	if e, ok := read.m[key]; ok {
		return e.deleteLive()
	}
	if !read.amended {
		return value, false
	}
	return m.loadAndDeleteSlow(key)
}

func (m *DeltaDirtyMap[K, V]) loadAndDeleteSlow(key K) (value V, loaded bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.loadView().m[key]; ok {
		return e.deleteLive()
	}
	e := m.entryLocked(key)
	if e == nil {
		return value, false
	}
	delete(m.dirty, key)
	return e.deleteLive() // e may have been promoted into read
}

// Delete deletes the value for key.
func (m *DeltaDirtyMap[K, V]) Delete(key K) { m.LoadAndDelete(key) }

// CompareAndSwap swaps the old and new values for key if the value stored
// in the map is equal to old. It panics if V values are not comparable.
func (m *DeltaDirtyMap[K, V]) CompareAndSwap(key K, old, new V) (swapped bool) {
	read := m.loadView()
	if e, ok := read.m[key]; ok {
		return e.compareAndSwapLive("CompareAndSwap", old, &new)
	}
	if !read.amended {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entryLocked(key)
	return e != nil && e.compareAndSwapLive("CompareAndSwap", old, &new)
}

// CompareAndDelete deletes the entry for key if its value is equal to old. It
// panics if V values are not comparable.
func (m *DeltaDirtyMap[K, V]) CompareAndDelete(key K, old V) (deleted bool) {
	read := m.loadView()
	if e, ok := read.m[key]; ok {
		return e.compareAndSwapLive("CompareAndDelete", old, nil)
	}
	if !read.amended {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.loadView().m[key]; ok {
		return e.compareAndSwapLive("CompareAndDelete", old, nil)
	}
	e := m.entryLocked(key)
	if e == nil || !e.compareAndSwapLive("CompareAndDelete", old, nil) {
		return false
	}
	delete(m.dirty, key)
	return true
}

// Range calls f for each key and value present, stopping if f returns false.
// It promotes dirty first, so that it iterates over an immutable map and f
// may call any method.
func (m *DeltaDirtyMap[K, V]) Range(f func(key K, value V) bool) {
	rangeRead(&m.mu, &m.read, m.promoteLocked, f)
}

// Clear deletes all the entries.
func (m *DeltaDirtyMap[K, V]) Clear() {
	m.mu.Lock()
	m.read.Store(nil)
	m.dirty = nil
	m.misses = 0
	m.mu.Unlock()
}
