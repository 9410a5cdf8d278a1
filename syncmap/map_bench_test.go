package syncmap

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/readmostly/readmostly/tests"
)

// The workloads of the standard library's sync.Map benchmarks, written anew
// for this package and run over four maps: ours typed (Map[int, int]), ours
// as a drop-in for sync.Map (Map[any, any]), sync.Map, and a builtin map
// behind a mutex. All four are driven through tests.SyncMap[int, int], so
// each pays one interface call per operation, plus boxing where the map holds
// interface values, as a program using it would.

// mapImpls are the maps every workload runs on.
var mapImpls = []struct {
	name   string
	newMap func() tests.SyncMap[int, int]
}{
	{"typed", func() tests.SyncMap[int, int] { return new(Map[int, int]) }},
	{"any", func() tests.SyncMap[int, int] { return new(anyInts) }},
	{"sync.Map", func() tests.SyncMap[int, int] { return new(stdInts) }},
	{"mutex", func() tests.SyncMap[int, int] { return new(tests.MutexMap[int, int]) }},
}

// anyInts and stdInts present Map[any, any] and sync.Map as SyncMap[int, int]
// for the benchmarks. Unlike tests.AnyAsInt, they call their map directly, so
// that, as in a program that holds the map itself, the boxed key of a lookup
// does not escape: an adapter that called through an interface would make
// every lookup of a key above 255 allocate, and measure the allocator.
type (
	anyInts struct{ m Map[any, any] }
	stdInts struct{ m sync.Map }
)

func (a *anyInts) Load(k int) (int, bool) { v, ok := a.m.Load(k); return intOf(v), ok }
func (a *anyInts) Store(k, v int)         { a.m.Store(k, v) }
func (a *anyInts) LoadOrStore(k, v int) (int, bool) {
	x, l := a.m.LoadOrStore(k, v)
	return intOf(x), l
}
func (a *anyInts) LoadAndDelete(k int) (int, bool)     { v, l := a.m.LoadAndDelete(k); return intOf(v), l }
func (a *anyInts) Delete(k int)                        { a.m.Delete(k) }
func (a *anyInts) Swap(k, v int) (int, bool)           { p, l := a.m.Swap(k, v); return intOf(p), l }
func (a *anyInts) CompareAndSwap(k, old, new int) bool { return a.m.CompareAndSwap(k, old, new) }
func (a *anyInts) CompareAndDelete(k, old int) bool    { return a.m.CompareAndDelete(k, old) }
func (a *anyInts) Clear()                              { a.m.Clear() }
func (a *anyInts) Range(f func(k, v int) bool) {
	a.m.Range(func(k, v any) bool { return f(k.(int), v.(int)) })
}

func (s *stdInts) Load(k int) (int, bool) { v, ok := s.m.Load(k); return intOf(v), ok }
func (s *stdInts) Store(k, v int)         { s.m.Store(k, v) }
func (s *stdInts) LoadOrStore(k, v int) (int, bool) {
	x, l := s.m.LoadOrStore(k, v)
	return intOf(x), l
}
func (s *stdInts) LoadAndDelete(k int) (int, bool)     { v, l := s.m.LoadAndDelete(k); return intOf(v), l }
func (s *stdInts) Delete(k int)                        { s.m.Delete(k) }
func (s *stdInts) Swap(k, v int) (int, bool)           { p, l := s.m.Swap(k, v); return intOf(p), l }
func (s *stdInts) CompareAndSwap(k, old, new int) bool { return s.m.CompareAndSwap(k, old, new) }
func (s *stdInts) CompareAndDelete(k, old int) bool    { return s.m.CompareAndDelete(k, old) }
func (s *stdInts) Clear()                              { s.m.Clear() }
func (s *stdInts) Range(f func(k, v int) bool) {
	s.m.Range(func(k, v any) bool { return f(k.(int), v.(int)) })
}

func intOf(v any) int {
	i, _ := v.(int)
	return i
}

