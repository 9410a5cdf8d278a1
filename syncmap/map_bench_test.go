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
	newMap func() SM
}{
	{"typed", func() SM { return new(Map[int, int]) }},
	{"any", func() SM { return boxedInts{ours: new(Map[any, any])} }},
	{"sync.Map", func() SM { return boxedInts{std: new(sync.Map)} }},
	{"mutex", func() SM { return new(tests.MutexMap[int, int]) }},
}

// boxedInts presents Map[any, any] (ours) or sync.Map (std), whichever is
// set, as SyncMap[int, int] for the benchmarks. Unlike tests.AnyAsInt, it
// calls its map directly, so that, as in a program that holds the map
// itself, the boxed key of a lookup does not escape: an adapter that called
// through an interface would make every lookup of a key above 255 allocate,
// and measure the allocator. Go's own sync/map_bench_test.go, which does
// that, is run over Map[any, any] in docs/benchmarks.md.
type boxedInts struct {
	ours *Map[any, any]
	std  *sync.Map
}

func (b boxedInts) Load(k int) (int, bool) {
	if b.std != nil {
		return intOf(b.std.Load(k))
	}
	return intOf(b.ours.Load(k))
}

func (b boxedInts) Store(k, v int) {
	if b.std != nil {
		b.std.Store(k, v)
	} else {
		b.ours.Store(k, v)
	}
}

func (b boxedInts) LoadOrStore(k, v int) (int, bool) {
	if b.std != nil {
		return intOf(b.std.LoadOrStore(k, v))
	}
	return intOf(b.ours.LoadOrStore(k, v))
}

func (b boxedInts) LoadAndDelete(k int) (int, bool) {
	if b.std != nil {
		return intOf(b.std.LoadAndDelete(k))
	}
	return intOf(b.ours.LoadAndDelete(k))
}

func (b boxedInts) Delete(k int) {
	if b.std != nil {
		b.std.Delete(k)
	} else {
		b.ours.Delete(k)
	}
}

func (b boxedInts) Swap(k, v int) (int, bool) {
	if b.std != nil {
		return intOf(b.std.Swap(k, v))
	}
	return intOf(b.ours.Swap(k, v))
}

func (b boxedInts) CompareAndSwap(k, old, new int) bool {
	if b.std != nil {
		return b.std.CompareAndSwap(k, old, new)
	}
	return b.ours.CompareAndSwap(k, old, new)
}

func (b boxedInts) CompareAndDelete(k, old int) bool {
	if b.std != nil {
		return b.std.CompareAndDelete(k, old)
	}
	return b.ours.CompareAndDelete(k, old)
}

func (b boxedInts) Clear() {
	if b.std != nil {
		b.std.Clear()
	} else {
		b.ours.Clear()
	}
}

func (b boxedInts) Range(f func(k, v int) bool) {
	g := func(k, v any) bool { return f(k.(int), v.(int)) }
	if b.std != nil {
		b.std.Range(g)
	} else {
		b.ours.Range(g)
	}
}

// intOf returns the int in v, which a Load or a Swap returned with ok; a
// missing value, nil, reads as 0.
func intOf(v any, ok bool) (int, bool) {
	i, _ := v.(int)
	return i, ok
}

// workload is one benchmark: setup fills a fresh map, and op is one
// operation, the i-th of its goroutine. As in the standard library's
// benchmarks, goroutine g counts from g*b.N, so that the counters of two
// goroutines never meet. perG, where set, runs n operations counting from i
// itself, for the loops that keep state or must not pay op's call.
type workload struct {
	setup func(m SM)
	op    func(b *testing.B, m SM, i int)
	perG  func(b *testing.B, i, n int, m SM)
}

// SM is the interface through which every workload drives its map.
type SM = tests.SyncMap[int, int]

func runWorkload(b *testing.B, w workload) {
	for _, impl := range mapImpls {
		b.Run(impl.name, func(b *testing.B) {
			m := impl.newMap()
			if w.setup != nil {
				w.setup(m)
			}
			parallel(b, func(g, n int) {
				if w.perG != nil {
					w.perG(b, g*b.N, n, m)
					return
				}
				for i := g * b.N; i < g*b.N+n; i++ {
					w.op(b, m, i)
				}
			})
		})
	}
}

// fill stores keys 0..n-1 and loads each, which promotes the dirty map of a
// read/dirty design, so that the run starts in the steady state.
func fill(m SM, n int) {
	for i := range n {
		m.Store(i, i)
	}
	for i := range n {
		m.Load(i)
	}
}

// onKey0 is a Collision workload: every operation is op on key 0, which
// setup stores.
func onKey0(op func(b *testing.B, m SM)) workload {
	return workload{
		setup: func(m SM) { m.LoadOrStore(0, 0) },
		op:    func(b *testing.B, m SM, _ int) { op(b, m) },
	}
}

