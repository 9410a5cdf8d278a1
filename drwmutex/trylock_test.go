package drwmutex

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readmostly/readmostly/tests"
)

// TestPollingTryLockDisturbsNoReader polls TryLock while a reader holds a
// biased mutex, and counts how often TryRLock fails meanwhile. TryRLock may
// fail only while a writer holds the lock or waits for it; a TryLock that
// announced itself before looking at the readers made it fail about once in
// a hundred calls, and turned the mutex unbiased for good.
func TestPollingTryLockDisturbsNoReader(t *testing.T) {
	twoPs(t)
	var rw RWMutex
	makeBiased(t, &rw)
	rw.RLock() // held throughout, so every TryLock must fail
	const calls = 1 << 20
	var stop atomic.Bool
	var polls, succeeded atomic.Int64
	poller := async(func() {
		for !stop.Load() {
			if rw.TryLock() {
				succeeded.Add(1)
				rw.Unlock()
			}
			polls.Add(1)
		}
	})
	// longest is the longest run of failures in a row, which the check
	// below leaves out if it is under 1% of the calls: one TryLock that
	// announced itself in the rare race and was then descheduled, as
	// happens under an emulator on a busy machine, fails every TryRLock
	// until it runs again.
	failures, run, longest := 0, 0, 0
	for range calls {
		if !rw.TryRLock() {
			failures++
			run++
			longest = max(longest, run)
			continue
		}
		run = 0
		rw.RUnlock()
	}
	stop.Store(true)
	<-poller
	rw.RUnlock()
	t.Logf("%d of %d TryRLock calls failed (%d in the longest run) beside %d failed TryLock calls", failures, calls, longest, polls.Load())
	if succeeded.Load() != 0 {
		t.Fatalf("TryLock succeeded %d times while a reader held the lock", succeeded.Load())
	}
	// A failing TryLock announces itself only in the rare race where the
	// sum it looks at first reads zero; at most one failure in 10^4 calls,
	// but for the longest run, is a hundred times fewer than announcing
	// every time made.
	excused := longest
	if excused*100 > calls {
		excused = 0
	}
	if (failures-excused)*10_000 > calls {
		t.Fatalf("%d of %d TryRLock calls failed (%d in the longest run) while only readers held the lock and TryLock polled", failures, calls, longest)
	}
	if rw.biased() == nil {
		t.Fatal("polling TryLock made the mutex unbiased")
	}
}

// TestTryRLockFailsOnlyForWriters checks TryRLock against each state of the
// lock, with other readers holding it throughout.
func TestTryRLockFailsOnlyForWriters(t *testing.T) {
	eachMode(t, func(t *testing.T, rw *RWMutex) {
		rw.RLock()
		for range 1000 {
			if !rw.TryRLock() {
				t.Fatal("TryRLock failed while only readers held the lock")
			}
			rw.RUnlock()
		}
		writerDone := async(func() { cycle(rw.Lock, rw.Unlock) })
		waitForWriter(t, rw)
		if rw.TryRLock() {
			t.Fatal("TryRLock succeeded while a blocked Lock waited")
		}
		rw.RUnlock()
		eventually(t, writerDone, "the writer")
		if !rw.TryRLock() {
			t.Fatal("TryRLock failed after the writer left")
		}
		rw.RUnlock()
	})
}

// TestNoLockCallWaitsForPreparation holds back, in a fresh process, the
// goroutine that decides the fence and runs CPU detection, and meanwhile
// makes every kind of lock call on a mutex that turns biased: the 1024th
// read lock that finds another reader, which allocates the slots and starts
// that goroutine, then write locks, an RLocker handle, TryRLock and TryLock.
// Each must return without it. The biasing read lock once ran detection
// inline (pinning a thread to every CPU and timing every strategy), which
// stalled a program's first biased read lock for a millisecond or more
// (docs/benchmarks.md). Held back, such a wait would never end, so a
// watchdog turns it into a failure; nothing here is timed.
func TestNoLockCallWaitsForPreparation(t *testing.T) {
	out, err := tests.RunInChild(t, nil, stallChild)
	if err != nil || !strings.Contains(string(out), "lock calls returned") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

// stallChild is TestNoLockCallWaitsForPreparation's child process.
func stallChild() {
	fail := func(format string, args ...any) {
		fmt.Printf("FAIL: "+format+"\n", args...)
		os.Exit(1)
	}
	if prepared.Load() {
		fail("the preparation started before the test could hold it back")
	}
	if runtime.GOMAXPROCS(0) == 1 {
		runtime.GOMAXPROCS(2) // one P keeps a mutex unbiased
	}
	hold := make(chan struct{})
	preparing = func() { <-hold }
	done := make(chan string)
	go func() {
		var rw RWMutex
		rw.RLock() // so that the read lock that spends the budget finds a reader
		for range rebiasAfter + 16 {
			rw.RLock()
			rw.RUnlock()
		}
		if rw.biased() == nil {
			done <- "the mutex did not turn biased"
			return
		}
		l := rw.RLocker()
		l.Lock()
		l.Unlock()
		rw.RUnlock()
		rw.Lock()
		rw.Unlock()
		if !rw.TryRLock() {
			done <- "TryRLock failed on an unlocked mutex"
			return
		}
		rw.RUnlock()
		if !rw.TryLock() {
			done <- "TryLock failed on an unlocked mutex"
			return
		}
		rw.Unlock()
		done <- ""
	}()
	select {
	case msg := <-done:
		if msg != "" {
			fail("%s", msg)
		}
	case <-time.After(10 * time.Second):
		fail("lock calls still waiting after 10s for the preparation held back")
	}
	if !prepared.Load() {
		fail("no lock call started the preparation")
	}
	close(hold)
	fmt.Println("lock calls returned while the preparation was held back")
}
