package syncmap

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readmostly/readmostly/tests"
)

func TestMain(m *testing.M) { tests.VerifyMain(m) }

func newIntMap() tests.SyncMap[int, int] { return new(Map[int, int]) }

// keyedMaps are the maps the model runs on: int keys directly, Map[any, any]
// as a drop-in for sync.Map, and a Map of each key type that the read index
// hashes its own way.
var keyedMaps = []struct {
	name   string
	newMap func() tests.SyncMap[int, int]
}{
	{"Map[int,int]", newIntMap},
	{"Map[any,any]", func() tests.SyncMap[int, int] { return tests.AnyAsInt(new(Map[any, any])) }},
	{"Map[int,int] keyed", keyed(tests.IntKeys)},
	{"Map[int8,int]", keyed(tests.Int8Keys)},
	{"Map[string,int]", keyed(tests.StringKeys)},
	{"Map[[16]byte,int]", keyed(tests.Bytes16Keys)},
	{"Map[struct,int]", keyed(tests.PairKeys)},
	{"Map[float64,int]", keyed(tests.Float64Keys)},
	{"Map[any,int] mixed", keyed(tests.MixedKeys)},
}

func keyed[K comparable](ks tests.KeySpace[K]) func() tests.SyncMap[int, int] {
	return func() tests.SyncMap[int, int] { return tests.KeyedMap(new(Map[K, int]), ks) }
}

func TestModel(t *testing.T) {
	seeds := uint64(200)
	if testing.Short() {
		seeds = 20
	}
	for i, tc := range keyedMaps {
		n := seeds
		if i >= 2 {
			n = seeds * 3 / 10 // the other key types share the paths of the first two
		}
		t.Run(tc.name, func(t *testing.T) {
			for seed := range n {
				tests.CheckMapModel(t, tc.newMap, 1000, seed)
			}
		})
	}
}

func FuzzModel(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x01, 0x11, 0x08, 0x00, 0x00, 0x00, 0x19, 0x00})
	for seed := range uint64(8) {
		// Seed the corpus with the encoding of random runs.
		var data []byte
		for _, op := range tests.RandomMapOps(seed, 64) {
			data = append(data, byte(op.Kind)|byte(op.Key%16)<<4, byte(op.Value)|byte(op.Old)<<4)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops := tests.MapOpsFromBytes(data)
		for _, tc := range keyedMaps {
			tests.CheckMapOps(t, tc.newMap, ops)
		}
	})
}

func TestZeroMapIsEmpty(t *testing.T) {
	var m Map[string, int]
	if v, ok := m.Load("a"); ok || v != 0 {
		t.Errorf("Load on the zero Map = (%d, %v), want (0, false)", v, ok)
	}
	m.Range(func(k string, v int) bool {
		t.Errorf("Range on the zero Map visited %q: %d", k, v)
		return true
	})
	if m.CompareAndDelete("a", 0) {
		t.Error("CompareAndDelete of a missing key with the zero value returned true")
	}
	if m.CompareAndSwap("a", 0, 1) {
		t.Error("CompareAndSwap of a missing key with the zero value returned true")
	}
	if _, ok := m.Load("a"); ok {
		t.Error("CompareAndSwap on a missing key stored it")
	}
	m.Clear()
}

// comparer is what sync.Map and Map[any, any] have in common that compares
// values.
type comparer interface {
	CompareAndSwap(key, old, new any) bool
	CompareAndDelete(key, old any) bool
}

