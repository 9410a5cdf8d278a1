// Package evolution reproduces, side by side, the designs that led from
// sync.RWMutex to sync.Map and to per-CPU read locks, as the seed documents
// walk through them (golang/go#17973 and golang/go#18177), so that their
// flaws can be tested and their speed measured with the same workloads as
// the primitives this module ships.
//
// The lock designs, in the order the discussion met them:
//
//   - DistributedRWMutex: dvyukov's per-P sync.RWMutex, whose RUnlock looks
//     the slot up again and so breaks when the reader has moved.
//   - PerCPURWMutex: the same slots with jonhoo/drwmutex's API, where RLock
//     returns the handle that must release the lock.
//   - drwmutex.RWMutex, this module's answer, and sync.RWMutex.
//
// The map designs:
//
//   - DMap: ianlancetaylor's insert-only binary tree with a cached map.
//   - TwoMap: bcmills' tenured/live demo.
//   - CleanDirtyMap: the first sync.Map CL, where one of two maps is nil.
//   - DeltaDirtyMap: the seed's §3.2, a dirty map of new keys only.
//   - NoExpungedMap: the seed's §3.3, the final design without expunged,
//     which loses updates (see its test hook).
//   - syncmap.Map, this module's final design, and sync.Map.
//   - ShardedMap: orcaman/concurrent-map's idea, for write-heavy use.
//
// These types are experiments: they keep their designs' flaws on purpose.
// Use drwmutex and syncmap in programs.
package evolution

import (
	"sync"

	"github.com/readmostly/readmostly/drwmutex"
	"github.com/readmostly/readmostly/syncmap"
)

// RWLocker is the method set every lock design shares.
type RWLocker interface {
	Lock()
	Unlock()
	RLock()
	RUnlock()
}

// LockDesign names a lock design for benchmarks and the contention command.
type LockDesign struct {
	Name string
	Doc  string
	New  func() RWLocker
}

// LockDesigns returns the lock designs in the order of the seeds (design 1,
// design 2), plus drwmutex (final) and sync.RWMutex (baseline).
//
// The two per-slot designs cannot release a read lock from RUnlock alone
// without risking a crash (see DistributedRWMutex), so their entries wrap
// them in an adapter whose RUnlock releases a read lock of any slot that holds
// one (see releaseAnySlot), which a caller of RWLocker needs; the
// designs' own read paths are their RLocker handles, which implement
// ReadLockers for benchmarks that want them.
func LockDesigns() []LockDesign {
	return []LockDesign{
		{
			Name: "distributed",
			Doc:  "design 1, seed §2.2.1: dvyukov's per-P sync.RWMutex (RUnlock made safe by releaseAnySlot)",
			New:  func() RWLocker { return releaseAnySlot(new(DistributedRWMutex)) },
		},
		{
			Name: "percpu",
			Doc:  "design 2, seed §2.2.1: jonhoo/drwmutex, padded per-CPU sync.RWMutex, writer locks all (RUnlock made safe by releaseAnySlot)",
			New:  func() RWLocker { return releaseAnySlot(NewPerCPURWMutex()) },
		},
		{
			Name: "drwmutex",
			Doc:  "final: drwmutex.RWMutex, per-CPU counters, drop-in for sync.RWMutex",
			New:  func() RWLocker { return new(drwmutex.RWMutex) },
		},
		{
			Name: "sync.RWMutex",
			Doc:  "baseline: one reader count shared by every core",
			New:  func() RWLocker { return new(sync.RWMutex) },
		},
	}
}

// ReadLockers is implemented by the lock designs whose read locks are taken
// through a handle bound to one slot.
type ReadLockers interface {
	// RLocker returns a handle whose Lock and Unlock take and release read
	// locks through the slot of the CPU the caller runs on now.
	RLocker() sync.Locker
}

// Map is the method set the map workloads need; every map design provides
// it, through a small adapter where its API is narrower.
type Map[K comparable, V any] interface {
	Load(key K) (V, bool)
	LoadOrStore(key K, value V) (V, bool)
}

// MapDesign names a map design.
type MapDesign struct {
	Name string
	Doc  string
	New  func() Map[int, int]
}

// MapDesigns returns the map designs in seed order (dmap, two-map,
// clean/dirty, §3.2, final syncmap, sharded) plus std sync.Map as baseline.
// NoExpungedMap is left out: it loses updates under concurrency.
func MapDesigns() []MapDesign {
	return []MapDesign{
		{
			Name: "dmap",
			Doc:  "design 3, seed §2.2.3: insert-only tree with a cached map",
			New:  func() Map[int, int] { return dmapAsMap[int, int]{new(DMap[int, int])} },
		},
		{
			Name: "twomap",
			Doc:  "design 4, seed §2.2.4: tenured map plus RWMutex-guarded live map",
			New:  func() Map[int, int] { return twoMapAsMap[int, int]{new(TwoMap[int, int])} },
		},
		{
			Name: "cleandirty",
			Doc:  "design 5, seed §3: clean or dirty, never both; a store copies clean",
			New:  func() Map[int, int] { return new(CleanDirtyMap[int, int]) },
		},
		{
			Name: "deltadirty",
			Doc:  "design 7, seed §3.2: dirty holds only new keys, no expunged",
			New:  func() Map[int, int] { return new(DeltaDirtyMap[int, int]) },
		},
		{
			Name: "syncmap",
			Doc:  "design 6, seed §3.1: the final read/dirty design with expunged",
			New:  func() Map[int, int] { return new(syncmap.Map[int, int]) },
		},
		{
			Name: "sharded",
			Doc:  "design 9, seed 000: orcaman/concurrent-map, shards of RWMutex+map",
			New:  func() Map[int, int] { return new(ShardedMap[int, int]) },
		},
		{
			Name: "sync.Map",
			Doc:  "baseline: the standard library's sync.Map (interface values)",
			New:  func() Map[int, int] { return syncMapAsMap{new(sync.Map)} },
		},
	}
}

// syncMapAsMap drives a sync.Map with int keys and values.
type syncMapAsMap struct{ m *sync.Map }

func (a syncMapAsMap) Load(key int) (int, bool) {
	v, ok := a.m.Load(key)
	i, _ := v.(int)
	return i, ok
}

func (a syncMapAsMap) LoadOrStore(key, value int) (int, bool) {
	v, loaded := a.m.LoadOrStore(key, value)
	return v.(int), loaded
}

// equal compares two values of a type that need not be comparable at compile
// time, as sync.Map's CompareAndSwap does, and panics naming method if they
// are not comparable at run time.
func equal[V any](method string, a, b V) bool {
	defer func() {
		if r := recover(); r != nil {
			panic("evolution: " + method + " called with incomparable values: " + errorString(r))
		}
	}()
	return any(a) == any(b)
}

func errorString(r any) string {
	if e, ok := r.(error); ok {
		return e.Error()
	}
	return "unknown panic"
}
