//go:build go1.24

package readindex

import "hash/maphash"

// runComparable adds BenchmarkHash's maphash.Comparable cases, which need
// Go 1.24.
func runComparable(run func(string, func(int) uint64), seed maphash.Seed,
	ints []int, strs []string, arrays [][16]byte, pairs []pair, floats []float64) {
	run("key=int/maphash.Comparable", func(i int) uint64 { return maphash.Comparable(seed, ints[i]) })
	run("key=string/maphash.Comparable", func(i int) uint64 { return maphash.Comparable(seed, strs[i]) })
	run("key=[16]byte/maphash.Comparable", func(i int) uint64 { return maphash.Comparable(seed, arrays[i]) })
	run("key=struct{a,b int}/maphash.Comparable", func(i int) uint64 { return maphash.Comparable(seed, pairs[i]) })
	run("key=float64/maphash.Comparable", func(i int) uint64 { return maphash.Comparable(seed, floats[i]) })
}
