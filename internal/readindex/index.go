// Package readindex provides Index, an immutable hash table from keys to
// values, built once from a builtin map and then only read. It is the read
// side of two copy-on-write designs: the read view of syncmap.Map and the
// snapshot of atomicvalue.Cache. Since nothing is ever inserted into or
// deleted from a built table, it needs no growth and no synchronization, and
// it can choose a hash function, a seed and a layout for the key set it
// holds. Update makes the Index of a map that differs in a few keys from a
// copy of a built table, changed in those keys' slots before anyone reads
// it, rather than from the map's every entry; a delete moves entries back
// instead of leaving a tombstone (see remove), so a table made by Update
// is one that New could have built.
//
// # Layout
//
// A table is an array of slots, a power of two long and at most half full.
// Each slot holds a key and its value. The top bits of the key's hash
// (Fibonacci hashing's choice of bits) pick where its search starts. How a
// probe goes on from there, tells an empty slot from a full one and avoids
// comparing whole keys depends on the key type:
//
//   - Direct: keys of 1 to 8 bytes compared by their bits (integers,
//     pointers, bools; see Hashing), given a key that the table does not
//     contain to fill its empty slots: the zero key, or for integers, whose
//     every bit pattern is a key, one found at build time. A slot is then 16
//     bytes for an int key and a pointer value, four to a cache line, and a
//     probe, linear from the home slot, compares each key it passes with
//     the empty key and with its own: a key this small costs no more to
//     compare than a hash fragment would. This is the layout of the
//     integer-only index that syncmap had before this package.
//   - Tagged: every other type, and direct keys for which no absent key can
//     be chosen (a uint8 key set holding all 256 values, a pointer key set
//     holding nil). The slots are in groups of eight, each with a control
//     word, in an array of its own, that holds a byte per slot: zero for an
//     empty slot, else the high bit and seven low bits of the key's hash.
//     These are the control bytes of Abseil's SwissTable, and the hash bits
//     in the bucket metadata of github.com/puzpuzpuz/xsync's Map; a word per
//     group of eight slots is the layout of Go's own maps since Go 1.24
//     (internal/runtime/maps), which keep it next to the group's slots
//     rather than apart. A key goes into the first free slot of the first group, from
//     its home group on, that has one. A probe finds the bytes of a control
//     word equal to its key's with word-wide bit arithmetic (SwissTable's
//     portable group), compares only those slots' keys, one in 128 of the
//     others, and stops at the first group with an empty slot. The control
//     words are an eighth or less of the slots' size, so for a thousand keys
//     they stay in the first-level cache: a miss usually reads one of them
//     and nothing else, and a hit one slot more and, for a string longer
//     than 16 bytes, its bytes.
//   - Wide: the tagged layout for string keys, where the CPU loads words
//     from any address (wordLoads). Each slot also holds the two words of
//     its key that the hash of a key of up to 16 bytes takes (shortWords),
//     which with the length in the key's header are the whole key, so a
//     hit of such a key compares the slot alone and never loads the key's
//     bytes through its pointer. A slot is 40 bytes for a pointer value
//     rather than 24, so the slots take two thirds more memory, and New
//     and Update, which write and copy them, take longer; docs/benchmarks.md
//     ("Short keys in the slot") has what that costs and what hits gain.
//
// No run of occupied slots (direct) or of full groups (tagged) is longer
// than a bound that grows with the logarithm of the table's size (maxRun). A
// build whose seed gives a longer run is retried with a new seed, and after
// a few failures the Index keeps the builtin map instead, so that no key
// set, however chosen, makes every lookup slow.
//
// # Hashing
//
// The hash depends on the key type, chosen once per build (kindOf):
//
//   - Keys of 1, 2, 4 or 8 bytes whose equality is equality of their bytes
//     (the integer types, bool, pointers, channels, and arrays and structs
//     of these without padding): one multiply-fold of the key's bits with a
//     random per-table seed, the mixing step of wyhash.
//   - Other sizes of that kind ([16]byte, struct{ a, b int }, [3]byte): the
//     same mixing applied to each 8-byte word in turn.
//   - Strings: up to 16 bytes, where the CPU loads words from any address,
//     wyhash's hash of short strings, written here (hashString), whose two
//     words, with the length, are also all a lookup compares (see
//     FindShortString); longer ones
//     the runtime's string hash with a per-table seed, the hash of
//     hash/maphash.String and of a builtin map[string]V, called directly.
//   - Interface types: the runtime's hash of the dynamic value
//     (runtime.nilinterhash, which the runtime keeps for packages that
//     link to it, golang/go#67401), as a builtin map does, except that a
//     dynamic int or string is hashed and compared here without the
//     runtime's indirect calls; equal interface values have the same
//     dynamic type, so a hash chosen per dynamic type is consistent. NaN
//     keys are never found, +0 and -0 are one key, and a key whose dynamic
//     type is not comparable panics with the builtin map's message.
//   - Floating-point and complex numbers: the mixing hash of the value's
//     bits, with -0 folded onto +0 (== finds them equal) and a NaN given
//     random bits, as a builtin map does; a lookup of a NaN returns at once.
//   - Everything else (structs or arrays holding strings, floats or
//     interfaces, or with padding or blank fields): the builtin map, which
//     hashes them with a function the compiler generates for the type.
//     maphash.Comparable (Go 1.24) calls the same function but was slower
//     than the builtin map's lookup for struct{ s string; n int }, and makes
//     keys holding pointers other than strings' escape.
//
// An Index of a type that keeps the builtin map, and an Index of no
// entries, look keys up in the builtin map, so their semantics are the
// builtin map's by construction, panics included.
//
// docs/benchmarks.md has the measurements behind these choices.
package readindex

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"unsafe"
)

