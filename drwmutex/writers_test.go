package drwmutex

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readmostly/readmostly/tests"
)

// The write lock is central's mark, taken by one swap; writers that find
// another one present wait in line (acquireQueued), registered in state.
// These tests are about that line: that it excludes, that nobody in it is
// lost or overtaken for ever, and that what it keeps in state and in the
// semaphores goes back to zero.

// waitState spins until state has all of bits set, or done is closed.
func waitState(t *testing.T, rw *RWMutex, bits int64, done <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(promptly)
	for i := 0; rw.state.Load()&bits != bits; i++ {
		select {
		case <-done:
			return
		default:
		}
		if i%1024 == 0 && time.Now().After(deadline) {
			t.Fatalf("state %#x never had bits %#x", rw.state.Load(), bits)
		}
		runtime.Gosched()
	}
}

// checkQuiet fails the test unless rw, with no goroutine using it, holds
// nothing of its wait state: every bit a writer set is cleared, every
// reader registered has been admitted, and every semaphore release has
// been consumed.
func checkQuiet(t *testing.T, rw *RWMutex, after string) {
	t.Helper()
	if s := rw.state.Load(); s != 0 {
		t.Errorf("after %s state is %#x, want 0", after, s)
	}
	for name, sem := range map[string]*uint32{"writerSem": &rw.writerSem, "readerSem": &rw.readerSem, "nextWriterSem": &rw.nextWriterSem} {
		if n := atomic.LoadUint32(sem); n != 0 {
			t.Errorf("after %s %s holds %d releases, want 0", after, name, n)
		}
	}
	if rw.writerPresent() {
		t.Errorf("after %s a writer is still marked present", after)
	}
	if n := rw.readerCount(); n != 0 {
		t.Errorf("after %s the counters sum to %d with no reader", after, n)
	}
}

// TestWritersQueueExcludeAndDrain hammers one mutex with several writers,
// Lock and TryLock, and readers on every read path, in both modes, while a
// watcher checks the bounds of the wait state: nextWriterSem and writerSem
// never hold more than one release, readerSem and the blocked readers'
// count never more than there are readers. Afterwards the wait state is
// back at zero and the counters are folded.
func TestWritersQueueExcludeAndDrain(t *testing.T) {
	twoPs(t)
	eachFence(t, func(t *testing.T) {
		var rw RWMutex
		var cells [8]int
		// Three writers call Lock; one more TryLock. Of the three
		// readers, the two that call RLock and the handle's Lock can
		// block; TryRLock never does.
		const writers, readers, blocking = 3, 3, 2
		sems := []struct {
			name  string
			sem   *uint32
			bound uint32
		}{
			{"writerSem", &rw.writerSem, 1},
			{"nextWriterSem", &rw.nextWriterSem, 1},
			{"readerSem", &rw.readerSem, blocking},
		}
		check := func(how string) bool {
			for _, c := range cells {
				if c != cells[0] {
					t.Errorf("%s saw a half-done write: %v", how, cells)
					return false
				}
			}
			return true
		}
		var writes atomic.Int64
		write := func() {
			for j := range cells {
				cells[j]++
			}
			writes.Add(1)
		}
		counts := tests.Hammer(t, tests.StressTime(500*time.Millisecond), writers+1+readers+1, func(w, i int) bool {
			switch {
			case w < writers:
				rw.Lock()
				write()
				rw.Unlock()
				if i%64 == 63 {
					// Let the readers turn it biased now and then.
					// (A yield would wait for the readers' time
					// slices, which do not yield.)
					time.Sleep(100 * time.Microsecond)
				}
			case w == writers:
				if rw.TryLock() {
					write()
					rw.Unlock()
				}
			case w == writers+1:
				rw.RLock()
				defer rw.RUnlock()
				return check("RLock")
			case w == writers+2:
				h := rw.RLocker()
				h.Lock()
				defer h.Unlock()
				return check("RLocker")
			case w == writers+3:
				if rw.TryRLock() {
					defer rw.RUnlock()
					return check("TryRLock")
				}
			default: // the watcher
				if n := rw.state.Load() / oneWaiting; n < 0 || n > blocking {
					t.Errorf("state counts %d blocked readers; %d readers can block", n, blocking)
					return false
				}
				for _, s := range sems {
					if n := atomic.LoadUint32(s.sem); n > s.bound {
						t.Errorf("%s holds %d releases, want at most %d", s.name, n, s.bound)
						return false
					}
				}
				runtime.Gosched()
			}
			return true
		})
		t.Logf("%d writes; iterations per worker %v; biased at the end: %v", writes.Load(), counts, rw.biased() != nil)
		if got := int64(cells[0]); got != writes.Load() {
			t.Fatalf("cells hold %d, but %d writes were made", got, writes.Load())
		}
		cycle(rw.Lock, rw.Unlock)
		checkQuiet(t, &rw, "the hammer")
		checkFolded(t, &rw, "the hammer")
	})
}

