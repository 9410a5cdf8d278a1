package syncmap

import (
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/readmostly/readmostly/internal/readindex"
)

// Map is like a Go map[K]V but is safe for concurrent use by multiple
// goroutines without additional locking or coordination. Loads, stores, and
// deletes run in amortized constant time.
//
// Map is specialized, as sync.Map is: most code should use a plain map with
// its own locking. It is optimized for two cases: (1) when the entry for a
// given key is written once but read many times, as in caches that only grow,
// or (2) when goroutines read, write, and overwrite entries for disjoint sets
// of keys. The package documentation gives the cases where it loses.
//
// The zero Map is empty and ready for use. A Map must not be copied after
// first use.
//
// In the terminology of the Go memory model, Map arranges that a write
// operation "synchronizes before" any read operation that observes the effect
// of the write. Load, LoadAndDelete, LoadOrStore, Swap, CompareAndSwap and
// CompareAndDelete are read operations; Delete, LoadAndDelete, Store and Swap
// are write operations; LoadOrStore is a write operation when it returns
// loaded set to false; CompareAndSwap is a write operation when it returns
// swapped set to true; and CompareAndDelete is a write operation when it
// returns deleted set to true. Clear is a write operation for every key it
// removes.
type Map[K comparable, V any] struct {
	_ noCopy

	mu sync.Mutex // guards dirty and misses, and serializes replacing read

	// read holds the part of the map's contents that Loads may use without
	// mu. The readOnly it points to is never modified once published; only
	// the entries it points to change, and only through their atomic p.
	// Replacing the pointer requires mu. A nil pointer reads as an empty,
	// unamended view, which is what keeps the zero Map usable.
	read atomic.Pointer[readOnly[K, V]]

	// dirty holds the part of the map's contents that requires mu. So that
	// promoting it to read needs no merge (one pass to index it), it also
	// holds every non-expunged entry of read. An expunged entry is never in
	// dirty: storing into it first unexpunges it and adds it back under mu.
	//
	// dirty is nil until the first store of a key missing from read, which
	// fills it with a copy of read's live entries (dirtyLocked).
	dirty map[K]*entry[V]

	// misses counts the operations since read was last replaced that had to
	// take mu to find out whether a key is present. Once it reaches
	// len(dirty), the cost of the misses has paid for copying dirty, so dirty
	// becomes the new read (missLocked), and the next new key builds a new
	// dirty map.
	misses int
}

// readOnly is the immutable view of the map published in Map.read. Since it
// never changes once published, its entries are indexed by a table built for
// lookups alone (internal/readindex) rather than by a builtin map; the
// entries it points to, and so the algorithm, are the same.
type readOnly[K comparable, V any] struct {
	amended bool                          // dirty holds some key that the view lacks
	idx     readindex.Index[K, *entry[V]] // the view's entries
}

// promotedView returns the view that makes dirty the read map. The view may
// keep dirty itself as its index, so dirty must not be modified afterwards.
func promotedView[K comparable, V any](dirty map[K]*entry[V]) *readOnly[K, V] {
	return &readOnly[K, V]{idx: readindex.New(dirty)}
}

// expunged marks an entry that was deleted and then left out of a non-nil
// dirty map. It points to a live object, so no value pointer can equal it; it
// is never dereferenced, which is why one sentinel serves every V.
var expunged = unsafe.Pointer(new(any))

// An entry is the slot in the map for one key. The same entry is shared by
// read and dirty, which is what lets a store to a key already in read skip
// mu.
type entry[V any] struct {
	// p points to the entry's current value (a *V), or is nil or expunged.
	//
	// nil: the entry was deleted and dirty is nil, or dirty holds the entry.
	// expunged: the entry was deleted, dirty is non-nil, and dirty lacks the
	// entry.
	// Otherwise the entry is live, is in the read view if the view has the
	// key, and in dirty[key] if dirty is non-nil.
	//
	// Deleting swaps p to nil; building a new dirty map (tryExpungeLocked)
	// turns nil into expunged and leaves the entry out of it. A value may be
	// stored into the entry with a CAS as long as p is not expunged; an
	// expunged entry must first be put back into dirty under mu, or a later
	// promotion of dirty would lose the store.
	//
	// p is an unsafe.Pointer rather than an atomic.Pointer[V] because the
	// expunged sentinel is not a V: converting it to *V would be an invalid
	// pointer conversion for any V larger than the sentinel.
	p unsafe.Pointer
}

