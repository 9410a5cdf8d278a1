package atomicvalue_test

import (
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readmostly/readmostly/atomicvalue"
	"github.com/readmostly/readmostly/syncmap"
	"github.com/readmostly/readmostly/tests"
)

func TestCacheZeroIsEmptyAndUsable(t *testing.T) {
	var c atomicvalue.Cache[string, int]
	if v, ok := c.Load("x"); ok || v != 0 {
		t.Errorf("zero Cache Load = %d, %v; want 0, false", v, ok)
	}
	if n := c.Len(); n != 0 {
		t.Errorf("zero Cache Len = %d, want 0", n)
	}
	for k, v := range c.All() {
		t.Errorf("zero Cache yielded %q: %d", k, v)
	}
	c.Delete("x")
	c.Clear()
	c.StoreAll(maps.All(map[string]int{}))
	if n := c.Len(); n != 0 {
		t.Errorf("Len = %d after no-op writes, want 0", n)
	}
	if v, loaded := c.LoadOrCompute("x", func(string) int { return 1 }); v != 1 || loaded {
		t.Errorf("LoadOrCompute on a zero Cache = %d, %v; want 1, false", v, loaded)
	}
}

// checkCacheAgainstModel drives a Cache and a plain map with the operations
// encoded in ops and fails at the first difference; after every step it
// looks up each of the keys. Keys come from a small range, keys of them,
// so that operations collide; the Cache holds them as ks maps them,
// alternating each key's two equal forms, and the model holds the ints.
// With more keys the Cache's index grows through more table sizes, and is
// changed by more writes in place of a new build (readindex.Index.Update).
func checkCacheAgainstModel[K comparable](t *testing.T, ks tests.KeySpace[K], keys int, ops []byte) {
	t.Helper()
	var c atomicvalue.Cache[K, int]
	model := map[int]int{}
	back := map[K]int{}
	for i := range keys {
		back[ks.Key(i, false)] = i
	}
	alias := false
	keyOf := func(i int) K {
		alias = !alias
		return ks.Key(i, alias)
	}
	contents := func(seq iter.Seq2[K, int]) map[int]int {
		got := map[int]int{}
		for k, v := range seq {
			i, ok := back[k]
			if !ok {
				t.Fatalf("%s: the Cache yielded %v, a key never stored", ks.Name, k)
			}
			if _, dup := got[i]; dup {
				t.Fatalf("%s: the Cache yielded %v twice", ks.Name, k)
			}
			got[i] = v
		}
		return got
	}
	next := func() int {
		if len(ops) == 0 {
			return 0
		}
		b := ops[0]
		ops = ops[1:]
		return int(b)
	}
	for step := 0; len(ops) > 0; step++ {
		op, key := next()%7, next()%keys
		switch op {
		case 0:
			v, ok := c.Load(keyOf(key))
			mv, mok := model[key]
			if v != mv || ok != mok {
				t.Fatalf("%s, step %d: Load(%d) = %d, %v; model has %d, %v", ks.Name, step, key, v, ok, mv, mok)
			}
		case 1:
			v := next()
			c.Store(keyOf(key), v)
			model[key] = v
		case 2:
			var batch [][2]int
			for range next() % 6 {
				batch = append(batch, [2]int{next() % keys, next()})
			}
			c.StoreAll(func(yield func(K, int) bool) {
				for _, e := range batch {
					if !yield(keyOf(e[0]), e[1]) {
						return
					}
				}
			})
			for _, e := range batch {
				model[e[0]] = e[1]
			}
		case 3:
			c.Delete(keyOf(key))
			delete(model, key)
		case 4:
			v := next()
			calls := 0
			want := keyOf(key)
			got, loaded := c.LoadOrCompute(want, func(k K) int {
				calls++
				if k != want {
					t.Fatalf("%s, step %d: compute called with key %v, want %v", ks.Name, step, k, want)
				}
				return v
			})
			mv, mok := model[key]
			if !mok {
				model[key], mv = v, v
			}
			if got != mv || loaded != mok {
				t.Fatalf("%s, step %d: LoadOrCompute(%d, →%d) = %d, %v; model wants %d, %v", ks.Name, step, key, v, got, loaded, mv, mok)
			}
			if wantCalls := map[bool]int{true: 0, false: 1}[mok]; calls != wantCalls {
				t.Fatalf("%s, step %d: compute ran %d times, want %d", ks.Name, step, calls, wantCalls)
			}
		case 5:
			c.Clear()
			clear(model)
		case 6:
			if got := contents(c.All()); !maps.Equal(got, model) {
				t.Fatalf("%s, step %d: All yielded %v, model has %v", ks.Name, step, got, model)
			}
			stopAfter, calls := key%4+1, 0
			c.Range(func(K, int) bool { calls++; return calls < stopAfter })
			if want := min(stopAfter, len(model)); calls != want {
				t.Fatalf("%s, step %d: Range stopping after %d calls made %d calls with %d entries", ks.Name, step, stopAfter, calls, len(model))
			}
		}
		if c.Len() != len(model) {
			t.Fatalf("%s, step %d (op %d): Len = %d, model has %d entries", ks.Name, step, op, c.Len(), len(model))
		}
		for i := range keys {
			v, ok := c.Load(keyOf(i))
			if mv, mok := model[i]; v != mv || ok != mok {
				t.Fatalf("%s, step %d (op %d): Load(%d) = %d, %v; model has %d, %v", ks.Name, step, op, i, v, ok, mv, mok)
			}
		}
	}
}

