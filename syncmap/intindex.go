package syncmap

import (
	"math/bits"
	"math/rand/v2"
	"reflect"
	"unsafe"
)

// The read view never changes once published, so it need not be a builtin
// map: any index that answers "which entry holds this key" will do, and it can
// be built for lookups alone. For integer keys this package builds an
// open-addressing table with linear probing, half full at most, hashed by one
// multiply-fold of the key (homeSlot). It saves most of a builtin map
// lookup's cost (BenchmarkLoadHitsInt in docs/benchmarks.md); the entries
// it points to, and so the algorithm, are the same.
//
// Other key types keep the builtin map: hashing them needs the runtime's
// hasher, which the standard library exposes only through
// maphash.Comparable, and that makes an interface key escape, so a Load of a
// Map[any, any] would allocate.

// intIndex is an immutable open-addressing table from integer keys to
// entries.
type intIndex[K comparable, V any] struct {
	slots []intSlot[K, V] // len is a power of two, at least twice the entries
	mask  uint64          // len(slots) - 1
	shift uint            // 64 - log2(len(slots)): a hash's top bits pick its home slot
	seed  uint64          // random per table, so that no key set is slow for every table
	n     int             // number of entries
}

// intSlot holds one key and its entry; e == nil marks an empty slot.
type intSlot[K comparable, V any] struct {
	key K
	e   *entry[V]
}

// clusterLimit bounds the run of occupied slots a lookup in a table of size
// slots may have to scan, hit or miss. In a half-full table with random
// hashing the longest run grows as the logarithm of the size, about
// ln(size)/0.19 (linear probing's bound at load 1/2), which is under half of
// this limit; buildIntIndex retries with a new seed when a run is longer, and
// gives up on the table (the caller keeps the builtin map) if that keeps
// happening.
func clusterLimit(size int) int {
	return 8 * bits.Len(uint(size))
}

// isIntKey reports whether K is an integer type, whose values intBits
// reads exactly.
func isIntKey[K comparable]() bool {
	switch reflect.TypeFor[K]().Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// intBits returns the bits of an integer key. The switch is on a size the
// compiler knows for each instantiation, so only one case remains.
func intBits[K comparable](k K) uint64 {
	switch unsafe.Sizeof(k) {
	case 8:
		return *(*uint64)(unsafe.Pointer(&k))
	case 4:
		return uint64(*(*uint32)(unsafe.Pointer(&k)))
	case 2:
		return uint64(*(*uint16)(unsafe.Pointer(&k)))
	case 1:
		return uint64(*(*uint8)(unsafe.Pointer(&k)))
	}
	panic("syncmap: intBits of a key that is not an integer")
}

// homeSlot returns the slot where the search for an integer key starts. It
// mixes the key's bits with the seed by a 64x64→128-bit multiply whose halves
// are folded together, the mixing step of wyhash, and takes the top bits,
// which depend on every bit of the key. Multiplying by 2^64/φ, as Fibonacci
// hashing does, also spreads runs of consecutive keys evenly, the common case
// of integer keys: their longest run of occupied slots stays a few slots long
// where a random hash gives dozens.
func (x *intIndex[K, V]) homeSlot(bits64 uint64) uint64 {
	hi, lo := bits.Mul64(bits64^x.seed, 0x9e3779b97f4a7c15)
	return (hi ^ lo) >> x.shift
}

// buildIntIndex returns a table holding the entries of m, or nil if no
// random seed tried gave runs of occupied slots short enough.
func buildIntIndex[K comparable, V any](m map[K]*entry[V]) *intIndex[K, V] {
	size := uint64(8)
	for size < 2*uint64(len(m)) {
		size *= 2
	}
	for range 4 {
		x := &intIndex[K, V]{
			slots: make([]intSlot[K, V], size),
			mask:  size - 1,
			shift: uint(64 - bits.TrailingZeros64(size)),
			seed:  rand.Uint64(),
			n:     len(m),
		}
		for k, e := range m {
			i := x.homeSlot(intBits(k))
			for x.slots[i].e != nil {
				i = (i + 1) & x.mask
			}
			x.slots[i] = intSlot[K, V]{k, e}
		}
		if x.longestCluster() <= clusterLimit(len(x.slots)) {
			return x
		}
	}
	return nil
}

// longestCluster returns the length of the longest run of occupied slots,
// counting a run that wraps around the end.
func (x *intIndex[K, V]) longestCluster() int {
	longest, run := 0, 0
	for i := range 2 * len(x.slots) {
		if x.slots[i&int(x.mask)].e == nil {
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

func (x *intIndex[K, V]) find(key K) (e *entry[V], ok bool) {
	for i := x.homeSlot(intBits(key)); ; i = (i + 1) & x.mask {
		s := &x.slots[i]
		if s.e == nil {
			return nil, false
		}
		if s.key == key {
			return s.e, true
		}
	}
}
