// Package atomicvalue keeps read-mostly data immutable behind an atomic
// pointer, the standard library's other answer to a contended RWMutex
// (golang/go#17973): encoding/json's cachedTypeFields and encoding/gob's
// typeInfoMap did this with sync/atomic.Value. A reader does one atomic
// pointer load, a plain MOV on amd64: no lock, no LOCK-prefixed instruction
// and no write to a shared cache line, so reads scale with cores. A writer
// copies what it changes and publishes the copy.
//
// Value[T] is a typed sync/atomic.Value: Load, Store, Swap, and Update, a
// read-modify-write that retries against concurrent writers (the
// config-reload idiom). CompareAndSwap, which compares values, is a
// function for comparable T.
//
// Cache[K, V] is the map of cachedTypeFields made generic. Reads are O(1),
// lock-free and see one consistent snapshot; every write copies the map and
// costs O(n) for n entries, so batch writes with StoreAll.
//
// # When a Cache wins
//
// A Load hit, of an int or a string key, is faster than a lookup in an
// unsynchronized builtin map and than sync.Map, and allocates nothing. A
// write copies the whole map and the previous index's table, changing the
// copy in the keys written, a cost in proportion to the entries. In
// BenchmarkCacheMixed (two goroutines, writes overwriting existing keys) the
// Cache beats sync.Map once reads outnumber writes by a few times the
// number of entries; at higher write rates sync.Map wins, by far.
//
// Against this module's syncmap.Map the Cache did not win at any write rate
// measured with int keys: its overwrites stay O(1). Loads go through the same
// read index in both (internal/readindex), and the Cache, which has no entry
// indirection, reads faster. Each write copies the map and its index, so a
// snapshot holds its entries twice. Prefer a Cache for what
// copy-on-write gives beyond speed: Range and All over one consistent
// snapshot, StoreAll seen all at once or not at all. docs/benchmarks.md has
// the measurements.
package atomicvalue