// An Index is an immutable map from keys to values. The zero Index is empty.
// An Index may be copied, and read by any number of goroutines at once.
type Index[K comparable, V any] struct {
	// The fields Find reads come first, within 48 bytes for an 8-byte key.
	direct bool        // the direct layout: empty slots hold the key empty
	kind   kind        // how keys are hashed; kindBuiltin when slots is nil
	shift  uint8       // 64 - log2(homes): a hash's top bits pick its home slot or group
	seed   uint64      // random per table, for the mixing hashes
	mask   uint64      // homes - 1; homes is the number of slots if direct, else of groups
	slots  *slot[K, V] // homes slots if direct, else group per home; nil if m holds the entries
	tags   *uint64     // the tagged layout: each group's control word, a tag byte per slot
	empty  K           // the direct layout: the key of every empty slot, never a key in the table

	n int             // number of entries
	m map[K]V         // the entries, when slots is nil; may be nil
	_ [0]func(K) bool // not comparable: an Index is compared by its contents, never by ==
}

// slot holds one entry, or in an empty slot the direct layout's empty key
// (or, tagged, the zero key).
type slot[K comparable, V any] struct {
	key   K
	value V
}

// wideSlot is the slot of a table of string keys where the CPU loads words
// from any address (wordLoads): the entry, and the two words of the key
// that shortWords takes from a key of up to 16 bytes (zero for a longer
// key or an empty slot). With the key's length, in the slot too, they are
// the whole key, so FindShortString compares a candidate without loading
// its bytes through the key's pointer. The slot begins with the entry, so
// that code which reads or writes only the entry takes a *slot of it.
type wideSlot[K comparable, V any] struct {
	slot[K, V]
	a, b uint64
}

// wide reports whether x's slots are wideSlots. The size test is a
// constant for each instantiation, so only string and interface keys make
// the other tests.
func (x *Index[K, V]) wide() bool {
	var k K
	return unsafe.Sizeof(k) == unsafe.Sizeof("") && wordLoads && x.kind == kindString
}

// slotSize returns the size of x's slots, the stride of its table.
func (x *Index[K, V]) slotSize() uintptr {
	if x.wide() {
		return unsafe.Sizeof(wideSlot[K, V]{})
	}
	return unsafe.Sizeof(slot[K, V]{})
}

// newSlots returns a table of n empty slots of the size x takes.
func (x *Index[K, V]) newSlots(n int) *slot[K, V] {
	if x.wide() {
		return &unsafe.SliceData(make([]wideSlot[K, V], n)).slot
	}
	return unsafe.SliceData(make([]slot[K, V], n))
}

// numSlots returns the number of slots in x's table, 0 for the builtin map.
func (x *Index[K, V]) numSlots() int {
	if x.slots == nil {
		return 0
	}
	n := int(x.mask) + 1
	if !x.direct {
		n *= group
	}
	return n
}

// at returns the entry of slot i.
func (x *Index[K, V]) at(i uint64) *slot[K, V] {
	return (*slot[K, V])(unsafe.Add(unsafe.Pointer(x.slots), uintptr(i)*x.slotSize()))
}

