package drwmutex

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/readmostly/readmostly/asm"
)

// The fence is how a biased reader's count is ordered before its look at
// the writer's flag. With the atomic fence the count is a LOCK-prefixed
// add, itself a full barrier. With the membarrier fence the reader adds to
// a counter that only its P writes, with a plain add and no barrier, and a
// writer that finds the mutex biased pays for the order instead: after it
// announces itself, and again after it sets its sleeping bit, it has every
// running thread of the process execute a full memory barrier
// (membarrier(2), MEMBARRIER_CMD_PRIVATE_EXPEDITED), so that a count it
// could miss was made after that barrier, and the reader that made it sees
// the writer. This is the asymmetric fence of Linux's percpu_rw_semaphore
// (whose writer waits for an RCU grace period instead), of liburcu's memb
// flavour and of folly's asymmetricHeavyBarrier.
//
// Under the membarrier fence RLock, RUnlock and TryRLock of a biased mutex
// find their counter by P index, whatever CPU strategy package asm uses:
// pinning to the P is what makes the plain add safe, and it also answers
// "which slot". The strategy still chooses the slot of an RLocker handle,
// and every slot under the atomic fence. With Go 1.26 on linux/amd64,
// RLock and RUnlock hold the P without pinning: their biased paths are
// then single assembly functions (owned_amd64.s), which the scheduler
// cannot preempt, and whose instructions the processor sees in the order
// written, the plain add before the loads, with no compiler in between.
//
// The release side needs no barrier because x86 stores become visible in
// program order and after every earlier load: a reader's critical section
// is complete before its decrement is seen. That is why the membarrier
// fence is used on linux/amd64 only.

// The membarrier call is cheap while no other thread of the process runs,
// and dear while one does: the kernel then interrupts that CPU and waits
// for it, which in some virtual machines takes microseconds. A biased
// write lock taken while readers run pays that once or twice, so a mutex
// whose rare writers still come often enough for the difference to add up
// may be better served by the atomic fence (docs/benchmarks.md, "A biased
// write lock while a reader runs", has what one VM measured). The choice
// checks that membarrier works, not what it costs.

// FenceEnvVar names the environment variable that chooses the fence for
// experiments: READMOSTLY_FENCE=membarrier|atomic. It is read once, soon
// after the first read lock of a zero mutex or the first allocation of
// per-CPU counters, on a goroutine of its own, or when Fence is first
// called. A value that is unknown, or membarrier where the kernel refuses
// it, is reported on standard error and the default is used.
const FenceEnvVar = "READMOSTLY_FENCE"

// The fences.
const (
	fenceMembarrier = "membarrier"
	fenceAtomic     = "atomic"
)

// fenced is set once the membarrier fence is registered and chosen; biased
// readers then count in their P's owned counter. It never turns back.
var fenced atomic.Bool

// fenceChoice is the fence in use and why, decided once.
type fenceChoice struct{ name, why string }

var chooseFence = sync.OnceValue(func() fenceChoice {
	c := decideFence(os.Getenv(FenceEnvVar), registerMembarrier)
	if c.warn != "" {
		fmt.Fprintln(os.Stderr, c.warn)
	}
	if c.name == fenceMembarrier {
		fenced.Store(true)
	}
	return fenceChoice{c.name, c.why}
})

// decision is what decideFence chose, and the line to print about env.
type decision struct{ name, why, warn string }

// decideFence chooses the fence from env (FenceEnvVar's value) and, unless
// env asks for the atomic fence, what register (which registers the process
// for membarrier) reports.
func decideFence(env string, register func() error) decision {
	var warn string
	switch env {
	case "", fenceMembarrier:
	case fenceAtomic:
		return decision{fenceAtomic, FenceEnvVar + "=" + env, ""}
	default:
		warn = fmt.Sprintf("readmostly: %s=%s: unknown fence (want %s or %s); using the default", FenceEnvVar, env, fenceMembarrier, fenceAtomic)
	}
	var err error
	if raceEnabled {
		// Plain counters would be races to the detector, and hiding
		// them would hide the reader's edges too.
		err = errors.New("race builds count with atomics")
	} else {
		err = register()
	}
	if err != nil {
		if env == fenceMembarrier {
			warn = fmt.Sprintf("readmostly: %s=%s is not usable here (%v); using %s", FenceEnvVar, env, err, fenceAtomic)
		}
		return decision{fenceAtomic, err.Error(), warn}
	}
	return decision{fenceMembarrier, "registered for MEMBARRIER_CMD_PRIVATE_EXPEDITED", warn}
}

// Fence returns the fence that biased readers use, "membarrier" or
// "atomic", and why: the reason the other is not in use, or what chose
// this one. It decides the fence if no mutex has yet.
func Fence() (name, why string) {
	c := chooseFence()
	return c.name, c.why
}