// TestIncomparableValues checks that Map[any, any] panics exactly where
// sync.Map does, with a message that names the mistake, and that the map
// stays usable after the panic, whichever path the comparison ran on.
func TestIncomparableValues(t *testing.T) {
	type op struct {
		name string
		do   func(m comparer) bool
	}
	cas := op{"CompareAndSwap", func(m comparer) bool {
		return m.CompareAndSwap("k", []int{1}, 2)
	}}
	cad := op{"CompareAndDelete", func(m comparer) bool {
		return m.CompareAndDelete("k", []int{1})
	}}
	for _, tc := range []struct {
		name      string
		stored    any  // value stored under "k"; nil: none
		dirty     bool // "k" is only in the dirty map
		wantPanic bool
	}{
		{"missing key", nil, false, false},
		{"stored int", 1, false, false},
		{"stored slice, read path", []int{1}, false, true},
		{"stored slice, dirty path", []int{1}, true, true},
		{"stored map", map[int]int{}, false, false}, // different dynamic types: unequal
	} {
		for _, o := range []op{cas, cad} {
			t.Run(tc.name+"/"+o.name, func(t *testing.T) {
				var ours Map[any, any]
				var std sync.Map
				if tc.stored != nil {
					ours.Store("other", 0)
					std.Store("other", 0)
					if !tc.dirty {
						ours.Range(func(any, any) bool { return true }) // promote
					}
					ours.Store("k", tc.stored)
					std.Store("k", tc.stored)
				}
				stdPanic := tests.PanicMessage(func() { o.do(&std) })
				ourPanic := tests.PanicMessage(func() { o.do(&ours) })
				if (stdPanic != "") != tc.wantPanic {
					t.Fatalf("sync.Map panicked with %q; this test expects a panic: %v", stdPanic, tc.wantPanic)
				}
				if (ourPanic != "") != tc.wantPanic {
					t.Fatalf("panicked with %q, want a panic: %v (sync.Map: %q)", ourPanic, tc.wantPanic, stdPanic)
				}
				if want := "syncmap: " + o.name + " of incomparable values of type []int"; tc.wantPanic && !strings.Contains(ourPanic, want) {
					t.Fatalf("panicked with %q, want a message containing %q", ourPanic, want)
				}
				// A panic under the lock must not leave it held.
				done := make(chan struct{})
				go func() {
					defer close(done)
					ours.Store("new", 1)
					ours.Delete("k")
				}()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("the map's mutex is still held after the panic")
				}
			})
		}
	}
}

func TestIncomparableValueTypePanics(t *testing.T) {
	var m Map[int, []int]
	m.Store(1, []int{1})
	msg := tests.PanicMessage(func() { m.CompareAndSwap(1, nil, nil) })
	if want := "syncmap: CompareAndSwap of incomparable values of type []int"; !strings.Contains(msg, want) {
		t.Fatalf("CompareAndSwap on Map[int, []int] panicked with %q, want %q", msg, want)
	}
}

func TestCompareAndDeleteMissingKey(t *testing.T) {
	var m Map[any, any]
	m.Store("present", nil)
	if m.CompareAndDelete("missing", nil) {
		t.Error(`CompareAndDelete("missing", nil) = true for a key never stored`)
	}
	m.Delete("present")
	if m.CompareAndDelete("present", nil) {
		t.Error(`CompareAndDelete("present", nil) = true after Delete`)
	}
}

// TestAllStopsWhenTheLoopBreaks checks that All is a proper iter.Seq2: a break
// stops the iteration instead of panicking in the iterator.
func TestAllStopsWhenTheLoopBreaks(t *testing.T) {
	var m Map[int, string]
	for i := range 10 {
		m.Store(i, fmt.Sprint(i))
	}
	n := 0
	for k, v := range m.All() {
		if v != fmt.Sprint(k) {
			t.Errorf("All yielded %d: %q", k, v)
		}
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Fatalf("the loop ran %d times, want 3", n)
	}
}

// TestRangeDuringConcurrentStores checks Range's promise under writers: every
// value visited is one that was stored for its key, no key is visited twice,
// and keys present for the whole Range are all visited.
func TestRangeDuringConcurrentStores(t *testing.T) {
	const (
		stable = 64 // keys stored before and never deleted
		churn  = 64 // keys stored and deleted concurrently
	)
	var m Map[int, int]
	// value encodes its key, so that a visit can be checked alone.
	value := func(k, n int) int { return k<<20 | n&(1<<20-1) }
	for k := range stable {
		m.Store(k, value(k, 0))
	}
	tests.Hammer(t, tests.StressTime(time.Second), 4, func(w, i int) bool {
		if w < 2 { // writers
			k := stable + (i*7+w)%churn
			switch i % 6 {
			case 0:
				m.Store(k, value(k, i))
			case 1:
				m.Delete(k)
			case 2:
				m.LoadOrStore(k, value(k, i))
			case 3:
				m.Swap(i%stable, value(i%stable, i)) // stable keys stay present
			case 4:
				m.CompareAndDelete(k, value(k, i-4))
			case 5:
				m.LoadAndDelete(k)
			}
			return true
		}
		seen := make(map[int]bool, stable+churn)
		m.Range(func(k, v int) bool {
			if seen[k] {
				t.Errorf("Range visited key %d twice", k)
			}
			seen[k] = true
			if v>>20 != k {
				t.Errorf("Range visited %d: %#x, a value never stored for it", k, v)
			}
			return true
		})
		for k := range stable {
			if !seen[k] {
				t.Errorf("Range missed key %d, present throughout", k)
				return false
			}
		}
		return !t.Failed()
	})
}

