package atomicvalue_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readmostly/readmostly/atomicvalue"
	"github.com/readmostly/readmostly/tests"
)

func TestMain(m *testing.M) { tests.VerifyMain(m) }

type pair struct{ a, b int }

func TestValueZeroLoadsZeroT(t *testing.T) {
	var vi atomicvalue.Value[int]
	if got := vi.Load(); got != 0 {
		t.Errorf("zero Value[int].Load() = %d, want 0", got)
	}
	var vp atomicvalue.Value[*pair]
	if got := vp.Load(); got != nil {
		t.Errorf("zero Value[*pair].Load() = %p, want nil", got)
	}
	var vs atomicvalue.Value[[]string]
	if got := vs.Load(); got != nil {
		t.Errorf("zero Value[[]string].Load() = %q, want nil", got)
	}
	var va atomicvalue.Value[any]
	if got := va.Load(); got != nil {
		t.Errorf("zero Value[any].Load() = %v, want nil", got)
	}
	var vz atomicvalue.Value[pair]
	if old := vz.Swap(pair{1, 2}); old != (pair{}) {
		t.Errorf("Swap on a zero Value returned %v, want the zero pair", old)
	}
}

func TestValueStoreSwapLoad(t *testing.T) {
	var v atomicvalue.Value[pair]
	v.Store(pair{1, 1})
	if got := v.Load(); got != (pair{1, 1}) {
		t.Fatalf("Load after Store(pair{1,1}) = %v", got)
	}
	if old := v.Swap(pair{2, 2}); old != (pair{1, 1}) {
		t.Fatalf("Swap returned %v, want the stored pair{1,1}", old)
	}
	if got := v.Load(); got != (pair{2, 2}) {
		t.Fatalf("Load after Swap(pair{2,2}) = %v", got)
	}
	// Value[any] holds values of different dynamic types, which
	// sync/atomic.Value rejects with a panic.
	var a atomicvalue.Value[any]
	a.Store(1)
	a.Store("one")
	if got := a.Load(); got != "one" {
		t.Fatalf("Value[any] Load = %v, want \"one\"", got)
	}
}

func TestValueStoreCopiesTheArgument(t *testing.T) {
	var v atomicvalue.Value[[2]int]
	x := [2]int{1, 2}
	v.Store(x)
	x[0] = 99
	if got := v.Load(); got != [2]int{1, 2} {
		t.Fatalf("Load = %v after the caller changed its variable, want [1 2]", got)
	}
}

func TestCompareAndSwap(t *testing.T) {
	cases := []struct {
		name        string
		stored      *int // nil: never written
		old, new    int
		wantSwapped bool
		want        int
	}{
		{"zero Value, old is zero", nil, 0, 5, true, 5},
		{"zero Value, old is not zero", nil, 1, 5, false, 0},
		{"matching", ptr(3), 3, 4, true, 4},
		{"not matching", ptr(3), 2, 4, false, 3},
		{"stored zero, old is zero", ptr(0), 0, 7, true, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var v atomicvalue.Value[int]
			if tc.stored != nil {
				v.Store(*tc.stored)
			}
			if got := atomicvalue.CompareAndSwap(&v, tc.old, tc.new); got != tc.wantSwapped {
				t.Errorf("CompareAndSwap(%d, %d) = %v, want %v", tc.old, tc.new, got, tc.wantSwapped)
			}
			if got := v.Load(); got != tc.want {
				t.Errorf("Load after CompareAndSwap = %d, want %d", got, tc.want)
			}
		})
	}
}

func ptr[T any](x T) *T { return &x }

func TestCompareAndSwapUncomparableDynamicTypePanics(t *testing.T) {
	var v atomicvalue.Value[any]
	v.Store([]int{1})
	defer func() {
		if recover() == nil {
			t.Fatal("CompareAndSwap comparing two []int held in any did not panic")
		}
	}()
	atomicvalue.CompareAndSwap[any](&v, []int{1}, 2)
}

func TestUpdateNilFunctionPanics(t *testing.T) {
	tests.ExpectPanic(t, "Value.Update called with a nil function", func() {
		var v atomicvalue.Value[int]
		v.Update(nil)
	})
}

// TestUpdateRetriesAfterConcurrentStore makes another goroutine Store while
// f runs and checks that Update re-runs f on the stored value rather than
// overwriting it.
func TestUpdateRetriesAfterConcurrentStore(t *testing.T) {
	var v atomicvalue.Value[int]
	var seen []int
	got := v.Update(func(old int) int {
		seen = append(seen, old)
		if len(seen) == 1 {
			done := make(chan struct{})
			go func() { v.Store(100); close(done) }()
			<-done
		}
		return old + 1
	})
	if got != 101 || v.Load() != 101 {
		t.Errorf("Update returned %d and left %d, want 101 (100 stored concurrently, plus one)", got, v.Load())
	}
	if len(seen) != 2 || seen[0] != 0 || seen[1] != 100 {
		t.Errorf("f saw %v, want [0 100]: one run on the zero value, one retry on the concurrent Store", seen)
	}
}