// checkCacheKeyTypes runs checkCacheAgainstModel for a Cache of each key type
// that the read index hashes its own way, with 16 keys and with 64.
func checkCacheKeyTypes(t *testing.T, ops []byte) {
	t.Helper()
	for _, keys := range []int{16, 64} {
		checkCacheAgainstModel(t, tests.IntKeys, keys, ops)
		checkCacheAgainstModel(t, tests.Int8Keys, keys, ops)
		checkCacheAgainstModel(t, tests.StringKeys, keys, ops)
		checkCacheAgainstModel(t, tests.Bytes16Keys, keys, ops)
		checkCacheAgainstModel(t, tests.PairKeys, keys, ops)
		checkCacheAgainstModel(t, tests.Float64Keys, keys, ops)
		checkCacheAgainstModel(t, tests.MixedKeys, keys, ops)
	}
}

func TestCacheMatchesMapModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	runs := 300
	if testing.Short() {
		runs = 30
	}
	for run := range runs {
		ops := make([]byte, 400)
		for i := range ops {
			ops[i] = byte(rng.Uint32())
		}
		t.Run(fmt.Sprint(run), func(t *testing.T) { checkCacheKeyTypes(t, ops) })
		if t.Failed() {
			return
		}
	}
}

func FuzzCacheMatchesMapModel(f *testing.F) {
	f.Add([]byte{1, 3, 7, 0, 3, 0, 4, 3, 9, 6, 0})
	f.Add([]byte{2, 0, 3, 1, 1, 1, 2, 2, 2, 6, 3, 3, 1, 5, 0, 6, 1})
	f.Add([]byte{4, 5, 1, 4, 5, 2, 3, 5, 0, 5, 6, 2})
	f.Fuzz(checkCacheKeyTypes)
}

func TestCacheLoadOrComputeNilPanics(t *testing.T) {
	tests.ExpectPanic(t, "Cache.LoadOrCompute called with a nil compute function", func() {
		var c atomicvalue.Cache[int, int]
		c.LoadOrCompute(1, nil)
	})
}

// TestCacheReadersSeeWholeStoreAlls has a writer publish generation after
// generation of a batch of keys, each in one StoreAll, while readers check
// that every snapshot they iterate holds one whole generation and that
// generations never go backwards.
func TestCacheReadersSeeWholeStoreAlls(t *testing.T) {
	const batch = 64
	var c atomicvalue.Cache[int, int]
	var failure atomic.Pointer[string]
	fail := func(format string, args ...any) bool {
		msg := fmt.Sprintf(format, args...)
		failure.CompareAndSwap(nil, &msg)
		return false
	}
	lastGen := make([]int, 4)
	tests.Hammer(t, tests.StressTime(300*time.Millisecond), len(lastGen), func(w, i int) bool {
		if w == 0 {
			gen := i + 1
			c.StoreAll(func(yield func(int, int) bool) {
				for k := range batch {
					if !yield(k, gen) {
						return
					}
				}
			})
			return true
		}
		n, gen := 0, 0
		for k, g := range c.All() {
			if n == 0 {
				gen = g
			} else if g != gen {
				return fail("one snapshot mixed generation %d (key %d) with generation %d", g, k, gen)
			}
			n++
		}
		if n != 0 && n != batch {
			return fail("a snapshot held %d keys, want 0 or the whole batch of %d", n, batch)
		}
		if gen < lastGen[w] {
			return fail("reader %d saw generation %d after %d", w, gen, lastGen[w])
		}
		lastGen[w] = gen
		return true
	})
	if msg := failure.Load(); msg != nil {
		t.Fatal(*msg)
	}
}