// TestRangeNestedCalls calls every method from inside Range, on the keys the
// Range is visiting.
func TestRangeNestedCalls(t *testing.T) {
	var m Map[int, string]
	const n = 10
	for k := range n {
		m.Store(k, fmt.Sprint(k))
	}
	visited := make(map[int]bool)
	m.Range(func(k int, v string) bool {
		if k >= n {
			t.Errorf("Range visited key %d, stored and deleted by f before it could be seen", k)
			return true
		}
		visited[k] = true
		sawSelf := false
		m.Range(func(k2 int, v2 string) bool {
			if k2 == k {
				sawSelf = v2 == v
			}
			return true
		})
		if !sawSelf {
			t.Errorf("nested Range did not see %d: %q", k, v)
		}
		if got, ok := m.Load(k); !ok || got != v {
			t.Errorf("Load(%d) = %q, %v inside Range, want %q", k, got, ok, v)
		}
		if prev, loaded := m.Swap(k, v+"x"); !loaded || prev != v {
			t.Errorf("Swap(%d) = %q, %v inside Range, want %q, true", k, prev, loaded, v)
		}
		if !m.CompareAndSwap(k, v+"x", v+"y") {
			t.Errorf("CompareAndSwap(%d) failed inside Range", k)
		}
		if got, loaded := m.LoadOrStore(k, "other"); !loaded || got != v+"y" {
			t.Errorf("LoadOrStore(%d) = %q, %v inside Range, want %q, true", k, got, loaded, v+"y")
		}
		m.Store(n+k, "new") // a new key: builds the dirty map
		if !m.CompareAndDelete(k, v+"y") {
			t.Errorf("CompareAndDelete(%d) failed inside Range", k)
		}
		if _, loaded := m.LoadAndDelete(n + k); !loaded {
			t.Errorf("LoadAndDelete(%d) found nothing inside Range", n+k)
		}
		m.Delete(k)
		if _, ok := m.Load(k); ok {
			t.Errorf("key %d still present after its deletion inside Range", k)
		}
		return true
	})
	if len(visited) != n {
		t.Errorf("Range visited %d of the %d keys present when it started", len(visited), n)
	}
	if c := tests.Contents[int, string](&m); len(c) != 0 {
		t.Errorf("the map holds %v after every key was deleted", c)
	}
	// Clear from inside Range empties the map; the Range may still visit
	// the other key, as it was before the Clear.
	m.Store(1, "a")
	m.Store(2, "b")
	calls := 0
	m.Range(func(int, string) bool { calls++; m.Clear(); return true })
	if calls < 1 || calls > 2 {
		t.Errorf("Range over 2 keys called f %d times", calls)
	}
	if c := tests.Contents[int, string](&m); len(c) != 0 {
		t.Errorf("the map holds %v after a Clear inside Range", c)
	}
}

// TestConcurrentClear checks that Clear racing with lock-free stores never
// resurrects an old value: each worker owns a key and, between its Store and
// its Load, only a Clear may intervene.
func TestConcurrentClear(t *testing.T) {
	var m Map[int, int]
	const workers = 4
	tests.Hammer(t, tests.StressTime(time.Second), workers, func(w, i int) bool {
		if w == 0 {
			if i%16 == 0 {
				m.Clear()
			} else {
				m.Load(1000 + i) // misses, to promote dirty maps
			}
			return true
		}
		m.Store(w, i)
		if v, ok := m.Load(w); ok && v != i {
			t.Errorf("worker %d stored %d then loaded %d", w, i, v)
			return false
		}
		if i%8 == 0 {
			m.Store(100+w*1000+i, i) // new keys keep the dirty map busy
		}
		return true
	})
	m.Clear()
	if c := tests.Contents[int, int](&m); len(c) != 0 {
		t.Fatalf("after Clear, Range sees %d entries", len(c))
	}
	for w := range workers {
		if v, ok := m.Load(w); ok {
			t.Fatalf("after Clear, Load(%d) = %d", w, v)
		}
	}
}

