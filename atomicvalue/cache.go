package atomicvalue

import (
	"iter"
	"maps"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/readmostly/readmostly/internal/readindex"
)

// A Cache is a map for read-mostly data, kept as an immutable snapshot
// behind an atomic pointer. It is the pattern of encoding/json's
// cachedTypeFields (as of Go 1.8) and encoding/gob's typeInfoMap, made
// generic: Load is one atomic pointer load and a lookup in an immutable hash
// table, with no lock, no atomic read-modify-write and no write to shared
// memory, so reads scale with cores. Every write copies the whole map under a
// mutex, indexes the copy for lookups (the table of syncmap.Map's read view,
// internal/readindex) and publishes both. The index is the previous one's
// table copied and changed in the keys written, or built anew where the
// table must grow or the batch is large, so a write costs O(n) time and
// allocation for n entries, two copies of memory, and a snapshot holds its
// entries twice, once in the map that the next write copies and once in
// the index. Use a Cache where writes are rare and mostly happen while the
// cache is small or are batched (StoreAll); docs/benchmarks.md has the
// measured crossover against sync.Map.
//
// The zero Cache is empty and ready for use. A Cache must not be copied
// after first use.
//
// Readers never block and always see one whole snapshot: a StoreAll is
// observed either entirely or not at all. Writers serialize on a mutex, so
// writes are totally ordered. In the terminology of the Go memory model, a
// write (Store, StoreAll, Delete, Clear, or a LoadOrCompute that stores)
// synchronizes before every Load, LoadOrCompute, Len, Range or All that
// observes its effect.
type Cache[K comparable, V any] struct {
	// mu serializes writers: a writer holds it from reading the current
	// snapshot until it has published the next one, so no write is lost.
	mu sync.Mutex
	// snap is the published snapshot, or nil while the Cache is empty as
	// made. A published snapshot is never modified again; readers may hold
	// it for as long as they like.
	snap atomic.Pointer[snapshot[K, V]]
}

// A snapshot is the Cache's contents at one time, in two forms.
type snapshot[K comparable, V any] struct {
	idx readindex.Index[K, V] // indexes m, for Load
	m   map[K]V               // the entries, for the next write to copy
}

// Load returns the value stored for key and whether it was present.
func (c *Cache[K, V]) Load(key K) (value V, ok bool) {
	s := c.snap.Load()
	if s == nil {
		return loadEmpty[K, V](key)
	}
	// The lookups that need no stack check, where the Index has the
	// direct layout or the key is a short string, and the one that spares
	// interface keys Find's dispatch, each tested only where K's size, a
	// constant in each instantiation, allows it (keys of up to 8 bytes,
	// keys of a string's or an interface's size), as in syncmap.Map.Load.
	// The short string is tested before the interface: the other order
	// cost string hits a few per cent (docs/benchmarks.md, "Short strings
	// without a frame").
	if unsafe.Sizeof(key) <= 8 && s.idx.Direct() {
		return s.idx.FindDirect(key)
	}
	if unsafe.Sizeof(key) == unsafe.Sizeof("") && s.idx.ShortString(key) {
		return s.idx.FindShortString(key)
	}
	if unsafe.Sizeof(key) == unsafe.Sizeof(any(nil)) && s.idx.Interface() {
		return s.idx.FindInterface(key)
	}
	return s.idx.Find(key)
}

// loadEmpty looks key up in an empty builtin map, so that an incomparable
// interface key panics in an empty Cache as it does in a builtin map.
func loadEmpty[K comparable, V any](key K) (value V, ok bool) {
	var empty map[K]V
	value, ok = empty[key]
	return value, ok
}

// publishLocked makes next, which no one else holds, the Cache's contents:
// the entries of prev (nil while there are none) with the keys of deletes
// deleted and then the entries of stores stored. The index of next is made
// from prev's, changed in those keys, where readindex.Index.Update can, and
// else built from next.
func (c *Cache[K, V]) publishLocked(prev *snapshot[K, V], next map[K]V, deletes []K, stores []readindex.Entry[K, V]) {
	var idx readindex.Index[K, V]
	if prev != nil {
		idx = prev.idx.Update(next, deletes, stores)
	} else {
		idx = readindex.New(next)
	}
	c.snap.Store(&snapshot[K, V]{idx: idx, m: next})
}

// entries returns the entries of s, nil while there are none (s is nil).
// The map must not be modified.
func (s *snapshot[K, V]) entries() map[K]V {
	if s != nil {
		return s.m
	}
	return nil
}

