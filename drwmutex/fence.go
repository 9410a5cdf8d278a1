package drwmutex

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

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
// and every slot under the atomic fence.
//
// The release side needs no barrier because x86 stores become visible in
// program order and after every earlier load: a reader's critical section
// is complete before its decrement is seen. That is why the membarrier
// fence is used on linux/amd64 only.

// FenceEnvVar names the environment variable that chooses the fence for
// experiments: READMOSTLY_FENCE=membarrier|atomic. It is read once, when a
// mutex first allocates its per-CPU counters or Fence is first called. A
// value that is unknown, or membarrier where the kernel refuses it, is
// reported on standard error and the default is used.
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
			chooseFence()
			asm.DetectIdle() // last: it ends this goroutine's thread
		}()
	}
}

var prepared atomic.Bool
