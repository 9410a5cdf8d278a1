package evolution

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/readmostly/readmostly/tests"
)

// The benchmarks run the workloads of drwmutex's and syncmap's benchmarks,
// and the harness of golang/go#17973, over every design of lockDesigns and
// mapDesigns, so that one `go test -bench . ./evolution/` shows the whole
// evolution. docs/benchmarks.md has the figures.

// BenchmarkLockReadOnly is parallel RLock+RUnlock with no writer, through
// tests.RWLocker, and through RLocker handles: one per critical section, as
// in `l := mu.RLocker(); l.Lock(); ...; l.Unlock()`, and one per goroutine,
// taken once. For the per-slot designs the handles are their own read path;
// the RWLocker rows add releaseAnySlot's count and search.
func BenchmarkLockReadOnly(b *testing.B) {
	// Three loops, not one over a sync.Locker: an adapter from RLock to
	// Lock would add a dynamic call to the RWLocker rows.
	for _, d := range lockDesigns {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			mu := d.new()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					mu.RLock()
					//lint:ignore SA2001 the empty critical section is the workload
					mu.RUnlock()
				}
			})
		})
		b.Run(d.name+"-rlocker", func(b *testing.B) {
			b.ReportAllocs()
			mu := d.new().(rlockers)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					h := mu.RLocker()
					h.Lock()
					//lint:ignore SA2001 the empty critical section is the workload
					h.Unlock()
				}
			})
		})
		b.Run(d.name+"-rlocker-per-goroutine", func(b *testing.B) {
			b.ReportAllocs()
			mu := d.new().(rlockers)
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

// BenchmarkLockSeedHarness is the harness of golang/go#17973
// (tests.SeedHarness): ng goroutines wait on a write-locked mutex, then share
// b.N RLock+RUnlock pairs as fast as they can once it is unlocked; the time
// runs from Unlock to the last goroutine's end.
func BenchmarkLockSeedHarness(b *testing.B) {
	for _, d := range lockDesigns {
		for ng := 1; ng <= 256; ng <<= 2 {
			b.Run(fmt.Sprintf("%s/g=%d", d.name, ng), func(b *testing.B) {
				tests.SeedHarness(b, d.new(), ng)
			})
		}
	}
}

// BenchmarkLockWrites is parallel read locking with one Lock+Unlock in every
// `every` operations, readers summing a small array under the lock.
func BenchmarkLockWrites(b *testing.B) {
	for _, every := range []int{100, 10} {
		for _, d := range lockDesigns {
			b.Run(fmt.Sprintf("%d%%/%s", 100/every, d.name), func(b *testing.B) {
				tests.MixedWrites(b, d.new(), every)
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
func fillMap(m insertMap, n int) {
	for i := range n {
		m.LoadOrStore(scramble(i), i)
	}
	for i := range n {
		m.Load(scramble(i))
	}
}

// runMapDesigns runs perG in b.RunParallel on every concurrent map design,
// filled by fillMap with fill keys. Goroutine g's counter starts at g*b.N, so
// that the counters of two goroutines never meet.
func runMapDesigns(b *testing.B, fill int, perG func(b *testing.B, pb *testing.PB, i int, m insertMap)) {
	for _, d := range mapDesigns {
		if !d.concurrent {
			continue
		}
		b.Run(d.name, func(b *testing.B) {
			m := d.new()
			fillMap(m, fill)
			runParallelFrom(b, func(pb *testing.PB, i int) { perG(b, pb, i, m) })
		})
	}
}

// runParallelFrom runs perG in b.RunParallel, goroutine g counting from g*b.N.
func runParallelFrom(b *testing.B, perG func(pb *testing.PB, i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	var g atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		perG(pb, int(g.Add(1)-1)*b.N)
	})
}

// BenchmarkMapLoadHits loads 1023 present keys and one missing key in turn.
func BenchmarkMapLoadHits(b *testing.B) {
	const hits, misses = 1023, 1
	runMapDesigns(b, hits, func(_ *testing.B, pb *testing.PB, i int, m insertMap) {
		for ; pb.Next(); i++ {
			m.Load(scramble(i % (hits + misses)))
		}
	})
}

// BenchmarkMapLoadMisses loads one present key and 1023 missing keys in turn.
func BenchmarkMapLoadMisses(b *testing.B) {
	const hits, misses = 1, 1023
	runMapDesigns(b, hits, func(_ *testing.B, pb *testing.PB, i int, m insertMap) {
		for ; pb.Next(); i++ {
			m.Load(scramble(i % (hits + misses)))
		}
	})
}

// BenchmarkMapLoadOrStoreMixed is syncmap's LoadOrStoreBalanced: half the
// calls find one of 128 keys present since the fill, half store a new key.
func BenchmarkMapLoadOrStoreMixed(b *testing.B) {
	const hits, misses = 128, 128
	runMapDesigns(b, hits, func(b *testing.B, pb *testing.PB, i int, m insertMap) {
		for ; pb.Next(); i++ {
			if j := i % (hits + misses); j < hits {
				if _, loaded := m.LoadOrStore(scramble(j), i); !loaded {
					b.Fatalf("LoadOrStore stored key %d present since the fill", j)
				}
			} else if _, loaded := m.LoadOrStore(scramble(hits+i), i); loaded {
				b.Fatalf("LoadOrStore loaded key %d that no one else stores", hits+i)
			}
		}
	})
}

// BenchmarkMapLoadOrStoreUnique stores a new key every call: the write-heavy
// case that sharded maps are for.
func BenchmarkMapLoadOrStoreUnique(b *testing.B) {
	runMapDesigns(b, 0, func(_ *testing.B, pb *testing.PB, i int, m insertMap) {
		for ; pb.Next(); i++ {
			m.LoadOrStore(scramble(i), i)
		}
	})
}

// runDeleting fills each concurrent design with sync.Map's method set with
// keys 0..n-1, promotes its dirty map, and runs perG in b.RunParallel.
func runDeleting(b *testing.B, n int, perG func(pb *testing.PB, i int, m tests.SyncMap[int, int])) {
	for name, newMap := range syncMapDesigns(true) {
		b.Run(name, func(b *testing.B) {
			m := newMap()
			for k := range n {
				m.Store(k, k)
			}
			m.Range(func(int, int) bool { return true }) // promote
			runParallelFrom(b, func(pb *testing.PB, i int) { perG(pb, i, m) })
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

// BenchmarkDeleteThenLoad is DeltaDirtyMap's weak case: delete a key, read
// it, store it again, over 1024 keys, for the designs that can delete.
// DeltaDirtyMap pays a copy of its read map for the load and for the store
// of each deleted key; syncmap keeps all three on the lock-free path.
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