// put sets slot i to hold key and value, and in a wide slot key's words.
func (x *Index[K, V]) put(i uint64, key K, value V) {
	*x.at(i) = slot[K, V]{key, value}
	if x.wide() {
		w := (*wideSlot[K, V])(unsafe.Pointer(x.at(i)))
		w.a, w.b = 0, 0
		if s := *(*string)(unsafe.Pointer(&key)); len(s) <= 16 {
			w.a, w.b = shortWords(s)
		}
	}
}

// move copies slot j, words and all, to slot i.
func (x *Index[K, V]) move(i, j uint64) {
	if x.wide() {
		*(*wideSlot[K, V])(unsafe.Pointer(x.at(i))) = *(*wideSlot[K, V])(unsafe.Pointer(x.at(j)))
		return
	}
	*x.at(i) = *x.at(j)
}

// cloneSlots returns a copy of x's table.
func (x *Index[K, V]) cloneSlots() *slot[K, V] {
	n := x.numSlots()
	if x.wide() {
		next := make([]wideSlot[K, V], n)
		copy(next, unsafe.Slice((*wideSlot[K, V])(unsafe.Pointer(x.slots)), n))
		return &next[0].slot
	}
	next := make([]slot[K, V], n)
	copy(next, unsafe.Slice(x.slots, n))
	return &next[0]
}

// kind says which hash an Index uses for its key type.
type kind uint8

const (
	kindBuiltin   kind = iota // keys are in the builtin map m
	kindWord                  // equality is bytewise, size at most 8: mixWord
	kindMemory                // equality is bytewise, size above 8: hashMemory
	kindString                // runtime.strhash
	kindInterface             // runtime.nilinterhash of the dynamic value
	kindFloat                 // mixWord of the value's bits, -0 as +0
	kindComplex               // mixWord of each part's bits, -0 as +0
)

// group is the number of slots a control word of the tagged layout covers.
const group = 8

// buildTries is how many seeds New tries before it keeps the builtin map.
// With a random hash a try fails with a probability far below 1e-6
// (maxRun), so a second try is already rare.
const buildTries = 4

// New returns an Index of the entries of m. The Index may keep m itself, so
// m must not be modified afterwards.
func New[K comparable, V any](m map[K]V) Index[K, V] {
	return newIndex(m, rand.Uint64)
}

// newIndex is New with the source of the seeds and of the empty key.
func newIndex[K comparable, V any](m map[K]V, random func() uint64) Index[K, V] {
	k := kindOf[K]()
	if k == kindBuiltin || len(m) == 0 {
		return Index[K, V]{m: m, n: len(m)}
	}
	var (
		empty  K
		direct bool
	)
	if k == kindWord {
		empty, direct = absentKey(m, random)
	}
	for range buildTries {
		if x, ok := build(m, k, random(), direct, empty); ok {
			return x
		}
	}
	return Index[K, V]{m: m, n: len(m)}
}

// build lays out the entries of m in a table with the given seed, direct
// with the key empty marking empty slots or else tagged, and reports whether
// every run of occupied slots stays within maxRun.
func build[K comparable, V any](m map[K]V, k kind, seed uint64, direct bool, empty K) (Index[K, V], bool) {
	size := tableSize(len(m), direct)
	homes := size // slots, or groups of them, that a hash may pick
	if !direct {
		homes /= group
	}
	x := Index[K, V]{
		direct: direct,
		kind:   k,
		shift:  uint8(64 - bits.TrailingZeros(uint(homes))),
		seed:   seed,
		mask:   uint64(homes - 1),
		n:      len(m),
	}
	x.slots = x.newSlots(size)
	if direct {
		x.empty = empty
		var zero K
		if empty != zero {
			for i := range uint64(size) {
				x.at(i).key = empty
			}
		}
		for key, v := range m {
			i := mixWord(wordOf(key), seed) >> x.shift
			for x.at(i).key != empty {
				i = (i + 1) & x.mask
			}
			x.put(i, key, v)
		}
	} else {
		tags := make([]uint64, homes)
		x.tags = unsafe.SliceData(tags)
		for key, v := range m {
			h := x.hash(key)
			g := h >> x.shift
			for ^tags[g]&msbs == 0 { // full
				g = (g + 1) & x.mask
			}
			j := uint64(bits.TrailingZeros64(^tags[g]&msbs) >> 3) // its first empty slot
			tags[g] |= uint64(uint8(h)|0x80) << (8 * j)
			x.put(g*group+j, key, v)
		}
	}
	return x, x.longestRun() <= x.maxRun()
}

