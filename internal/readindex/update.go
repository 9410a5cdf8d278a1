package readindex

import (
	"math/bits"
	"unsafe"
)

// An Entry is a key and its value, a store for Update to make.
type Entry[K comparable, V any] struct {
	Key   K
	Value V
}

// Update returns an Index of m, given that m holds the entries of x with
// each key of deletes deleted and then each entry of stores stored, in
// order, as a builtin map would (a later store of a key overwrites an
// earlier one). x is not changed, and may still be read.
//
// Update copies x's table, a copy of memory, and makes each change in the
// copy: a probe for the key, then its slot written, or for a delete the
// slot cleared and the entries behind it in its run moved back (see
// remove), so that a table never holds tombstones. That is far cheaper
// than hashing and placing every entry again, which Update does instead,
// by New(m), where the copy would not be a table New would build: where
// the table would have to grow, or could shrink to a quarter, where the
// changes are more than a quarter of the entries, where x has no table of
// its own, where a store would make a run longer than the bound (New then
// tries new seeds), and, in the direct layout, where a key stored is the
// empty key. A table made by Update therefore has the size, layout, seed
// and bound on runs of one that New could have built.
//
// Update panics if the changes do not account for the number of entries
// in m. Update may keep m, which must not be modified afterwards.
func (x *Index[K, V]) Update(m map[K]V, deletes []K, stores []Entry[K, V]) Index[K, V] {
	if !x.HasTable() || 4*(len(deletes)+len(stores)) > len(m) {
		return New(m)
	}
	if n, size := x.numSlots(), tableSize(len(m), x.direct); n < size || n >= 4*size {
		return New(m) // to grow, or to shrink
	}
	y := *x
	y.slots = x.cloneSlots()
	if !y.direct {
		tags := make([]uint64, len(x.tagSlice()))
		copy(tags, x.tagSlice())
		y.tags = unsafe.SliceData(tags)
	}
	for _, k := range deletes {
		y.remove(k)
	}
	for _, e := range stores {
		if !y.store(e.Key, e.Value) {
			return New(m)
		}
	}
	if y.n != len(m) {
		panic("readindex: Update's changes do not make x's entries those of m")
	}
	return y
}

// tableSize returns the number of slots New gives a table of n entries:
// the smallest power of two at least 2n, and at least two homes, so that
// shift stays below 64 (Find masks it to spare the compiler's check for a
// shift of 64).
func tableSize(n int, direct bool) int {
	size := 8
	if !direct {
		size = 2 * group
	}
	for size < 2*n {
		size *= 2
	}
	return size
}

// home returns the slot (direct) or group (tagged) where the search for key
// starts.
func (x *Index[K, V]) home(key K) uint64 {
	if x.direct {
		return mixWord(wordOf(key), x.seed) >> x.shift
	}
	return x.hash(key) >> x.shift
}

// store sets key's value in x's table, which x owns, and reports false if
// it could not: the key is the direct layout's empty key, or the table has
// a run longer than the bound with it.
func (x *Index[K, V]) store(key K, value V) bool {
	if x.direct {
		if key == x.empty {
			return false
		}
		i := x.home(key)
		for ; x.at(i).key != x.empty; i = (i + 1) & x.mask {
			if x.at(i).key == key {
				x.put(i, key, value) // the key too, as a builtin map does
				return true
			}
		}
		x.put(i, key, value)
		x.n++
		return x.runAround(i) <= x.maxRun()
	}
	tags, h := x.tagSlice(), x.hash(key)
	g := h >> x.shift
	if i, ok := x.locate(key, h); ok {
		x.put(i, key, value)
		return true
	}
	for ^tags[g]&msbs == 0 { // full: the key goes into the first group with room
		g = (g + 1) & x.mask
	}
	j := uint64(bits.TrailingZeros64(^tags[g]&msbs) >> 3)
	tags[g] |= uint64(uint8(h)|0x80) << (8 * j)
	x.put(g*group+j, key, value)
	x.n++
	return ^tags[g]&msbs != 0 || x.runAround(g) <= x.maxRun()
}