// hitsMisses is a Balanced, MostlyHits or MostlyMisses workload: setup
// stores keys 0 to hits-1, and operation i is hit on key i%(hits+misses)
// when that is one of them, and miss on key i, which no other operation
// uses, otherwise.
func hitsMisses(hits, misses int, hit, miss func(b *testing.B, m SM, k int)) workload {
	return workload{
		setup: func(m SM) { fill(m, hits) },
		op: func(b *testing.B, m SM, i int) {
			if j := i % (hits + misses); j < hits {
				hit(b, m, j)
			} else {
				miss(b, m, i)
			}
		},
	}
}

func BenchmarkLoadMostlyHits(b *testing.B)   { loadMostly(b, 1023, 1) }
func BenchmarkLoadMostlyMisses(b *testing.B) { loadMostly(b, 1, 1023) }

// loadMostly loads keys 0 to hits+misses-1 in turn from a map that holds the
// first hits of them, in a loop of its own, which spares the Loads op's call.
func loadMostly(b *testing.B, hits, misses int) {
	runWorkload(b, workload{
		setup: func(m SM) { fill(m, hits) },
		perG: func(b *testing.B, i, n int, m SM) {
			for end := i + n; i < end; i++ {
				m.Load(i % (hits + misses))
			}
		},
	})
}

func BenchmarkLoadOrStoreBalanced(b *testing.B) {
	runWorkload(b, hitsMisses(128, 128,
		func(b *testing.B, m SM, k int) {
			if _, loaded := m.LoadOrStore(k, k); !loaded {
				b.Fatalf("LoadOrStore(%d) stored a key present since setup", k)
			}
		},
		func(b *testing.B, m SM, k int) {
			if v, loaded := m.LoadOrStore(k, k); loaded {
				b.Fatalf("LoadOrStore(%d) loaded %d from a key no one else stores", k, v)
			}
		}))
}

func BenchmarkLoadOrStoreUnique(b *testing.B) {
	runWorkload(b, workload{op: func(_ *testing.B, m SM, i int) { m.LoadOrStore(i, i) }})
}

func BenchmarkLoadOrStoreCollision(b *testing.B) {
	runWorkload(b, onKey0(func(_ *testing.B, m SM) { m.LoadOrStore(0, 0) }))
}

func BenchmarkLoadAndDeleteBalanced(b *testing.B) {
	loadAndDelete := func(_ *testing.B, m SM, k int) { m.LoadAndDelete(k) }
	runWorkload(b, hitsMisses(128, 128, loadAndDelete, loadAndDelete))
}

func BenchmarkLoadAndDeleteUnique(b *testing.B) {
	runWorkload(b, workload{op: func(_ *testing.B, m SM, i int) { m.LoadAndDelete(i) }})
}

func BenchmarkLoadAndDeleteCollision(b *testing.B) {
	runWorkload(b, onKey0(func(_ *testing.B, m SM) {
		if _, loaded := m.LoadAndDelete(0); loaded {
			m.Store(0, 0)
		}
	}))
}

func BenchmarkRange(b *testing.B) {
	runWorkload(b, workload{
		setup: func(m SM) { fill(m, 1<<10) },
		op:    func(_ *testing.B, m SM, _ int) { m.Range(func(_, _ int) bool { return true }) },
	})
}

