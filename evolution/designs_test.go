package evolution

import (
	"iter"
	"sync"

	"github.com/readmostly/readmostly/drwmutex"
	"github.com/readmostly/readmostly/syncmap"
	"github.com/readmostly/readmostly/tests"
)

// The package's tests and benchmarks drive every design through the test
// kit's interfaces, next to the standard library's type and this module's
// answer to it, so that each pays the same interface call per operation.
// These tables are the package's only list of designs; the registry that
// names them with the peers, for cmd/contention, is bench's.

// lockDesigns are the lock designs in the order golang/go#17973 met them.
// The per-slot designs come through releaseAnySlot, since RWLocker's RUnlock
// has no handle; their own read path is their RLocker handles.
var lockDesigns = []struct {
	name string
	new  func() tests.RWLocker
}{
	{"distributed", func() tests.RWLocker { return releaseAnySlot(new(DistributedRWMutex)) }},
	{"percpu", func() tests.RWLocker { return releaseAnySlot(NewPerCPURWMutex()) }},
	{"drwmutex", func() tests.RWLocker { return new(drwmutex.RWMutex) }},
	{"sync.RWMutex", func() tests.RWLocker { return new(sync.RWMutex) }},
}

// rlockers are the locks with RLocker handles: all of lockDesigns.
type rlockers interface{ RLocker() sync.Locker }

// insertMap is a map design as the map workloads drive it: the kit's
// tests.Map, plus LoadOrStore, which every design has, the insert-only ones
// through dmapInts and twoMapInts.
type insertMap interface {
	tests.Map[int, int]
	LoadOrStore(key, value int) (actual int, loaded bool)
}

// mapDesigns are the map designs in the order golang/go#17973 and
// golang/go#18177 met them, with int keys and values. The designs with
// sync.Map's whole method set are tests.SyncMaps.
var mapDesigns = []struct {
	name string
	new  func() insertMap
	// concurrent is false for the design that loses updates under
	// concurrency (NoExpungedMap), which only the sequential tests run.
	concurrent bool
}{
	{"dmap", func() insertMap { return new(dmapInts) }, true},
	{"twomap", func() insertMap { return new(twoMapInts) }, true},
	{"cleandirty", func() insertMap { return new(CleanDirtyMap[int, int]) }, true},
	{"deltadirty", func() insertMap { return new(DeltaDirtyMap[int, int]) }, true},
	{"noexpunged", func() insertMap { return new(NoExpungedMap[int, int]) }, false},
	{"syncmap", func() insertMap { return new(syncmap.Map[int, int]) }, true},
	{"sharded", func() insertMap { return new(ShardedMap[int, int]) }, true},
	{"sync.Map", func() insertMap { return new(tests.IntSyncMap) }, true},
}

// syncMapDesigns yields the name and constructor of every design of
// mapDesigns with sync.Map's whole method set, only the concurrent ones if
// concurrentOnly.
func syncMapDesigns(concurrentOnly bool) iter.Seq2[string, func() tests.SyncMap[int, int]] {
	return func(yield func(string, func() tests.SyncMap[int, int]) bool) {
		for _, d := range mapDesigns {
			if _, full := asSyncMap(d.new()); !full || concurrentOnly && !d.concurrent {
				continue
			}
			newMap := func() tests.SyncMap[int, int] {
				m, _ := asSyncMap(d.new())
				return m
			}
			if !yield(d.name, newMap) {
				return
			}
		}
	}
}

// asSyncMap returns m as a tests.SyncMap if it has sync.Map's whole method
// set. It asserts through any: staticcheck 2025.1 takes insertMap's methods
// for generic signatures and calls the direct assertion impossible.
func asSyncMap(m insertMap) (tests.SyncMap[int, int], bool) {
	s, ok := any(m).(tests.SyncMap[int, int])
	return s, ok
}

// dmapInts gives a DMap the map workloads' methods. Store and LoadOrStore
// insert, and neither changes a key present: the workloads that run it
// store every key once.
type dmapInts struct{ d DMap[int, int] }

func (a *dmapInts) Load(key int) (int, bool) { return a.d.Lookup(key) }
func (a *dmapInts) Store(key, value int)     { a.d.insert(key, value) }
func (a *dmapInts) LoadOrStore(key, value int) (int, bool) {
	if v, ok := a.d.Lookup(key); ok {
		return v, true
	}
	actual, inserted := a.d.insert(key, value)
	return actual, !inserted
}

// twoMapInts gives a TwoMap the map workloads' methods; as for dmapInts,
// Store does not change a key present.
type twoMapInts struct{ m TwoMap[int, int] }

func (a *twoMapInts) Load(key int) (int, bool)               { return a.m.Load(key) }
func (a *twoMapInts) Store(key, value int)                   { a.m.StoreOrLoad(key, value) }
func (a *twoMapInts) LoadOrStore(key, value int) (int, bool) { return a.m.StoreOrLoad(key, value) }
