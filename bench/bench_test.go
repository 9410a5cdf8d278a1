package bench

import (
	"fmt"
	"testing"
)

// The benchmarks below are cmd/contention's grid as ordinary Go benchmarks,
// for benchstat and -cpu lists:
//
//	go -C bench test -run '^$' -bench 'Lock/read/' -cpu 1,2,4 -count 5
//
// Sub-benchmarks are named workload/implementation/g=goroutines; the -cpu
// suffix is GOMAXPROCS.

var benchGoroutines = []int{1, 4, 16, 64, 256}

func BenchmarkLock(b *testing.B) { benchmarkKind(b, LockKind) }
func BenchmarkMap(b *testing.B)  { benchmarkKind(b, MapKind) }

func benchmarkKind(b *testing.B, k Kind) {
	for _, wl := range Workloads() {
		if wl.Kind != k {
			continue
		}
		for _, impl := range Impls() {
			if !impl.Serves(wl) {
				continue
			}
			for _, g := range benchGoroutines {
				b.Run(fmt.Sprintf("%s/%s/g=%d", wl.Name, impl.Name, g), func(b *testing.B) {
					b.ReportAllocs()
					if err := Run(b, impl, wl, g, b.N); err != nil {
						b.Fatal(err)
					}
				})
			}
		}
	}
}
