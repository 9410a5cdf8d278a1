package drwmutex

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/readmostly/readmostly/tests"
)

// impls are the locks the benchmarks drive, through one interface so that
// RWMutex and sync.RWMutex run the same loops.
var impls = []struct {
	name string
	new  func() tests.RWLocker
}{
	{"sync", func() tests.RWLocker { return new(sync.RWMutex) }},
	{"drwmutex", func() tests.RWLocker { return new(RWMutex) }},
}

// BenchmarkRLock is parallel RLock+RUnlock with no writer.
func BenchmarkRLock(b *testing.B) {
	realClock(b)
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			mu := impl.new()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					mu.RLock()
					mu.RUnlock()
				}
			})
		})
	}
	b.Run("drwmutex-RLocker", func(b *testing.B) {
		b.ReportAllocs()
		var mu RWMutex
		b.RunParallel(func(pb *testing.PB) {
			h := mu.RLocker()
			for pb.Next() {
				h.Lock()
				h.Unlock()
			}
		})
	})
}

// BenchmarkLock is Lock+Unlock on one goroutine, on a mutex that is never
// read: the cost write-only code pays after moving from sync.RWMutex.
// drwmutex-slots is a mutex that was read-biased once and is only written
// since, which has slots to count and fold on every write.
func BenchmarkLock(b *testing.B) {
	realClock(b)
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			mu := impl.new()
			b.ResetTimer()
			for range b.N {
				mu.Lock()
				mu.Unlock()
			}
		})
	}
	b.Run("drwmutex-slots", func(b *testing.B) {
		b.ReportAllocs()
		var rw RWMutex
		rw.RLocker() // allocates the slots, as turning biased does
		var mu tests.RWLocker = &rw
		b.ResetTimer()
		for range b.N {
			mu.Lock()
			mu.Unlock()
		}
	})
}

// BenchmarkLockBiased is the write lock that finds the mutex biased, the
// one that pays for the fence: each iteration spends the rebias budget, so
// that one overlapping read lock turns the mutex biased, and then locks for
// writing.
// Run it with READMOSTLY_FENCE=atomic and =membarrier to see what the
// membarrier fence adds. In the -busy variant another goroutine spins on
// the other P meanwhile, as a reader of a read-mostly mutex would be, so
// that the fence interrupts a running thread rather than an idle CPU.
func BenchmarkLockBiased(b *testing.B) {
	realClock(b)
	name, _ := Fence()
	for _, busy := range []bool{false, true} {
		sub := name
		if busy {
			sub += "-busy"
		}
		b.Run(sub, func(b *testing.B) {
			if runtime.GOMAXPROCS(0) == 1 {
				b.Skip("with one P a mutex stays unbiased")
			}
			setLoneBias(b, false) // so that only the overlapping read lock spends
			b.ReportAllocs()
			if busy {
				var stop atomic.Bool
				done := make(chan struct{})
				go func() {
					defer close(done)
					for !stop.Load() {
					}
				}()
				defer func() { stop.Store(true); <-done }()
			}
			var rw RWMutex
			b.ResetTimer()
			for range b.N {
				presetBudget(&rw, rebiasAfter-1-centralBudget(&rw))
				rw.RLock()
				rw.RLock() // the last read lock of the budget, beside another
				rw.RUnlock()
				rw.RUnlock()
				if rw.biased() == nil {
					b.Fatal("the read locks did not turn the mutex biased")
				}
				rw.Lock()
				rw.Unlock()
			}
			b.StopTimer()
			if rw.biased() != nil {
				b.Fatal("a writer left the mutex biased")
			}
		})
	}
}

// BenchmarkRLockAlone is RLock+RUnlock on one goroutine, whatever
// GOMAXPROCS is. drwmutex keeps such a mutex unbiased unless LoneReaders
// says otherwise; drwmutex-lone-biased turns it biased whatever the
// machine measured, as on one where that was cheaper (it needs the
// membarrier fence), to show what the measurement chose between.
func BenchmarkRLockAlone(b *testing.B) {
	realClock(b)
	for _, impl := range impls {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			mu := impl.new()
			b.ResetTimer()
			for range b.N {
				mu.RLock()
				mu.RUnlock()
			}
		})
	}
	b.Run("drwmutex-lone-biased", func(b *testing.B) {
		if name, why := Fence(); name != fenceMembarrier {
			b.Skipf("the membarrier fence is not in use here: %s", why)
		}
		setLoneBias(b, true)
		b.ReportAllocs()
		var rw RWMutex
		var mu tests.RWLocker = &rw
		for range rebiasAfter {
			mu.RLock()
			mu.RUnlock()
		}
		if rw.biased() == nil {
			b.Fatal("the mutex did not turn biased")
		}
		b.ResetTimer()
		for range b.N {
			mu.RLock()
			mu.RUnlock()
		}
	})
}

