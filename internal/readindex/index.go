// Package readindex provides Index, an immutable hash table from keys to
// values, built once from a builtin map and then only read. It is the read
// side of two copy-on-write designs: the read view of syncmap.Map and the
// snapshot of atomicvalue.Cache. Since nothing is ever inserted into or
// deleted from a built table, it needs no tombstones, no growth and no
// synchronization, and it can choose a hash function and a seed for the key
// set it holds.
//
// # Layout
//
// A table is an array of slots, a power of two long and at most half full,
// searched by linear probing. Each slot stores a key, its value and the
// key's 64-bit hash, with the lowest bit set so that a zero hash marks an
// empty slot. A probe compares the stored hash first and the keys only when
// the hashes are equal, so that a probe rarely compares whole keys: the
// idea of the control bytes of Abseil's SwissTable and of the hash bits in
// the bucket metadata of github.com/puzpuzpuz/xsync's Map, taken here to all
// 64 bits, as .NET's Dictionary stores each entry's hash code, since a slot
// that holds a string header or an interface has room for them. A hit on an
// integer key reads one cache line; a hit on a string key one line of slots
// and the string's bytes.
//
// The search for a key starts at the slot picked by the top bits of its hash
// (Fibonacci hashing's choice of bits), and no run of occupied slots is
// longer than a bound that grows with the logarithm of the table's size
// (maxRun). A build whose seed gives a longer run is retried with a new
// seed, and after a few failures the Index keeps the builtin map instead, so
// that no key set, however chosen, makes every lookup slow.
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
//   - Strings: the runtime's string hash with a per-table seed, the hash of
//     hash/maphash.String and of a builtin map[string]V, called directly.
//   - Interface types: the runtime's hash of the dynamic value
//     (runtime.nilinterhash, which the runtime keeps for packages that
//     link to it, golang/go#67401), as a builtin map does. NaN keys are
//     never found, +0 and -0 are one key, and a key whose dynamic type is
//     not comparable panics with the builtin map's message.
//   - Floating-point and complex numbers: the mixing hash of the value's
//     bits, with -0 folded onto +0 (== finds them equal) and a NaN given
//     random bits, as a builtin map does (no lookup can find a NaN).
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
	slots []slot[K, V]    // len is a power of two, at least twice n; nil if builtin holds the entries
	shift uint8           // 64 - log2(len(slots)): a hash's top bits pick its home slot
	kind  kind            // how keys are hashed; kindBuiltin when slots is nil
	seed  uint64          // random per table, for the mixing hashes
	n     int             // number of entries
	m     map[K]V         // the entries, when slots is nil; may be nil
	_     [0]func(K) bool // not comparable: an Index is compared by its contents, never by ==
}

// slot holds one entry; tag == 0 marks an empty slot.
type slot[K comparable, V any] struct {
	tag   uint64 // the key's hash with its lowest bit set
	key   K
	value V
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

// buildTries is how many seeds New tries before it keeps the builtin map.
// With a random hash a try fails with a probability far below 1e-6
// (maxRun), so a second try is already rare.
const buildTries = 4

// New returns an Index of the entries of m. The Index may keep m itself, so
// m must not be modified afterwards.
func New[K comparable, V any](m map[K]V) Index[K, V] {
	return newIndex(m, rand.Uint64)
}

// newIndex is New with the source of the mixing hashes' seeds.
func newIndex[K comparable, V any](m map[K]V, seed func() uint64) Index[K, V] {
	k := kindOf[K]()
	if k == kindBuiltin || len(m) == 0 {
		return Index[K, V]{m: m, n: len(m)}
	}
	for range buildTries {
		if x, ok := build(m, k, seed()); ok {
			return x
		}
	}
	return Index[K, V]{m: m, n: len(m)}
}

// build lays out the entries of m in a table with the given seed, and
// reports whether every run of occupied slots stays within maxRun.
func build[K comparable, V any](m map[K]V, k kind, seed uint64) (Index[K, V], bool) {
	size := 8
	for size < 2*len(m) {
		size *= 2
	}
	x := Index[K, V]{
		slots: make([]slot[K, V], size),
		shift: uint8(64 - bits.TrailingZeros(uint(size))),
		kind:  k,
		seed:  seed,
		n:     len(m),
	}
	mask := uint64(size - 1)
	for key, v := range m {
		h := x.hash(key)
		i := h >> x.shift
		for x.slots[i].tag != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = slot[K, V]{h | 1, key, v}
	}
	return x, x.longestRun() <= maxRun(size)
}

// maxRun bounds the run of occupied slots a lookup in a table of size slots
// may have to scan, hit or miss. In a half-full table with a random hash the
// longest run grows as the logarithm of the size, about ln(size)/0.19
// (linear probing at load 1/2), which is under half of this bound; a run
// this long is a bad seed or a key set built to collide.
func maxRun(size int) int {
	return 8 * bits.Len(uint(size))
}

// longestRun returns the length of the longest run of occupied slots,
// counting a run that wraps around the end.
func (x *Index[K, V]) longestRun() int {
	longest, run := 0, 0
	mask := len(x.slots) - 1
	for i := range 2 * len(x.slots) {
		if x.slots[i&mask].tag == 0 {
			run = 0
			continue
		}
		if run++; run > longest {
			longest = run
		}
		if run == len(x.slots) { // a full table cannot happen; stop anyway
			break
		}
	}
	return longest
}

// Find returns the value stored for key and whether it is present.
func (x *Index[K, V]) Find(key K) (value V, ok bool) {
	// x.hash(key), by hand for the kinds whose hash is one multiply or one
	// call: hash is too big to inline, and calling it would cost a fifth of
	// a hit on an integer key.
	var h uint64
	switch x.kind {
	case kindWord:
		hi, lo := bits.Mul64(wordOf(key)^x.seed, golden)
		h = hi ^ lo
	case kindString:
		h = hashString(key, x.seed)
	case kindInterface:
		h = hashInterface(key, x.seed)
	case kindBuiltin:
		// A nil map too looks the key up, so that an incomparable
		// interface key panics here as it would in a builtin map.
		value, ok = x.m[key]
		return value, ok
	default:
		h = x.hash(key)
	}
	tag, mask := h|1, uint64(len(x.slots)-1)
	for i := h >> x.shift; ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.tag == tag && s.key == key {
			return s.value, true
		}
		if s.tag == 0 {
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
	for i := range x.slots {
		if s := &x.slots[i]; s.tag != 0 && !f(s.key, s.value) {
			return
		}
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

// hashString hashes a key whose type K is a string type with the runtime's
// string hash, the hash of a builtin map[string]V and of maphash.String,
// called directly: maphash.String reaches it three calls deep.
func hashString[K comparable](key K, seed uint64) uint64 {
	return uint64(strhash(unsafe.Pointer(&key), uintptr(seed)))
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
// bits depend on every bit of the key. (Find repeats it by hand: the
// compiler does not inline it into another package's instantiation.)
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

// hashInterface hashes the dynamic value of key, whose type K is an
// interface type, with the hash function of the builtin map.
func hashInterface[K comparable](key K, seed uint64) uint64 {
	e := any(key)
	return uint64(nilinterhash(unsafe.Pointer(&e), uintptr(seed)))
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