// prepareInBackground decides the fence and runs CPU detection on a
// goroutine of its own, once: registering for membarrier may wait for the
// kernel to synchronize every CPU, detection pins a thread to each CPU in
// turn, and a lock call must wait for neither. One goroutine does both, as
// starting one may cost the caller a new thread. Until the fence is
// decided, readers use the atomic fence, and until detection is done the P
// index chooses the slots; both are always correct.
func prepareInBackground() {
	if !prepared.Load() && prepared.CompareAndSwap(false, true) {
		go func() {
			if preparing != nil {
				preparing()
			}
			chooseFence()
			chooseLone()
			// Not in race builds: run beside a program's first read
			// locks there, detection's timing loops were seen to make
			// the detector miss a race between two of them
			// (TestRaceReportedInAFreshProcess; docs/benchmarks.md has
			// the measurements, not the detector's reason). The P index,
			// with which the slots start, stays the choice.
			if !raceEnabled {
				asm.DetectIdle() // last: it ends this goroutine's thread
			}
		}()
	}
}

var prepared atomic.Bool

// preparing, if set, runs first on prepareInBackground's goroutine. Only
// tests set it, before a process's first lock call, to hold the
// preparation back and show that no lock call waits for it.
var preparing func()

// loneBias is set when, under the membarrier fence, a read lock through a
// P's owned counter measured cheaper on this machine than one through
// central with no other core writing it. A mutex read by one goroutine at a
// time, or on one P, then turns biased like one whose readers overlap (see
// rebias): with no locked add left in the read path, biased is the cheaper
// mode even without parallel readers. Where a locked add costs little and
// pinning to the P costs more, as on the AMD guests of docs/benchmarks.md,
// it stays unset and such a mutex stays unbiased. It is read with fenced,
// which tests turn off and on, and is decided once.
var loneBias atomic.Bool

// loneMargin is how much cheaper the owned counter's read lock must measure
// for loneBias: a margin, so that two costs within the noise of each other
// keep the mutex unbiased, which is also the mode that costs a writer less.
const loneMargin = 0.8

// chooseLone decides loneBias once and returns why.
func chooseLone() string {
	loneOnce.Do(func() {
		loneWhy = decideLone()
		loneDecided.Store(true)
	})
	return loneWhy
}

var (
	loneOnce sync.Once
	loneWhy  string
	// loneDecided is set once loneBias is decided; until then unbiased
	// mutexes count every read lock towards turning biased, as a lone
	// reader's mutex does under loneBias (see unbiasedHint).
	loneDecided atomic.Bool
)

// loneRounds batches of loneBatch read locks each measure each path for
// loneBias, once per process, on the preparation's goroutine. Fewer and
// shorter batches let a busy machine's noise decide the verdict in many
// processes (docs/benchmarks.md, "The owned path without a Go frame").
const (
	loneRounds = 21
	loneBatch  = 4000
)

// decideLone measures both read paths, if the membarrier fence is in use,
// and sets loneBias.
func decideLone() string {
	if name, _ := Fence(); name != fenceMembarrier {
		return "no: the atomic fence leaves a locked add in every read lock"
	}
	biasedNs, centralNs := measureReadPairs(loneRounds, loneBatch)
	lone := biasedNs < loneMargin*centralNs
	loneBias.Store(lone)
	verdict := "no"
	if lone {
		verdict = "yes"
	}
	return fmt.Sprintf("%s: RLock+RUnlock %.1f ns through a P's owned counter, %.1f ns through central (best of %d batches)", verdict, biasedNs, centralNs, loneRounds)
}

// measureReadPairs returns the best time, over rounds batches of n pairs
// each, of one RLock+RUnlock of a mutex biased under the fence in use and of
// one of an unbiased mutex, the two batches interleaved so that a busy
// moment slows both.
func measureReadPairs(rounds, n int) (biasedNs, centralNs float64) {
	var central, biased RWMutex
	atomic.StorePointer(&biased.hint, unsafe.Pointer(biased.slots()))
	// The hint that sends central's readers down RLock's inlined fast
	// path.
	atomic.StorePointer(&central.hint, unsafe.Pointer(&central))
	batch := func(rw *RWMutex) float64 {
		start := time.Now()
		for range n {
			rw.RLock()
			rw.RUnlock()
		}
		return float64(time.Since(start).Nanoseconds()) / float64(n)
	}
	biasedNs, centralNs = math.Inf(1), math.Inf(1)
	for range rounds {
		biasedNs = min(biasedNs, batch(&biased))
		centralNs = min(centralNs, batch(&central))
	}
	return biasedNs, centralNs
}

// LoneReaders reports whether a mutex read by one goroutine at a time, or
// with GOMAXPROCS=1, turns biased as one with overlapping readers does, and
// the measurement that decided it: only under the membarrier fence, where a
// biased read lock makes no locked add, and only if it measured cheaper than
// an unbiased one at startup. It decides the fence, and measures, if no
// mutex has yet.
func LoneReaders() (biased bool, why string) {
	why = chooseLone()
	return loneBias.Load(), why
}
