package readindex

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/readmostly/readmostly/tests"
)

// checkTable checks x against want, the builtin map of the same entries:
// Len, Find of every key of universe, Range (NaN keys, which no Find finds,
// only counted), the size of the table against the entries and the bound
// on runs, and that empty slots hold nothing.
func checkTable[K comparable](t *testing.T, x *Index[K, int], want map[K]int, universe []K) {
	t.Helper()
	if x.Len() != len(want) {
		t.Fatalf("Len() = %d, want %d", x.Len(), len(want))
	}
	for _, k := range universe {
		v, ok := x.Find(k)
		if wv, wok := want[k]; v != wv || ok != wok {
			t.Fatalf("Find(%v) = %d, %v; want %d, %v", k, v, ok, wv, wok)
		}
	}
	got, nans, wantNaNs := map[K]int{}, 0, 0
	x.Range(func(k K, v int) bool {
		if k != k {
			nans++
			return true
		}
		if _, dup := got[k]; dup {
			t.Fatalf("Range yielded %v twice", k)
		}
		got[k] = v
		return true
	})
	for k, v := range want {
		if k != k {
			wantNaNs++
		} else if gv, ok := got[k]; !ok || gv != v {
			t.Fatalf("Range yielded %v: %d, %v; want %d", k, gv, ok, v)
		}
	}
	if len(got)+nans != len(want) || nans != wantNaNs {
		t.Fatalf("Range yielded %d entries (%d NaN keys), want %d (%d)", len(got)+nans, nans, len(want), wantNaNs)
	}
	if !x.HasTable() {
		return
	}
	if slots, size := x.numSlots(), tableSize(len(want), x.direct); slots < size || slots >= 4*size {
		t.Fatalf("%d slots for %d entries: New would make %d, and a table stays within 4 times that", slots, len(want), size)
	}
	if r, limit := x.longestRun(), x.maxRun(); r > limit {
		t.Fatalf("a run of %d, more than the bound %d", r, limit)
	}
	occupied, tags := 0, x.tagSlice()
	for i := range x.numSlots() {
		s := x.at(uint64(i))
		if x.wide() {
			var a, b uint64
			if str := *(*string)(unsafe.Pointer(&s.key)); len(str) <= 16 {
				a, b = shortWords(str)
			}
			if w := (*wideSlot[K, int])(unsafe.Pointer(s)); w.a != a || w.b != b {
				t.Fatalf("slot %d holds %q with words %#x, %#x; want %#x, %#x", i, any(s.key), w.a, w.b, a, b)
			}
		}
		empty := x.direct && s.key == x.empty || !x.direct && tags[i/group]>>(8*(i%group))&0x80 == 0
		if !empty {
			occupied++
			continue
		}
		var zero K
		if s.value != 0 || !x.direct && s.key != zero {
			t.Fatalf("empty slot %d holds %v: %d", i, s.key, s.value)
		}
	}
	if occupied != len(want) {
		t.Fatalf("%d occupied slots for %d entries", occupied, len(want))
	}
}

// checkUpdates drives an Index through Update with random stores, deletes
// and batches of both, in phases that grow the entries past several table
// sizes and shrink them again, with an occasional clear (New of nothing),
// and checks it against a builtin map after every one of steps steps.
// key(i) is the ith key of a universe of n; nan, if not nil, is a key that
// equals nothing. It returns how many Updates kept the table's seed (took
// the incremental path).
func checkUpdates[K comparable](t *testing.T, rng *rand.Rand, steps, n int, key func(int) K, nan *K) (kept int) {
	t.Helper()
	universe := make([]K, n)
	for i := range universe {
		universe[i] = key(i)
	}
	want := map[K]int{}
	x := New(maps.Clone(want))
	pick := func() K {
		if nan != nil && rng.IntN(50) == 0 {
			return *nan
		}
		return universe[rng.IntN(n)]
	}
	for step := range steps {
		grow := step/250%2 == 0 // phases: mostly stores, then mostly deletes
		var (
			deletes []K
			stores  []Entry[K, int]
		)
		switch r := rng.IntN(100); {
		case r == 0:
			clear(want)
			x = New(maps.Clone(want))
			checkTable(t, &x, want, universe)
			continue
		case r < 10: // a batch
			for range rng.IntN(8) {
				deletes = append(deletes, pick())
			}
			for range rng.IntN(8) {
				stores = append(stores, Entry[K, int]{pick(), rng.IntN(1000) + 1})
			}
		case grow == (r < 75):
			stores = append(stores, Entry[K, int]{pick(), rng.IntN(1000) + 1})
		default:
			deletes = append(deletes, pick())
		}
		before := maps.Clone(want)
		for _, k := range deletes {
			delete(want, k)
		}
		for _, e := range stores {
			want[e.Key] = e.Value
		}
		y := x.Update(maps.Clone(want), deletes, stores)
		if y.HasTable() && x.HasTable() && y.seed == x.seed {
			kept++
		}
		if step%10 == 0 { // x, which readers may still hold, is as it was
			checkTable(t, &x, before, universe)
		}
		x = y
		checkTable(t, &x, want, universe)
	}
	return kept
}

