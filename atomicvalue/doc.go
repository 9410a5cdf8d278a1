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
// Measured on a 2-core amd64 VM with Go 1.26 (docs/benchmarks.md,
// int keys, best of 5 to 12 runs): a Load hit takes 6.4 ns against 5.8 ns
// for an unsynchronized map and 16 ns for sync.Map, and allocates nothing.
// A Store copies about 30 ns worth per entry: 31 µs at 1k entries, 0.28 ms
// at 10k, 1.5 ms at 100k. In BenchmarkCacheMixed (two goroutines, writes
// overwriting existing keys) the Cache beats sync.Map once there are more
// than roughly 3 reads per write for every entry: from 1 write in 1,000
// operations at 100 entries, 1 in 10,000 at 1,000 entries and 1 in 100,000
// at 10,000 entries; at higher write rates sync.Map wins, by up to 100x.
//
// Against this module's syncmap.Map the Cache did not win at any write rate
// measured with int keys: its overwrites stay O(1). Loads now go through the
// same read index in both (internal/readindex), and the Cache, which has no
// entry indirection, reads faster: with 1024 string keys a hit is 1.34 times
// as fast as an unlocked map[string]V on one goroutine and as fast as
// xsync's Map on two (docs/benchmarks.md). Each write copies the map and
// indexes the copy, so a snapshot holds its entries twice. Prefer a Cache
// for what copy-on-write gives beyond speed: Range and All over one
// consistent snapshot, StoreAll seen all at once or not at all.
package atomicvalue
