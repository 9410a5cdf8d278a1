package tests

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// StressTime returns how long a stress loop should run: d normally, a tenth
// of d under -short.
func StressTime(d time.Duration) time.Duration {
	if testing.Short() {
		return d / 10
	}
	return d
}

// Hammer runs body concurrently in workers goroutines, each calling it with
// its worker number and an iteration count that starts at 0, until d has
// passed, some body returns false, or the test has failed; each worker
// makes at least one iteration. It returns the
// number of completed iterations of each worker. Hammer waits for every
// worker before it returns, so it leaves no goroutine behind.
//
// The clock is read every 64 iterations, so body should be short.
func Hammer(tb testing.TB, d time.Duration, workers int, body func(worker, i int) bool) []int {
	tb.Helper()
	deadline := time.Now().Add(d)
	var stop atomic.Bool
	counts := make([]int, workers)
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := range workers {
		go func() {
			defer wg.Done()
			// Every worker makes at least one iteration, even one that
			// a loaded machine starts after the deadline.
			i := 0
			for {
				if !body(w, i) {
					stop.Store(true)
					break
				}
				i++
				if i%64 == 0 && (time.Now().After(deadline) || tb.Failed()) {
					stop.Store(true)
				}
				if stop.Load() {
					break
				}
			}
			counts[w] = i
		}()
	}
	wg.Wait()
	return counts
}