// workload is one benchmark: setup fills a fresh map, perG is the loop of one
// of the parallel goroutines, which runs n iterations counting from i. As in
// the standard library's benchmarks, goroutine g starts at g*b.N, so that the
// counters of two goroutines never meet.
type workload struct {
	setup func(b *testing.B, m tests.SyncMap[int, int])
	perG  func(b *testing.B, i, n int, m tests.SyncMap[int, int])
}

func runWorkload(b *testing.B, w workload) {
	for _, impl := range mapImpls {
		b.Run(impl.name, func(b *testing.B) {
			m := impl.newMap()
			if w.setup != nil {
				w.setup(b, m)
			}
			parallel(b, func(g, n int) { w.perG(b, g*b.N, n, m) })
		})
	}
}

// fill stores keys 0..n-1 and loads each, which promotes the dirty map of a
// read/dirty design, so that the run starts in the steady state.
func fill(m tests.SyncMap[int, int], n int) {
	for i := range n {
		m.Store(i, i)
	}
	for i := range n {
		m.Load(i)
	}
}

func BenchmarkLoadMostlyHits(b *testing.B)   { loadMostly(b, 1023, 1) }
func BenchmarkLoadMostlyMisses(b *testing.B) { loadMostly(b, 1, 1023) }

// loadMostly loads keys 0 to hits+misses-1 in turn from a map that holds the
// first hits of them.
func loadMostly(b *testing.B, hits, misses int) {
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { fill(m, hits) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				m.Load(i % (hits + misses))
			}
		},
	})
}

func BenchmarkLoadOrStoreBalanced(b *testing.B) {
	const hits, misses = 128, 128
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { fill(m, hits) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				if j := i % (hits + misses); j < hits {
					if _, loaded := m.LoadOrStore(j, i); !loaded {
						b.Fatalf("LoadOrStore(%d) stored a key present since setup", j)
					}
				} else if v, loaded := m.LoadOrStore(i, i); loaded {
					b.Fatalf("LoadOrStore(%d) loaded %d from a key no one else stores", i, v)
				}
			}
		},
	})
}

func BenchmarkLoadOrStoreUnique(b *testing.B) {
	runWorkload(b, workload{
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				m.LoadOrStore(i, i)
			}
		},
	})
}

func BenchmarkLoadOrStoreCollision(b *testing.B) {
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { m.LoadOrStore(0, 0) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				m.LoadOrStore(0, 0)
			}
		},
	})
}

func BenchmarkLoadAndDeleteBalanced(b *testing.B) {
	const hits, misses = 128, 128
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { fill(m, hits) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				if j := i % (hits + misses); j < hits {
					m.LoadAndDelete(j)
				} else {
					m.LoadAndDelete(i)
				}
			}
		},
	})
}

func BenchmarkLoadAndDeleteUnique(b *testing.B) {
	runWorkload(b, workload{
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				m.LoadAndDelete(i)
			}
		},
	})
}

func BenchmarkLoadAndDeleteCollision(b *testing.B) {
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { m.LoadOrStore(0, 0) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				if _, loaded := m.LoadAndDelete(0); loaded {
					m.Store(0, 0)
				}
			}
		},
	})
}

func BenchmarkRange(b *testing.B) {
	const mapSize = 1 << 10
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { fill(m, mapSize) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				m.Range(func(_, _ int) bool { return true })
			}
		},
	})
}

// BenchmarkAdversarialAlloc stores a new key after every run of loads as long
// as the number of keys stored so far: just enough misses to promote the
// dirty map each time, so that every new key copies the map.
func BenchmarkAdversarialAlloc(b *testing.B) {
	runWorkload(b, workload{
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			var stores, loadsSinceStore int
			for end := i + n; i < end; i++ {
				m.Load(i)
				if loadsSinceStore++; loadsSinceStore > stores {
					m.LoadOrStore(i, stores)
					loadsSinceStore = 0
					stores++
				}
			}
		},
	})
}