// newEntry returns a live entry holding *value, which must not be modified
// afterwards.
func newEntry[V any](value *V) *entry[V] {
	return &entry[V]{p: unsafe.Pointer(value)}
}

// loadReadOnly returns the current view. It is nil in the zero Map, and the
// readOnly methods take nil as an empty view.
func (m *Map[K, V]) loadReadOnly() *readOnly[K, V] {
	return m.read.Load()
}

// find returns the view's entry for key, through the lookup of the Index
// that suits K and the view (see Load, which spells this out).
func (r *readOnly[K, V]) find(key K) (e *entry[V], ok bool) {
	switch {
	case r == nil:
		return findEmpty[K, V](key)
	case unsafe.Sizeof(key) == unsafe.Sizeof(any(nil)) && r.idx.Interface():
		return r.idx.FindInterface(key)
	case unsafe.Sizeof(key) == unsafe.Sizeof("") && r.idx.ShortString(key):
		return r.idx.FindShortString(key)
	case unsafe.Sizeof(key) <= 8 && r.idx.Direct():
		return r.idx.FindDirect(key)
	}
	return r.idx.Find(key)
}

// findEmpty looks key up in an empty builtin map, so that an incomparable
// interface key panics in the zero Map as in a builtin map.
func findEmpty[K comparable, V any](key K) (e *entry[V], ok bool) {
	var empty map[K]*entry[V]
	e, ok = empty[key]
	return e, ok
}

// isAmended reports whether dirty may hold keys the view lacks.
func (r *readOnly[K, V]) isAmended() bool {
	return r != nil && r.amended
}

func (r *readOnly[K, V]) len() int {
	if r == nil {
		return 0
	}
	return r.idx.Len()
}

// each calls f for each key and entry of the view until f returns false.
func (r *readOnly[K, V]) each(f func(key K, e *entry[V]) bool) {
	if r != nil {
		r.idx.Range(f)
	}
}

// Load returns the value stored in the map for a key, or the zero value if no
// value is present. The ok result indicates whether value was found in the
// map.
func (m *Map[K, V]) Load(key K) (value V, ok bool) {
	read := m.loadReadOnly()
	if read == nil || read.amended {
		// A miss in the view may be a hit in dirty. Left to a call of its
		// own, it leaves nothing here that must outlive the lookup's call
		// but the entry, so no argument is spilled to the stack for it.
		return m.loadAmended(read, key)
	}
	// read.find(key), by hand: find does not inline here, and the call
	// would cost a tenth of a hit. FindDirect and FindShortString (a
	// string key of up to 16 bytes), where they apply, need no stack
	// check and no spills, which Find does; FindInterface spares Find's
	// frame and dispatch. Each test is made only where it may be true at
	// all: the size of K is a constant in each instantiation, so for ints
	// the Interface and ShortString tests are compiled away, and for
	// strings and interfaces the Direct test (only keys of up to 8 bytes
	// have the direct layout). Interface comes first: tested after
	// Direct, it had the compiler put FindDirect's call behind a taken
	// branch.
	var e *entry[V]
	if unsafe.Sizeof(key) == unsafe.Sizeof(any(nil)) && read.idx.Interface() {
		e, ok = read.idx.FindInterface(key)
	} else if unsafe.Sizeof(key) == unsafe.Sizeof("") && read.idx.ShortString(key) {
		e, ok = read.idx.FindShortString(key)
	} else if unsafe.Sizeof(key) <= 8 && read.idx.Direct() {
		e, ok = read.idx.FindDirect(key)
	} else {
		e, ok = read.idx.Find(key)
	}
	if !ok {
		return value, false
	}
	return e.load()
}

