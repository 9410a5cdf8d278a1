package drwmutex

import "testing"

// The tests' view of the counters, in one place, so that a test of the
// counters' life reads in terms of read locks rather than of central's bit
// fields.

// centralCount is the number of read locks counted in central.
func centralCount(rw *RWMutex) int64 { return countOf(rw.central.Load()) }

// centralBudget is the number of read locks taken through central since the
// last writer.
func centralBudget(rw *RWMutex) int64 { return rw.budget.Load() }

// slotCounts returns every slot's count; nil before the slots exist.
func slotCounts(rw *RWMutex) []int64 {
	r := rw.readers.Load()
	if r == nil {
		return nil
	}
	counts := make([]int64, len(r.slots))
	for i := range r.slots {
		counts[i] = r.slots[i].count.Load()
	}
	return counts
}

// presetSplit moves d read locks' worth of count from slot 0 into central,
// leaving the sum as it was: the state that d read locks taken through
// central and released through a slot, over a process's life, would leave.
func presetSplit(rw *RWMutex, d int64) {
	r := rw.slots()
	rw.central.Add(d * countUnit)
	r.slots[0].count.Add(-d)
}

// presetBudget adds n to the read locks taken through central since the
// last writer, as n read locks would, without counting any.
func presetBudget(rw *RWMutex, n int64) { rw.budget.Add(n) }

// setLoneBias sets loneBias for the rest of the test, after the startup
// measurement that decides it has run, so that the measurement cannot
// overwrite it. A test of the mode switch that expects a lone reader to
// keep the mutex unbiased sets it false; the machine may have measured
// either answer.
func setLoneBias(t testing.TB, on bool) {
	chooseLone()
	prev := loneBias.Load()
	loneBias.Store(on)
	t.Cleanup(func() { loneBias.Store(prev) })
}

// setClock makes clock call read for the rest of the test, so that whether
// a writer leaves a mutex biased (keepBias) depends on what the test says
// the time is.
func setClock(t testing.TB, read func() int64) {
	prev := clock.Load()
	clock.Store(&read)
	t.Cleanup(func() { clock.Store(prev) })
}

// frozenClock is the clock of every test that does not set one: time never
// passes, so no bias has stood as long as it took to earn, and every writer
// makes the mutex unbiased, as the tests of the mode switch expect however
// slowly the machine runs them. Benchmarks run on the runtime's clock
// (realClock).
func frozenClock() int64 { return 1 }

// realClock puts the runtime's clock back for a benchmark.
func realClock(b *testing.B) { setClock(b, nanotime) }