// TestQueuedWriterWakesUp has a writer release the lock at every moment
// around another writer's falling asleep in line behind it, many times over:
// a release that missed the sleeper's bit while the sleeper missed the
// release would leave it asleep for ever, which the watchdog reports. A
// third writer waits behind the second now and then, in writers.
func TestQueuedWriterWakesUp(t *testing.T) {
	twoPs(t)
	rounds := 2000
	if testing.Short() {
		rounds = 200
	}
	var rw RWMutex
	for i := range rounds {
		rw.Lock()
		second := async(func() { cycle(rw.Lock, rw.Unlock) })
		var third <-chan struct{}
		if i%4 == 0 {
			third = async(func() { cycle(rw.Lock, rw.Unlock) })
		}
		if i%2 == 0 {
			waitState(t, &rw, writerQueued, second)
		}
		for range i % 64 * 4 {
			runtime.Gosched()
		}
		rw.Unlock()
		eventually(t, second, fmt.Sprintf("round %d: the second writer after the first left", i))
		if third != nil {
			eventually(t, third, fmt.Sprintf("round %d: the third writer", i))
		}
	}
	checkQuiet(t, &rw, fmt.Sprintf("%d rounds", rounds))
}

// TestQueuedWriterIsNotOvertaken has a writer lock and unlock in a tight
// loop, holding the lock most of the time, while another writer takes the
// lock again and again: once in line, the second writer sends the first
// into the line behind it, so each of its Lock calls returns promptly.
func TestQueuedWriterIsNotOvertaken(t *testing.T) {
	twoPs(t)
	var rw RWMutex
	var stop atomic.Bool
	var loops atomic.Int64
	spinner := async(func() {
		for !stop.Load() {
			rw.Lock()
			for range 100 {
				loops.Add(1) // a critical section a little longer than the rest of the loop
			}
			rw.Unlock()
		}
	})
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	for i := range rounds {
		eventually(t, async(func() { cycle(rw.Lock, rw.Unlock) }), fmt.Sprintf("round %d: Lock beside a writer in a loop", i))
	}
	stop.Store(true)
	eventually(t, spinner, "the looping writer's end")
	checkQuiet(t, &rw, "the rounds")
}

// TestWritersDoNotStarveReaders has two writers lock and unlock in tight
// loops, so that the lock is nearly always held or wanted, while a reader
// takes read locks: each RLock returns promptly, because a writer's release
// lets in the readers that blocked on it before any writer in line counts
// readers again.
func TestWritersDoNotStarveReaders(t *testing.T) {
	twoPs(t)
	eachMode(t, func(t *testing.T, rw *RWMutex) {
		var stop atomic.Bool
		var loops atomic.Int64
		spin := func() {
			for !stop.Load() {
				rw.Lock()
				for range 100 {
					loops.Add(1)
				}
				rw.Unlock()
			}
		}
		a, b := async(spin), async(spin)
		rounds := 200
		if testing.Short() {
			rounds = 20
		}
		for i := range rounds {
			eventually(t, async(func() { cycle(rw.RLock, rw.RUnlock) }), fmt.Sprintf("round %d: RLock beside two writers in loops", i))
		}
		stop.Store(true)
		eventually(t, a, "the first looping writer's end")
		eventually(t, b, "the second looping writer's end")
		checkQuiet(t, rw, "the rounds")
	})
}