// locate returns the index of key's slot in the tagged layout, given the
// key's hash h, and whether the key is there.
func (x *Index[K, V]) locate(key K, h uint64) (uint64, bool) {
	tags := x.tagSlice()
	want := lsbs * uint64(uint8(h)|0x80)
	for g := h >> x.shift; ; g = (g + 1) & x.mask {
		w := tags[g]
		for m := matches(w, want); m != 0; m &= m - 1 {
			if i := g*group + uint64(bits.TrailingZeros64(m)>>3); x.at(i).key == key {
				return i, true
			}
		}
		if ^w&msbs != 0 {
			return 0, false
		}
	}
}

// runAround returns the length of the run of occupied slots (direct) or
// full groups (tagged) that holds home p, which is occupied or full.
func (x *Index[K, V]) runAround(p uint64) int {
	full := func(i uint64) bool {
		if x.direct {
			return x.at(i).key != x.empty
		}
		return ^x.tagSlice()[i]&msbs == 0
	}
	n, homes := 1, int(x.mask)+1
	for i := (p - 1) & x.mask; n < homes && full(i); i = (i - 1) & x.mask {
		n++
	}
	for i := (p + 1) & x.mask; n < homes && full(i); i = (i + 1) & x.mask {
		n++
	}
	return n
}

// remove deletes key from x's table, which x owns, if it is there.
//
// A search stops at the first empty slot (direct) or group with an empty
// slot (tagged), so emptying a slot could hide the entries that were
// placed past it. Rather than leave a tombstone, remove moves back into the
// emptied place the first entry after it in the run whose search passes
// that place, and repeats with the place that entry left, until the run
// ends: the backward-shift deletion of linear probing (Knuth, TAOCP vol. 3,
// 6.4, Algorithm R), applied in the tagged layout to whole groups, whose
// slots a search reads all at once. The table is then as if the key had
// never been stored, so no tombstones pile up and nothing needs counting.
func (x *Index[K, V]) remove(key K) {
	var zero V
	if x.direct {
		if key == x.empty {
			return
		}
		i := x.home(key)
		for ; x.at(i).key != key; i = (i + 1) & x.mask {
			if x.at(i).key == x.empty {
				return
			}
		}
		for j := (i + 1) & x.mask; x.at(j).key != x.empty; j = (j + 1) & x.mask {
			// The entry at j may fill i unless its home lies in (i, j].
			if (j-x.home(x.at(j).key))&x.mask >= (j-i)&x.mask {
				x.move(i, j)
				i = j
			}
		}
		x.put(i, x.empty, zero)
		x.n--
		return
	}
	tags := x.tagSlice()
	i, ok := x.locate(key, x.hash(key))
	if !ok {
		return
	}
	g, j := i/group, i%group
	full := ^tags[g]&msbs == 0
	var none K
	tags[g] &^= 0xff << (8 * j)
	x.put(i, none, zero)
	x.n--
	// Only a full group lets a search go on past it: if g had room, no
	// entry beyond it was placed past it.
	for k := (g + 1) & x.mask; full; k = (k + 1) & x.mask {
		w := tags[k]
		full = ^w&msbs == 0
		for b := w & msbs; b != 0; b &= b - 1 {
			jj := uint64(bits.TrailingZeros64(b) >> 3)
			// An entry of group k whose home is not in (g, k] passed g.
			// (A NaN key, hashed at random, may be moved or not; no
			// search finds it, and it holds no other entry's place.)
			if (k-x.home(x.at(k*group+jj).key))&x.mask >= (k-g)&x.mask {
				tags[g] |= (w >> (8 * jj) & 0xff) << (8 * j)
				x.move(g*group+j, k*group+jj)
				tags[k] &^= 0xff << (8 * jj)
				x.put(k*group+jj, none, zero)
				g, j = k, jj
				break
			}
		}
	}
}