// loadAmended is Load in the zero Map and in a Map whose view is amended.
func (m *Map[K, V]) loadAmended(read *readOnly[K, V], key K) (value V, ok bool) {
	if read == nil {
		return m.loadEmpty(key)
	}
	e, ok := read.find(key)
	if !ok {
		e, ok = m.loadSlow(key)
	}
	if !ok {
		return value, false
	}
	return e.load()
}

// loadEmpty is Load in the zero Map.
func (m *Map[K, V]) loadEmpty(key K) (value V, ok bool) {
	findEmpty[K, V](key)
	return value, false
}

// loadSlow looks key up in dirty when read lacks it but dirty may have it,
// for Load and CompareAndDelete.
func (m *Map[K, V]) loadSlow(key K) (e *entry[V], ok bool) {
	m.mu.Lock()
	// Look again: dirty may have been promoted while we waited for mu, and
	// counting a miss then would be wrong, since later Loads of this key hit
	// read and the copy the miss pays towards would buy nothing.
	read := m.loadReadOnly()
	e, ok = read.find(key)
	if !ok && read.isAmended() {
		e, ok = m.dirty[key]
		// Count the miss whether or not the key is present: until dirty is
		// promoted, every Load of this key takes mu.
		m.missLocked()
	}
	m.mu.Unlock()
	return e, ok
}

func (e *entry[V]) load() (value V, ok bool) {
	p := atomic.LoadPointer(&e.p)
	if p == nil || p == expunged {
		return value, false
	}
	return *(*V)(p), true
}

// Store sets the value for a key.
func (m *Map[K, V]) Store(key K, value V) {
	_, _ = m.Swap(key, value)
}

// Clear deletes all the entries, resulting in an empty Map.
func (m *Map[K, V]) Clear() {
	read := m.loadReadOnly()
	if read.len() == 0 && !read.isAmended() {
		// Already empty: don't allocate a new view for nothing.
		return
	}
	m.clearSlow()
}

func (m *Map[K, V]) clearSlow() {
	m.mu.Lock()
	defer m.mu.Unlock()
	read := m.loadReadOnly()
	if read.len() > 0 || read.isAmended() {
		m.read.Store(&readOnly[K, V]{})
	}
	clear(m.dirty)
	// The cleared dirty map is as complete as the new empty read: no misses
	// are owed against it.
	m.misses = 0
}

// tryCompareAndSwap compares the entry with old and, if they are equal and the
// entry is not expunged, swaps in new. If the entry is expunged it returns
// false and leaves it unchanged.
func (e *entry[V]) tryCompareAndSwap(old, new V) bool {
	p := atomic.LoadPointer(&e.p)
	if p == nil || p == expunged || !equal("CompareAndSwap", *(*V)(p), old) {
		return false
	}
	// Copy new only after the first comparison succeeded, so that a failing
	// CompareAndSwap does not move new to the heap.
	nc := new
	for {
		if atomic.CompareAndSwapPointer(&e.p, p, unsafe.Pointer(&nc)) {
			return true
		}
		p = atomic.LoadPointer(&e.p)
		if p == nil || p == expunged || !equal("CompareAndSwap", *(*V)(p), old) {
			return false
		}
	}
}

// unexpungeLocked ensures that the entry is not marked as expunged. If it was,
// the caller must add it to dirty before unlocking mu.
func (e *entry[V]) unexpungeLocked() (wasExpunged bool) {
	return atomic.CompareAndSwapPointer(&e.p, expunged, nil)
}

// swapLocked unconditionally swaps a value into the entry, which must not be
// expunged.
func (e *entry[V]) swapLocked(v *V) *V {
	return (*V)(atomic.SwapPointer(&e.p, unsafe.Pointer(v)))
}

