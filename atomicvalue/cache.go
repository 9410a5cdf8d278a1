package atomicvalue

import (
	"iter"
	"maps"
	"sync"
	"sync/atomic"
)

// A Cache is a map for read-mostly data, kept as an immutable snapshot
// behind an atomic pointer. It is the pattern of encoding/json's
// cachedTypeFields (as of Go 1.8) and encoding/gob's typeInfoMap, made
// generic: Load is one atomic pointer load and a plain map lookup, with no
// lock, no atomic read-modify-write and no write to shared memory, so reads
// scale with cores. Every write copies the whole map under a mutex and
// publishes the copy, so a write costs O(n) time and allocation for n
// entries. Use a Cache where writes are rare and mostly happen while the
// cache is small or are batched (StoreAll); see the package doc for the
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
	// made. A published map is never modified again; readers may hold it
	// for as long as they like.
	snap atomic.Pointer[map[K]V]
}

// Load returns the value stored for key and whether it was present.
func (c *Cache[K, V]) Load(key K) (value V, ok bool) {
	if m := c.snap.Load(); m != nil {
		value, ok = (*m)[key]
	}
	return value, ok
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
	old := c.snap.Load()
	if old != nil {
		if prev, ok := (*old)[key]; ok {
			return prev, true
		}
	}
	next := copyForWrite(old, 1)
	next[key] = v
	c.snap.Store(&next)
	return v, false
}

// Store sets the value for key. It copies the whole Cache; to store many
// entries, use StoreAll, which copies once.
func (c *Cache[K, V]) Store(key K, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := copyForWrite(c.snap.Load(), 1)
	next[key] = value
	c.snap.Store(&next)
}

// StoreAll sets the value of every key in entries, copying the Cache once
// for all of them, and publishes them together: readers see either none or
// all of the entries. Where entries yields a key twice, the last value wins.
//
// entries is consumed before the Cache's lock is taken, so it may read the
// Cache; it is iterated exactly once.
func (c *Cache[K, V]) StoreAll(entries iter.Seq2[K, V]) {
	type entry struct {
		key   K
		value V
	}
	var batch []entry
	for k, v := range entries {
		batch = append(batch, entry{k, v})
	}
	if len(batch) == 0 {
		return
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	next := copyForWrite(c.snap.Load(), len(batch))
	for _, e := range batch {
		next[e.key] = e.value
	}
	c.snap.Store(&next)
}

// Delete removes key from the Cache. Deleting an absent key copies nothing.
func (c *Cache[K, V]) Delete(key K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.snap.Load()
	if old == nil {
		return
	}
	if _, ok := (*old)[key]; !ok {
		return
	}
	next := copyForWrite(old, 0)
	delete(next, key)
	c.snap.Store(&next)
}

// Clear removes every entry.
func (c *Cache[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snap.Store(nil)
}

// Len returns the number of entries.
func (c *Cache[K, V]) Len() int {
	if m := c.snap.Load(); m != nil {
		return len(*m)
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
	m := c.snap.Load()
	if m == nil {
		return
	}
	for k, v := range *m {
		if !f(k, v) {
			return
		}
	}
}

// copyForWrite returns a private copy of the snapshot old (nil is empty),
// for a writer holding mu to change and then publish; extra sizes a new map.
func copyForWrite[K comparable, V any](old *map[K]V, extra int) map[K]V {
	if old == nil {
		return make(map[K]V, extra)
	}
	// maps.Clone copies the table memory as it is instead of hashing and
	// inserting every entry again: several times faster for the few new
	// entries of a typical write. For a batch as large as the map the two
	// cost about the same, the clone allocating more as it grows
	// (BenchmarkCopyForWrite); that rare case is not worth a second path.
	return maps.Clone(*old)
}