// TestUpdateMatchesMap runs checkUpdates for each key type that the index
// hashes its own way, in both layouts, and checks that Update mostly kept
// the table rather than building a new one.
func TestUpdateMatchesMap(t *testing.T) {
	nan := math.NaN()
	var nanAny any = nan
	run := func(name string, f func(*testing.T, *rand.Rand) int) {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(4) {
				if kept := f(t, rand.New(rand.NewPCG(seed, 13))); kept < 500 {
					t.Fatalf("seed %d: only %d of 1500 Updates kept the table", seed, kept)
				}
			}
		})
	}
	run("int", func(t *testing.T, rng *rand.Rand) int {
		return checkUpdates(t, rng, 1500, 300, func(i int) int { return tests.IntKeys.Key(i, false) }, nil)
	})
	run("int with 0", func(t *testing.T, rng *rand.Rand) int {
		// 0, the zero key, stored and deleted: the empty key changes.
		return checkUpdates(t, rng, 1500, 300, func(i int) int { return i - 150 }, nil)
	})
	run("int8 all 256", func(t *testing.T, rng *rand.Rand) int {
		// Near all 256 values the direct layout runs out of empty keys.
		return checkUpdates(t, rng, 1500, 256, func(i int) int8 { return tests.Int8Keys.Key(i, false) }, nil)
	})
	run("string", func(t *testing.T, rng *rand.Rand) int {
		return checkUpdates(t, rng, 1500, 300, func(i int) string {
			if i%3 == 0 { // longer than the strings hashed inline
				return fmt.Sprintf("a longer key, past 16 bytes: %d", i)
			}
			return tests.StringKeys.Key(i, rng.IntN(2) == 0)
		}, nil)
	})
	run("[16]byte", func(t *testing.T, rng *rand.Rand) int {
		return checkUpdates(t, rng, 1500, 256, func(i int) [16]byte { return tests.Bytes16Keys.Key(i, false) }, nil)
	})
	run("struct{a, b int}", func(t *testing.T, rng *rand.Rand) int {
		return checkUpdates(t, rng, 1500, 300, func(i int) tests.Pair { return tests.PairKeys.Key(i, false) }, nil)
	})
	run("float64 with NaN and ±0", func(t *testing.T, rng *rand.Rand) int {
		return checkUpdates(t, rng, 1500, 300, func(i int) float64 { return tests.Float64Keys.Key(i, rng.IntN(2) == 0) }, &nan)
	})
	run("any", func(t *testing.T, rng *rand.Rand) int {
		return checkUpdates(t, rng, 1500, 120, func(i int) any { return tests.MixedKeys.Key(i, rng.IntN(2) == 0) }, &nanAny)
	})
}

// FuzzUpdateMatchesMap runs checkUpdates from a fuzzed seed, for the key
// types of the direct layout, of strings and of floats with NaN.
func FuzzUpdateMatchesMap(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Add(uint64(0x5eed), uint64(13))
	nan := math.NaN()
	f.Fuzz(func(t *testing.T, a, b uint64) {
		rng := rand.New(rand.NewPCG(a, b))
		checkUpdates(t, rng, 600, 100, func(i int) int { return i - 50 }, nil)
		checkUpdates(t, rng, 600, 100, func(i int) string { return fmt.Sprint("k", i) }, nil)
		checkUpdates(t, rng, 600, 100, func(i int) float64 { return float64(i) / 2 }, &nan)
	})
}

