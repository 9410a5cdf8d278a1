package bench

import (
	"sync"

	"github.com/readmostly/readmostly/asm"
	"github.com/readmostly/readmostly/evolution"
	"github.com/readmostly/readmostly/tests"
)

// The designs of package evolution are registered under "evolution." and
// the design's name. The per-CPU lock and the sharded map, which a user
// might still choose, are measured by default; the others, history, only
// when asked for (Extra).

func evolutionLockImpls() []Impl {
	return []Impl{
		{
			Name: "evolution.distributed", Kind: LockKind, Extra: true,
			Doc: "evolution.DistributedRWMutex, dvyukov's per-P sync.RWMutex, through an RLocker handle per critical section",
			newLock: func() lockUnderTest {
				mu := new(evolution.DistributedRWMutex)
				return lockUnderTest{writer: mu, reader: func() sync.Locker { return &distributedSection{mu: mu} }}
			},
		},
		{
			Name: "evolution.percpu", Kind: LockKind,
			Doc: "evolution.PerCPURWMutex, jonhoo/drwmutex's per-CPU sync.RWMutex, through the handle its RLock returns",
			newLock: func() lockUnderTest {
				mu := evolution.NewPerCPURWMutex()
				return lockUnderTest{writer: mu, reader: func() sync.Locker { return &perCPUSection{mu: mu} }}
			},
		},
	}
}

// distributedSection reads a DistributedRWMutex through the fix dvyukov gave
// for its RUnlock: an RLocker handle per critical section (see drwSection,
// whose shape it shares, and the note above drwRead).
type distributedSection struct {
	mu *evolution.DistributedRWMutex
	h  sync.Locker
	_  asm.CacheLinePad
}

func (r *distributedSection) Lock()   { r.h = r.mu.RLocker(); r.h.Lock() }
func (r *distributedSection) Unlock() { r.h.Unlock() }

// perCPUSection reads a PerCPURWMutex as jonhoo/drwmutex teaches: `l :=
// mu.RLock(); ...; l.Unlock()`.
type perCPUSection struct {
	mu *evolution.PerCPURWMutex
	h  sync.Locker
	_  asm.CacheLinePad
}

func (r *perCPUSection) Lock()   { r.h = r.mu.RLock() }
func (r *perCPUSection) Unlock() { r.h.Unlock() }

func evolutionMapImpls() []Impl {
	return []Impl{
		{
			Name: "evolution.dmap", Kind: MapKind, Extra: true, insertOnly: true,
			Doc:    "evolution.DMap, ianlancetaylor's insert-only tree with a cached map",
			newMap: func() tests.Map[int, int] { return new(dmapMap) },
		},
		{
			Name: "evolution.twomap", Kind: MapKind, Extra: true, insertOnly: true,
			Doc:    "evolution.TwoMap, bcmills' tenured map plus an RWMutex-guarded live map",
			newMap: func() tests.Map[int, int] { return new(twoMap) },
		},
		{
			Name: "evolution.cleandirty", Kind: MapKind, Extra: true,
			Doc:    "evolution.CleanDirtyMap, the first sync.Map CL: clean or dirty, never both",
			newMap: func() tests.Map[int, int] { return new(evolution.CleanDirtyMap[int, int]) },
		},
		{
			Name: "evolution.deltadirty", Kind: MapKind, Extra: true,
			Doc:    "evolution.DeltaDirtyMap, sync.Map's design with a dirty map of new keys only",
			newMap: func() tests.Map[int, int] { return new(evolution.DeltaDirtyMap[int, int]) },
		},
		{
			Name: "evolution.sharded", Kind: MapKind,
			Doc:    "evolution.ShardedMap, concurrent-map's design: 32 shards of sync.RWMutex and map",
			newMap: func() tests.Map[int, int] { return new(evolution.ShardedMap[int, int]) },
		},
	}
}

// dmapMap and twoMap give the insert-only designs the map workloads' method
// set. Store inserts, which is all a map-load workload needs: its keys are
// stored once, before the run.
type (
	dmapMap struct{ m evolution.DMap[int, int] }
	twoMap  struct{ m evolution.TwoMap[int, int] }
)

func (a *dmapMap) Load(key int) (int, bool) { return a.m.Lookup(key) }
func (a *dmapMap) Store(key, value int)     { a.m.Insert(key, value) }
func (a *twoMap) Load(key int) (int, bool)  { return a.m.Load(key) }
func (a *twoMap) Store(key, value int)      { a.m.StoreOrLoad(key, value) }