// LoadOrStore returns the existing value for the key if present. Otherwise,
// it stores and returns the given value. The loaded result is true if the
// value was loaded, false if stored.
func (m *Map[K, V]) LoadOrStore(key K, value V) (actual V, loaded bool) {
	// Avoid locking if it's a clean hit.
	read := m.loadReadOnly()
	if e, ok := read.find(key); ok {
		actual, loaded, ok := e.tryLoadOrStore(value)
		if ok {
			return actual, loaded
		}
	}
	return m.loadOrStoreSlow(key, value)
}

func (m *Map[K, V]) loadOrStoreSlow(key K, value V) (actual V, loaded bool) {
	m.mu.Lock()
	read := m.loadReadOnly()
	if e, ok := read.find(key); ok {
		if e.unexpungeLocked() {
			m.dirty[key] = e
		}
		actual, loaded, _ = e.tryLoadOrStore(value)
	} else if e, ok := m.dirty[key]; ok {
		actual, loaded, _ = e.tryLoadOrStore(value)
		// The key set did not change, so this was a miss like a Load's.
		m.missLocked()
	} else {
		// Copy value to the heap here, so that the branches that load do
		// not pay for it.
		stored := new(V)
		*stored = value
		m.addLocked(read, key, stored)
		actual, loaded = value, false
	}
	m.mu.Unlock()
	return actual, loaded
}

// addLocked stores a key that neither read nor dirty holds.
func (m *Map[K, V]) addLocked(read *readOnly[K, V], key K, value *V) {
	if !read.isAmended() {
		// This is the first key dirty has that read lacks: make sure dirty
		// exists, and tell readers that a miss in read is now worth a look
		// in dirty.
		m.dirtyLocked()
		amended := &readOnly[K, V]{amended: true}
		if read != nil {
			amended.idx = read.idx
		}
		m.read.Store(amended)
	}
	m.dirty[key] = newEntry(value)
}

// tryLoadOrStore atomically loads or stores a value if the entry is not
// expunged. If the entry is expunged, it leaves it unchanged and returns
// ok == false.
func (e *entry[V]) tryLoadOrStore(v V) (actual V, loaded, ok bool) {
	p := atomic.LoadPointer(&e.p)
	if p == expunged {
		return actual, false, false
	}
	if p != nil {
		return *(*V)(p), true, true
	}
	// Copy v only once we know we will store it, so that the load path does
	// not move it to the heap.
	vc := v
	for {
		if atomic.CompareAndSwapPointer(&e.p, nil, unsafe.Pointer(&vc)) {
			return v, false, true
		}
		p = atomic.LoadPointer(&e.p)
		if p == expunged {
			return actual, false, false
		}
		if p != nil {
			return *(*V)(p), true, true
		}
	}
}

// LoadAndDelete deletes the value for a key, returning the previous value if
// any. The loaded result reports whether the key was present.
func (m *Map[K, V]) LoadAndDelete(key K) (value V, loaded bool) {
	read := m.loadReadOnly()
	e, ok := read.find(key)
	if !ok && read.isAmended() {
		e, ok = m.deleteSlow(key)
	}
	if ok {
		return e.delete()
	}
	return value, false
}

// deleteSlow removes key from dirty when read lacks it but dirty may have it,
// and returns the entry it removed so that the caller can clear its value.
func (m *Map[K, V]) deleteSlow(key K) (e *entry[V], ok bool) {
	m.mu.Lock()
	read := m.loadReadOnly()
	e, ok = read.find(key)
	if !ok && read.isAmended() {
		e, ok = m.dirty[key]
		// Remove the key itself, not just its value: an entry left behind
		// would keep the key reachable until the next promotion
		// (golang/go#40999).
		delete(m.dirty, key)
		// Count a miss only if the key was absent, as Load does: a
		// promotion would let later lookups of it skip mu. A key just
		// removed from dirty gains nothing from one. (sync.Map counts
		// either way since Go 1.15; the seed's Delete never counted.
		// Counting deletions made every delete-and-restore of a key new
		// since the last promotion promote dirty, and the restore copy
		// the map: 8 allocations per pair in BenchmarkLoadAndDeleteCollision
		// at -cpu 1.)
		if !ok {
			m.missLocked()
		}
	}
	m.mu.Unlock()
	return e, ok
}

