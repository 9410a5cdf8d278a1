package syncmap

import (
	"math"
	"testing"
)

type userID int32

// checkIntIndex builds the index of keys and checks that it finds each of
// them, and none of absent.
func checkIntIndex[K comparable](t *testing.T, keys, absent []K) {
	t.Helper()
	if !isIntKey[K]() {
		t.Fatalf("isIntKey[%T]() = false", keys[0])
	}
	m := make(map[K]*entry[int], len(keys))
	for i, k := range keys {
		m[k] = newEntry(&i)
	}
	x := buildIntIndex(m)
	if x == nil {
		t.Fatalf("no table for %d keys of type %T", len(keys), keys[0])
	}
	if x.n != len(m) || uint64(len(x.slots)) < 2*uint64(len(m)) || x.mask != uint64(len(x.slots)-1) {
		t.Fatalf("table of %d slots (mask %#x) for %d entries, n = %d", len(x.slots), x.mask, len(m), x.n)
	}
	if c, limit := x.longestCluster(), clusterLimit(len(x.slots)); c > limit {
		t.Fatalf("a run of %d occupied slots, more than the limit (%d)", c, limit)
	}
	for k, e := range m {
		if got, ok := x.find(k); !ok || got != e {
			t.Fatalf("find(%v) = %p, %v; want %p, true", k, got, ok, e)
		}
	}
	for _, k := range absent {
		if got, ok := x.find(k); ok {
			t.Fatalf("find(%v) = %p for a key not in the table", k, got)
		}
	}
	seen := 0
	(&readOnly[K, int]{ints: x}).each(func(k K, e *entry[int]) bool {
		if m[k] != e {
			t.Errorf("each yielded %v: %p, want %p", k, e, m[k])
		}
		seen++
		return true
	})
	if seen != len(m) {
		t.Fatalf("each yielded %d entries of %d", seen, len(m))
	}
}

func TestIntIndex(t *testing.T) {
	t.Run("int sequential", func(t *testing.T) {
		keys := make([]int, 5000)
		for i := range keys {
			keys[i] = i
		}
		checkIntIndex(t, keys, []int{-1, 5000, math.MaxInt, math.MinInt})
		// homeSlot spreads consecutive keys evenly: no long runs.
		m := make(map[int]*entry[int], 1<<16)
		for i := range 1 << 16 {
			m[i] = newEntry(&i)
		}
		if c := buildIntIndex(m).longestCluster(); c > 16 {
			t.Fatalf("2^16 consecutive keys made a run of %d occupied slots, want at most 16", c)
		}
	})
	t.Run("int strided", func(t *testing.T) {
		// Multiples of a large power of two differ only in high bits, the
		// bits a weak hash would drop.
		keys := make([]int64, 4096)
		for i := range keys {
			keys[i] = int64(i) << 32
		}
		checkIntIndex(t, keys, []int64{1, 1 << 31, 4096 << 32})
	})
	t.Run("int8 all", func(t *testing.T) {
		keys := make([]int8, 0, 255)
		for i := math.MinInt8; i < math.MaxInt8; i++ {
			keys = append(keys, int8(i))
		}
		checkIntIndex(t, keys, []int8{math.MaxInt8})
	})
	t.Run("uint64 extremes", func(t *testing.T) {
		checkIntIndex(t, []uint64{0, 1, math.MaxUint64, math.MaxUint64 - 1, 1 << 63}, []uint64{2, 1<<63 + 1})
	})
	t.Run("named int32", func(t *testing.T) {
		checkIntIndex(t, []userID{-7, 0, 7, math.MaxInt32}, []userID{1, math.MinInt32})
	})
	t.Run("uintptr and uint16", func(t *testing.T) {
		checkIntIndex(t, []uintptr{3, 1 << 30, ^uintptr(0)}, []uintptr{4})
		checkIntIndex(t, []uint16{0, math.MaxUint16}, []uint16{1})
	})
}

func TestIntIndexIsOnlyForIntegerKeys(t *testing.T) {
	for name, got := range map[string]bool{
		"string":    isIntKey[string](),
		"any":       isIntKey[any](),
		"*int":      isIntKey[*int](),
		"struct":    isIntKey[struct{ i int }](),
		"float64":   isIntKey[float64](), // +0 == -0 and NaN != NaN: bits are not equality
		"[1]int":    isIntKey[[1]int](),
		"bool":      isIntKey[bool](),
		"complex64": isIntKey[complex64](),
	} {
		if got {
			t.Errorf("isIntKey[%s]() = true", name)
		}
	}
}

func TestLongestCluster(t *testing.T) {
	x := &intIndex[int, int]{slots: make([]intSlot[int, int], 8), mask: 7}
	e := newEntry(new(int))
	for _, tc := range []struct {
		occupied []int
		want     int
	}{
		{nil, 0},
		{[]int{3}, 1},
		{[]int{1, 2, 3, 5}, 3},
		{[]int{6, 7, 0, 1, 4}, 4}, // a run that wraps around
	} {
		clear(x.slots)
		for _, i := range tc.occupied {
			x.slots[i].e = e
		}
		if got := x.longestCluster(); got != tc.want {
			t.Errorf("slots %v occupied: longestCluster() = %d, want %d", tc.occupied, got, tc.want)
		}
	}
}

// TestPromotedViewUsesTheIndex checks which index a promotion builds, since
// the model tests pass with either.
func TestPromotedViewUsesTheIndex(t *testing.T) {
	var ints Map[int, string]
	var strs Map[string, string]
	ints.Store(1, "a")
	strs.Store("1", "a")
	ints.Range(func(int, string) bool { return true })
	strs.Range(func(string, string) bool { return true })
	if r := ints.read.Load(); r.ints == nil || r.m != nil {
		t.Errorf("Map[int, string] promoted to ints %p, m %v; want the table alone", r.ints, r.m)
	}
	if r := strs.read.Load(); r.ints != nil || r.m == nil {
		t.Errorf("Map[string, string] promoted to ints %p, m %v; want the builtin map alone", r.ints, r.m)
	}
}
