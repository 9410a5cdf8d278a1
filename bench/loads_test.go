package bench

// TestLoads times Loads of 1,024 keys (ints, 13-byte strings, or ints in an
// interface) in syncmap.Map, atomicvalue.Cache, xsync.Map, sync.Map and an
// unsynchronized builtin map, every lookup a hit or every one a miss. On a
// VM shared with other jobs the machine's speed drifts by 2x over seconds,
// so it runs short bursts of each map in turn, round after round, and
// reports for each map its fastest burst and the median, and for pairs of
// maps the median over rounds of the ratio of their bursts in one round.
// It runs only when asked:
//
//	go -C bench test -run TestLoads -v -loads.rounds 400 -loads.cpus 1,2
//
// With -loads.cpus 1 and GOMAXPROCS=1 a burst is one goroutine's; with 2,
// two goroutines at once, each its share of the lookups.

import (
	"flag"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/puzpuzpuz/xsync/v4"
	"github.com/readmostly/readmostly/atomicvalue"
	"github.com/readmostly/readmostly/syncmap"
)

var (
	loadsRounds = flag.Int("loads.rounds", 0, "TestLoads: rounds of bursts (0: skip the test)")
	loadsKeys   = flag.String("loads.keys", "int,string,any", "TestLoads: key types")
	loadsCPUs   = flag.String("loads.cpus", "1,2", "TestLoads: goroutines per burst")
	loadsBurst  = flag.Int("loads.burst", 1<<15, "TestLoads: lookups per goroutine per burst")
	loadsRatios = flag.String("loads.ratios", "syncmap/xsync,syncmap/sync.Map,Cache/xsync,Cache/map", "TestLoads: pairs a/b, a's speed over b's")
)

const loadsSize = 1024 // a power of two: i&(loadsSize-1) cycles through the keys

// A loader is a map under test. Each wraps its map in a struct type of its
// own, so that loadLoop is instantiated for each and every one pays the same
// single call to its wrapper's Load, which calls the map directly.
type loader[K comparable] interface{ Load(K) (int, bool) }

type (
	syncmapLoader[K comparable] struct{ m *syncmap.Map[K, int] }
	cacheLoader[K comparable]   struct{ m *atomicvalue.Cache[K, int] }
	xsyncLoader[K comparable]   struct{ m *xsync.Map[K, int] }
	stdLoader[K comparable]     struct{ m *sync.Map }
	builtinLoader[K comparable] struct{ m map[K]int }
)

func (l syncmapLoader[K]) Load(k K) (int, bool) { return l.m.Load(k) }
func (l cacheLoader[K]) Load(k K) (int, bool)   { return l.m.Load(k) }
func (l xsyncLoader[K]) Load(k K) (int, bool)   { return l.m.Load(k) }
func (l builtinLoader[K]) Load(k K) (int, bool) { v, ok := l.m[k]; return v, ok }
func (l stdLoader[K]) Load(k K) (int, bool) {
	v, ok := l.m.Load(k)
	i, _ := v.(int)
	return i, ok
}

// loadLoop returns a burst: n lookups of look by goroutine g, which panics
// unless each reports want.
func loadLoop[K comparable, L loader[K]](l L, look []K, want bool) func(g, n int) {
	return func(g, n int) {
		for i, end := (g+1)*257, (g+1)*257+n; i < end; i++ {
			if _, ok := l.Load(look[i&(loadsSize-1)]); ok != want {
				panic(fmt.Sprintf("Load(%v) = _, %v", look[i&(loadsSize-1)], ok))
			}
		}
	}
}

type burster struct {
	name  string
	burst func(g, n int)
}