// tagSlice returns the tagged layout's control words, nil for the direct
// layout.
func (x *Index[K, V]) tagSlice() []uint64 {
	if x.tags == nil {
		return nil
	}
	return unsafe.Slice(x.tags, int(x.mask)+1)
}

// maxRun bounds the run a lookup may have to scan, hit or miss: of occupied
// slots in the direct layout, of full groups in the tagged one. A run this
// long is a bad seed or a key set built to collide.
//
// In a half-full table with a random hash the longest run of occupied slots
// grows as the logarithm of the size, about ln(size)/0.19 (linear probing
// at load 1/2), under half of the bound for the direct layout. Runs of full
// groups are much shorter, a group holding four keys on average; how long
// they were in random builds, against this bound, is in docs/benchmarks.md.
func (x *Index[K, V]) maxRun() int {
	if x.direct {
		return 8 * bits.Len(uint(x.numSlots()))
	}
	return 5 + bits.Len(uint(len(x.tagSlice())))/2
}

// longestRun returns the length of the longest run of occupied slots
// (direct) or full groups (tagged), counting a run that wraps around the
// end.
func (x *Index[K, V]) longestRun() int {
	// run measures the run that ends at i, of n homes, given how long the
	// run before it is.
	longest, run, n := 0, 0, int(x.mask)+1
	count := func(full bool) {
		if !full {
			run = 0
		} else if run++; run > longest {
			longest = run
		}
	}
	if x.direct {
		for i := range 2 * n { // twice round, for a run that wraps
			count(x.at(uint64(i&(n-1))).key != x.empty)
		}
	} else {
		tags := x.tagSlice()
		for i := range 2 * n {
			count(^tags[i&(n-1)]&msbs == 0)
		}
	}
	return min(longest, n) // a full table cannot happen; a run round it would count twice
}

// Bit patterns of the tagged layout's word-wide probe (the portable group of
// Abseil's SwissTable): each byte's low bit, and each byte's high bit.
const (
	lsbs = 0x0101010101010101
	msbs = 0x8080808080808080
)

// Find returns the value stored for key and whether it is present.
//
// The direct layout is FindDirect's, interface keys FindInterface's and
// short strings FindShortString's, which the Index's users call themselves
// where they apply; Find serves the other kinds and long strings. The
// tests of the layout and the kind of key come under conditions on K's
// size (a constant in each instantiation): only keys of at most 8 bytes can
// have the direct layout, and only keys of a string's size be strings.
func (x *Index[K, V]) Find(key K) (value V, ok bool) {
	if unsafe.Sizeof(key) <= 8 && x.direct {
		return x.FindDirect(key)
	}
	var h uint64
	switch {
	case unsafe.Sizeof(key) == unsafe.Sizeof("") && x.kind == kindString:
		if x.ShortString(key) {
			return x.FindShortString(key)
		}
		h = widen(strhash(unsafe.Pointer(&key), uintptr(x.seed)), x.seed) // as hashString
	case x.kind == kindInterface:
		return x.FindInterface(key)
	case x.kind == kindBuiltin:
		// A nil map too looks the key up, so that an incomparable
		// interface key panics here as it would in a builtin map.
		value, ok = x.m[key]
		return value, ok
	case x.kind == kindFloat || x.kind == kindComplex:
		if key != key {
			return value, false // a NaN, which no lookup finds
		}
		h = x.hash(key)
	default:
		h = x.hash(key)
	}
	// The tagged layout: the control word of each group from the home
	// group on, until one has an empty slot.
	want := lsbs * uint64(uint8(h)|0x80) // the tag in every byte
	slots, tags, size := unsafe.Pointer(x.slots), unsafe.Pointer(x.tags), x.slotSize()
	for g := h >> (x.shift & 63); ; g = (g + 1) & x.mask {
		w := *(*uint64)(unsafe.Add(tags, uintptr(g)*8))
		for m := matches(w, want); m != 0; m &= m - 1 {
			s := (*slot[K, V])(unsafe.Add(slots, uintptr(g*group+uint64(bits.TrailingZeros64(m)>>3))*size))
			if s.key == key {
				return s.value, true
			}
		}
		if ^w&msbs != 0 { // an empty slot: the key would be in this group
			return value, false
		}
	}
}