// TestConcurrentCompareAndSwapMissingKey checks that CompareAndSwap of a key
// that is never stored fails, even with the zero value as old (cf. the
// discussion in golang/go#51972), while the map moves between its states.
func TestConcurrentCompareAndSwapMissingKey(t *testing.T) {
	var m Map[any, any]
	var ints Map[int, int]
	tests.Hammer(t, tests.StressTime(time.Second), 4, func(w, i int) bool {
		if w < 2 {
			m.Store(i%64, i)
			ints.Store(i%64, i)
			if i%3 == 0 {
				m.Delete((i + 7) % 64)
				ints.Delete((i + 7) % 64)
			}
			return true
		}
		if m.CompareAndSwap(-1, nil, 42) || m.CompareAndSwap(-1, 0, 42) {
			t.Error("CompareAndSwap on a missing key of Map[any, any] returned true")
			return false
		}
		if ints.CompareAndSwap(-1, 0, 42) {
			t.Error("CompareAndSwap on a missing key of Map[int, int] returned true")
			return false
		}
		return true
	})
	if v, ok := m.Load(-1); ok {
		t.Fatalf("the missing key holds %v", v)
	}
	if v, ok := ints.Load(-1); ok {
		t.Fatalf("the missing key holds %v", v)
	}
}

type payload struct{ _ [64]byte }

// TestDeletedValuesAreCollectable checks that the map keeps nothing it no
// longer needs reachable: a deleted value at once, whatever path deleted it
// and however many misses follow; a key deleted from the dirty map at once
// (golang/go#40999); and any deleted key after the promotions that expunge it.
func TestDeletedValuesAreCollectable(t *testing.T) {
	deleters := []struct {
		name string
		// keyGoesAtOnce: the deletion removes a dirty-only key from dirty.
		keyGoesAtOnce bool
		del           func(m *Map[*payload, *payload], k, v *payload)
	}{
		{"Delete", true, func(m *Map[*payload, *payload], k, v *payload) { m.Delete(k) }},
		{"LoadAndDelete", true, func(m *Map[*payload, *payload], k, v *payload) { m.LoadAndDelete(k) }},
		{"CompareAndDelete", false, func(m *Map[*payload, *payload], k, v *payload) { m.CompareAndDelete(k, v) }},
		{"Clear", true, func(m *Map[*payload, *payload], k, v *payload) { m.Clear() }},
		{"Store over it", false, func(m *Map[*payload, *payload], k, v *payload) { m.Store(k, new(payload)) }},
	}
	for _, d := range deleters {
		for _, inRead := range []bool{true, false} {
			name := d.name + "/dirty only"
			if inRead {
				name = d.name + "/in read"
			}
			t.Run(name, func(t *testing.T) {
				var m Map[*payload, *payload]
				other := new(payload)
				m.Store(other, other)
				k, v := new(payload), new(payload)
				keyGone, valueGone := collected(k), collected(v)
				m.Store(k, v)
				if inRead {
					m.Range(func(_, _ *payload) bool { return true }) // promote
				}
				d.del(&m, k, v)
				for range 3 { // misses that stop short of a promotion
					m.Load(new(payload))
				}
				if !waitCollected(valueGone) {
					t.Fatal("the deleted value is still reachable")
				}
				if d.name == "Store over it" {
					return // the key is still in the map
				}
				if !inRead && d.keyGoesAtOnce && !waitCollected(keyGone) {
					t.Fatal("the key deleted from the dirty map is still reachable")
				}
				// Promote, add a key (expunging the deleted entry), promote:
				// now no view holds the key.
				m.Range(func(_, _ *payload) bool { return true })
				m.Store(new(payload), nil)
				m.Range(func(_, _ *payload) bool { return true })
				if !waitCollected(keyGone) {
					t.Fatal("the deleted key is still reachable after two promotions")
				}
				runtime.KeepAlive(other)
			})
		}
	}
}