// TestUpdateStoringAnEqualValueStillRetries checks that Update compares
// writes, not values: a concurrent Store of the value f started from is
// still a write f has not seen.
func TestUpdateStoringAnEqualValueStillRetries(t *testing.T) {
	var v atomicvalue.Value[int]
	v.Store(7)
	calls := 0
	v.Update(func(old int) int {
		calls++
		if calls == 1 {
			done := make(chan struct{})
			go func() { v.Store(7); close(done) }()
			<-done
		}
		return old * 2
	})
	if calls != 2 {
		t.Errorf("f ran %d times, want 2: the concurrent Store(7) must force a retry", calls)
	}
	if got := v.Load(); got != 14 {
		t.Errorf("Load = %d, want 14", got)
	}
}

// TestConcurrentIncrementsAddUp runs N goroutines × M increments, half via
// Update and half via a CompareAndSwap loop, and checks that none is lost.
func TestConcurrentIncrementsAddUp(t *testing.T) {
	const goroutines, perGoroutine = 8, 2000
	var v atomicvalue.Value[int]
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perGoroutine {
				if g%2 == 0 {
					v.Update(func(old int) int { return old + 1 })
					continue
				}
				for {
					old := v.Load()
					if atomicvalue.CompareAndSwap(&v, old, old+1) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := v.Load(); got != goroutines*perGoroutine {
		t.Fatalf("after %d×%d increments the Value holds %d, want %d",
			goroutines, perGoroutine, got, goroutines*perGoroutine)
	}
}

// TestReadersNeverSeeATornValue stores pairs whose halves are equal while
// readers check every pair they load.
func TestReadersNeverSeeATornValue(t *testing.T) {
	var v atomicvalue.Value[pair]
	var torn atomic.Int64
	tests.Hammer(t, tests.StressTime(200*time.Millisecond), 4, func(w, i int) bool {
		if w == 0 {
			v.Store(pair{i, i})
			return true
		}
		if p := v.Load(); p.a != p.b {
			torn.Store(int64(p.a)<<32 | int64(p.b))
			return false
		}
		return true
	})
	if x := torn.Load(); x != 0 {
		t.Fatalf("a reader loaded a torn pair {%d, %d}", x>>32, x&0xffffffff)
	}
}

// config is small, as a reloadable config's hot fields are.
type config struct {
	limits [4]int
}

var sinkInt int

// sumLoads returns the sum of n calls of load. It inlines, and then so does
// the func literal each benchmark passes, so that the loop measures the
// Load alone, as a loop written out would.
func sumLoads(n int, load func() int) int {
	s := 0
	for range n {
		s += load()
	}
	return s
}

// BenchmarkValueLoad compares Value.Load with the atomic.Pointer it wraps.
// For an int both hold a pointer to an int and the Value adds only its nil
// check. A config is read the way each is used: through the *config an
// atomic.Pointer[config] or a Value[*config] returns (the Value adds one
// dependent load), or as the copy a Value[config] returns.
func BenchmarkValueLoad(b *testing.B) {
	var (
		pi atomic.Pointer[int]
		vi atomicvalue.Value[int]
		pc atomic.Pointer[config]
		vp atomicvalue.Value[*config]
		vc atomicvalue.Value[config]
	)
	pi.Store(ptr(1))
	vi.Store(1)
	pc.Store(&config{limits: [4]int{1}})
	vp.Store(&config{limits: [4]int{1}})
	vc.Store(config{limits: [4]int{1}})
	for _, impl := range []struct {
		name string
		sum  func(n int) int
	}{
		{"atomic.Pointer[int]", func(n int) int { return sumLoads(n, func() int { return *pi.Load() }) }},
		{"Value[int]", func(n int) int { return sumLoads(n, func() int { return vi.Load() }) }},
		{"atomic.Pointer[config]", func(n int) int { return sumLoads(n, func() int { return pc.Load().limits[0] }) }},
		{"Value[*config]", func(n int) int { return sumLoads(n, func() int { return vp.Load().limits[0] }) }},
		{"Value[config]", func(n int) int { return sumLoads(n, func() int { return vc.Load().limits[0] }) }},
	} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			sinkInt = impl.sum(b.N)
		})
	}
}

// BenchmarkValueLoadParallel has every goroutine load a config: as the copy
// a Value[config] returns, or through an atomic.Pointer[config]. Both loads
// are written out in the one loop (a call through a func value would cost
// more than either), behind a branch that always goes the same way.
func BenchmarkValueLoadParallel(b *testing.B) {
	var (
		vc atomicvalue.Value[config]
		pc atomic.Pointer[config]
	)
	vc.Store(config{limits: [4]int{1}})
	pc.Store(&config{limits: [4]int{1}})
	for _, byValue := range []bool{true, false} {
		b.Run(map[bool]string{true: "impl=Value[config]", false: "impl=atomic.Pointer[config]"}[byValue], func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				n, s := 0, 0
				for ; pb.Next(); n++ {
					if byValue {
						s += vc.Load().limits[0]
					} else {
						s += pc.Load().limits[0]
					}
				}
				if s != n {
					b.Errorf("%d of %d Loads returned the zero config", n-s, n)
				}
			})
		})
	}
}

func BenchmarkValueUpdate(b *testing.B) {
	var v atomicvalue.Value[int]
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			v.Update(func(old int) int { return old + 1 })
		}
	})
}