// TestUpdateChurnStaysBounded stores a new key and deletes the oldest, and
// separately stores and deletes one key, 100,000 times on a table of a few
// hundred entries: the table keeps its size and its bound on runs, and
// keeps finding every key, with no tombstones or counts to drift. (Update
// is given want itself, not a copy: for these key types New, should Update
// call it, builds a table and keeps nothing of m.)
func TestUpdateChurnStaysBounded(t *testing.T) {
	const live, steps = 255, 100_000 // half full, and a store away from growing
	churn := func(t *testing.T, name string, key func(int) int, sameKey bool) {
		t.Run(name, func(t *testing.T) {
			want := numbered(live, key)
			x := New(maps.Clone(want))
			slots, rebuilt := x.numSlots(), 0
			for i := range steps {
				var y Index[int, int]
				switch {
				case sameKey && i%2 == 0:
					k := key(live)
					want[k] = i
					y = x.Update(want, nil, []Entry[int, int]{{k, i}})
				case sameKey:
					k := key(live)
					delete(want, k)
					y = x.Update(want, []int{k}, nil)
				default:
					oldest, k := key(i), key(live+i)
					delete(want, oldest)
					want[k] = i
					y = x.Update(want, []int{oldest}, []Entry[int, int]{{k, i}})
				}
				if y.seed != x.seed {
					rebuilt++
				}
				x = y
				if x.numSlots() != slots || x.Len() != len(want) {
					t.Fatalf("step %d: %d slots and %d entries, want %d and %d", i, x.numSlots(), x.Len(), slots, len(want))
				}
				if r := x.longestRun(); i%64 == 0 && r > x.maxRun() {
					t.Fatalf("step %d: a run of %d, above the bound %d", i, r, x.maxRun())
				}
				if i%10_000 == 0 || i == steps-1 {
					checkTable(t, &x, want, []int{key(i), key(i + 1), key(live + i), key(live + i + 1)})
					for k, v := range want {
						if got, ok := x.Find(k); !ok || got != v {
							t.Fatalf("step %d: Find(%d) = %d, %v; want %d, true", i, k, got, ok, v)
						}
					}
				}
			}
			if rebuilt > steps/1000 {
				t.Fatalf("%d of %d Updates built a new table", rebuilt, steps)
			}
		})
	}
	churn(t, "direct, sliding window", func(i int) int { return i + 1 }, false)
	churn(t, "direct, one key", func(i int) int { return i + 1 }, true)
	t.Run("tagged", func(t *testing.T) {
		want := numbered(live, func(i int) string { return fmt.Sprint("k", i) })
		x := New(maps.Clone(want))
		slots := x.numSlots()
		for i := range steps {
			oldest, k := fmt.Sprint("k", i), fmt.Sprint("k", live+i)
			delete(want, oldest)
			want[k] = i
			x = x.Update(want, []string{oldest}, []Entry[string, int]{{k, i}})
			if x.numSlots() != slots || x.Len() != len(want) || i%64 == 0 && x.longestRun() > x.maxRun() {
				t.Fatalf("step %d: %d slots, %d entries, a run of %d; want %d, %d, at most %d",
					i, x.numSlots(), x.Len(), x.longestRun(), slots, len(want), x.maxRun())
			}
			if i%10_000 == 0 || i == steps-1 {
				checkTable(t, &x, want, []string{oldest, k, "k"})
				for k, v := range want {
					if got, ok := x.Find(k); !ok || got != v {
						t.Fatalf("step %d: Find(%q) = %d, %v; want %d, true", i, k, got, ok, v)
					}
				}
			}
		}
	})
}

// TestUpdateFallsBack checks the cases where Update builds a new table.
func TestUpdateFallsBack(t *testing.T) {
	m := numbered(100, func(i int) int { return i + 1 })
	x := New(maps.Clone(m))
	// Growth: 129 entries need 512 slots where 100 had 256.
	grown := maps.Clone(m)
	var stores []Entry[int, int]
	for i := 101; i <= 129; i++ {
		grown[i] = i
		stores = append(stores, Entry[int, int]{i, i})
	}
	if y := x.Update(maps.Clone(grown), nil, stores); y.numSlots() != 512 {
		t.Fatalf("%d slots for 129 entries, want 512", y.numSlots())
	}
	// The empty key stored: a new one chosen.
	with0 := maps.Clone(m)
	with0[0] = 0
	y := x.Update(maps.Clone(with0), nil, []Entry[int, int]{{0, 0}})
	if !y.Direct() || y.empty == 0 {
		t.Fatalf("after storing the empty key 0: direct %v, empty key %d", y.Direct(), y.empty)
	}
	checkTable(t, &y, with0, []int{0, -1, 101})
	// Mismatched changes are a bug in the caller.
	two := maps.Clone(m)
	two[101], two[102] = 101, 102
	msg := tests.PanicMessage(func() { x.Update(two, nil, []Entry[int, int]{{101, 101}}) })
	if !strings.Contains(msg, "Update's changes do not make x's entries those of m") {
		t.Fatalf("Update with changes that do not match m panicked with %q", msg)
	}
}
