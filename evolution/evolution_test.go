package evolution

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readmostly/readmostly/tests"
)

func TestMain(m *testing.M) { tests.VerifyMain(m) }

func TestMapModel(t *testing.T) {
	runs := 200
	if testing.Short() {
		runs = 20
	}
	for name, newMap := range syncMapDesigns(false) {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(runs) {
				tests.CheckMapModel(t, newMap, 500, seed)
			}
		})
	}
}

func FuzzMapModel(f *testing.F) {
	f.Add([]byte{0x01, 0x23, 0x10, 0x45, 0x04, 0x00, 0x00, 0x11, 0x08, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		ops := tests.MapOpsFromBytes(data)
		for _, newMap := range syncMapDesigns(false) {
			tests.CheckMapOps(t, newMap, ops)
		}
	})
}

// TestInsertOnlyModel checks the designs without sync.Map's whole method
// set (DMap, TwoMap) against a builtin map: random LoadOrStores and Loads.
func TestInsertOnlyModel(t *testing.T) {
	for _, d := range mapDesigns {
		if _, full := asSyncMap(d.new()); full {
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			for seed := range uint64(20) {
				r := rand.New(rand.NewPCG(seed, 1))
				m := d.new()
				want := make(map[int]int)
				for i := range 2000 {
					k := r.IntN(200)
					if r.IntN(3) == 0 {
						v, loaded := m.LoadOrStore(k, i)
						wv, wloaded := want[k]
						if !wloaded {
							want[k], wv = i, i
						}
						if v != wv || loaded != wloaded {
							t.Fatalf("seed %d: LoadOrStore(%d, %d) = %d, %v; want %d, %v", seed, k, i, v, loaded, wv, wloaded)
						}
						continue
					}
					v, ok := m.Load(k)
					if wv, wok := want[k]; v != wv || ok != wok {
						t.Fatalf("seed %d: Load(%d) = %d, %v; want %d, %v", seed, k, v, ok, wv, wok)
					}
				}
			}
		})
	}
}

// TestMapConcurrentCounters has workers increment shared counters with
// CompareAndSwap while others delete and re-create keys of their own; every
// successful increment must be counted exactly once at the end, and every
// worker must read back its own keys as it left them.
func TestMapConcurrentCounters(t *testing.T) {
	const counters, workers, ownKeys = 4, 4, 8
	for name, newMap := range syncMapDesigns(true) {
		t.Run(name, func(t *testing.T) {
			m := newMap()
			for c := range counters {
				m.Store(c, 0)
			}
			successes := make([]int, workers)
			tests.Hammer(t, tests.StressTime(300*time.Millisecond), workers, func(w, i int) bool {
				if w%2 == 0 {
					c := i % counters
					v, ok := m.Load(c)
					if !ok {
						t.Errorf("counter %d missing", c)
						return false
					}
					if m.CompareAndSwap(c, v, v+1) {
						successes[w]++
					}
					return true
				}
				k := counters + w*ownKeys + (i/3)%ownKeys // one key per three steps
				switch i % 3 {
				case 0:
					if v, loaded := m.LoadOrStore(k, i); loaded {
						t.Errorf("worker %d: key %d present (%d) after its delete", w, k, v)
						return false
					}
				case 1:
					if v, ok := m.Load(k); !ok {
						t.Errorf("worker %d: key %d missing after its store", w, k)
						return false
					} else if v != i-1 {
						t.Errorf("worker %d: key %d = %d, want %d", w, k, v, i-1)
						return false
					}
				case 2:
					if _, loaded := m.LoadAndDelete(k); !loaded {
						t.Errorf("worker %d: key %d vanished before its delete", w, k)
						return false
					}
				}
				return true
			})
			total := 0
			for c := range counters {
				v, _ := m.Load(c)
				total += v
			}
			want := 0
			for _, s := range successes {
				want += s
			}
			if total != want {
				t.Fatalf("counters sum to %d, want %d successful CompareAndSwaps", total, want)
			}
		})
	}
}

// TestMapDesignsLoadOrStore drives every concurrent map design: workers race
// to LoadOrStore the same keys with their own values, and all must agree on
// one winner per key, which Load then returns.
func TestMapDesignsLoadOrStore(t *testing.T) {
	const workers, keys = 4, 512
	for _, d := range mapDesigns {
		if !d.concurrent {
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			m := d.new()
			got := make([][]int, workers)
			var wg sync.WaitGroup
			for w := range workers {
				got[w] = make([]int, keys)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range keys {
						k := (i*7 + w*131) % keys // each worker in another order
						v, loaded := m.LoadOrStore(k, w*keys+k)
						if !loaded && v != w*keys+k {
							t.Errorf("worker %d: LoadOrStore(%d) stored but returned %d", w, k, v)
						}
						got[w][k] = v
						if v2, ok := m.Load(k); !ok || v2 != v {
							t.Errorf("worker %d: Load(%d) = %d, %v after LoadOrStore returned %d", w, k, v2, ok, v)
						}
					}
				}()
			}
			wg.Wait()
			for k := range keys {
				for w := 1; w < workers; w++ {
					if got[w][k] != got[0][k] {
						t.Fatalf("key %d: worker 0 saw %d, worker %d saw %d", k, got[0][k], w, got[w][k])
					}
				}
				if v, ok := m.Load(k); !ok || v != got[0][k] {
					t.Fatalf("Load(%d) = %d, %v; want %d, true", k, v, ok, got[0][k])
				}
			}
			if _, ok := m.Load(keys); ok {
				t.Fatalf("Load(%d) found a key never stored", keys)
			}
		})
	}
}

// TestLockDesignsExclude checks, for every lock design, that a writer is
// alone: writers update two fields that readers must always see equal.
func TestLockDesignsExclude(t *testing.T) {
	for _, d := range lockDesigns {
		t.Run(d.name, func(t *testing.T) {
			mu := d.new()
			var a, b int
			var torn atomic.Bool
			tests.Hammer(t, tests.StressTime(200*time.Millisecond), 4, func(w, i int) bool {
				if w == 0 && i%8 == 0 {
					mu.Lock()
					a++
					b++
					mu.Unlock()
					return true
				}
				mu.RLock()
				if a != b {
					torn.Store(true)
				}
				mu.RUnlock()
				return true
			})
			if torn.Load() {
				t.Fatal("a reader saw a writer's half-done update")
			}
		})
	}
}

// writerBlocks starts a writer that takes l and releases it at once, and
// reports whether it is still waiting for l after d. If it is, the caller
// must free l and then call wait, which returns once the writer is done.
func writerBlocks(l sync.Locker, d time.Duration) (blocked bool, wait func()) {
	in, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		l.Lock()
		close(in)
		l.Unlock()
	}()
	select {
	case <-in:
		<-done
		return false, func() {}
	case <-time.After(d):
		return true, func() { <-done }
	}
}