// LoadOrCompute returns the value stored for key if there is one. Otherwise
// it calls compute(key) without holding any lock, stores the result unless
// another goroutine stored a value for key first, and returns the value that
// ended up in the Cache. loaded reports whether that value was stored by
// someone else.
//
// As in cachedTypeFields, concurrent callers that miss may each run compute
// ("might duplicate effort but won't hold other computations back"), but all
// of them return the one value that was published first. compute may call
// the Cache's methods, including LoadOrCompute for other keys.
func (c *Cache[K, V]) LoadOrCompute(key K, compute func(K) V) (actual V, loaded bool) {
	if v, ok := c.Load(key); ok {
		return v, true
	}
	return c.loadOrComputeSlow(key, compute)
}

func (c *Cache[K, V]) loadOrComputeSlow(key K, compute func(K) V) (actual V, loaded bool) {
	if compute == nil {
		panic("atomicvalue: Cache.LoadOrCompute called with a nil compute function")
	}
	v := compute(key)

	c.mu.Lock()
	defer c.mu.Unlock()
	// Another writer may have published key while compute ran; its value
	// was first, so it wins and ours is dropped.
	prev := c.snap.Load()
	if pv, ok := prev.entries()[key]; ok {
		return pv, true
	}
	next := copyForWrite(prev.entries(), 1)
	next[key] = v
	c.publishLocked(prev, next, nil, []readindex.Entry[K, V]{{Key: key, Value: v}})
	return v, false
}

// Store sets the value for key. It copies the whole Cache; to store many
// entries, use StoreAll, which copies once.
func (c *Cache[K, V]) Store(key K, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.snap.Load()
	next := copyForWrite(prev.entries(), 1)
	next[key] = value
	c.publishLocked(prev, next, nil, []readindex.Entry[K, V]{{Key: key, Value: value}})
}

// StoreAll sets the value of every key in entries, copying the Cache once
// for all of them, and publishes them together: readers see either none or
// all of the entries. Where entries yields a key twice, the last value wins.
//
// entries is consumed before the Cache's lock is taken, so it may read the
// Cache; it is iterated exactly once.
func (c *Cache[K, V]) StoreAll(entries iter.Seq2[K, V]) {
	var batch []readindex.Entry[K, V]
	for k, v := range entries {
		batch = append(batch, readindex.Entry[K, V]{Key: k, Value: v})
	}
	if len(batch) == 0 {
		return
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.snap.Load()
	next := copyForWrite(prev.entries(), len(batch))
	for _, e := range batch {
		next[e.Key] = e.Value
	}
	c.publishLocked(prev, next, nil, batch)
}

// Delete removes key from the Cache. Deleting an absent key copies nothing.
func (c *Cache[K, V]) Delete(key K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.snap.Load()
	if _, ok := prev.entries()[key]; !ok {
		return
	}
	next := copyForWrite(prev.entries(), 0)
	delete(next, key)
	if len(next) == 0 {
		c.snap.Store(nil)
		return
	}
	c.publishLocked(prev, next, []K{key}, nil)
}

// Clear removes every entry.
func (c *Cache[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snap.Store(nil)
}

// Len returns the number of entries.
func (c *Cache[K, V]) Len() int {
	if s := c.snap.Load(); s != nil {
		return s.idx.Len()
	}
	return 0
}

// All returns an iterator over the entries. Each iteration walks the one
// snapshot that was current when it started: writes made during the
// iteration, including by its own loop body, are not seen, and every entry
// of that snapshot is seen exactly once. The order is unspecified.
func (c *Cache[K, V]) All() iter.Seq2[K, V] {
	return c.Range
}

// Range calls f for each entry of the snapshot current when Range is called,
// until f returns false. It is All's iteration in the style of sync.Map.
func (c *Cache[K, V]) Range(f func(key K, value V) bool) {
	if s := c.snap.Load(); s != nil {
		s.idx.Range(f)
	}
}

// copyForWrite returns a private copy of the entries old (nil is empty),
// for a writer holding mu to change and then publish; extra sizes a new map.
func copyForWrite[K comparable, V any](old map[K]V, extra int) map[K]V {
	if old == nil {
		return make(map[K]V, extra)
	}
	// maps.Clone copies the table memory as it is instead of hashing and
	// inserting every entry again: several times faster for the few new
	// entries of a typical write. For a batch as large as the map the two
	// cost about the same, the clone allocating more as it grows
	// (BenchmarkCopyForWrite); that rare case is not worth a second path.
	return maps.Clone(old)
}