// TestCacheLoadOrComputeAgreement releases many goroutines at once on one
// missing key, each computing its own value, and checks that all return the
// same value, that exactly one of them stored it, and that it stays.
func TestCacheLoadOrComputeAgreement(t *testing.T) {
	const goroutines = 16
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	var c atomicvalue.Cache[int, int]
	for key := range rounds {
		start := make(chan struct{})
		got := make([]int, goroutines)
		stored := make([]bool, goroutines)
		var computed atomic.Int32
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				got[g], stored[g] = c.LoadOrCompute(key, func(int) int {
					computed.Add(1)
					runtime.Gosched() // widen the window for duplicate computations
					return g + 1
				})
				stored[g] = !stored[g]
			}()
		}
		close(start)
		wg.Wait()
		for g := range goroutines {
			if got[g] != got[0] {
				t.Fatalf("key %d: goroutine %d got %d, goroutine 0 got %d", key, g, got[g], got[0])
			}
		}
		if n := count(stored, true); n != 1 {
			t.Fatalf("key %d: %d callers reported storing, want exactly 1", key, n)
		}
		if v, _ := c.Load(key); v != got[0] {
			t.Fatalf("key %d: Load = %d after all callers agreed on %d", key, v, got[0])
		}
		if computed.Load() < 1 {
			t.Fatalf("key %d: compute never ran", key)
		}
	}
}

func count[T comparable](s []T, x T) int {
	n := 0
	for _, y := range s {
		if y == x {
			n++
		}
	}
	return n
}

// TestCacheConcurrentWritersLoseNothing has writers storing, computing and
// batch-storing disjoint keys at once, and checks every key is there at the
// end: each writer must publish on top of the others' snapshots.
func TestCacheConcurrentWritersLoseNothing(t *testing.T) {
	const writers, perWriter = 6, 150
	var c atomicvalue.Cache[int, int]
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				key := w*perWriter + i
				switch w % 3 {
				case 0:
					c.Store(key, key)
				case 1:
					c.LoadOrCompute(key, func(k int) int { return k })
				case 2:
					c.StoreAll(maps.All(map[int]int{key: key}))
				}
				if w%3 == 0 && i%10 == 9 {
					c.Delete(key) // deletes of own keys, restored below
					c.Store(key, key)
				}
			}
		}()
	}
	wg.Wait()
	if n := c.Len(); n != writers*perWriter {
		t.Fatalf("Len = %d after %d writers stored %d keys each, want %d", n, writers, perWriter, writers*perWriter)
	}
	for key := range writers * perWriter {
		if v, ok := c.Load(key); !ok || v != key {
			t.Fatalf("Load(%d) = %d, %v; want %d, true", key, v, ok, key)
		}
	}
}

func TestCacheIterationIgnoresWritesDuringIt(t *testing.T) {
	var c atomicvalue.Cache[int, string]
	c.StoreAll(maps.All(map[int]string{1: "a", 2: "b", 3: "c"}))
	var keys []int
	for k := range c.All() {
		keys = append(keys, k)
		c.Delete(1)
		c.Delete(2)
		c.Delete(3)
		c.Store(k+10, "new")
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []int{1, 2, 3}) {
		t.Fatalf("iteration saw keys %v, want the snapshot's [1 2 3]", keys)
	}
	want := map[int]string{11: "new", 12: "new", 13: "new"}
	if got := maps.Collect(c.All()); !maps.Equal(got, want) {
		t.Fatalf("after iterating, Cache holds %v, want the loop body's writes %v", got, want)
	}
}