// collected returns a channel closed once p has been garbage collected.
func collected(p *payload) <-chan struct{} {
	ch := make(chan struct{})
	runtime.SetFinalizer(p, func(*payload) { close(ch) })
	return ch
}

func waitCollected(ch <-chan struct{}) bool {
	for range 20 {
		runtime.GC()
		select {
		case <-ch:
			return true
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false
}

func TestAllocs(t *testing.T) {
	var m Map[int, int]
	var anyM Map[any, any]
	keys := make([]any, 100)
	for i := range 100 {
		m.Store(i, i)
		keys[i] = i
		anyM.Store(keys[i], i)
	}
	m.Load(1000) // a miss on an amended map promotes... eventually:
	m.Range(func(int, int) bool { return true })
	anyM.Range(func(any, any) bool { return true })
	missing := any(1000)
	var strs Map[string, int]
	var bytes Map[[16]byte, int]
	for i := range 100 {
		strs.Store(fmt.Sprint(i), i)
		bytes.Store([16]byte{byte(i)}, i)
	}
	strs.Range(func(string, int) bool { return true })
	bytes.Range(func([16]byte, int) bool { return true })
	sum := 0
	for _, tc := range []struct {
		name string
		max  float64
		f    func()
	}{
		{"Load hit", 0, func() { v, _ := m.Load(7); sum += v }},
		{"Load miss", 0, func() { v, _ := m.Load(1000); sum += v }},
		{"Map[any,any] Load hit", 0, func() { v, _ := anyM.Load(keys[7]); sum += v.(int) }},
		{"Map[any,any] Load miss", 0, func() { anyM.Load(missing) }},
		{"Map[any,any] Load of a key boxed at the call", 0, func() { anyM.Load(any(sum)) }},
		{"Map[string,int] Load hit", 0, func() { v, _ := strs.Load("7"); sum += v }},
		{"Map[string,int] Load miss", 0, func() { strs.Load("x") }},
		{"Map[[16]byte,int] Load hit", 0, func() { v, _ := bytes.Load([16]byte{7}); sum += v }},
		{"Range", 0, func() { m.Range(func(k, v int) bool { sum += v; return true }) }},
		{"All", 0, func() {
			for _, v := range m.All() {
				sum += v
			}
		}},
		{"LoadOrStore hit", 0, func() { v, _ := m.LoadOrStore(7, 8); sum += v }},
		{"CompareAndSwap mismatch", 0, func() { m.CompareAndSwap(7, 1000, 1001) }},
		{"Map[any,any] CompareAndSwap mismatch", 0, func() { anyM.CompareAndSwap(keys[7], missing, missing) }},
		{"CompareAndDelete mismatch", 0, func() { m.CompareAndDelete(7, 1000) }},
	} {
		if got := testing.AllocsPerRun(100, tc.f); got > tc.max {
			t.Errorf("%s: %v allocs per call, want at most %v", tc.name, got, tc.max)
		}
	}
	const runs = 100
	full := make([]Map[int, int], runs+1) // AllocsPerRun calls f once more to warm up
	for i := range full {
		for k := range 100 {
			full[i].Store(k, k)
		}
	}
	next := 0
	if got := testing.AllocsPerRun(runs, func() { full[next].Clear(); next++ }); got > 1 {
		t.Errorf("Clear of a full map: %v allocs per call, want at most 1", got)
	}
	var empty Map[int, int]
	if got := testing.AllocsPerRun(runs, empty.Clear); got > 0 {
		t.Errorf("Clear of an empty map: %v allocs per call, want 0", got)
	}
	// Deleting and restoring a key that only dirty holds must not promote
	// dirty each time, which would make each restore copy the whole map.
	m.Store(5000, 0)
	if got := testing.AllocsPerRun(runs, func() {
		m.LoadAndDelete(5000)
		m.Store(5000, 1)
	}); got > 2 {
		t.Errorf("LoadAndDelete and Store of a dirty-only key: %v allocs per pair, want at most 2 (entry and value)", got)
	}
	runtime.KeepAlive(sum)
}