// loadBursters fills each map with keys[i]: i and returns its bursts of
// lookups of look.
func loadBursters[K comparable](keys, look []K, want bool) []burster {
	var (
		sm syncmap.Map[K, int]
		c  atomicvalue.Cache[K, int]
		xm = xsync.NewMap[K, int]()
		st sync.Map
		bm = make(map[K]int, len(keys))
	)
	for i, k := range keys {
		sm.Store(k, i)
		xm.Store(k, i)
		st.Store(k, i)
		bm[k] = i
	}
	sm.Range(func(K, int) bool { return true }) // promote the dirty map
	c.StoreAll(func(yield func(K, int) bool) {
		for k, v := range bm {
			if !yield(k, v) {
				return
			}
		}
	})
	return []burster{
		{"syncmap", loadLoop[K](syncmapLoader[K]{&sm}, look, want)},
		{"Cache", loadLoop[K](cacheLoader[K]{&c}, look, want)},
		{"xsync", loadLoop[K](xsyncLoader[K]{xm}, look, want)},
		{"sync.Map", loadLoop[K](stdLoader[K]{&st}, look, want)},
		{"map", loadLoop[K](builtinLoader[K]{bm}, look, want)},
	}
}

// timeBurst runs burst on procs goroutines at once and returns the wall
// time per lookup.
func timeBurst(burst func(g, n int), procs, n int) float64 {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(procs)
	for g := range procs {
		go func() {
			defer wg.Done()
			<-start
			burst(g, n)
		}()
	}
	runtime.Gosched()
	t0 := time.Now()
	close(start)
	wg.Wait()
	return float64(time.Since(t0).Nanoseconds()) / float64(procs*n)
}

func TestLoads(t *testing.T) {
	if *loadsRounds == 0 {
		t.Skip("set -loads.rounds to run")
	}
	keysOf := map[string]func(from int) any{
		"int":    func(from int) any { return numbers(from, func(i int) int { return i }) },
		"string": func(from int) any { return numbers(from, func(i int) string { return fmt.Sprintf("user:%08d", i) }) },
		"any":    func(from int) any { return numbers(from, func(i int) any { return i }) },
	}
	for _, kt := range strings.Split(*loadsKeys, ",") {
		for _, cpus := range strings.Split(*loadsCPUs, ",") {
			var procs int
			fmt.Sscan(cpus, &procs)
			for _, hit := range []bool{true, false} {
				var bs []burster
				look := 0
				if !hit {
					look = loadsSize
				}
				switch keys, absent := keysOf[kt](0), keysOf[kt](look); keys := keys.(type) {
				case []int:
					bs = loadBursters(keys, absent.([]int), hit)
				case []string:
					bs = loadBursters(keys, absent.([]string), hit)
				case []any:
					bs = loadBursters(keys, absent.([]any), hit)
				default:
					t.Fatalf("unknown key type %q", kt)
				}
				label := fmt.Sprintf("%s/%s cpu=%d", kt, map[bool]string{true: "hit", false: "miss"}[hit], procs)
				t.Log("\n" + interleave(label, bs, procs))
			}
		}
	}
}

func numbers[K any](from int, key func(int) K) []K {
	ks := make([]K, loadsSize)
	for i := range ks {
		ks[i] = key(from + i)
	}
	return ks
}

// interleave times rounds of one burst of each of bs, in an order that
// rotates every round, and reports as TestLoads says.
func interleave(label string, bs []burster, procs int) string {
	times := make([][]float64, len(bs))
	for _, b := range bs { // warm up
		timeBurst(b.burst, procs, *loadsBurst)
	}
	for r := range *loadsRounds {
		for j := range bs {
			k := (j + r) % len(bs)
			times[k] = append(times[k], timeBurst(bs[k].burst, procs, *loadsBurst))
		}
	}
	var out strings.Builder
	at := map[string]int{}
	for j, b := range bs {
		at[b.name] = j
		s := slices.Sorted(slices.Values(times[j]))
		fmt.Fprintf(&out, "%s %-9s fastest %6.2f  median %6.2f ns/op\n", label, b.name, s[0], s[len(s)/2])
	}
	for _, pair := range strings.Split(*loadsRatios, ",") {
		a, c, _ := strings.Cut(pair, "/")
		ia, oka := at[a]
		ic, okc := at[c]
		if !oka || !okc {
			continue
		}
		rs := make([]float64, len(times[ia]))
		for r := range rs {
			rs[r] = times[ic][r] / times[ia][r]
		}
		slices.Sort(rs)
		fmt.Fprintf(&out, "%s %s vs %s: %.2fx (median of rounds; quartiles %.2f-%.2f)\n",
			label, a, c, rs[len(rs)/2], rs[len(rs)/4], rs[3*len(rs)/4])
	}
	return out.String()
}