// matches returns the bytes of the control word w equal to the tag that
// every byte of want holds, each as its high bit, with false positives only
// above a true one (a borrow): a candidate's key is compared anyway. (It is
// generic so that the compiler inlines it into Find's instantiations in
// other packages.)
func matches[W ~uint64](w, want W) W {
	e := w ^ want
	return (e - lsbs) &^ e & msbs
}

// slotAt returns &slots[i] of the slots at base, without a bounds check.
func slotAt[K comparable, V any](base unsafe.Pointer, i uint64) *slot[K, V] {
	return (*slot[K, V])(unsafe.Add(base, uintptr(i)*unsafe.Sizeof(slot[K, V]{})))
}

// Direct reports whether x has the direct layout, whose lookups FindDirect
// makes.
func (x *Index[K, V]) Direct() bool {
	return x.direct
}

// FindDirect is Find for an Index that has the direct layout (Direct). It
// calls nothing, so it needs no stack frame of its own, which Find, with
// calls on its other paths, does: a caller that checks Direct and calls
// FindDirect, rather than Find, looks integer keys up as fast as the
// integer-only index syncmap had before this package.
func (x *Index[K, V]) FindDirect(key K) (value V, ok bool) {
	slots := unsafe.Pointer(x.slots)
	hi, lo := bits.Mul64(wordOf(key)^x.seed, golden)
	for i := (hi ^ lo) >> (x.shift & 63); ; i = (i + 1) & x.mask {
		s := slotAt[K, V](slots, i)
		// An empty slot ends the search before the keys are compared, so
		// that a key equal to empty, absent, is not found there.
		if s.key == x.empty {
			break
		}
		if s.key == key {
			return s.value, true
		}
	}
	return value, false
}

// ShortString reports whether x has a table of keys of a string type and
// key is short enough for FindShortString: at most 16 bytes, where the CPU
// loads words from any address (wordLoads).
func (x *Index[K, V]) ShortString(key K) bool {
	return wordLoads && x.kind == kindString && len(*(*string)(unsafe.Pointer(&key))) <= 16
}

// FindShortString is Find for a key for which ShortString holds: the hash
// of hashString, and a compare of each candidate's length, and of the two
// words its wide slot keeps, with the key's length and the two words that
// the hash took from it (together they are the whole string), so the key's
// bytes are loaded once and no candidate's at all. It calls nothing, so
// like FindDirect it needs no stack check, and it keeps in registers what
// Find spills; a caller that checks ShortString and calls it, rather than
// Find, saves those and Find's dispatch on the kind of key
// (docs/benchmarks.md, "Short strings without a frame", has the
// measurement).
func (x *Index[K, V]) FindShortString(key K) (value V, ok bool) {
	str := *(*string)(unsafe.Pointer(&key))
	a, b := shortWords(str)
	hi, lo := bits.Mul64(a^x.seed^golden, b^x.seed)
	hi, lo = bits.Mul64(hi^lo^wyp1, uint64(len(str))^x.seed)
	h := hi ^ lo
	want := lsbs * uint64(uint8(h)|0x80)
	slots, tags := unsafe.Pointer(x.slots), unsafe.Pointer(x.tags)
	for g := h >> (x.shift & 63); ; g = (g + 1) & x.mask {
		w := *(*uint64)(unsafe.Add(tags, uintptr(g)*8))
		for m := matches(w, want); m != 0; m &= m - 1 {
			s := (*wideSlot[K, V])(unsafe.Add(slots, uintptr(g*group+uint64(bits.TrailingZeros64(m)>>3))*unsafe.Sizeof(wideSlot[K, V]{})))
			if len(*(*string)(unsafe.Pointer(&s.key))) == len(str) && s.a == a && s.b == b {
				return s.value, true
			}
		}
		if ^w&msbs != 0 {
			return value, false
		}
	}
}

// Interface reports whether x has a table of keys of an interface type,
// whose lookups FindInterface makes.
func (x *Index[K, V]) Interface() bool {
	return x.kind == kindInterface
}