// Delete deletes the value for a key.
func (m *Map[K, V]) Delete(key K) {
	m.LoadAndDelete(key)
}

func (e *entry[V]) delete() (value V, ok bool) {
	for {
		p := atomic.LoadPointer(&e.p)
		if p == nil || p == expunged {
			return value, false
		}
		if atomic.CompareAndSwapPointer(&e.p, p, nil) {
			return *(*V)(p), true
		}
	}
}

// trySwap swaps a value if the entry has not been expunged. If the entry is
// expunged, it returns false and leaves the entry unchanged.
func (e *entry[V]) trySwap(v *V) (previous *V, ok bool) {
	for {
		p := atomic.LoadPointer(&e.p)
		if p == expunged {
			return nil, false
		}
		if atomic.CompareAndSwapPointer(&e.p, p, unsafe.Pointer(v)) {
			return (*V)(p), true
		}
	}
}

// Swap swaps the value for a key and returns the previous value if any. The
// loaded result reports whether the key was present.
func (m *Map[K, V]) Swap(key K, value V) (previous V, loaded bool) {
	read := m.loadReadOnly()
	if e, ok := read.find(key); ok {
		if v, ok := e.trySwap(&value); ok {
			if v == nil {
				return previous, false
			}
			return *v, true
		}
	}
	// value has moved to the heap for trySwap: hand on the pointer rather
	// than copy it again.
	return m.swapSlow(key, &value)
}

func (m *Map[K, V]) swapSlow(key K, value *V) (previous V, loaded bool) {
	m.mu.Lock()
	read := m.loadReadOnly()
	if e, ok := read.find(key); ok {
		if e.unexpungeLocked() {
			// The entry was expunged, so dirty is non-nil and lacks it: put
			// it back before storing, or the next promotion would drop it.
			m.dirty[key] = e
		}
		if v := e.swapLocked(value); v != nil {
			previous, loaded = *v, true
		}
	} else if e, ok := m.dirty[key]; ok {
		if v := e.swapLocked(value); v != nil {
			previous, loaded = *v, true
		}
	} else {
		m.addLocked(read, key, value)
	}
	m.mu.Unlock()
	return previous, loaded
}

// CompareAndSwap swaps the old and new values for key if the value stored in
// the map is equal to old. Values are compared as any(x) == any(y) would
// compare them, so it panics if they have the same incomparable dynamic type,
// like a comparison of two such interface values.
func (m *Map[K, V]) CompareAndSwap(key K, old, new V) (swapped bool) {
	read := m.loadReadOnly()
	if e, ok := read.find(key); ok {
		return e.tryCompareAndSwap(old, new)
	} else if !read.isAmended() {
		return false // no value for key
	}
	return m.compareAndSwapSlow(key, old, new)
}

func (m *Map[K, V]) compareAndSwapSlow(key K, old, new V) (swapped bool) {
	m.mu.Lock()
	// The comparison may panic: unlock on the way out.
	defer m.mu.Unlock()
	read := m.loadReadOnly()
	if e, ok := read.find(key); ok {
		return e.tryCompareAndSwap(old, new)
	} else if e, ok := m.dirty[key]; ok {
		swapped = e.tryCompareAndSwap(old, new)
		// The key set did not change, so this was a miss like a Load's.
		m.missLocked()
	}
	return swapped
}

// CompareAndDelete deletes the entry for key if its value is equal to old.
// Values are compared as in CompareAndSwap.
//
// If there is no current value for key in the map, CompareAndDelete returns
// false (even if old is the zero value).
func (m *Map[K, V]) CompareAndDelete(key K, old V) (deleted bool) {
	read := m.loadReadOnly()
	e, ok := read.find(key)
	if !ok && read.isAmended() {
		// The key stays in dirty: whether it goes depends on the comparison,
		// made after unlocking. If it is deleted, its entry is expunged when
		// dirty has been promoted and a new dirty map is built.
		e, ok = m.loadSlow(key)
	}
	for ok {
		p := atomic.LoadPointer(&e.p)
		if p == nil || p == expunged || !equal("CompareAndDelete", *(*V)(p), old) {
			return false
		}
		if atomic.CompareAndSwapPointer(&e.p, p, nil) {
			return true
		}
	}
	return false
}

