//go:build !go1.24

package readindex

import "hash/maphash"

// runComparable has nothing to add before Go 1.24, which brought
// maphash.Comparable.
func runComparable(func(string, func(int) uint64), maphash.Seed, []int, []string, [][16]byte, []pair, []float64) {
}
