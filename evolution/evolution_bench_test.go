package evolution

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/readmostly/readmostly/syncmap"
	"github.com/readmostly/readmostly/tests"
)

// The benchmarks run the workloads of drwmutex's and syncmap's benchmarks,
// and the seed's own harness, over every design, so that one
// `go test -bench . ./evolution/` shows the whole evolution. Every design is
// driven through the same interface (RWLocker, ReadLockers, Map,
// tests.SyncMap), so each pays the same interface call per operation.

// BenchmarkLockReadOnly is parallel RLock+RUnlock with no writer, through
// RWLocker and, for the designs that have one, through a handle taken once
// per goroutine (for designs 1 and 2 the handle is their own read path; their
// RWLocker entries add the count that lets RUnlock find a held slot).
func BenchmarkLockReadOnly(b *testing.B) {
	for _, d := range LockDesigns() {
		b.Run(d.Name, func(b *testing.B) {
			b.ReportAllocs()
			mu := d.New()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					mu.RLock()
					//lint:ignore SA2001 the empty critical section is the workload
					mu.RUnlock()
				}
			})
		})
		if _, ok := d.New().(ReadLockers); !ok {
			continue
		}
		b.Run(d.Name+"-handle", func(b *testing.B) {
			b.ReportAllocs()
			mu := d.New().(ReadLockers)
			b.RunParallel(func(pb *testing.PB) {
				h := mu.RLocker()
				for pb.Next() {
					h.Lock()
					//lint:ignore SA2001 the empty critical section is the workload
					h.Unlock()
				}
			})
		})
	}
}

// BenchmarkLockSeedHarness is the harness of golang/go#17973 that the seed
// quotes in §2.1: ng goroutines wait on a write-locked mutex, then share b.N
// RLock+RUnlock pairs as fast as they can once it is unlocked; the time runs
// from Unlock to the last goroutine's end.
func BenchmarkLockSeedHarness(b *testing.B) {
	for _, d := range LockDesigns() {
		for ng := 1; ng <= 256; ng <<= 2 {
			b.Run(fmt.Sprintf("%s/g=%d", d.Name, ng), func(b *testing.B) {
				tests.SeedHarness(b, d.New(), ng)
			})
		}
	}
}

// BenchmarkLockWrites is parallel read locking with one Lock+Unlock in every
// `every` operations, readers summing a small array under the lock.
func BenchmarkLockWrites(b *testing.B) {
	for _, every := range []int{100, 10} {
		for _, d := range LockDesigns() {
			b.Run(fmt.Sprintf("%d%%/%s", 100/every, d.Name), func(b *testing.B) {
				tests.MixedWrites(b, d.New(), every)
			})
		}
	}
}

// scramble maps 0, 1, 2, ... to distinct keys in an order that keeps DMap's
// unbalanced tree shallow; ascending keys would make it a list.
func scramble(i int) int {
	return int(uint32(i) * 0x9e3779b1) // odd multiplier: a bijection on uint32
}

// fillMap stores the first n scrambled keys through LoadOrStore and loads
// each once, which promotes the dirty maps of read/dirty designs.
func fillMap(m Map[int, int], n int) {
	for i := range n {
		m.LoadOrStore(scramble(i), i)
	}
	for i := range n {
		m.Load(scramble(i))
	}
}

// mapWorkload is one map benchmark: fill is how many keys to store first,
// perG the loop of one goroutine, whose first counter value i is unique to
// it.
type mapWorkload struct {
	fill int
	perG func(b *testing.B, pb *testing.PB, i int, m Map[int, int])
}

func runMapWorkload(b *testing.B, w mapWorkload) {
	for _, d := range MapDesigns() {
		b.Run(d.Name, func(b *testing.B) {
			m := d.New()
			fillMap(m, w.fill)
			b.ReportAllocs()
			b.ResetTimer()
			var g atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				w.perG(b, pb, int(g.Add(1)-1)*b.N, m)
			})
		})
	}
}

// BenchmarkMapLoadHits loads 1023 present keys and one missing key in turn.
func BenchmarkMapLoadHits(b *testing.B) {
	const hits, misses = 1023, 1
	runMapWorkload(b, mapWorkload{fill: hits, perG: func(_ *testing.B, pb *testing.PB, i int, m Map[int, int]) {
		for ; pb.Next(); i++ {
			m.Load(scramble(i % (hits + misses)))
		}
	}})
}