// Range calls f sequentially for each key and value present in the map. If f
// returns false, Range stops the iteration.
//
// Range does not necessarily correspond to any consistent snapshot of the
// Map's contents: no key will be visited more than once, but if the value for
// any key is stored or deleted concurrently (including by f), Range may
// reflect any mapping for that key from any point during the Range call.
// Range does not block other methods on the receiver; even f itself may call
// any method on m.
//
// Range may be O(N) with the number of elements in the map even if f returns
// false after a constant number of calls.
func (m *Map[K, V]) Range(f func(key K, value V) bool) {
	// Range must see every key present when it starts. If read is not
	// amended, read has them all and Range never takes mu.
	read := m.loadReadOnly()
	if read.isAmended() {
		read = m.promoteForRange()
	}
	read.each(func(k K, e *entry[V]) bool {
		v, ok := e.load()
		return !ok || f(k, v)
	})
}

// promoteForRange makes dirty the read view. dirty has keys read lacks; since
// a Range is O(N) anyway, it may as well pay for the copy that a promotion
// makes the next new key do, and then iterate without mu.
func (m *Map[K, V]) promoteForRange() *readOnly[K, V] {
	m.mu.Lock()
	read := m.loadReadOnly()
	if read.isAmended() {
		p := promotedView(m.dirty)
		m.read.Store(p)
		read = p
		m.dirty = nil
		m.misses = 0
	}
	m.mu.Unlock()
	return read
}

// All returns an iterator over the key-value pairs in the map, with the
// semantics of Range.
func (m *Map[K, V]) All() iter.Seq2[K, V] {
	return m.Range
}

// missLocked counts a miss and promotes dirty once the misses since the last
// promotion are as many as its entries. A promotion costs O(len(dirty))
// (indexing its keys), so each miss pays O(1) towards it.
func (m *Map[K, V]) missLocked() {
	m.misses++
	if m.misses < len(m.dirty) {
		return
	}
	m.read.Store(promotedView(m.dirty))
	m.dirty = nil
	m.misses = 0
}

// dirtyLocked builds dirty from read's live entries, expunging the deleted
// ones so that the new dirty map does not need them.
func (m *Map[K, V]) dirtyLocked() {
	if m.dirty != nil {
		return
	}
	read := m.loadReadOnly()
	m.dirty = make(map[K]*entry[V], read.len())
	read.each(func(k K, e *entry[V]) bool {
		if !e.tryExpungeLocked() {
			m.dirty[k] = e
		}
		return true
	})
}

// tryExpungeLocked marks a deleted entry expunged and reports whether it is.
// A nil entry that concurrently gets a value stays live: the CAS of trySwap
// or tryLoadOrStore and ours cannot both win.
func (e *entry[V]) tryExpungeLocked() (isExpunged bool) {
	p := atomic.LoadPointer(&e.p)
	for p == nil {
		if atomic.CompareAndSwapPointer(&e.p, nil, expunged) {
			return true
		}
		p = atomic.LoadPointer(&e.p)
	}
	return p == expunged
}

// equal reports whether a and b are equal as interface values. For a V whose
// values may be incomparable (an interface type, or a type that is not
// comparable at all), the comparison can panic; equal turns the runtime's
// message into one that names the method and the type.
func equal[V any](method string, a, b V) (eq bool) {
	defer func() {
		if r := recover(); r != nil {
			panic(fmt.Sprintf("syncmap: %s of incomparable values of type %T: %v", method, a, r))
		}
	}()
	return any(a) == any(b)
}

// noCopy makes go vet's copylocks check report copies of a Map.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
