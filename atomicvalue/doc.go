// Package atomicvalue keeps read-mostly data immutable behind an atomic
// pointer: readers do one plain load, with no lock, no atomic
// read-modify-write and no write to shared memory, and writers publish a
// fresh copy.
//
// Value[T] is a typed sync/atomic.Value with Update, a retrying
// read-modify-write for the config-reload idiom. Cache[K, V] is the map of
// encoding/json's cachedTypeFields and encoding/gob's typeInfoMap made
// generic: reads are O(1) and scale with cores, every write copies the map
// and is O(n).
package atomicvalue
