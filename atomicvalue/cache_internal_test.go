package atomicvalue

import (
	"fmt"
	"testing"
)

var sinkMap map[int]int

// BenchmarkCopyForWrite backs copyForWrite's choice of maps.Clone: it
// compares it with building a presized map and inserting every entry again,
// for batches of new keys from a tenth of the map up to its whole size.
func BenchmarkCopyForWrite(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		old := make(map[int]int, n)
		for k := range n {
			old[k] = k
		}
		for _, extra := range []int{1, n / 10, n} {
			b.Run(fmt.Sprintf("entries=%d/new=%d/copy=Clone", n, extra), func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					next := copyForWrite(old, extra)
					for i := range extra {
						next[n+i] = i
					}
					sinkMap = next
				}
			})
			b.Run(fmt.Sprintf("entries=%d/new=%d/copy=reinsert", n, extra), func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					next := make(map[int]int, n+extra)
					for k, v := range old {
						next[k] = v
					}
					for i := range extra {
						next[n+i] = i
					}
					sinkMap = next
				}
			})
		}
	}
}
