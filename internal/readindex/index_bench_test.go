package readindex

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"testing"
	"unsafe"
)

var sinkInt int

const benchKeys = 1024 // a power of two: i&(benchKeys-1) cycles through the keys

// benchFind measures a hit in an Index of benchKeys keys of one type against
// the same lookup in a builtin map, on one goroutine.
func benchFind[K comparable](b *testing.B, key func(int) K) {
	m := numbered(benchKeys, key)
	keys := make([]K, benchKeys)
	for k, i := range m {
		keys[i] = k
	}
	run := func(name string, find func(K) (int, bool)) {
		b.Run(name, func(b *testing.B) {
			sum := 0
			b.ResetTimer()
			for i := range b.N {
				v, ok := find(keys[i&(benchKeys-1)])
				if !ok {
					b.Fatalf("key %d missing", i&(benchKeys-1))
				}
				sum += v
			}
			sinkInt = sum
		})
	}
	x := New(m)
	name := "index=" + kindNames[x.kind]
	switch {
	case x.Direct():
		name += "/direct"
	case x.HasTable():
		name += "/tagged"
	}
	run(name, x.Find)
	run("builtin-map", func(k K) (int, bool) { v, ok := m[k]; return v, ok })
}

// BenchmarkHash compares each kind's hash with maphash.String and, built with
// Go 1.24 or later, maphash.Comparable: the general hashes the standard
// library offers, on the same keys.
func BenchmarkHash(b *testing.B) {
	seed, hseed := rand.Uint64(), maphash.MakeSeed()
	ints := make([]int, benchKeys)
	strs := make([]string, benchKeys)
	arrays := make([][16]byte, benchKeys)
	pairs := make([]pair, benchKeys)
	floats := make([]float64, benchKeys)
	longs := make([]string, benchKeys)
	for i := range benchKeys {
		ints[i], strs[i] = i, fmt.Sprintf("user:%08d", i)
		arrays[i], pairs[i] = [16]byte{0: byte(i), 9: byte(i >> 8)}, pair{i, -i}
		floats[i], longs[i] = float64(i)/3, fmt.Sprintf("/usr/share/doc/package-%08d", i)
	}
	run := func(name string, h func(i int) uint64) {
		b.Run(name, func(b *testing.B) {
			var sum uint64
			b.ResetTimer()
			for i := range b.N {
				sum += h(i & (benchKeys - 1))
			}
			sinkInt = int(sum)
		})
	}
	run("key=int/mixWord", func(i int) uint64 { return mixWord(wordOf(ints[i]), seed) })
	run("key=string/hashString", func(i int) uint64 { return hashString(strs[i], seed) })
	run("key=string/strhash", func(i int) uint64 { return uint64(strhash(unsafe.Pointer(&strs[i]), uintptr(seed))) })
	run("key=string/maphash.String", func(i int) uint64 { return maphash.String(hseed, strs[i]) })
	run("key=string29/hashString", func(i int) uint64 { return hashString(longs[i], seed) })
	run("key=string29/maphash.String", func(i int) uint64 { return maphash.String(hseed, longs[i]) })
	run("key=float64/hashFloat", func(i int) uint64 { return hashFloat(floats[i], seed, false) })
	run("key=[16]byte/hashMemory", func(i int) uint64 { return hashMemory(unsafe.Pointer(&arrays[i]), 16, seed) })
	run("key=struct{a,b int}/hashMemory", func(i int) uint64 { return hashMemory(unsafe.Pointer(&pairs[i]), 16, seed) })
	runComparable(run, hseed, ints, strs, arrays, pairs, floats)
}

var kindNames = map[kind]string{
	kindBuiltin: "builtin", kindWord: "word", kindMemory: "memory",
	kindString: "string", kindInterface: "interface", kindFloat: "float", kindComplex: "complex",
}

func BenchmarkFind(b *testing.B) {
	b.Run("key=int", func(b *testing.B) { benchFind(b, func(i int) int { return i }) })
	b.Run("key=string", func(b *testing.B) {
		benchFind(b, func(i int) string { return fmt.Sprintf("user:%08d", i) })
	})
	b.Run("key=[16]byte", func(b *testing.B) {
		benchFind(b, func(i int) [16]byte { return [16]byte{0: byte(i), 9: byte(i >> 8)} })
	})
	b.Run("key=struct{a,b int}", func(b *testing.B) {
		benchFind(b, func(i int) pair { return pair{i, -i} })
	})
	b.Run("key=float64", func(b *testing.B) { benchFind(b, func(i int) float64 { return float64(i) / 3 }) })
	b.Run("key=struct{s string; n int}", func(b *testing.B) {
		benchFind(b, func(i int) withString { return withString{"k", i} })
	})
	b.Run("key=any", func(b *testing.B) { benchFind(b, func(i int) any { return i }) })
}

// BenchmarkNew is the cost of indexing n entries, as a syncmap promotion and
// every atomicvalue.Cache write pay it, against building a builtin map of
// the same entries by inserting them.
func BenchmarkNew(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		ints := numbered(n, func(i int) int { return i })
		strs := numbered(n, func(i int) string { return fmt.Sprintf("user:%08d", i) })
		b.Run(fmt.Sprintf("key=int/n=%d/New", n), func(b *testing.B) { benchNew(b, ints) })
		b.Run(fmt.Sprintf("key=int/n=%d/builtin-map", n), func(b *testing.B) { benchInsert(b, ints) })
		b.Run(fmt.Sprintf("key=string/n=%d/New", n), func(b *testing.B) { benchNew(b, strs) })
		b.Run(fmt.Sprintf("key=string/n=%d/builtin-map", n), func(b *testing.B) { benchInsert(b, strs) })
	}
}

func benchNew[K comparable](b *testing.B, m map[K]int) {
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		x := New(m)
		sinkInt += x.Len()
	}
}

func benchInsert[K comparable](b *testing.B, m map[K]int) {
	entries := make([]struct {
		k K
		v int
	}, 0, len(m))
	for k, v := range m {
		entries = append(entries, struct {
			k K
			v int
		}{k, v})
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.ResetTimer()
	for range b.N {
		c := make(map[K]int, len(entries))
		for _, e := range entries {
			c[e.k] = e.v
		}
		sinkInt += len(c)
	}
}

// BenchmarkUpdate is the cost of an Index of n entries with one value
// changed, made by Update from the Index before it (a copy of the table and
// one store), against New, the build that Update spares.
func BenchmarkUpdate(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		ints := numbered(n, func(i int) int { return i })
		strs := numbered(n, func(i int) string { return fmt.Sprintf("user:%08d", i) })
		b.Run(fmt.Sprintf("key=int/n=%d/Update", n), func(b *testing.B) { benchUpdate(b, ints, n/2) })
		b.Run(fmt.Sprintf("key=string/n=%d/Update", n), func(b *testing.B) { benchUpdate(b, strs, fmt.Sprintf("user:%08d", n/2)) })
	}
}

func benchUpdate[K comparable](b *testing.B, m map[K]int, key K) {
	x := New(m)
	if !x.HasTable() {
		b.Fatal("no table")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		// m is not kept: New of these key types builds a table.
		m[key] = i
		y := x.Update(m, nil, []Entry[K, int]{{key, i}})
		sinkInt += y.Len()
	}
}
