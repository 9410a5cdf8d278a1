package bench

import (
	"fmt"

	"github.com/readmostly/readmostly/asm"
	"github.com/readmostly/readmostly/tests"
)

// A worker is one goroutine's state during a run.
type worker struct {
	// id numbers the workers of a run from 0; it staggers their writes and
	// their starting keys.
	id int
	// quota is the number of operations the worker performs.
	quota int
	// sum accumulates what reads returned, so that no read is dead code.
	sum int
	// writes counts the writes the worker performed.
	writes int
	// bad counts map reads that missed or returned a value nobody stored.
	bad int
}

// A trial is one fresh instance of an implementation, set up for one run of
// one workload.
type trial struct {
	// hold makes the first operation of every worker wait; release, the
	// first timed call, lets them all go at once.
	hold, release func()
	// work runs on a worker's goroutine: it calls ready once it is about to
	// wait for release, then performs w.quota operations.
	work func(w *worker, ready func())
	// check reports a wrong result once all workers are done. Each
	// worker's state is alone in its cache-line block: the harness must not
	// add false sharing to what it measures.
	check func(ws []asm.Padded[worker]) error
}

// Run performs n operations of workload wl on a fresh instance of impl,
// split among the given number of goroutines, and times them with t, which
// it stops while it sets up: the harness of BenchmarkRWMutex in
// golang/go#17973 (tests.RunGated). Every goroutine is started and about to
// wait before t starts; the first timed event releases them all together and
// the last one to finish stops t. With a lock workload the goroutines wait in
// their first read lock on the lock under test, held for writing, and the
// timed Unlock releases them, as in the issue. A map workload's goroutines
// wait on a channel that the timed release closes.
//
// Run returns an error if impl does not serve wl or if the run observed a
// result that a correct implementation cannot produce: a lost write under a
// write lock, or a Load that missed a present key or returned a value that
// was never stored.
func Run(t tests.Timer, impl Impl, wl Workload, goroutines, n int) error {
	if !impl.Serves(wl) {
		return fmt.Errorf("bench: %s does not serve workload %s", impl.Name, wl.Name)
	}
	if goroutines < 1 || n < 0 {
		return fmt.Errorf("bench: Run needs goroutines >= 1 and n >= 0 (got %d, %d)", goroutines, n)
	}
	var tr trial
	var ws []asm.Padded[worker]
	setUp := func() { // untimed: RunGated has stopped t
		tr = impl.trial(wl)
		ws = make([]asm.Padded[worker], goroutines)
		tr.hold()
	}
	tests.RunGated(t, goroutines, n, setUp, func() { tr.release() }, func(g, quota int, ready func()) {
		w := &ws[g].Value
		w.id, w.quota = g, quota
		tr.work(w, ready)
	})
	if err := tr.check(ws); err != nil {
		return fmt.Errorf("bench: %s, %s: %w", impl.Name, wl.Name, err)
	}
	return nil
}

// writeCountdown returns the number of operations before a worker's first
// write: workers start at different points of the period, so that writes
// are spread out rather than all due at once. For a read-only workload it
// returns -1, which counting down never reaches 0 from.
func writeCountdown(wl Workload, w *worker) int {
	if wl.WriteEvery == 0 {
		return -1
	}
	return 1 + w.id%wl.WriteEvery
}

// totalWrites is the number of writes the workers performed.
func totalWrites(ws []asm.Padded[worker]) int {
	total := 0
	for i := range ws {
		total += ws[i].Value.writes
	}
	return total
}
