package syncmap

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/readmostly/readmostly/tests"
)

// TestKeySemanticsMatchTheBuiltinMap checks the key equality that Map
// promises, that of a builtin map, in the dirty map and in the read view
// alike: +0 and -0 are one key, a NaN key is stored but never found, and
// every int8 value is its own key.
func TestKeySemanticsMatchTheBuiltinMap(t *testing.T) {
	negZero, nan := math.Copysign(0, -1), math.NaN()
	for _, promoted := range []bool{false, true} {
		var m Map[float64, int]
		m.Store(1, 0) // so that the next stores go to the dirty map
		m.Range(func(float64, int) bool { return true })
		m.Store(0, 1)
		m.Store(nan, 2)
		m.Store(nan, 3)
		if promoted {
			m.Range(func(float64, int) bool { return true })
		}
		if v, ok := m.Load(negZero); !ok || v != 1 {
			t.Errorf("promoted %v: Load(-0) = %d, %v after Store(+0, 1); want 1, true", promoted, v, ok)
		}
		if v, ok := m.Load(nan); ok {
			t.Errorf("promoted %v: Load(NaN) = %d, true; a NaN key is never found", promoted, v)
		}
		m.Delete(nan) // deletes nothing
		nans := 0
		m.Range(func(k float64, _ int) bool {
			if k != k {
				nans++
			}
			return true
		})
		if nans != 2 {
			t.Errorf("promoted %v: Range visited %d NaN keys, want 2, as a builtin map holds", promoted, nans)
		}
	}

	var small Map[int8, int]
	for i := math.MinInt8; i <= math.MaxInt8; i++ {
		small.Store(int8(i), i)
	}
	small.Range(func(int8, int) bool { return true })
	for i := math.MinInt8; i <= math.MaxInt8; i++ {
		if v, ok := small.Load(int8(i)); !ok || v != i {
			t.Fatalf("Load(int8(%d)) = %d, %v; want %d, true", i, v, ok, i)
		}
	}
}

// TestIncomparableKeys checks that Map[any, any] panics on a key whose
// dynamic type is not comparable wherever a builtin map would, with its
// message, and never while holding its mutex.
func TestIncomparableKeys(t *testing.T) {
	bad := []int{1}
	for _, state := range []string{"zero", "dirty only", "promoted", "promoted and amended"} {
		var m Map[any, any]
		switch state {
		case "dirty only":
			m.Store(1, 1)
		case "promoted":
			m.Store(1, 1)
			m.Range(func(any, any) bool { return true })
		case "promoted and amended":
			m.Store(1, 1)
			m.Range(func(any, any) bool { return true })
			m.Store(2, 2)
		}
		for name, op := range map[string]func(){
			"Load":             func() { m.Load(bad) },
			"Store":            func() { m.Store(bad, 1) },
			"LoadOrStore":      func() { m.LoadOrStore(bad, 1) },
			"LoadAndDelete":    func() { m.LoadAndDelete(bad) },
			"Swap":             func() { m.Swap(bad, 1) },
			"CompareAndSwap":   func() { m.CompareAndSwap(bad, 1, 2) },
			"CompareAndDelete": func() { m.CompareAndDelete(bad, 1) },
		} {
			if msg := tests.PanicMessage(op); !strings.Contains(msg, "unhashable type") || !strings.Contains(msg, "[]int") {
				t.Errorf("%s map: %s of a []int key panicked with %q, want the builtin map's unhashable-type panic", state, name, msg)
			}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			m.Store(3, 3) // a new key: takes m.mu
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s map: the mutex is still held after the panics", state)
		}
		if v, ok := m.Load(3); !ok || v != 3 {
			t.Fatalf("%s map: Load(3) = %v, %v after the panics", state, v, ok)
		}
	}
}

// TestPromotedViewIndexesEveryKeyType checks that promotion builds a table
// for the key types the read index hashes, since the model tests pass with
// the builtin map as well.
func TestPromotedViewIndexesEveryKeyType(t *testing.T) {
	check := func(name string, tableBuilt bool) {
		t.Helper()
		if !tableBuilt {
			t.Errorf("Map[%s, int]: the promoted view kept the builtin map", name)
		}
	}
	check("int", promoted[int](1))
	check("string", promoted[string]("a"))
	check("[16]byte", promoted[[16]byte]([16]byte{1}))
	check("float64", promoted[float64](0.5))
	check("any", promoted[any](1))
}

// promoted stores key in a new Map, promotes the dirty map and reports
// whether the view it published is a table rather than the builtin map.
func promoted[K comparable](key K) bool {
	var m Map[K, int]
	m.Store(key, 1)
	m.Range(func(K, int) bool { return true })
	return m.read.Load().idx.HasTable()
}
