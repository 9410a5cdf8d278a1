package asm

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkCurrent measures one Current call under each supported strategy.
func BenchmarkCurrent(b *testing.B) {
	for _, info := range Report() {
		if !info.Supported {
			continue
		}
		b.Run(info.Strategy.String(), func(b *testing.B) {
			b.ReportAllocs()
			prev := active.Load()
			defer active.Store(prev)
			// Benchmark what Current does even for strategies that did
			// not validate: their cost is still worth knowing.
			active.Store(uint32(info.Strategy))
			sink := 0
			b.ResetTimer()
			for range b.N {
				sink += Current()
			}
			benchSink.Store(int64(sink))
		})
	}
}

var benchSink atomic.Int64

// BenchmarkDetection measures what detection costs once: probing the
// features, pinning to every allowed CPU to validate, and timing each
// supported strategy. It does not change the active strategy.
func BenchmarkDetection(b *testing.B) {
	for range b.N {
		newDetection()
	}
}

// BenchmarkFalseSharing has two goroutines increment two counters that lie
// 8, 64 and 128 bytes apart. 8 is one shared line; 64 is two lines of one
// 128-byte pair, which an adjacent-line prefetcher still moves together; 128
// is what CacheLineSize keeps. Run with -cpu 2 or more.
func BenchmarkFalseSharing(b *testing.B) {
	for _, distance := range []int{8, 64, CacheLineSize} {
		b.Run(fmt.Sprintf("distance=%d", distance), func(b *testing.B) {
			// 64 counters = 512 bytes, a size class the allocator aligns
			// to 512 bytes, so index 0 starts a 128-byte block.
			counters := make([]atomic.Int64, 64)
			workers := min(runtime.GOMAXPROCS(0), 2)
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := &counters[w*distance/8]
					for range b.N / workers {
						c.Add(1)
					}
				}()
			}
			wg.Wait()
		})
	}
}