func TestCacheComputeAndStoreAllMayUseTheCache(t *testing.T) {
	var c atomicvalue.Cache[int, int]
	// A compute that fills another key, as a recursive type's fields do.
	v, _ := c.LoadOrCompute(2, func(k int) int {
		inner, _ := c.LoadOrCompute(1, func(int) int { return 10 })
		return inner + k
	})
	if v != 12 {
		t.Fatalf("nested LoadOrCompute = %d, want 12", v)
	}
	c.StoreAll(func(yield func(int, int) bool) {
		old, _ := c.Load(2)
		yield(3, old+1)
	})
	if v, _ := c.Load(3); v != 13 {
		t.Fatalf("StoreAll from a sequence that reads the Cache stored %d, want 13", v)
	}
}

// Benchmarks. Every Load benchmark's lookup hits. The plain map is read
// without synchronization, which is only safe because nothing writes it: it
// is the floor a Load can approach.

var sinkV int

const loadKeys = 1 << 10 // entries in the Load benchmarks' maps

func filledCache(n int) *atomicvalue.Cache[int, int] {
	c := new(atomicvalue.Cache[int, int])
	c.StoreAll(func(yield func(int, int) bool) {
		for k := range n {
			if !yield(k, k) {
				return
			}
		}
	})
	return c
}

func filledSyncMap(n int) *sync.Map {
	m := new(sync.Map)
	for k := range n {
		m.Store(k, k)
	}
	return m
}

func filledSyncmap(n int) *syncmap.Map[int, int] {
	m := new(syncmap.Map[int, int])
	for k := range n {
		m.Store(k, k)
	}
	return m
}

// A loader is a map under test in the Load benchmarks. Each implementation
// wraps its map in a struct type of its own, so that loadLoop is
// instantiated for each and every one pays the same single call to its
// wrapper's Load, which calls the map directly, as a program would.
type loader[K comparable] interface{ Load(K) (int, bool) }

type (
	cacheLoader[K comparable]   struct{ c *atomicvalue.Cache[K, int] }
	mapLoader[K comparable]     struct{ m map[K]int }
	syncMapLoader[K comparable] struct{ m *sync.Map }
	syncmapLoader[K comparable] struct{ m *syncmap.Map[K, int] }
)

func (l cacheLoader[K]) Load(k K) (int, bool) { return l.c.Load(k) }
func (l mapLoader[K]) Load(k K) (int, bool)   { v, ok := l.m[k]; return v, ok }
func (l syncMapLoader[K]) Load(k K) (int, bool) {
	v, ok := l.m.Load(k)
	i, _ := v.(int)
	return i, ok
}
func (l syncmapLoader[K]) Load(k K) (int, bool) { return l.m.Load(k) }

// BenchmarkCacheLoad reads 1,024 int keys, and 1,024 strings of 13 bytes
// (the length of a short identifier), from the Cache, a plain map, sync.Map
// and syncmap.Map, on one goroutine. Parallel loads of int keys against
// these and xsync's Map are bench's map-load workload
// (go -C bench test -bench Map/map-load/).
func BenchmarkCacheLoad(b *testing.B) {
	ints := make([]int, loadKeys)
	strs := make([]string, loadKeys)
	for i := range loadKeys {
		ints[i], strs[i] = i, fmt.Sprintf("user:%08d", i)
	}
	b.Run("key=int", func(b *testing.B) { benchLoadsOf(b, ints) })
	b.Run("key=string", func(b *testing.B) { benchLoadsOf(b, strs) })
}

func benchLoadsOf[K comparable](b *testing.B, keys []K) {
	var (
		c  atomicvalue.Cache[K, int]
		m  = make(map[K]int, len(keys))
		sm sync.Map
		sy syncmap.Map[K, int]
	)
	for i, k := range keys {
		m[k] = i
		sm.Store(k, i)
		sy.Store(k, i)
	}
	c.StoreAll(maps.All(m))
	sy.Range(func(K, int) bool { return true }) // promote the dirty map
	b.Run("impl=Cache", func(b *testing.B) { loadLoop(b, cacheLoader[K]{&c}, keys) })
	b.Run("impl=map", func(b *testing.B) { loadLoop(b, mapLoader[K]{m}, keys) })
	b.Run("impl=sync.Map", func(b *testing.B) { loadLoop(b, syncMapLoader[K]{&sm}, keys) })
	b.Run("impl=syncmap.Map", func(b *testing.B) { loadLoop(b, syncmapLoader[K]{&sy}, keys) })
}

