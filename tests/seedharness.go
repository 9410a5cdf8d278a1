package tests

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// A Timer is started and stopped around the timed part of a run. *testing.B
// is one; bench/cmd/contention brings a stopwatch.
type Timer interface {
	StartTimer()
	StopTimer()
}

// RunGated is the harness of BenchmarkRWMutex in golang/go#17973, for any
// workload: it splits n operations among the given number of goroutines and
// times them with t from one release to the last goroutine's end.
//
// RunGated stops t, calls hold (which may also set up, untimed), and starts
// the goroutines; goroutine g (numbered from 0) runs work(g, quota, ready),
// which must call ready once it is about to wait for the release and then
// perform quota operations. The quotas add up to n. Once every goroutine has
// called ready, RunGated starts t and calls release, the first timed event,
// which must let every goroutine go; once the last work returns, it stops t.
// With a lock, hold takes it for writing and release unlocks it, so that
// each goroutine's first read lock waits, as in the issue.
//
// RunGated panics unless goroutines >= 1 and n >= 0. The goroutines' own
// state is the caller's: it should keep each goroutine's on cache lines of
// its own (asm.Padded), or the harness adds false sharing to what it
// measures, as b.RunParallel's counters can on small virtual machines.
func RunGated(t Timer, goroutines, n int, hold, release func(), work func(g, quota int, ready func())) {
	if goroutines < 1 || n < 0 {
		panic(fmt.Sprintf("tests: RunGated needs goroutines >= 1 and n >= 0 (got %d, %d)", goroutines, n))
	}
	t.StopTimer()
	var ready, done sync.WaitGroup
	ready.Add(goroutines)
	done.Add(goroutines)
	hold()
	for g := range goroutines {
		quota := n / goroutines
		if g < n%goroutines {
			quota++
		}
		go func() {
			defer done.Done()
			work(g, quota, ready.Done)
		}()
	}
	ready.Wait()
	t.StartTimer()
	release()
	done.Wait()
	t.StopTimer()
}

// SeedHarness is BenchmarkRWMutex of golang/go#17973 as the issue wrote it:
// goroutines blocked in RLock on a write-locked mu are released together by
// one Unlock, then share b.N RLock+RUnlock pairs (RunGated). Run it with
// -cpu 1,2,4,... to see reads scale, or not, with GOMAXPROCS.
func SeedHarness(b *testing.B, mu RWLocker, goroutines int) {
	b.ReportAllocs()
	RunGated(b, goroutines, b.N, mu.Lock, mu.Unlock, func(_, quota int, ready func()) {
		ready()
		for range quota {
			mu.RLock()
			//lint:ignore SA2001 the empty critical section is the workload
			mu.RUnlock()
		}
	})
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