// BenchmarkAdversarialDelete deletes one key and stores a new one every
// mapSize loads, so that read/dirty designs keep expunging and copying.
func BenchmarkAdversarialDelete(b *testing.B) {
	const mapSize = 1 << 10
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { fill(m, mapSize) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				m.Load(i)
				if i%mapSize == 0 {
					m.Range(func(k, _ int) bool {
						m.Delete(k)
						return false
					})
					m.Store(i, i)
				}
			}
		},
	})
}

func BenchmarkDeleteCollision(b *testing.B) {
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { m.LoadOrStore(0, 0) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				m.Delete(0)
			}
		},
	})
}

func BenchmarkSwapCollision(b *testing.B) {
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { m.LoadOrStore(0, 0) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				m.Swap(0, 0)
			}
		},
	})
}

// swapHitsMisses swaps existing keys hits times in hits+misses, and otherwise
// swaps in a new key and deletes it.
func swapHitsMisses(hits, misses int) workload {
	return workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { fill(m, hits) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				if j := i % (hits + misses); j < hits {
					m.Swap(j, j)
				} else {
					m.Swap(i, i)
					m.Delete(i)
				}
			}
		},
	}
}

func BenchmarkSwapMostlyHits(b *testing.B)   { runWorkload(b, swapHitsMisses(1023, 1)) }
func BenchmarkSwapMostlyMisses(b *testing.B) { runWorkload(b, swapHitsMisses(1, 1023)) }

func BenchmarkCompareAndSwapCollision(b *testing.B) {
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { m.LoadOrStore(0, 0) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				if m.CompareAndSwap(0, 0, 42) {
					m.CompareAndSwap(0, 42, 0)
				}
			}
		},
	})
}

func BenchmarkCompareAndSwapNoExistingKey(b *testing.B) {
	runWorkload(b, workload{
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				if m.CompareAndSwap(i, 0, 0) {
					m.Delete(i)
				}
			}
		},
	})
}

func BenchmarkCompareAndSwapValueNotEqual(b *testing.B) {
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { m.Store(0, 0) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				if m.CompareAndSwap(0, 1, 2) {
					b.Fatal("CompareAndSwap(0, 1, 2) swapped a value that is always 0")
				}
			}
		},
	})
}

// compareAndSwapHitsMisses compares an existing key with its own value hits
// times in hits+misses, and a missing key otherwise.
func compareAndSwapHitsMisses(hits, misses int) workload {
	return workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { fill(m, hits) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				v := i
				if j := i % (hits + misses); j < hits {
					v = j
				}
				m.CompareAndSwap(v, v, v)
			}
		},
	}
}

func BenchmarkCompareAndSwapMostlyHits(b *testing.B) {
	runWorkload(b, compareAndSwapHitsMisses(1023, 1))
}

func BenchmarkCompareAndSwapMostlyMisses(b *testing.B) {
	runWorkload(b, compareAndSwapHitsMisses(1, 1023))
}

func BenchmarkCompareAndDeleteCollision(b *testing.B) {
	runWorkload(b, workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { m.LoadOrStore(0, 0) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				if m.CompareAndDelete(0, 0) {
					m.Store(0, 0)
				}
			}
		},
	})
}

// compareAndDeleteHitsMisses deletes and restores an existing key hits times
// in hits+misses, and tries a missing key otherwise.
func compareAndDeleteHitsMisses(hits, misses int) workload {
	return workload{
		setup: func(_ *testing.B, m tests.SyncMap[int, int]) { fill(m, hits) },
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				v := i
				if j := i % (hits + misses); j < hits {
					v = j
				}
				if m.CompareAndDelete(v, v) {
					m.Store(v, v)
				}
			}
		},
	}
}

func BenchmarkCompareAndDeleteMostlyHits(b *testing.B) {
	runWorkload(b, compareAndDeleteHitsMisses(1023, 1))
}