// FindInterface is Find for an Index of keys of an interface type that has
// a table (Interface): hashInterface, spelled out, and == with a dynamic int
// or string compared here rather than by the runtime's efaceeq and the
// type's equality function, two calls. A caller that checks Interface and
// calls FindInterface, rather than Find, saves Find's stack frame and its
// dispatch on the kind of key, a call and a return more than FindDirect's
// callers save, since FindInterface has calls and so a frame of its own.
func (x *Index[K, V]) FindInterface(key K) (value V, ok bool) {
	e := any(key)
	w := (*eface)(unsafe.Pointer(&e))
	var h uint64
	switch w.typ {
	case intType:
		hi, lo := bits.Mul64(uint64(*(*int)(w.data))^x.seed, golden)
		h = hi ^ lo
	case stringType:
		h = hashString(*(*string)(w.data), x.seed)
	default:
		h = widen(nilinterhash(unsafe.Pointer(&e), uintptr(x.seed)), x.seed)
	}
	want := lsbs * uint64(uint8(h)|0x80)
	for g := h >> (x.shift & 63); ; g = (g + 1) & x.mask {
		t := *(*uint64)(unsafe.Add(unsafe.Pointer(x.tags), uintptr(g)*8))
		for m := matches(t, want); m != 0; m &= m - 1 {
			s := slotAt[K, V](unsafe.Pointer(x.slots), g*group+uint64(bits.TrailingZeros64(m)>>3))
			se := any(s.key)
			if sw := (*eface)(unsafe.Pointer(&se)); sw.typ != w.typ {
				continue
			} else if w.typ == intType && *(*int)(sw.data) == *(*int)(w.data) ||
				w.typ == stringType && *(*string)(sw.data) == *(*string)(w.data) ||
				w.typ != intType && w.typ != stringType && se == e {
				return s.value, true
			}
		}
		if ^t&msbs != 0 {
			return value, false
		}
	}
}

// HasTable reports whether x looks keys up in a table of its own, rather
// than in the builtin map it was built from.
func (x *Index[K, V]) HasTable() bool {
	return x.slots != nil
}

// Len returns the number of entries.
func (x *Index[K, V]) Len() int {
	return x.n
}

// Range calls f for each entry, in an unspecified order, until f returns
// false.
func (x *Index[K, V]) Range(f func(key K, value V) bool) {
	if x.slots == nil {
		for k, v := range x.m {
			if !f(k, v) {
				return
			}
		}
		return
	}
	if x.direct {
		for i := range uint64(x.numSlots()) {
			if s := x.at(i); s.key != x.empty && !f(s.key, s.value) {
				return
			}
		}
		return
	}
	for g, w := range x.tagSlice() {
		for j := range group {
			if w>>(8*j)&0x80 != 0 {
				if s := x.at(uint64(g*group + j)); !f(s.key, s.value) {
					return
				}
			}
		}
	}
}

// absentKey returns a key of type K that m lacks, for the empty slots of
// the direct layout, and false if it finds none: the zero key if m lacks
// it, else, for types whose every bit pattern is a value (integers and
// arrays and structs of them), one found by trying random bit patterns or,
// for keys of 1 or 2 bytes, every pattern in turn. Other types (pointers,
// bools) must not hold arbitrary bits, and fall back to the tagged layout.
func absentKey[K comparable, V any](m map[K]V, random func() uint64) (K, bool) {
	var k K
	if _, ok := m[k]; !ok {
		return k, true
	}
	if !integral(reflect.TypeFor[K]()) {
		return k, false
	}
	tries, r, step := uint64(64), random(), uint64(0)
	if size := unsafe.Sizeof(k); size <= 2 {
		tries, step = 1<<(8*size), 1
	}
	for range tries {
		setWord(&k, r)
		if _, ok := m[k]; !ok {
			return k, true
		}
		if r += step; step == 0 {
			r = random()
		}
	}
	var zero K
	return zero, false
}