// BenchmarkMapLoadMisses loads one present key and 1023 missing keys in turn.
func BenchmarkMapLoadMisses(b *testing.B) {
	const hits, misses = 1, 1023
	runMapWorkload(b, mapWorkload{fill: hits, perG: func(_ *testing.B, pb *testing.PB, i int, m Map[int, int]) {
		for ; pb.Next(); i++ {
			m.Load(scramble(i % (hits + misses)))
		}
	}})
}

// BenchmarkMapLoadOrStoreMixed is syncmap's LoadOrStoreBalanced: half the
// calls find one of 128 keys present since the fill, half store a new key.
func BenchmarkMapLoadOrStoreMixed(b *testing.B) {
	const hits, misses = 128, 128
	runMapWorkload(b, mapWorkload{fill: hits, perG: func(b *testing.B, pb *testing.PB, i int, m Map[int, int]) {
		for ; pb.Next(); i++ {
			if j := i % (hits + misses); j < hits {
				if _, loaded := m.LoadOrStore(scramble(j), i); !loaded {
					b.Fatalf("LoadOrStore stored key %d present since the fill", j)
				}
			} else if _, loaded := m.LoadOrStore(scramble(hits+i), i); loaded {
				b.Fatalf("LoadOrStore loaded key %d that no one else stores", hits+i)
			}
		}
	}})
}

// BenchmarkMapLoadOrStoreUnique stores a new key every call: the write-heavy
// case seed 000 sends to sharded maps.
func BenchmarkMapLoadOrStoreUnique(b *testing.B) {
	runMapWorkload(b, mapWorkload{perG: func(_ *testing.B, pb *testing.PB, i int, m Map[int, int]) {
		for ; pb.Next(); i++ {
			m.LoadOrStore(scramble(i), i)
		}
	}})
}

// deletingDesigns are the designs with sync.Map's method set, for the
// workloads that delete or overwrite.
var deletingDesigns = []struct {
	name string
	new  func() tests.SyncMap[int, int]
}{
	{"cleandirty", func() tests.SyncMap[int, int] { return new(CleanDirtyMap[int, int]) }},
	{"deltadirty", func() tests.SyncMap[int, int] { return new(DeltaDirtyMap[int, int]) }},
	{"syncmap", func() tests.SyncMap[int, int] { return new(syncmap.Map[int, int]) }},
	{"sharded", func() tests.SyncMap[int, int] { return new(ShardedMap[int, int]) }},
	{"sync.Map", func() tests.SyncMap[int, int] { return tests.AnyAsInt(new(sync.Map)) }},
}

// runDeleting fills each deleting design with keys 0..n-1, promotes its
// dirty map, and runs perG in b.RunParallel.
func runDeleting(b *testing.B, n int, perG func(pb *testing.PB, i int, m tests.SyncMap[int, int])) {
	for _, d := range deletingDesigns {
		b.Run(d.name, func(b *testing.B) {
			m := d.new()
			for k := range n {
				m.Store(k, k)
			}
			m.Range(func(int, int) bool { return true }) // promote
			b.ReportAllocs()
			b.ResetTimer()
			var g atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				perG(pb, int(g.Add(1)-1)*b.N, m)
			})
		})
	}
}

// BenchmarkOverwriteRare is the case rsc's review of the clean/dirty CL
// raised: a read-mostly map whose keys are overwritten now and then, once
// per 2048 operations over 1024 keys. CleanDirtyMap copies the map on each
// overwrite and takes its mutex for the 1024 loads that pay for the next
// promotion; the final design overwrites an entry in read with one CAS.
func BenchmarkOverwriteRare(b *testing.B) {
	const keys, every = 1024, 2048
	runDeleting(b, keys, func(pb *testing.PB, i int, m tests.SyncMap[int, int]) {
		for ; pb.Next(); i++ {
			if k := i % keys; i%every == 0 {
				m.Store(k, i)
			} else {
				m.Load(k)
			}
		}
	})
}

// BenchmarkDeleteThenLoad is §3.2's case: delete a key, read it, store it
// again, over 1024 keys, for the designs that can delete. DeltaDirtyMap pays
// a copy of its read map for the load and for the store of each deleted key;
// syncmap keeps all three on the lock-free path.
func BenchmarkDeleteThenLoad(b *testing.B) {
	const keys = 1024
	runDeleting(b, keys, func(pb *testing.PB, i int, m tests.SyncMap[int, int]) {
		for ; pb.Next(); i++ {
			k := i % keys
			m.Delete(k)
			m.Load(k)
			m.Store(k, i)
		}
	})
}
