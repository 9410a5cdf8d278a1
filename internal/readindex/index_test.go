package readindex

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"strings"
	"testing"
	"unsafe"

	"github.com/readmostly/readmostly/tests"
)

func TestMain(m *testing.M) { tests.VerifyMain(m) }

type (
	pair   struct{ a, b int }
	padded struct {
		a int8
		b int64
	}
	blank struct {
		_ int
		a int
	}
	withString struct {
		s string
		n int
	}
	withIface   struct{ e any }
	ptrAndFloat struct {
		p *int
		f float64
	}
	userID int32
)

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  kind
		want kind
	}{
		{"int", kindOf[int](), kindWord},
		{"int8", kindOf[int8](), kindWord},
		{"uint16", kindOf[uint16](), kindWord},
		{"named int32", kindOf[userID](), kindWord},
		{"uintptr", kindOf[uintptr](), kindWord},
		{"bool", kindOf[bool](), kindWord},
		{"*int", kindOf[*int](), kindWord},
		{"chan int", kindOf[chan int](), kindWord},
		{"[8]byte", kindOf[[8]byte](), kindWord},
		{"[3]byte", kindOf[[3]byte](), kindMemory},
		{"[16]byte", kindOf[[16]byte](), kindMemory},
		{"struct{a, b int}", kindOf[pair](), map[bool]kind{true: kindWord, false: kindMemory}[unsafe.Sizeof(pair{}) == 8]},
		{"string", kindOf[string](), kindString},
		{"any", kindOf[any](), kindInterface},
		{"error", kindOf[error](), kindInterface},
		// == is not bytewise: +0 == -0, NaN != NaN.
		{"float64", kindOf[float64](), kindFloat},
		{"float32", kindOf[float32](), kindFloat},
		{"complex128", kindOf[complex128](), kindComplex},
		{"complex64", kindOf[complex64](), kindComplex},
		// Padding and blank fields take no part in ==; strings and
		// floats inside a struct need the compiler's hash for the type.
		{"struct with padding", kindOf[padded](), kindBuiltin},
		{"struct with a blank field", kindOf[blank](), kindBuiltin},
		{"struct with a string", kindOf[withString](), kindBuiltin},
		{"[2]string", kindOf[[2]string](), kindBuiltin},
		{"struct with an interface", kindOf[withIface](), kindBuiltin},
		{"struct with a pointer and a float", kindOf[ptrAndFloat](), kindBuiltin},
	} {
		if tc.got != tc.want {
			t.Errorf("kindOf[%s]() = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// checkIndex builds an Index of entries and checks it against them: every
// key is found with its value, absent keys are not, Range yields each entry
// once and Len counts them. It also checks the bound on runs of occupied
// slots and that the Index used the kind of hash its key type calls for.
func checkIndex[K comparable](t *testing.T, entries map[K]int, absent []K) Index[K, int] {
	t.Helper()
	x := New(maps.Clone(entries))
	if want := kindOf[K](); len(entries) > 0 && x.kind != want {
		t.Fatalf("Index of %d %T keys has kind %d, want %d", len(entries), *new(K), x.kind, want)
	}
	if slots := x.numSlots(); x.HasTable() {
		if slots < 2*len(entries) || slots&(slots-1) != 0 {
			t.Fatalf("%d slots for %d entries, want a power of two at least twice as many", slots, len(entries))
		}
		if r, limit := x.longestRun(), x.maxRun(); r > limit {
			t.Fatalf("a run of %d, more than the bound %d", r, limit)
		}
	}
	if x.Len() != len(entries) {
		t.Fatalf("Len() = %d, want %d", x.Len(), len(entries))
	}
	for k, v := range entries {
		if got, ok := findAll(t, &x, k); !ok || got != v {
			t.Fatalf("Find(%v) = %d, %v; want %d, true", k, got, ok, v)
		}
	}
	for _, k := range absent {
		if got, ok := findAll(t, &x, k); ok {
			t.Fatalf("Find(%v) = %d, true for a key not in the Index", k, got)
		}
	}
	seen := make(map[K]int, len(entries))
	x.Range(func(k K, v int) bool {
		if _, dup := seen[k]; dup {
			t.Fatalf("Range yielded %v twice", k)
		}
		seen[k] = v
		return true
	})
	if !maps.Equal(seen, entries) {
		t.Fatalf("Range yielded %d entries, want the %d stored", len(seen), len(entries))
	}
	return x
}

// findAll looks k up with Find and with the lookup that the callers of
// Index make instead where it applies (FindDirect, FindInterface,
// FindShortString), and fails the test if they disagree.
func findAll[K comparable](t *testing.T, x *Index[K, int], k K) (int, bool) {
	t.Helper()
	v, ok := x.Find(k)
	check := func(name string, v2 int, ok2 bool) {
		t.Helper()
		if v2 != v || ok2 != ok {
			t.Fatalf("%s(%v) = %d, %v; Find says %d, %v", name, k, v2, ok2, v, ok)
		}
	}
	if x.Direct() {
		v2, ok2 := x.FindDirect(k)
		check("FindDirect", v2, ok2)
	}
	if x.Interface() {
		v2, ok2 := x.FindInterface(k)
		check("FindInterface", v2, ok2)
	}
	if x.ShortString(k) {
		v2, ok2 := x.FindShortString(k)
		check("FindShortString", v2, ok2)
	}
	return v, ok
}

// numbered returns n keys made by key and a map from each to its number.
func numbered[K comparable](n int, key func(int) K) map[K]int {
	m := make(map[K]int, n)
	for i := range n {
		m[key(i)] = i
	}
	return m
}

func TestIndexKeyTypes(t *testing.T) {
	t.Run("int", func(t *testing.T) {
		checkIndex(t, numbered(5000, func(i int) int { return i }), []int{-1, 5000, math.MaxInt, math.MinInt})
	})
	t.Run("int64 strided", func(t *testing.T) {
		// Multiples of 2^32 differ only in the high bits a weak hash drops.
		checkIndex(t, numbered(4096, func(i int) int64 { return int64(i) << 32 }), []int64{1, 1 << 31, 4096 << 32})
	})
	t.Run("int8 all 256", func(t *testing.T) {
		checkIndex(t, numbered(256, func(i int) int8 { return int8(i) }), nil)
		checkIndex(t, numbered(255, func(i int) int8 { return int8(i - 127) }), []int8{math.MinInt8})
	})
	t.Run("uint64 extremes", func(t *testing.T) {
		keys := []uint64{0, 1, math.MaxUint64, math.MaxUint64 - 1, 1 << 63}
		checkIndex(t, numbered(len(keys), func(i int) uint64 { return keys[i] }), []uint64{2, 1<<63 + 1})
	})
	t.Run("bool", func(t *testing.T) {
		checkIndex(t, map[bool]int{true: 1}, []bool{false})
	})
	t.Run("pointers", func(t *testing.T) {
		ps := make([]*int, 100)
		for i := range ps {
			ps[i] = new(int)
		}
		checkIndex(t, numbered(len(ps), func(i int) *int { return ps[i] }), []*int{nil, new(int)})
	})
	t.Run("string", func(t *testing.T) {
		checkIndex(t, numbered(3000, func(i int) string { return fmt.Sprint("k", i) }), []string{"", "k", "k3000", "k-1"})
		// The empty string is a key like any other.
		checkIndex(t, map[string]int{"": 1, "a": 2}, []string{"b", "\x00"})
	})
	t.Run("[16]byte", func(t *testing.T) {
		key := func(i int) [16]byte {
			var k [16]byte
			k[0], k[8], k[15] = byte(i), byte(i>>8), byte(i>>16)
			return k
		}
		checkIndex(t, numbered(2000, key), [][16]byte{key(2000), {1: 1}})
	})
	t.Run("[3]byte", func(t *testing.T) {
		checkIndex(t, numbered(1000, func(i int) [3]byte { return [3]byte{byte(i), byte(i >> 8), 7} }), [][3]byte{{}, {0, 0, 8}})
	})
	t.Run("struct{a, b int}", func(t *testing.T) {
		checkIndex(t, numbered(2000, func(i int) pair { return pair{i % 40, i / 40} }), []pair{{40, 0}, {0, 50}, {-1, -1}})
	})
	t.Run("struct with padding and blank fields", func(t *testing.T) {
		checkIndex(t, numbered(200, func(i int) padded { return padded{int8(i), int64(i)} }), []padded{{1, 2}})
		x := checkIndex(t, numbered(200, func(i int) blank { return blank{a: i} }), []blank{{a: -1}})
		// A blank field takes no part in ==, so none in finding a key.
		withGarbage := blank{a: 7}
		*(*int)(unsafePointer(&withGarbage)) = 12345
		if v, ok := x.Find(withGarbage); !ok || v != 7 {
			t.Fatalf("Find of a key differing only in its blank field = %d, %v; want 7, true", v, ok)
		}
	})
	t.Run("struct with a string", func(t *testing.T) {
		checkIndex(t, numbered(500, func(i int) withString { return withString{fmt.Sprint(i % 7), i / 7} }), []withString{{"7", 0}})
	})
	t.Run("builtin-map types", func(t *testing.T) {
		x := checkIndex(t, numbered(100, func(i int) withIface { return withIface{i} }), []withIface{{"0"}})
		if x.HasTable() {
			t.Fatal("an Index of struct{ e any } keys built a table")
		}
		p := new(int)
		x2 := checkIndex(t, numbered(100, func(i int) ptrAndFloat { return ptrAndFloat{p: p, f: float64(i)} }), []ptrAndFloat{{f: 1}})
		if x2.HasTable() {
			t.Fatal("an Index of struct{ p *int; f float64 } keys built a table")
		}
	})
	t.Run("empty", func(t *testing.T) {
		checkIndex(t, map[string]int{}, []string{""})
		var zero Index[int, int]
		if _, ok := zero.Find(0); ok || zero.Len() != 0 {
			t.Fatal("the zero Index is not empty")
		}
		zero.Range(func(int, int) bool { t.Fatal("Range of the zero Index called f"); return false })
	})
}

// TestIndexLayouts checks which layout each key set gets, and that the
// direct layout's empty key, which no table holds, is never found.
func TestIndexLayouts(t *testing.T) {
	check := func(name string, x interface{ Direct() bool }, want bool) {
		t.Helper()
		if x.Direct() != want {
			t.Errorf("%s: Direct() = %v, want %v", name, x.Direct(), want)
		}
	}
	// The zero key free: it marks the empty slots.
	x := checkIndex(t, numbered(100, func(i int) int { return i + 1 }), []int{0, 101})
	check("ints without 0", &x, true)
	if x.empty != 0 {
		t.Errorf("ints without 0: empty key %d, want 0", x.empty)
	}
	// The zero key taken: another absent key, and it is not found.
	x = checkIndex(t, numbered(100, func(i int) int { return i }), []int{-1, 100})
	check("ints with 0", &x, true)
	if _, ok := x.Find(x.empty); ok || x.empty >= 0 && x.empty < 100 {
		t.Errorf("ints with 0: empty key %d is a key or was found", x.empty)
	}
	// Every value but one of a small type: that one is the empty key.
	i8 := checkIndex(t, numbered(255, func(i int) int8 { return int8(i - 127) }), []int8{math.MinInt8})
	check("int8 but -128", &i8, true)
	if i8.empty != math.MinInt8 {
		t.Errorf("int8 but -128: empty key %d, want -128", i8.empty)
	}
	u16 := checkIndex(t, numbered(1<<16-1, func(i int) uint16 { return uint16(i + 7) }), []uint16{6})
	check("uint16 but 6", &u16, true)
	// Every value of a type, or a zero key where no other bits are a
	// valid key: the tagged layout.
	all8 := checkIndex(t, numbered(256, func(i int) uint8 { return uint8(i) }), nil)
	check("all of uint8", &all8, false)
	bools := checkIndex(t, map[bool]int{false: 0, true: 1}, nil)
	check("both bools", &bools, false)
	p := new(int)
	ptrs := checkIndex(t, map[*int]int{nil: 0, p: 1}, []*int{new(int)})
	check("pointers with nil", &ptrs, false)
	ptrs = checkIndex(t, map[*int]int{p: 1}, []*int{nil, new(int)})
	check("pointers without nil", &ptrs, true)
	strs := checkIndex(t, map[string]int{"a": 1}, []string{""})
	check("strings", &strs, false)
}

// TestStringHashes checks every length up to past the ones that Find
// hashes and compares itself, so that Find and the build agree, and that
// strings that differ only in their first, middle or last byte are told
// apart.
func TestStringHashes(t *testing.T) {
	base := strings.Repeat("0123456789abcdef", 3)
	for n := 0; n < len(base); n++ {
		keys := map[string]int{base[:n]: 0}
		var absent []string
		positions := []int{0, n / 2, n - 1}
		if n <= 16 {
			// FindShortString compares these as two words: every byte
			// must count.
			positions = positions[:0]
			for at := range n {
				positions = append(positions, at)
			}
		}
		for j, at := range positions {
			if n == 0 {
				break
			}
			b := []byte(base[:n])
			b[at] ^= 0x20
			keys[string(b)] = j + 1
			b[at] ^= 0x01
			absent = append(absent, string(b))
		}
		absent = append(absent, base[:n]+"x")
		if n > 0 {
			absent = append(absent, base[1:n+1])
		}
		x := checkIndex(t, keys, absent)
		if x.ShortString(base[:n]) != (wordLoads && n <= 16) {
			t.Fatalf("ShortString of a %d-byte key = %v", n, x.ShortString(base[:n]))
		}
		for k, v := range keys {
			// The same bytes at another address: compared by value.
			if got, ok := findAll(t, &x, strings.Clone(k)); !ok || got != v {
				t.Fatalf("Find(copy of %q) = %d, %v; want %d, true", k, got, ok, v)
			}
			if h := hashString(k, x.seed); h != hashString(strings.Clone(k), x.seed) {
				t.Fatalf("hashString(%q) depends on the address", k)
			}
		}
	}
}

// TestFindShortStringComparesEveryByte builds, for every short length and
// byte position, a table holding one key and looks up a key that differs
// from it in that byte alone and has its home group and tag, so that the
// lookup must compare the two: a compare that skipped any byte would find
// it. (Keys whose tags differ never reach the compare.)
func TestFindShortStringComparesEveryByte(t *testing.T) {
	if !wordLoads {
		t.Skip("FindShortString needs word loads from any address")
	}
	base := "0123456789abcdef"
	for n := 1; n <= len(base); n++ {
		key := base[:n]
		for at := range n {
			compared := false
			for seed := uint64(1); seed <= 64 && !compared; seed++ {
				x := oneKey(t, key, seed)
				for c := range 256 {
					b := []byte(key)
					if b[at] == byte(c) {
						continue
					}
					b[at] = byte(c)
					compared = rejectMate(t, &x, key, string(b)) || compared
				}
			}
			if !compared {
				t.Fatalf("no key differing from %q in byte %d shares its home and tag under 64 seeds", key, at)
			}
		}
	}
	// Strings of one repeated byte give the same two words at lengths 1
	// to 3, 4 to 7 and 8 to 16: only the length tells them apart.
	for n := 1; n <= 16; n++ {
		key := strings.Repeat("a", n)
		for m := 1; m <= 16; m++ {
			other := strings.Repeat("a", m)
			a, b := shortWords(key)
			c, d := shortWords(other)
			if m == n || a != c || b != d {
				continue
			}
			compared := false
			for seed := uint64(1); seed <= 4096 && !compared; seed++ {
				x := oneKey(t, key, seed)
				compared = rejectMate(t, &x, key, other)
			}
			if !compared {
				t.Fatalf("%q and %q share their home and tag under no seed up to 4096", key, other)
			}
		}
	}
}

// oneKey returns the tagged table of key alone, built with seed.
func oneKey(t *testing.T, key string, seed uint64) Index[string, int] {
	t.Helper()
	x, ok := build(map[string]int{key: 1}, kindString, seed, false, "")
	if !ok {
		t.Fatalf("a table of one key failed the bound")
	}
	return x
}

// rejectMate reports whether other has the home group and the tag of key,
// the one key of x, so that a lookup of other compares the two, and if so
// fails the test if the lookup finds it.
func rejectMate(t *testing.T, x *Index[string, int], key, other string) bool {
	t.Helper()
	h, ho := hashString(key, x.seed), hashString(other, x.seed)
	if ho>>x.shift != h>>x.shift || uint8(ho)|0x80 != uint8(h)|0x80 {
		return false
	}
	if v, ok := findAll(t, x, other); ok {
		t.Fatalf("%q found in a table holding only %q (value %d)", other, key, v)
	}
	return true
}

func TestIndexFloatKeys(t *testing.T) {
	negZero := math.Copysign(0, -1)
	nan := math.NaN()
	entries := numbered(100, func(i int) float64 { return float64(i) / 4 })
	x := checkIndex(t, entries, []float64{-0.25, math.Inf(1), math.Inf(-1), nan})
	// +0 == -0: one key, found by either.
	if v, ok := x.Find(negZero); !ok || v != 0 {
		t.Fatalf("Find(-0) = %d, %v in an Index holding +0; want 0, true", v, ok)
	}
	// NaN != NaN: a NaN key is stored, yielded by Range, and never found,
	// as in a builtin map.
	m := map[float64]int{0: 1}
	m[nan], m[nan] = 2, 3
	m[negZero] = 4 // overwrites +0
	x = New(maps.Clone(m))
	if x.Len() != 3 {
		t.Fatalf("Len() = %d, want 3 (0 and two NaNs)", x.Len())
	}
	if _, ok := x.Find(nan); ok {
		t.Fatal("Find(NaN) found a NaN key")
	}
	nans := 0
	x.Range(func(k float64, v int) bool {
		if k != k {
			nans++
		} else if v != 4 {
			t.Errorf("Range yielded %v: %d, want 4", k, v)
		}
		return true
	})
	if nans != 2 {
		t.Fatalf("Range yielded %d NaN keys, want 2", nans)
	}
}

func TestIndexInterfaceKeys(t *testing.T) {
	type local struct{ a, b int }
	keys := []any{
		0, int8(0), uint(0), int64(1), "0", "", 0.5, math.Copysign(0, -1), complex(1, 2),
		true, [2]int{1, 2}, local{1, 2}, pair{1, 2}, io.EOF, nil, struct{}{}, [0]int{},
	}
	entries := numbered(len(keys), func(i int) any { return keys[i] })
	x := checkIndex(t, entries, []any{1, int8(1), "1", 0.25, local{2, 1}, errors.New("EOF"), [2]int{}})
	if !x.Interface() || x.Direct() {
		t.Fatal("an Index of interface keys is not Interface, or is Direct")
	}
	for k, v := range entries { // FindInterface, as syncmap's Load calls it
		if got, ok := x.FindInterface(k); !ok || got != v {
			t.Fatalf("FindInterface(%v) = %d, %v; want %d, true", k, got, ok, v)
		}
	}
	var empty Index[any, int]
	if none := New(map[any]int{}); empty.Interface() || none.Interface() {
		t.Fatal("an Index of interface keys without a table is Interface")
	}
	// +0 and -0 are one key inside an interface too.
	if v, ok := x.Find(0.0); !ok || v != 7 {
		t.Fatalf("Find(+0) = %d, %v in an Index holding -0; want 7, true", v, ok)
	}
	if _, ok := x.Find(math.NaN()); ok {
		t.Fatal("Find(NaN) found a key")
	}
	// Dynamic ints and strings, which Find hashes and compares itself,
	// among values of other types with the same bits.
	type myInt int
	type myString string
	mixed := []any{0, 1, -1, math.MaxInt, myInt(1), int64(1), uint(1), "", "a", "user:00000001", myString("a"),
		strings.Repeat("long key ", 5), []byte("a") != nil}
	x = checkIndex(t, numbered(len(mixed), func(i int) any { return mixed[i] }),
		[]any{2, myInt(2), int32(1), "b", myString("b"), strings.Repeat("long key ", 4)})
	if v, ok := x.Find(strings.Clone("user:00000001")); !ok || v != 9 {
		t.Fatalf("Find of a copied string key = %d, %v; want 9, true", v, ok)
	}
	// A non-empty interface type is hashed by its dynamic value too.
	errs := numbered(3, func(i int) error { return []error{io.EOF, io.ErrUnexpectedEOF, nil}[i] })
	checkIndex(t, errs, []error{io.ErrShortWrite})
}

// TestIndexIncomparableKeyPanics checks that an interface key whose dynamic
// type is not comparable panics in Find exactly as in a builtin map lookup,
// whether the Index is empty, built or kept as a builtin map. (A builtin map
// words the panic differently when it is empty.)
func TestIndexIncomparableKeyPanics(t *testing.T) {
	bad := []int{1}
	var empty Index[any, int]
	built := New(map[any]int{1: 1, "a": 2})
	iface := New(map[withIface]int{{1}: 1})
	for _, tc := range []struct {
		name      string
		find, ref func()
	}{
		{"zero Index", func() { empty.Find(bad) }, func() { _ = map[any]int(nil)[bad] }},
		{"built Index", func() { built.Find(bad) }, func() { _ = map[any]int{1: 1}[bad] }},
		{"builtin Index", func() { iface.Find(withIface{bad}) }, func() { _ = map[withIface]int{{1}: 1}[withIface{bad}] }},
	} {
		want := tests.PanicMessage(tc.ref)
		if !strings.Contains(want, "unhashable type") {
			t.Fatalf("%s: the builtin map panicked with %q", tc.name, want)
		}
		if got := tests.PanicMessage(tc.find); got != want {
			t.Errorf("%s: Find of an incomparable key panicked with %q, want %q", tc.name, got, want)
		}
	}
}

// TestIndexAdversarialKeys checks key sets a weak hash or a short probe
// bound would mishandle: the bound on runs holds and every result is right.
func TestIndexAdversarialKeys(t *testing.T) {
	prefix := strings.Repeat("/usr/local/share/very/long/common/prefix", 25)
	t.Run("long shared prefix", func(t *testing.T) {
		checkIndex(t, numbered(5000, func(i int) string { return fmt.Sprint(prefix, i) }), []string{prefix, prefix + "5000"})
	})
	t.Run("last byte differs", func(t *testing.T) {
		checkIndex(t, numbered(256, func(i int) string { return prefix + string(rune(0)) + string([]byte{byte(i)}) }), []string{prefix})
	})
	t.Run("same length and bytes but one", func(t *testing.T) {
		checkIndex(t, numbered(4096, func(i int) [16]byte { return [16]byte{15: byte(i), 14: byte(i >> 8)} }), [][16]byte{{0: 1}})
	})
	t.Run("colliding under a fixed seed", func(t *testing.T) {
		// Find 200 integer keys whose home slot under seed is the same, so
		// that a table built with seed holds them in one run.
		const seed, size, n = 0x5eed, 512, 200
		shift := 64 - 9 // log2(size)
		var keys []int
		for k := 1; len(keys) < n; k++ {
			if mixWord(uint64(k), seed)>>shift == 0 {
				keys = append(keys, k)
			}
		}
		m := numbered(n, func(i int) int { return keys[i] })
		bad, ok := build(m, kindWord, seed, true, 0)
		if ok || bad.numSlots() != size {
			t.Fatalf("a table of %d slots with the colliding seed passed the bound (longest run %d)", bad.numSlots(), bad.longestRun())
		}
		// New retries with random seeds and ends up within the bound.
		x := checkIndex(t, m, []int{keys[n-1] + 1})
		if !x.HasTable() || x.seed == seed {
			t.Fatalf("New kept the builtin map or the bad seed (seed %#x)", x.seed)
		}
	})
	t.Run("colliding in one group of the tagged layout", func(t *testing.T) {
		// 200 keys with one home group under seed fill a run of 25 full
		// groups, beyond the bound.
		const seed, groups, n = 0x5eed, 512 / group, 200
		var keys []int
		for k := 1; len(keys) < n; k++ {
			if mixWord(uint64(k), seed)>>(64-6) == 0 { // log2(groups)
				keys = append(keys, k)
			}
		}
		m := numbered(n, func(i int) int { return keys[i] })
		bad, ok := build(m, kindWord, seed, false, 0)
		if ok || len(bad.tagSlice()) != groups {
			t.Fatalf("a table of %d groups with the colliding seed passed the bound (longest run %d)", len(bad.tagSlice()), bad.longestRun())
		}
		for k, v := range m { // still right, if slow
			if got, ok := bad.Find(k); !ok || got != v {
				t.Fatalf("Find(%d) = %d, %v in the colliding table; want %d, true", k, got, ok, v)
			}
		}
		if _, ok := bad.Find(0); ok {
			t.Fatal("Find(0) found an absent key in the colliding table")
		}
	})
	t.Run("every seed too long: the builtin map", func(t *testing.T) {
		// Seeds that always give the colliding run make New give up on a
		// table and keep the builtin map, which stays right.
		const seed = 0x5eed
		var keys []int
		for k := 1; len(keys) < 200; k++ {
			if mixWord(uint64(k), seed)>>(64-9) == 0 {
				keys = append(keys, k)
			}
		}
		m := numbered(len(keys), func(i int) int { return keys[i] })
		tries := 0
		x := newIndex(maps.Clone(m), func() uint64 { tries++; return seed })
		if x.HasTable() || tries != buildTries {
			t.Fatalf("after %d tries of a colliding seed, New built a table: %v", tries, x.HasTable())
		}
		for k, v := range m {
			if got, ok := x.Find(k); !ok || got != v {
				t.Fatalf("Find(%d) = %d, %v in the fallback; want %d, true", k, got, ok, v)
			}
		}
	})
}

func unsafePointer[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }

// TestFindDoesNotAllocate checks that no kind of hash makes the key escape:
// an interface key boxed at the call stays on the caller's stack.
func TestFindDoesNotAllocate(t *testing.T) {
	ints := New(numbered(100, func(i int) int { return i }))
	strs := New(numbered(100, func(i int) string { return fmt.Sprint(i) }))
	bytes := New(numbered(100, func(i int) [16]byte { return [16]byte{byte(i)} }))
	floats := New(numbered(100, func(i int) float64 { return float64(i) }))
	complexes := New(numbered(100, func(i int) complex128 { return complex(float64(i), 1) }))
	ifaces := New(numbered(1000, func(i int) any { return i }))
	strIfaces := New(numbered(100, func(i int) any { return fmt.Sprint(i) }))
	n, s := 777, "77"
	for _, tc := range []struct {
		name string
		find func() bool
	}{
		{"int", func() bool { _, ok := ints.Find(n % 100); return ok }},
		{"string", func() bool { _, ok := strs.Find(s); return ok }},
		{"[16]byte", func() bool { _, ok := bytes.Find([16]byte{byte(n)}); return ok }},
		{"float64", func() bool { _, ok := floats.Find(float64(n % 100)); return ok }},
		{"complex128", func() bool { _, ok := complexes.Find(complex(float64(n%100), 1)); return ok }},
		{"any holding an int above 255", func() bool { n++; _, ok := ifaces.Find(any(n%700 + 256)); return ok }},
		{"any holding a string", func() bool { _, ok := strIfaces.Find(any(s)); return ok }},
		{"int by FindDirect", func() bool { _, ok := ints.FindDirect(n % 100); return ok }},
		{"string by FindShortString", func() bool { _, ok := strs.FindShortString(s); return ok }},
	} {
		if !tc.find() {
			t.Fatalf("%s: the key was not found", tc.name)
		}
		if a := testing.AllocsPerRun(100, func() { tc.find() }); a != 0 {
			t.Errorf("%s: Find allocated %v times per call", tc.name, a)
		}
	}
}
