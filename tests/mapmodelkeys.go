package tests

import (
	"fmt"
	"math"
	"sync/atomic"
)

// A KeySpace names the keys of one key type that stand for the model's int
// keys, so that the model, fuzz and linearizability checks written for int
// keys can drive maps of any comparable key type.
//
// Key(i, false) and Key(i, true) must be equal (==) but should be built
// apart, so that a map that compares keys by address or by their bytes, not
// by ==, is caught: equal strings with different data pointers, +0 and -0, an
// interface holding a copy. Keys of different i must be unequal.
type KeySpace[K comparable] struct {
	Name string
	Key  func(i int, alias bool) K
}

// maxKeyedKey bounds the model keys a KeyedMap maps; the model's runs use
// fewer (modelKeys, and the fuzzer's keys below 16).
const maxKeyedKey = 64

// KeyedMap presents a SyncMap[K, int] as a SyncMap[int, int] through a
// KeySpace: model key i is ks.Key(i, alias), alias alternating from call to
// call. A key that Range yields is mapped back by a builtin map of the
// KeySpace's keys, so Range fails loudly on a key the model never stored.
func KeyedMap[K comparable](m SyncMap[K, int], ks KeySpace[K]) SyncMap[int, int] {
	back := make(map[K]int, maxKeyedKey)
	for i := range maxKeyedKey {
		k := ks.Key(i, false)
		if j, dup := back[k]; dup {
			panic(fmt.Sprintf("tests: KeySpace %s maps %d and %d to one key %v", ks.Name, j, i, k))
		}
		if k2 := ks.Key(i, true); k2 != k {
			panic(fmt.Sprintf("tests: KeySpace %s: key %d's alias %v differs from %v", ks.Name, i, k2, k))
		}
		back[k] = i
	}
	return &keyedMap[K]{m: m, ks: ks, back: back}
}

type keyedMap[K comparable] struct {
	m     SyncMap[K, int]
	ks    KeySpace[K]
	back  map[K]int
	calls atomic.Uint32 // picks the alias: safe for concurrent callers
}

func (a *keyedMap[K]) key(i int) K {
	if i < 0 || i >= maxKeyedKey {
		panic(fmt.Sprintf("tests: model key %d outside a KeyedMap's 0..%d", i, maxKeyedKey-1))
	}
	return a.ks.Key(i, a.calls.Add(1)%2 == 0)
}

func (a *keyedMap[K]) Load(k int) (int, bool)           { return a.m.Load(a.key(k)) }
func (a *keyedMap[K]) Store(k, v int)                   { a.m.Store(a.key(k), v) }
func (a *keyedMap[K]) LoadOrStore(k, v int) (int, bool) { return a.m.LoadOrStore(a.key(k), v) }
func (a *keyedMap[K]) LoadAndDelete(k int) (int, bool)  { return a.m.LoadAndDelete(a.key(k)) }
func (a *keyedMap[K]) Delete(k int)                     { a.m.Delete(a.key(k)) }
func (a *keyedMap[K]) Swap(k, v int) (int, bool)        { return a.m.Swap(a.key(k), v) }
func (a *keyedMap[K]) CompareAndSwap(k, old, new int) bool {
	return a.m.CompareAndSwap(a.key(k), old, new)
}
func (a *keyedMap[K]) CompareAndDelete(k, old int) bool { return a.m.CompareAndDelete(a.key(k), old) }
func (a *keyedMap[K]) Clear()                           { a.m.Clear() }
func (a *keyedMap[K]) Range(f func(k, v int) bool) {
	a.m.Range(func(k K, v int) bool {
		i, ok := a.back[k]
		if !ok {
			panic(fmt.Sprintf("tests: Range yielded %v, not a key of KeySpace %s", k, a.ks.Name))
		}
		return f(i, v)
	})
}

// Pair is a two-int struct key.
type Pair struct{ A, B int }

// Named keys of the kinds a read index hashes differently: its word hash
// (Int, Int8), its string hash, its bytewise hash of longer keys (Bytes16,
// Pairs), the runtime's hash of interfaces (Mixed) and the hash of
// floats, where == is not bytewise (Float64: key 0 is +0 and its alias -0).
var (
	IntKeys = KeySpace[int]{"int", func(i int, _ bool) int { return i*7919 - 100 }}
	// Int8Keys spreads the model keys over the whole int8 range.
	Int8Keys   = KeySpace[int8]{"int8", func(i int, _ bool) int8 { return int8(i*37 - 128) }}
	StringKeys = KeySpace[string]{"string", func(i int, alias bool) string {
		if alias {
			return string([]byte(fmt.Sprintf("key/%03d", i))) // same bytes, other address
		}
		return fmt.Sprintf("key/%03d", i)
	}}
	Bytes16Keys = KeySpace[[16]byte]{"[16]byte", func(i int, _ bool) [16]byte {
		var k [16]byte
		k[0], k[15] = byte(i), byte(i*3) // differ at both ends
		return k
	}}
	PairKeys    = KeySpace[Pair]{"struct{a, b int}", func(i int, _ bool) Pair { return Pair{i % 5, i / 5} }}
	Float64Keys = KeySpace[float64]{"float64", func(i int, alias bool) float64 {
		if i == 0 && alias {
			return math.Copysign(0, -1)
		}
		return float64(i) * 0.5
	}}
	MixedKeys = KeySpace[any]{"any", func(i int, alias bool) any {
		// Dynamic types that differ, with values that would collide if
		// types were ignored (int 3, int8 3, uint 3).
		switch i % 6 {
		case 0:
			return i
		case 1:
			return int8(i)
		case 2:
			return StringKeys.Key(i, alias)
		case 3:
			return Float64Keys.Key(i-3, alias) // key 3 is +0 or -0
		case 4:
			return Pair{i, -i}
		}
		return uint(i)
	}}
)
