package bench

import (
	"fmt"

	cmap "github.com/orcaman/concurrent-map/v2"
	"github.com/puzpuzpuz/xsync/v4"
	"github.com/readmostly/readmostly/asm"
	"github.com/readmostly/readmostly/atomicvalue"
	"github.com/readmostly/readmostly/syncmap"
	"github.com/readmostly/readmostly/tests"
)

func mapImpls() []Impl {
	return []Impl{
		{
			Name: "sync.Map", Kind: MapKind, Baseline: true,
			Doc:    "the standard library's Map (any keys and values, type-asserted)",
			newMap: func() tests.Map[int, int] { return new(tests.IntSyncMap) },
		},
		{
			Name: "syncmap", Kind: MapKind,
			Doc:    "readmostly/syncmap.Map[int, int], sync.Map's read/dirty design, typed",
			newMap: func() tests.Map[int, int] { return new(syncmap.Map[int, int]) },
		},
		{
			Name: "atomicvalue.Cache", Kind: MapKind,
			Doc:    "readmostly/atomicvalue.Cache[int, int], copy-on-write snapshot",
			newMap: func() tests.Map[int, int] { return new(atomicvalue.Cache[int, int]) },
		},
		{
			Name: "xsync.Map", Kind: MapKind,
			Doc:    "puzpuzpuz/xsync/v4.Map[int, int], CLHT-style hash table",
			newMap: func() tests.Map[int, int] { return xsync.NewMap[int, int]() },
		},
		{
			Name: "concurrent-map", Kind: MapKind,
			Doc:    "orcaman/concurrent-map/v2, 32 shards each behind a sync.RWMutex",
			newMap: func() tests.Map[int, int] { return shardedMap{cmap.NewWithCustomShardingFunction[int, int](shardOf)} },
		},
	}
}

// shardedMap is concurrent-map under the method names of sync.Map.
type shardedMap struct{ m cmap.ConcurrentMap[int, int] }

func (s shardedMap) Load(key int) (int, bool) { return s.m.Get(key) }
func (s shardedMap) Store(key, value int)     { s.m.Set(key, value) }

// shardOf spreads int keys over concurrent-map's shards, which it picks by
// the hash modulo the shard count: multiplying by an odd constant keeps
// consecutive keys in different shards.
func shardOf(key int) uint32 { return uint32(key) * 0x9e3779b1 }

// mapTrial runs wl on m, filled with keys 0..MapKeys-1, key k holding k.
// Writes store key + g*MapKeys for a growing g, so that a read can check
// that the value it got was stored for its key. The workers wait on a
// channel that release closes.
func mapTrial(m tests.Map[int, int], wl Workload) trial {
	for k := range MapKeys {
		m.Store(k, k)
	}
	gate := make(chan struct{})
	return trial{
		hold:    func() {},
		release: func() { close(gate) },
		work: func(w *worker, ready func()) {
			const mask = MapKeys - 1 // MapKeys is a power of two
			key := w.id * 61 & mask  // workers start at different keys
			untilWrite := writeCountdown(wl, w)
			ready()
			<-gate
			for range w.quota {
				key = (key + 1) & mask
				untilWrite--
				if untilWrite == 0 {
					untilWrite = wl.WriteEvery
					w.writes++
					m.Store(key, key+w.writes*MapKeys)
					continue
				}
				v, ok := m.Load(key)
				if !ok || v&mask != key {
					w.bad++
				}
				w.sum += v
			}
		},
		check: func(ws []asm.Padded[worker]) error {
			bad := 0
			for i := range ws {
				bad += ws[i].Value.bad
			}
			if bad > 0 {
				return fmt.Errorf("%d loads missed a present key or returned a value stored for another key", bad)
			}
			return nil
		},
	}
}