// BenchmarkAdversarialAlloc stores a new key after every run of loads as long
// as the number of keys stored so far: just enough misses to promote the
// dirty map each time, so that every new key copies the map.
func BenchmarkAdversarialAlloc(b *testing.B) {
	runWorkload(b, workload{
		perG: func(b *testing.B, i, n int, m SM) {
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
		setup: func(m SM) { fill(m, mapSize) },
		op: func(_ *testing.B, m SM, i int) {
			m.Load(i)
			if i%mapSize == 0 {
				m.Range(func(k, _ int) bool {
					m.Delete(k)
					return false
				})
				m.Store(i, i)
			}
		},
	})
}

func BenchmarkDeleteCollision(b *testing.B) {
	runWorkload(b, onKey0(func(_ *testing.B, m SM) { m.Delete(0) }))
}

func BenchmarkSwapCollision(b *testing.B) {
	runWorkload(b, onKey0(func(_ *testing.B, m SM) { m.Swap(0, 0) }))
}

// swapHitsMisses swaps existing keys hits times in hits+misses, and otherwise
// swaps in a new key and deletes it.
func swapHitsMisses(hits, misses int) workload {
	return hitsMisses(hits, misses,
		func(_ *testing.B, m SM, k int) { m.Swap(k, k) },
		func(_ *testing.B, m SM, k int) {
			m.Swap(k, k)
			m.Delete(k)
		})
}

func BenchmarkSwapMostlyHits(b *testing.B)   { runWorkload(b, swapHitsMisses(1023, 1)) }
func BenchmarkSwapMostlyMisses(b *testing.B) { runWorkload(b, swapHitsMisses(1, 1023)) }

func BenchmarkCompareAndSwapCollision(b *testing.B) {
	runWorkload(b, onKey0(func(_ *testing.B, m SM) {
		if m.CompareAndSwap(0, 0, 42) {
			m.CompareAndSwap(0, 42, 0)
		}
	}))
}

func BenchmarkCompareAndSwapNoExistingKey(b *testing.B) {
	runWorkload(b, workload{op: func(_ *testing.B, m SM, i int) {
		if m.CompareAndSwap(i, 0, 0) {
			m.Delete(i)
		}
	}})
}

func BenchmarkCompareAndSwapValueNotEqual(b *testing.B) {
	runWorkload(b, workload{
		setup: func(m SM) { m.Store(0, 0) },
		op: func(b *testing.B, m SM, _ int) {
			if m.CompareAndSwap(0, 1, 2) {
				b.Fatal("CompareAndSwap(0, 1, 2) swapped a value that is always 0")
			}
		},
	})
}

// mostly runs op on a key present 1023 times in 1024 (hits) or on a key
// absent 1023 times in 1024, as the MostlyHits and MostlyMisses workloads do.
func mostly(b *testing.B, hits bool, op func(b *testing.B, m SM, k int)) {
	if hits {
		runWorkload(b, hitsMisses(1023, 1, op, op))
	} else {
		runWorkload(b, hitsMisses(1, 1023, op, op))
	}
}

// compareAndSwapOwn compares key k with its own value, which it holds if it
// is present.
func compareAndSwapOwn(_ *testing.B, m SM, k int) { m.CompareAndSwap(k, k, k) }

func BenchmarkCompareAndSwapMostlyHits(b *testing.B)   { mostly(b, true, compareAndSwapOwn) }
func BenchmarkCompareAndSwapMostlyMisses(b *testing.B) { mostly(b, false, compareAndSwapOwn) }

func BenchmarkCompareAndDeleteCollision(b *testing.B) {
	runWorkload(b, onKey0(func(_ *testing.B, m SM) {
		if m.CompareAndDelete(0, 0) {
			m.Store(0, 0)
		}
	}))
}

// compareAndDeleteOwn deletes key k if it holds its own value, which it
// does if it is present, and stores it again.
func compareAndDeleteOwn(_ *testing.B, m SM, k int) {
	if m.CompareAndDelete(k, k) {
		m.Store(k, k)
	}
}

func BenchmarkCompareAndDeleteMostlyHits(b *testing.B)   { mostly(b, true, compareAndDeleteOwn) }
func BenchmarkCompareAndDeleteMostlyMisses(b *testing.B) { mostly(b, false, compareAndDeleteOwn) }

func BenchmarkClear(b *testing.B) {
	runWorkload(b, workload{op: func(_ *testing.B, m SM, _ int) { m.Clear() }})
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

// A loader is a map under test in loadTyped. Each implementation wraps its
// map in a struct type of its own, so that loadLoop is instantiated for
// each and every one pays the same single call to its wrapper's Load, which
// calls the map directly, as a program would.
type loader[K comparable] interface{ Load(K) (int, bool) }

type (
	oursLoader[K comparable]  struct{ m *Map[K, int] }
	stdLoader[K comparable]   struct{ m *sync.Map }
	mutexLoader[K comparable] struct{ m *tests.MutexMap[K, int] }
)

func (l oursLoader[K]) Load(k K) (int, bool) { return l.m.Load(k) }
func (l stdLoader[K]) Load(k K) (int, bool) {
	v, ok := l.m.Load(k)
	i, _ := v.(int)
	return i, ok
}
func (l mutexLoader[K]) Load(k K) (int, bool) { return l.m.Load(k) }

// loadTyped fills each map with keys key(0..typedSize-1) and loads those
// (hits) or the next typedSize keys (misses) in turn.
func loadTyped[K comparable](b *testing.B, key func(int) K, hits bool) {
	look := make([]K, typedSize)
	var (
		ours Map[K, int]
		std  sync.Map
		mu   tests.MutexMap[K, int]
	)
	for i := range look {
		k := key(i)
		ours.Store(k, i)
		std.Store(k, i)
		mu.Store(k, i)
		look[i] = k
		if !hits {
			look[i] = key(typedSize + i)
		}
	}
	ours.Range(func(K, int) bool { return true }) // promote
	b.Run("syncmap", func(b *testing.B) { loadLoop(b, oursLoader[K]{&ours}, look, hits) })
	b.Run("sync.Map", func(b *testing.B) { loadLoop(b, stdLoader[K]{&std}, look, hits) })
	b.Run("mutex", func(b *testing.B) { loadLoop(b, mutexLoader[K]{&mu}, look, hits) })
}

// loadLoop looks up the keys look in turn in parallel, each goroutine
// starting at a key of its own so that they do not walk the keys in
// lockstep, and fails the benchmark unless every lookup reports want.
func loadLoop[K comparable, L loader[K]](b *testing.B, l L, look []K, want bool) {
	parallel(b, func(g, n int) {
		for i, end := (g+1)*257, (g+1)*257+n; i < end; i++ {
			k := look[i&(typedSize-1)]
			if _, ok := l.Load(k); ok != want {
				b.Errorf("Load(%v) = _, %v", k, ok)
				return
			}
		}
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