func BenchmarkCompareAndDeleteMostlyMisses(b *testing.B) {
	runWorkload(b, compareAndDeleteHitsMisses(1, 1023))
}

func BenchmarkClear(b *testing.B) {
	runWorkload(b, workload{
		perG: func(b *testing.B, i, n int, m tests.SyncMap[int, int]) {
			for end := i + n; i < end; i++ {
				m.Clear()
			}
		},
	})
}

// BenchmarkLoadHitsInt and the three below are the headline cases with no
// interface in the way: typed keys, 1024 entries, each map called directly,
// every Load a hit (or, for the misses, every Load of one of 1024 absent
// keys).
func BenchmarkLoadHitsInt(b *testing.B)      { loadTyped(b, intKey, true) }
func BenchmarkLoadMissesInt(b *testing.B)    { loadTyped(b, intKey, false) }
func BenchmarkLoadHitsString(b *testing.B)   { loadTyped(b, stringKey, true) }
func BenchmarkLoadMissesString(b *testing.B) { loadTyped(b, stringKey, false) }

func intKey(i int) int { return i }

// stringKey makes the keys of the string benchmarks, 13 bytes long, the
// length of a short identifier or config name.
func stringKey(i int) string { return fmt.Sprintf("user:%08d", i) }

const typedSize = 1024 // a power of two: i&(typedSize-1) cycles through the keys

// loadTyped fills each map with keys key(0..typedSize-1) and loads those
// (hits) or the next typedSize keys (misses) in turn.
func loadTyped[K comparable](b *testing.B, key func(int) K, hits bool) {
	stored := make([]K, typedSize)
	look := make([]K, typedSize)
	for i := range stored {
		stored[i] = key(i)
		look[i] = key(i)
		if !hits {
			look[i] = key(typedSize + i)
		}
	}
	b.Run("syncmap", func(b *testing.B) {
		var m Map[K, int]
		for i, k := range stored {
			m.Store(k, i)
		}
		m.Range(func(K, int) bool { return true }) // promote
		parallel(b, func(g, n int) {
			// Start apart, so that the goroutines do not walk the keys in
			// lockstep.
			for i, end := (g+1)*257, (g+1)*257+n; i < end; i++ {
				k := look[i&(typedSize-1)]
				if _, ok := m.Load(k); ok != hits {
					b.Errorf("Load(%v) = _, %v", k, ok)
					return
				}
			}
		})
	})
	b.Run("sync.Map", func(b *testing.B) {
		var m sync.Map
		for i, k := range stored {
			m.Store(k, i)
		}
		parallel(b, func(g, n int) {
			for i, end := (g+1)*257, (g+1)*257+n; i < end; i++ {
				k := look[i&(typedSize-1)]
				if _, ok := m.Load(k); ok != hits {
					b.Errorf("Load(%v) = _, %v", k, ok)
					return
				}
			}
		})
	})
	b.Run("mutex", func(b *testing.B) {
		var m tests.MutexMap[K, int]
		for i, k := range stored {
			m.Store(k, i)
		}
		parallel(b, func(g, n int) {
			for i, end := (g+1)*257, (g+1)*257+n; i < end; i++ {
				k := look[i&(typedSize-1)]
				if _, ok := m.Load(k); ok != hits {
					b.Errorf("Load(%v) = _, %v", k, ok)
					return
				}
			}
		})
	})
}

// parallel splits b.N iterations among GOMAXPROCS goroutines and calls body
// once in each, with the goroutine's number g and its share n. It stands in
// for b.RunParallel, whose pb.Next writes a counter in each goroutine's PB:
// two PBs can share a cache line, which made results at -cpu 2 bimodal on
// the 2-core VM these numbers come from. Here each goroutine counts in its
// own frame.
func parallel(b *testing.B, body func(g, n int)) {
	b.ReportAllocs()
	procs := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	b.ResetTimer()
	for g := range procs {
		n := b.N / procs
		if g < b.N%procs {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(g, n)
		}()
	}
	wg.Wait()
}
