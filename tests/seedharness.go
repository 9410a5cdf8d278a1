package tests

import (
	"sync"
	"sync/atomic"
	"testing"
)

// RWLocker is the method set of sync.RWMutex that the seed harness drives.
type RWLocker interface {
	Lock()
	Unlock()
	RLock()
	RUnlock()
}

// SeedHarness is the benchmark of golang/go#17973 that the seed documents
// quote: goroutines blocked in RLock on a write-locked mu are released
// together by one Unlock, then share b.N RLock+RUnlock pairs; the time runs
// from the Unlock to the last goroutine's end. Run it with -cpu 1,2,4,... to
// see reads scale, or not, with GOMAXPROCS.
func SeedHarness(b *testing.B, mu RWLocker, goroutines int) {
	b.ReportAllocs()
	b.StopTimer()
	mu.Lock()
	var wg sync.WaitGroup
	wg.Add(goroutines)
	for g := range goroutines {
		quota := b.N / goroutines
		if g == 0 {
			quota += b.N % goroutines
		}
		go func() {
			defer wg.Done()
			for range quota {
				mu.RLock()
				mu.RUnlock()
			}
		}()
	}
	b.StartTimer()
	mu.Unlock()
	wg.Wait()
	b.StopTimer()
}

// MixedWrites is parallel read locking (b.RunParallel) in which every
// goroutine's every'th operation is a Lock+Unlock that increments one word
// of a small array, and the others are RLock+RUnlock around a sum of the
// array: the read-mostly workload with writes that drwmutex's and
// evolution's benchmarks share. every = 100 is 1% writes.
func MixedWrites(b *testing.B, mu RWLocker, every int) {
	b.ReportAllocs()
	var shared [8]int
	var sink atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		i, sum := 0, 0
		for pb.Next() {
			if i++; i%every == 0 {
				mu.Lock()
				shared[i%len(shared)]++
				mu.Unlock()
				continue
			}
			mu.RLock()
			for _, v := range shared {
				sum += v
			}
			mu.RUnlock()
		}
		sink.Add(int64(sum))
	})
}