// BenchmarkWrites is parallel read locking with one Lock+Unlock in every
// `every` operations (0.01% to 10% of them), readers doing a little work
// under the lock.
func BenchmarkWrites(b *testing.B) {
	realClock(b)
	for _, every := range []int{10000, 1000, 100, 10} {
		for _, impl := range impls {
			b.Run(fmt.Sprintf("%g%%/%s", 100/float64(every), impl.name), func(b *testing.B) {
				tests.MixedWrites(b, impl.new(), every)
			})
		}
	}
}

// BenchmarkSeedHarness is the benchmark from golang/go#17973
// (tests.SeedHarness), for sync.RWMutex and RWMutex.
func BenchmarkSeedHarness(b *testing.B) {
	realClock(b)
	for _, impl := range impls {
		for ng := 1; ng <= 256; ng *= 4 {
			b.Run(fmt.Sprintf("%s/%d", impl.name, ng), func(b *testing.B) {
				tests.SeedHarness(b, impl.new(), ng)
			})
		}
	}
}

// BenchmarkDirect is what a program that swapped its sync.RWMutex compiles:
// method calls on the concrete type, which the compiler may inline, where
// the benchmarks above call through tests.RWLocker and inline nothing. The
// loops are written once per type because a generic one would call through
// a dictionary. read is parallel RLock+RUnlock; alone, the same on one
// goroutine at whatever GOMAXPROCS is; lock, Lock+Unlock on one goroutine of
// a mutex never read; write1 and write10, read with 1% and 10% Lock+Unlock.
func BenchmarkDirect(b *testing.B) {
	realClock(b)
	for _, w := range []struct {
		name  string
		every int // a Lock+Unlock every every'th operation; 0: never
		alone bool
	}{{"read", 0, false}, {"alone", 0, true}, {"write1", 100, false}, {"write10", 10, false}} {
		b.Run(w.name+"/sync", func(b *testing.B) { directSync(b, w.every, w.alone) })
		b.Run(w.name+"/drwmutex", func(b *testing.B) { directDRW(b, w.every, w.alone) })
	}
	b.Run("lock/sync", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.RWMutex
		for range b.N {
			mu.Lock()
			mu.Unlock()
		}
	})
	b.Run("lock/drwmutex", func(b *testing.B) {
		b.ReportAllocs()
		var mu RWMutex
		for range b.N {
			mu.Lock()
			mu.Unlock()
		}
	})
}

// directSync and directDRW are one loop, spelled out for each type (see
// BenchmarkDirect); the critical sections are tests.MixedWrites'.
func directSync(b *testing.B, every int, alone bool) {
	b.ReportAllocs()
	var mu sync.RWMutex
	var shared [8]int
	body := func(pb *testing.PB, n int) (sum int) {
		for i := 1; more(pb, i, n); i++ {
			if every != 0 && i%every == 0 {
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
		return sum
	}
	runDirect(b, alone, body)
}

func directDRW(b *testing.B, every int, alone bool) {
	b.ReportAllocs()
	var mu RWMutex
	var shared [8]int
	body := func(pb *testing.PB, n int) (sum int) {
		for i := 1; more(pb, i, n); i++ {
			if every != 0 && i%every == 0 {
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
		return sum
	}
	runDirect(b, alone, body)
}

// runDirect runs body for b.N operations on one goroutine (alone, with pb
// nil) or under b.RunParallel.
func runDirect(b *testing.B, alone bool, body func(pb *testing.PB, n int) int) {
	var sink atomic.Int64
	if alone {
		b.ResetTimer()
		sink.Add(int64(body(nil, b.N)))
		return
	}
	b.RunParallel(func(pb *testing.PB) { sink.Add(int64(body(pb, 0))) })
}

// more reports whether operation i is to run: the next of pb's, or one of
// the first n without pb.
func more(pb *testing.PB, i, n int) bool {
	if pb == nil {
		return i <= n
	}
	return pb.Next()
}
