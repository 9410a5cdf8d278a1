// Package syncmap provides Map, a typed concurrent map built on the
// read/dirty algorithm of the standard library's sync.Map as it was from
// Go 1.9 to Go 1.23 (golang/go#18177), with sync.Map's method set and K and V
// in place of any.
//
// # How it works
//
// A Map holds an immutable read view in an atomic pointer and a dirty map
// under a mutex. Both point to the same entries, each holding an atomic
// pointer to its value. A Load of a key in the read view is lock-free, and so
// is a Store or Delete of it, a swap of the entry's pointer, unless the key
// was deleted before the dirty map was last rebuilt. A key the view
// lacks goes to the dirty map under the mutex, and the view is marked
// amended, so that lookups that miss it try the dirty map. Once such misses
// are as many as the dirty map's entries, the dirty map becomes the new read
// view. The next new key then builds a new dirty map from the view's live
// entries, marking deleted ones expunged so that it can leave them out.
//
// Since the view never changes once published, it is indexed by a hash table
// built for lookups alone instead of a builtin map (internal/readindex, the
// same table as atomicvalue.Cache's snapshots): a seeded hash chosen for the
// key type, a layout in which a probe rarely compares whole keys, and a
// bounded probe. The entries it points to, and so the algorithm, are the
// same. Keys compare as in a builtin map, including interface keys: NaN is
// never found, +0 and -0 are one key, and a key whose dynamic type is not
// comparable panics.
//
// # When to use it
//
// The two cases the design is for, as sync.Map's documentation puts them:
// keys that are written once and then read many times, as in caches that only
// grow; and goroutines that read, write and overwrite disjoint sets of keys.
// There, reads scale with cores because they write no shared memory: a Load
// hit of an int or a string key is several times as fast as a builtin map
// behind a mutex, faster than sync.Map, and a little faster than the Map of
// github.com/puzpuzpuz/xsync/v4 (an int miss a little slower); a
// Map[any, any] used as a drop-in for
// sync.Map is faster than it on Go's own Load benchmarks. Range takes no lock
// and walks the read view. Loads and Ranges do not allocate.
// docs/benchmarks.md has the measurements.
//
// # When not to
//
// The price is paid for keys that are new. While any key is in the dirty map
// only, every lookup that misses the read view takes the mutex, until enough
// misses have happened to promote the dirty map (golang/go#21032); and the
// first new key after each promotion copies the whole view into a new dirty
// map, and each promotion indexes the new view, which costs more than
// building a builtin map. A map whose set of keys keeps changing pays both
// again and again: in AdversarialAlloc, which stores a new key after just
// enough loads to force a promotion each time, and AdversarialDelete, it is
// several times as slow as sync.Map and as a mutex and a map, and storing
// ever-new keys (LoadOrStoreUnique) is slower than a mutex and a map. For such
// maps use sync.Map, whose HashTrieMap has no promotion, or a plain map
// behind a mutex.
//
// Stores allocate: each value stored lives in its own heap allocation, as
// sync.Map's did, so that an entry can switch values with one atomic pointer
// swap.
//
// # Compatibility with sync.Map
//
// Map[any, any] behaves as sync.Map does, down to CompareAndSwap and
// CompareAndDelete panicking when they compare two values of the same
// incomparable type (the message names the method and the type), returning
// false when the key is missing, and Range letting f call any method.
package syncmap