// integral reports whether every bit pattern of a value of type t, which
// is bytewise, is a valid value: t holds integers only.
func integral(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	case reflect.Array:
		return integral(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !integral(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// setWord sets the bytes of *k, a key of 1, 2, 4 or 8 bytes, from w.
func setWord[K comparable](k *K, w uint64) {
	p := unsafe.Pointer(k)
	switch unsafe.Sizeof(*k) {
	case 8:
		*(*uint64)(p) = w
	case 4:
		*(*uint32)(p) = uint32(w)
	case 2:
		*(*uint16)(p) = uint16(w)
	default:
		*(*uint8)(p) = uint8(w)
	}
}

// hash returns the hash of key for the table's kind and seeds.
func (x *Index[K, V]) hash(key K) uint64 {
	switch x.kind {
	case kindWord:
		return mixWord(wordOf(key), x.seed)
	case kindString:
		return hashString(key, x.seed)
	case kindInterface:
		return hashInterface(key, x.seed)
	case kindMemory:
		return hashMemory(unsafe.Pointer(&key), unsafe.Sizeof(key), x.seed)
	case kindFloat, kindComplex:
		return hashFloat(key, x.seed, x.kind == kindComplex)
	}
	panic("readindex: hash of a key kept in the builtin map")
}

// hashFloat hashes a float or complex key by its value, as a builtin map
// does: +0 and -0 are equal keys and hash alike, and a NaN, which no lookup
// can find, hashes at random, so that many NaN keys spread over the table
// instead of piling up on one probe run.
func hashFloat[K comparable](key K, seed uint64, complexKey bool) uint64 {
	p := unsafe.Pointer(&key)
	switch {
	case complexKey && unsafe.Sizeof(key) == 16:
		c := *(*complex128)(p)
		return mixWord(floatBits(imag(c)), mixWord(floatBits(real(c)), seed))
	case complexKey:
		c := *(*complex64)(p)
		return mixWord(floatBits(float64(imag(c))), mixWord(floatBits(float64(real(c))), seed))
	case unsafe.Sizeof(key) == 8:
		return mixWord(floatBits(*(*float64)(p)), seed)
	}
	// float32 to float64 is exact, so equal keys stay equal and unequal
	// keys unequal.
	return mixWord(floatBits(float64(*(*float32)(p))), seed)
}

// floatBits returns the bits of f with -0 folded onto +0, and random bits
// for a NaN.
func floatBits(f float64) uint64 {
	switch {
	case f == 0:
		return 0
	case f != f:
		return rand.Uint64()
	}
	return math.Float64bits(f)
}

// hashString hashes a key whose type K is a string type. Strings of up to 16
// bytes, where the CPU loads words from any address (wordLoads), it hashes
// itself as wyhash does: the string's first and last words (which overlap
// below 16 bytes), multiplied with the seed folded in, and the product's
// halves, folded, multiplied with the length. Longer strings it hashes with
// the runtime's string hash, the hash of a builtin map[string]V and of
// maphash.String, called directly: maphash.String reaches it three calls
// deep. FindShortString spells this out; TestStringHashes checks that the two
// agree.
func hashString[K comparable](key K, seed uint64) uint64 {
	if s := *(*string)(unsafe.Pointer(&key)); wordLoads && len(s) <= 16 {
		a, b := shortWords(s)
		hi, lo := bits.Mul64(a^seed^golden, b^seed)
		hi, lo = bits.Mul64(hi^lo^wyp1, uint64(len(s))^seed)
		return hi ^ lo
	}
	return widen(strhash(unsafe.Pointer(&key), uintptr(seed)), seed)
}

// shortWords returns the bytes of s, at most 16 long, as two words: the
// first and last 8 bytes of a string of 8 or more, the first and last 4 of
// a string of 4 to 7, and three of its bytes for a shorter one, as wyhash
// reads them. It needs wordLoads. (It is generic so that the compiler
// inlines it into Find's instantiations in other packages.)
func shortWords[S ~string](s S) (a, b uint64) {
	p, n := unsafe.Pointer(unsafe.StringData(string(s))), uintptr(len(s))
	switch {
	case n >= 8:
		return *(*uint64)(p), *(*uint64)(unsafe.Add(p, n-8))
	case n >= 4:
		return uint64(*(*uint32)(p)), uint64(*(*uint32)(unsafe.Add(p, n-4)))
	case n > 0:
		return uint64(*(*byte)(p))<<16 | uint64(*(*byte)(unsafe.Add(p, n/2)))<<8 | uint64(*(*byte)(unsafe.Add(p, n-1))), 0
	}
	return 0, 0
}

// widen returns a hash h of the runtime's, a uintptr, as the 64 bits a
// table takes its home from the top of: on a 32-bit platform, whose
// runtime hashes are 32 bits, mixed into 64 (the top bits would be zero).
// (It is generic so that the compiler inlines it into Find's
// instantiations in other packages.)
func widen[H ~uintptr](h H, seed uint64) uint64 {
	if unsafe.Sizeof(h) == 8 {
		return uint64(h)
	}
	hi, lo := bits.Mul64(uint64(h)^seed, golden)
	return hi ^ lo
}

// strhash is the runtime's hash of the string at p (AES-based where the CPU
// has AES instructions), which the runtime keeps for packages that link to
// it (golang/go#67401).
//
//go:linkname strhash runtime.strhash
//go:noescape
func strhash(p unsafe.Pointer, h uintptr) uintptr

// The multipliers of the mixing hashes: 2^64/φ, which also spreads runs of
// consecutive integers evenly over the table (Fibonacci hashing), and
// wyhash's first secret, for the words after the first.
const (
	golden = 0x9e3779b97f4a7c15
	wyp1   = 0xe7037ed1a0b428db
)

// mixWord is kindWord's hash of a key's bits: a 64x64→128-bit multiply
// whose halves are folded together, the mixing step of wyhash, whose top
// bits depend on every bit of the key. (Find repeats it by hand.)
func mixWord(w, seed uint64) uint64 {
	hi, lo := bits.Mul64(w^seed, golden)
	return hi ^ lo
}

// wordOf returns the bytes of a key of 1, 2, 4 or 8 bytes as a word. The
// switch is on a size the compiler knows for each
// instantiation, so only one case remains.
func wordOf[K comparable](k K) uint64 {
	p := unsafe.Pointer(&k)
	switch unsafe.Sizeof(k) {
	case 8:
		return *(*uint64)(p)
	case 4:
		return uint64(*(*uint32)(p))
	case 2:
		return uint64(*(*uint16)(p))
	}
	return uint64(*(*uint8)(p))
}

// tailWord returns the n < 8 bytes at p as a word.
func tailWord(p unsafe.Pointer, n uintptr) uint64 {
	var w uint64
	for i := range n {
		w |= uint64(*(*byte)(unsafe.Add(p, i))) << (8 * i)
	}
	return w
}

// hashMemory hashes the n bytes at p, 8 at a time, each word mixed into the
// hash of the words before it.
func hashMemory(p unsafe.Pointer, n uintptr, seed uint64) uint64 {
	h := seed ^ uint64(n)*wyp1
	for ; n >= 8; n -= 8 {
		hi, lo := bits.Mul64(h^*(*uint64)(p), golden)
		h = hi ^ lo
		p = unsafe.Add(p, 8)
	}
	if n > 0 {
		hi, lo := bits.Mul64(h^tailWord(p, n), golden)
		h = hi ^ lo
	}
	return h
}

// eface is the layout of an empty interface value.
type eface struct {
	typ, data unsafe.Pointer
}

// The type words of an int and of a string in an interface, the dynamic
// types that hashInterface and FindInterface take without the runtime.
var (
	intType    = typeWord(0)
	stringType = typeWord("")
)

func typeWord(e any) unsafe.Pointer {
	return (*eface)(unsafe.Pointer(&e)).typ
}

// hashInterface hashes the dynamic value of key, whose type K is an
// interface type, with the hash function of the builtin map, or for an int
// or a string with the hash of those kinds. (FindInterface spells it out.)
func hashInterface[K comparable](key K, seed uint64) uint64 {
	e := any(key)
	switch w := (*eface)(unsafe.Pointer(&e)); w.typ {
	case intType:
		return mixWord(uint64(*(*int)(w.data)), seed)
	case stringType:
		return hashString(*(*string)(w.data), seed)
	}
	return widen(nilinterhash(unsafe.Pointer(&e), uintptr(seed)), seed)
}

// nilinterhash is the runtime's hash of an empty interface's dynamic value,
// the hash of a builtin map[any]V. It panics if the dynamic type is not
// comparable.
//
//go:linkname nilinterhash runtime.nilinterhash
//go:noescape
func nilinterhash(p unsafe.Pointer, h uintptr) uintptr

// kindOf returns the hash an Index of keys of type K uses.
func kindOf[K comparable]() kind {
	t := reflect.TypeFor[K]()
	switch {
	case t.Kind() == reflect.String:
		return kindString
	case t.Kind() == reflect.Interface:
		return kindInterface
	case bytewise(t) && (t.Size() == 1 || t.Size() == 2 || t.Size() == 4 || t.Size() == 8):
		return kindWord
	case bytewise(t):
		return kindMemory
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return kindFloat
	case t.Kind() == reflect.Complex64 || t.Kind() == reflect.Complex128:
		return kindComplex
	}
	return kindBuiltin
}

// bytewise reports whether two values of type t are equal exactly when their
// bytes are: no floats (+0 == -0, NaN != NaN), no strings or interfaces
// (equal contents at different addresses), no padding and no blank fields
// (bytes == does not compare).
func bytewise(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Pointer, reflect.Chan, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return bytewise(t.Elem())
	case reflect.Struct:
		var end uintptr
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Name == "_" || f.Offset != end || !bytewise(f.Type) {
				return false
			}
			end += f.Type.Size()
		}
		return end == t.Size()
	}
	return false
}