// loadLoop looks up keys in turn, b.N times, and fails the benchmark unless
// every lookup hit.
func loadLoop[K comparable, L loader[K]](b *testing.B, l L, keys []K) {
	b.ReportAllocs()
	hits := 0
	b.ResetTimer()
	for i := range b.N {
		if _, ok := l.Load(keys[i&(loadKeys-1)]); ok {
			hits++
		}
	}
	if hits != b.N {
		b.Errorf("%d of %d lookups of present keys missed", b.N-hits, b.N)
	}
	sinkV = hits
}

var storeSizes = []struct {
	name string
	n    int
}{{"1k", 1_000}, {"10k", 10_000}, {"100k", 100_000}}

// mapOps are the maps the write benchmarks compare, each made with n
// entries, the keys 0 to n-1.
var mapOps = []struct {
	name string
	make func(n int) (load func(int) (int, bool), store func(k, v int))
}{
	{"Cache", func(n int) (func(int) (int, bool), func(k, v int)) { c := filledCache(n); return c.Load, c.Store }},
	{"sync.Map", func(n int) (func(int) (int, bool), func(k, v int)) {
		m := filledSyncMap(n)
		return syncMapLoader[int]{m}.Load, func(k, v int) { m.Store(k, v) }
	}},
	{"syncmap.Map", func(n int) (func(int) (int, bool), func(k, v int)) { m := filledSyncmap(n); return m.Load, m.Store }},
}

// BenchmarkCacheStore overwrites one entry of a cache of n entries: every
// Store copies all n, so ns/op and B/op grow with n. sync.Map and
// syncmap.Map overwrite in place, for contrast.
func BenchmarkCacheStore(b *testing.B) {
	for _, size := range storeSizes {
		for _, impl := range mapOps {
			b.Run("entries="+size.name+"/impl="+impl.name, func(b *testing.B) {
				_, store := impl.make(size.n)
				b.ReportAllocs()
				b.ResetTimer()
				for k := range b.N {
					store(k%size.n, k)
				}
			})
		}
	}
}

// BenchmarkCacheStoreAll adds a batch of 100 new keys to a cache of 10k
// entries, one Store per key against one StoreAll; an op is the whole batch.
func BenchmarkCacheStoreAll(b *testing.B) {
	const entries, batch = 10_000, 100
	newKeys := func(round int) iter.Seq2[int, int] {
		return func(yield func(int, int) bool) {
			for i := range batch {
				if !yield(entries+round*batch+i, i) {
					return
				}
			}
		}
	}
	for _, method := range []struct {
		name  string
		store func(c *atomicvalue.Cache[int, int], batch iter.Seq2[int, int])
	}{
		{"Store×100", func(c *atomicvalue.Cache[int, int], batch iter.Seq2[int, int]) {
			for k, v := range batch {
				c.Store(k, v)
			}
		}},
		{"StoreAll", (*atomicvalue.Cache[int, int]).StoreAll},
	} {
		b.Run("method="+method.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				c := filledCache(entries)
				b.StartTimer()
				method.store(c, newKeys(0))
			}
		})
	}
}

// BenchmarkCacheMixed is the crossover: goroutines (set with -cpu) each do
// one write in every `writes` operations and lookups otherwise, on maps of
// n entries that the writes overwrite. The Cache wins while its faster
// lookups pay for its O(n) writes.
func BenchmarkCacheMixed(b *testing.B) {
	for _, n := range []int{100, 1_000, 10_000} {
		for _, every := range []int{100, 1_000, 10_000, 100_000} {
			for _, impl := range mapOps {
				name := fmt.Sprintf("entries=%d/writes=1in%d/impl=%s", n, every, impl.name)
				b.Run(name, func(b *testing.B) {
					load, store := impl.make(n)
					b.ReportAllocs()
					b.RunParallel(func(pb *testing.PB) {
						k := rand.IntN(n) // goroutines write different keys
						for i := 1; pb.Next(); i++ {
							k++
							if k == n {
								k = 0
							}
							if i%every == 0 {
								store(k, i)
							} else if _, ok := load(k); !ok {
								b.Errorf("lookup of present key %d missed", k)
								return
							}
						}
					})
				})
			}
		}
	}
}