// TestWriterLetsWaitingReadersInFirst checks the order a writer's release
// makes: readers that blocked on the writer hold their read locks before a
// writer queued behind it gets in, and that writer waits for them.
func TestWriterLetsWaitingReadersInFirst(t *testing.T) {
	eachMode(t, func(t *testing.T, rw *RWMutex) {
		rw.Lock()
		var inside atomic.Int64
		release := make(chan struct{})
		reader := func() {
			rw.RLock()
			inside.Add(1)
			<-release
			inside.Add(-1)
			rw.RUnlock()
		}
		r1, r2 := async(reader), async(reader)
		waitState(t, rw, 2*oneWaiting, r2)
		var sawReaders atomic.Int64
		writer := async(func() {
			rw.Lock()
			sawReaders.Store(inside.Load())
			rw.Unlock()
		})
		waitState(t, rw, writerQueued, writer)
		rw.Unlock()
		deadline := time.Now().Add(promptly)
		for inside.Load() != 2 {
			if time.Now().After(deadline) {
				t.Fatalf("%d readers inside after the writer left, want the 2 that waited", inside.Load())
			}
			runtime.Gosched()
		}
		stillBlocked(t, writer, "the queued writer while the admitted readers hold the lock")
		close(release)
		eventually(t, r1, "the first reader")
		eventually(t, r2, "the second reader")
		eventually(t, writer, "the queued writer after the readers left")
		if n := sawReaders.Load(); n != 0 {
			t.Fatalf("the queued writer got in beside %d readers", n)
		}
		checkQuiet(t, rw, "the readers and the writer")
	})
}

// TestWriteOnlyFastPath checks what the fast path promises: a mutex that
// is only written stays without slots and leaves central at zero after
// every writer, so that the next Lock takes it with one swap.
func TestWriteOnlyFastPath(t *testing.T) {
	var rw RWMutex
	for range 1000 {
		rw.Lock()
		if c := rw.central.Load(); c != -writerMark {
			t.Fatalf("under the write lock central is %#x, want -writerMark", c)
		}
		rw.Unlock()
		if c := rw.central.Load(); c != 0 {
			t.Fatalf("after Unlock central is %#x, want 0", c)
		}
	}
	if rw.readers.Load() != nil {
		t.Fatal("a mutex that was only written allocated its slots")
	}
	if n := testing.AllocsPerRun(100, func() { cycle(rw.Lock, rw.Unlock) }); n != 0 {
		t.Fatalf("Lock+Unlock allocates %v times per run, want 0", n)
	}
	checkQuiet(t, &rw, "1000 writers")
}

// TestReleaseHandsThePToTheAdmittedReader checks the handoff of
// admitWaiting: on one P, a writer's Unlock that admits a reader blocked on
// it lets that reader run before Unlock returns, when the mutex stayed
// unbiased since the writer before, and leaves it waiting for the P when the
// mutex had turned biased in between. Without the handoff a writer that runs
// on keeps the reader, counted as holding the lock, off its P, and its next
// Lock sleeps until the reader has run (see admitWaiting).
func TestReleaseHandsThePToTheAdmittedReader(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, biasedBefore := range []bool{false, true} {
		t.Run(fmt.Sprint("biasedBefore=", biasedBefore), func(t *testing.T) {
			var rw RWMutex
			rw.Lock()
			if biasedBefore {
				presetBudget(&rw, rebiasAfter) // as the read locks that turned it biased
			}
			var ran atomic.Bool
			done := make(chan struct{})
			go func() {
				defer close(done)
				rw.RLock()
				ran.Store(true)
				rw.RUnlock()
			}()
			waitState(t, &rw, oneWaiting, done)
			rw.Unlock()
			if got := ran.Load(); got == biasedBefore {
				t.Errorf("the reader had run when Unlock returned: %v, want %v", got, !biasedBefore)
			}
			<-done
			checkQuiet(t, &rw, "the reader left")
		})
	}
}
