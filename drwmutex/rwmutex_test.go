package drwmutex

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/readmostly/readmostly/asm"
	"github.com/readmostly/readmostly/tests"
)

func TestMain(m *testing.M) {
	frozen := frozenClock
	clock.Store(&frozen)
	tests.VerifyMain(m)
}

// promptly bounds every wait that must end: a lock that should be granted
// and is not within it is a hang.
const promptly = 10 * time.Second

// eventually fails the test unless done is closed within promptly.
func eventually(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(promptly):
		t.Fatalf("%s did not happen within %v", what, promptly)
	}
}

// stillBlocked fails the test if done is closed within a short while.
func stillBlocked(t *testing.T, done <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-done:
		t.Fatalf("%s went through, want it blocked", what)
	case <-time.After(50 * time.Millisecond):
	}
}

// cycle takes a lock and releases it at once: an empty critical section is
// what these tests mean.
func cycle(lock, unlock func()) {
	lock()
	unlock()
}

// async runs f in a goroutine and returns a channel closed when f returns.
func async(f func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	return done
}

// waitForWriter waits until a writer has announced itself on rw.
func waitForWriter(t *testing.T, rw *RWMutex) {
	t.Helper()
	waitUntil(t, rw.writerPresent, "the writer never announced itself")
}

// waitUntil polls cond, a millisecond apart, and fails the test with msg
// unless it holds within promptly.
func waitUntil(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	for deadline := time.Now().Add(promptly); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
	}
}

// eachStrategy runs f once with every CPU-number strategy that validated on
// this machine made active, so that the per-CPU slots are chosen every way
// a user's machine could choose them.
func eachStrategy(t *testing.T, f func(t *testing.T)) {
	for _, info := range asm.Report() {
		if !info.Validated {
			continue
		}
		t.Run(info.Strategy.String(), func(t *testing.T) {
			prev := asm.Active()
			if err := asm.Use(info.Strategy); err != nil {
				t.Fatal(err)
			}
			defer asm.Use(prev)
			f(t)
		})
	}
}

// makeBiased reads rw until it turns biased, as it does when no writer
// comes for rebiasAfter read locks and the last finds another reader: it
// holds one read lock while it takes the others. The budget may be spent
// by the one it holds, with no other reader, so it may take twice
// rebiasAfter.
func makeBiased(t *testing.T, rw *RWMutex) {
	t.Helper()
	if runtime.GOMAXPROCS(0) == 1 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	rw.RLock()
	defer rw.RUnlock()
	for range 2*rebiasAfter + 2 {
		if rw.biased() != nil {
			return
		}
		cycle(rw.RLock, rw.RUnlock)
	}
	t.Fatalf("not biased after %d overlapping read locks with no writer", 2*rebiasAfter+2)
}

// overlapped takes n read locks of rw one after another while it holds one
// more, so that each finds another reader, as the one that turns a mutex
// biased must.
func overlapped(rw *RWMutex, n int) {
	rw.RLock()
	for range n {
		cycle(rw.RLock, rw.RUnlock)
	}
	rw.RUnlock()
}

// twoPs raises GOMAXPROCS to 2 for the rest of the test if it is 1 (go test
// -cpu 1): with one P a mutex stays unbiased (TestOnePStaysUnbiased).
func twoPs(t *testing.T) {
	if prev := runtime.GOMAXPROCS(0); prev == 1 {
		runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	}
}

// eachMode runs f on a fresh RWMutex in each of its modes: unbiased, as a
// zero value or a recently written mutex is, and biased, as one read often
// with no writer is.
func eachMode(t *testing.T, f func(t *testing.T, rw *RWMutex)) {
	t.Run("unbiased", func(t *testing.T) {
		var rw RWMutex
		f(t, &rw)
	})
	t.Run("biased", func(t *testing.T) {
		var rw RWMutex
		makeBiased(t, &rw)
		f(t, &rw)
	})
}

var packageLevel RWMutex

func TestZeroValueAtPackageLevel(t *testing.T) {
	packageLevel.RLock()
	packageLevel.RLock()
	packageLevel.RUnlock()
	packageLevel.RUnlock()
	packageLevel.Lock()
	packageLevel.Unlock()
	if !packageLevel.TryLock() {
		t.Fatal("TryLock on an unlocked package-level RWMutex failed")
	}
	packageLevel.Unlock()
}

func TestTryLockAndTryRLockInEveryState(t *testing.T) {
	cases := []struct {
		name               string
		setup, teardown    func(rw *RWMutex)
		wantTry, wantTryRL bool
	}{
		{"fresh", func(*RWMutex) {}, func(*RWMutex) {}, true, true},
		{"unlocked after use", func(rw *RWMutex) { rw.Lock(); rw.Unlock(); rw.RLock(); rw.RUnlock() }, func(*RWMutex) {}, true, true},
		{"read-locked", (*RWMutex).RLock, (*RWMutex).RUnlock, false, true},
		{"read-locked through a handle", func(rw *RWMutex) { rw.RLocker().Lock() }, (*RWMutex).RUnlock, false, true},
		{"write-locked", (*RWMutex).Lock, (*RWMutex).Unlock, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			eachMode(t, func(t *testing.T, rw *RWMutex) {
				c.setup(rw)
				if got := rw.TryLock(); got != c.wantTry {
					t.Errorf("TryLock() = %v, want %v", got, c.wantTry)
				} else if got {
					rw.Unlock()
				}
				if got := rw.TryRLock(); got != c.wantTryRL {
					t.Errorf("TryRLock() = %v, want %v", got, c.wantTryRL)
				} else if got {
					rw.RUnlock()
				}
				c.teardown(rw)
				// Whatever the state was, it is unlocked now.
				if !rw.TryLock() {
					t.Fatal("TryLock after teardown failed")
				}
				rw.Unlock()
			})
		})
	}
}

func TestPendingWriterBlocksNewReaders(t *testing.T) {
	eachMode(t, func(t *testing.T, rw *RWMutex) {
		rw.RLock()
		writerIn := make(chan struct{})
		writerDone := async(func() {
			rw.Lock()
			close(writerIn)
			rw.Unlock()
		})
		waitForWriter(t, rw)
		if rw.TryRLock() {
			t.Fatal("TryRLock succeeded while a writer waits")
		}
		if rw.TryLock() {
			t.Fatal("TryLock succeeded while a writer waits")
		}
		var readerSawWriter atomic.Bool
		readerDone := async(func() {
			rw.RLock()
			select {
			case <-writerIn:
				readerSawWriter.Store(true)
			default:
			}
			rw.RUnlock()
		})
		stillBlocked(t, readerDone, "a new RLock while a writer waits")
		stillBlocked(t, writerIn, "Lock while a reader holds the lock")
		rw.RUnlock()
		eventually(t, writerDone, "the writer's Lock and Unlock")
		eventually(t, readerDone, "the blocked reader's RLock")
		if !readerSawWriter.Load() {
			t.Fatal("the reader that arrived while the writer waited got in before the writer")
		}
	})
}

func TestWriterExcludesWriterAndReaders(t *testing.T) {
	eachMode(t, func(t *testing.T, rw *RWMutex) {
		rw.Lock()
		w := async(func() { cycle(rw.Lock, rw.Unlock) })
		r := async(func() { cycle(rw.RLock, rw.RUnlock) })
		h := async(func() { l := rw.RLocker(); cycle(l.Lock, l.Unlock) })
		stillBlocked(t, w, "a second Lock")
		stillBlocked(t, r, "RLock under Lock")
		stillBlocked(t, h, "RLocker().Lock under Lock")
		rw.Unlock()
		eventually(t, w, "the second Lock")
		eventually(t, r, "RLock after Unlock")
		eventually(t, h, "RLocker().Lock after Unlock")
	})
}

func TestRUnlockOnAnotherGoroutine(t *testing.T) {
	eachMode(t, func(t *testing.T, rw *RWMutex) {
		rw.RLock()
		rw.RLock()
		<-async(rw.RUnlock)
		<-async(rw.RUnlock)
		eventually(t, async(func() { cycle(rw.Lock, rw.Unlock) }), "Lock after both readers left")
	})
}

func TestRLockerLocksTwiceUnlocksElsewhere(t *testing.T) {
	eachMode(t, func(t *testing.T, rw *RWMutex) {
		h := rw.RLocker()
		h.Lock()
		h.Lock()
		if rw.TryLock() {
			t.Fatal("TryLock succeeded while a handle holds two read locks")
		}
		<-async(h.Unlock)
		if rw.TryLock() {
			t.Fatal("TryLock succeeded while a handle holds one read lock")
		}
		<-async(h.Unlock)
		eventually(t, async(func() { cycle(rw.Lock, rw.Unlock) }), "Lock after the handle's unlocks")
	})
}

func TestUnlockOnAnotherGoroutine(t *testing.T) {
	eachMode(t, func(t *testing.T, rw *RWMutex) {
		rw.Lock()
		<-async(rw.Unlock)
		eventually(t, async(func() { cycle(rw.RLock, rw.RUnlock) }), "RLock after Unlock elsewhere")
	})
}

// TestReaderMovesBetweenCPUs takes a read lock pinned to one CPU and
// releases it pinned to another, plainly and through a handle; the counters
// of the two CPUs then disagree, and the writer must still get in.
func TestReaderMovesBetweenCPUs(t *testing.T) {
	cpus := tests.NeedCPUs(t, 2)
	eachFence(t, func(t *testing.T) { readerMovesBetweenCPUs(t, cpus) })
}

func readerMovesBetweenCPUs(t *testing.T, cpus []int) {
	eachStrategy(t, func(t *testing.T) {
		var rw RWMutex
		makeBiased(t, &rw)
		r := rw.readers.Load()
		from, to := &r.slots[cpus[0]&r.mask].count, &r.slots[cpus[1]&r.mask].count
		from0, to0 := from.Load(), to.Load()
		restore := tests.Pin(t, cpus[0])
		rw.RLock()
		h := rw.RLocker()
		h.Lock()
		restore()
		restore = tests.Pin(t, cpus[1])
		rw.RUnlock()
		h.Unlock()
		restore()
		if s := asm.Active(); s != asm.PID && !fenced.Load() {
			// A CPU-number strategy must have put the RLock and the
			// RUnlock on different slots, or this test tests nothing.
			// (Under the membarrier fence they count by P instead.)
			if df, dt := from.Load()-from0, to.Load()-to0; df != 1 || dt != -1 {
				t.Fatalf("under %v the slots of CPUs %d and %d changed by %d and %d, want 1 and -1", s, cpus[0], cpus[1], df, dt)
			}
		}
		eventually(t, async(func() { cycle(rw.Lock, rw.Unlock) }), "Lock after readers moved CPUs")
	})
}

// TestModes follows a mutex from its zero value through both modes, with
// read locks released in another mode than the one they were taken in.
func TestModes(t *testing.T) {
	twoPs(t)
	setLoneBias(t, false)
	var rw RWMutex
	isBiased := func() bool { return rw.biased() != nil }
	for range 4 * rebiasAfter {
		cycle(rw.RLock, rw.RUnlock)
	}
	if isBiased() || rw.readers.Load() != nil {
		t.Fatalf("after %d read locks one at a time a zero RWMutex is biased or has allocated its slots", 4*rebiasAfter)
	}
	// Once the budget is spent, the next read lock to find another
	// reader turns it biased.
	presetBudget(&rw, rebiasAfter-1-centralBudget(&rw))
	rw.RLock()
	if isBiased() || rw.readers.Load() != nil {
		t.Fatal("a read lock that found no other reader turned the mutex biased")
	}
	if b := centralBudget(&rw); b >= rebiasAfter {
		t.Fatalf("the read lock that spent the budget with no other reader left it at %d, not granting more", b)
	}
	presetBudget(&rw, rebiasAfter-1-centralBudget(&rw))
	cycle(rw.RLock, rw.RUnlock)
	if !isBiased() || rw.readers.Load() == nil {
		t.Fatal("the read lock that spent the budget beside another reader left the RWMutex unbiased")
	}
	rw.RUnlock()

	// A failed TryLock leaves the mode as it found it.
	rw.RLock()
	if rw.TryLock() {
		t.Fatal("TryLock succeeded beside a reader")
	}
	if !isBiased() {
		t.Fatal("a failed TryLock made the mutex unbiased")
	}
	rw.RUnlock()

	// Taken biased, released unbiased: a waiting writer makes the mutex
	// unbiased while the reader holds its slot.
	rw.RLock()
	writerDone := async(func() { cycle(rw.Lock, rw.Unlock) })
	waitForWriter(t, &rw)
	// The writer announces itself before it unbiases, so on a loaded
	// machine it may not have got there yet.
	waitUntil(t, func() bool { return !isBiased() }, "a waiting writer left the mutex biased")
	rw.RUnlock()
	eventually(t, writerDone, "the writer's Lock after the reader left in the other mode")
	if !rw.TryLock() {
		t.Fatal("TryLock failed after the reader left in the other mode")
	}
	rw.Unlock()

	// Taken unbiased, released biased: other readers turn the mutex biased
	// while the first one holds its place in central.
	rw.RLock()
	makeBiased(t, &rw)
	rw.RUnlock()
	if !rw.TryLock() {
		t.Fatal("TryLock failed after the reader left in the other mode")
	}
	rw.Unlock()

	// A writer, even one that fails, resets the count towards biased.
	overlapped(&rw, rebiasAfter/2)
	if !rw.TryLock() {
		t.Fatal("TryLock on an unlocked RWMutex failed")
	}
	rw.Unlock()
	overlapped(&rw, rebiasAfter-2) // rebiasAfter-1 read locks in all
	if isBiased() {
		t.Fatal("biased again sooner than rebiasAfter read locks after the last writer")
	}
	if n := rw.readerCount(); n != 0 {
		t.Fatalf("no reader holds the lock, but the counters sum to %d", n)
	}
}

func TestOnePStaysUnbiased(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	setLoneBias(t, false)
	var rw RWMutex
	overlapped(&rw, 4*rebiasAfter)
	if rw.biased() != nil || rw.readers.Load() != nil {
		t.Fatalf("with GOMAXPROCS=1 the mutex turned biased after %d overlapping read locks", 4*rebiasAfter)
	}
	if n := rw.readerCount(); n != 0 {
		t.Fatalf("no reader holds the lock, but the counters sum to %d", n)
	}
	runtime.GOMAXPROCS(2)
	overlapped(&rw, rebiasAfter+1)
	if rw.biased() == nil {
		t.Fatalf("with GOMAXPROCS=2 the mutex is not biased after %d more overlapping read locks", rebiasAfter+1)
	}
}

// TestRareWriterLeavesTheMutexBiased follows the mode through writers
// under a clock the test sets: a writer makes the mutex unbiased unless
// the bias has stood, since it was earned or since a writer last left it,
// at least as long as it took to earn, from the writer that last made it
// unbiased; the first writer of a mutex that has never been made unbiased
// has nothing to go by and makes it so. Readers and writers meet the kept
// bias as they meet any other: the counts add up after each write.
func TestRareWriterLeavesTheMutexBiased(t *testing.T) {
	twoPs(t)
	eachFence(t, func(t *testing.T) {
		var now atomic.Int64
		setClock(t, now.Load)
		var rw RWMutex
		write := func(at int64, wantBiased bool) {
			t.Helper()
			now.Store(at)
			rw.Lock()
			if got := rw.biased() != nil; got != wantBiased {
				t.Fatalf("at %d, a writer left the mutex biased = %v; want %v", at, got, wantBiased)
			}
			rw.Unlock()
			if got := rw.biased() != nil; got != wantBiased {
				t.Fatalf("at %d, after the writer left, biased = %v; want %v", at, got, wantBiased)
			}
			if n := rw.readerCount(); n != 0 {
				t.Fatalf("at %d, %d readers counted with none holding the lock", at, n)
			}
			// A mutex left biased keeps its spent budget: no higher than
			// the read lock that spent it and the one makeBiased holds.
			if b := centralBudget(&rw); b > rebiasAfter+2 || !wantBiased && b != 0 {
				t.Fatalf("at %d, the budget is %d after the writer (biased %v)", at, b, wantBiased)
			}
		}
		bias := func(at int64) {
			t.Helper()
			now.Store(at)
			makeBiased(t, &rw)
		}
		bias(1000)
		write(2000, false) // never made unbiased before: nothing to go by
		bias(2500)         // earned in 500
		write(2900, false) // stood 400
		bias(3000)         // earned in 100
		write(3100, true)  // stood 100
		cycle(rw.RLock, rw.RUnlock)
		write(3300, true) // stood 200 since the last writer left it
		// TryLocks that fail beside a reader leave the mode, and what the
		// next writer goes by, as they found them: one at a time that
		// would make the mutex unbiased, one at a time that would leave
		// it biased.
		tryBeside := func(at int64) {
			t.Helper()
			rw.RLock()
			now.Store(at)
			if rw.TryLock() {
				t.Fatal("TryLock succeeded beside a reader")
			}
			rw.RUnlock()
			if rw.biased() == nil {
				t.Fatalf("at %d, a failed TryLock made the mutex unbiased", at)
			}
		}
		tryBeside(3320)
		write(3400, true) // stood 100 since 3300
		tryBeside(3500)
		write(3550, true) // stood 150 since 3400
		write(3560, false)
	})
}

// TestExclusionHammer has writers keep every cell of a plain array equal
// while readers, through every read path, check that they never see a write
// half done. The race detector checks the happens-before edges too.
func TestExclusionHammer(t *testing.T) {
	twoPs(t)
	eachFence(t, func(t *testing.T) { exclusionHammer(t) })
}

// TestExclusionHammerBiasKept is the hammer with a clock that ticks once
// per reading: from the second time the mutex turns biased, every writer
// finds that the bias has stood as long as it took to earn and leaves it
// biased, so the readers meet writers of a mutex that stays biased.
func TestExclusionHammerBiasKept(t *testing.T) {
	twoPs(t)
	var ticks atomic.Int64
	setClock(t, func() int64 { return ticks.Add(1) })
	eachFence(t, func(t *testing.T) { exclusionHammer(t) })
}

func exclusionHammer(t *testing.T) {
	eachStrategy(t, func(t *testing.T) {
		var rw RWMutex
		var cells [16]int
		check := func(how string) bool {
			for _, c := range cells {
				if c != cells[0] {
					t.Errorf("%s saw a half-done write: %v", how, cells)
					return false
				}
			}
			return true
		}
		// The writers write in bursts of 128 and then pause until a
		// reader has found the mutex biased, which the readers' overlapping
		// read locks turn it, so that readers find it in both modes, and
		// in both modes meet writers. readers counts the read locks taken
		// through RLock during a pause that found another such reader
		// inside its critical section (active counts them), the read
		// locks that spend the budget; a pause in which they took far
		// more than rebiasAfter is an opportunity, and one of those must
		// end with a reader finding it biased (under -short on a slow
		// machine the readers may stop before any pause is one).
		var writes, readers, active, opportunities, biasedPauses atomic.Int64
		var pausing atomic.Bool
		var seen [2]atomic.Bool // seen[1]: a reader found the mutex biased
		read := func(spends bool) {
			if spends && active.Add(1) >= 2 {
				readers.Add(1)
			}
			if rw.biased() != nil {
				seen[1].Store(true)
			} else {
				seen[0].Store(true)
			}
		}
		tests.Hammer(t, tests.StressTime(300*time.Millisecond), 6, func(w, i int) bool {
			switch w {
			case 0, 1:
				if w == 0 && i%128 == 127 {
					pausing.Store(true)
					seen[1].Store(false)
					readers.Store(0)
					// Bounded: the readers stop at the hammer's deadline.
					deadline := time.Now().Add(50 * time.Millisecond)
					for !seen[1].Load() && time.Now().Before(deadline) {
						runtime.Gosched() // a sleep would oversleep: the readers keep both Ps busy
					}
					if seen[1].Load() {
						biasedPauses.Add(1)
					} else if readers.Load() >= 16*rebiasAfter {
						opportunities.Add(1)
					}
					pausing.Store(false)
				}
				if pausing.Load() {
					runtime.Gosched()
					return true
				}
				if w == 1 && !rw.TryLock() {
					return true
				} else if w == 0 {
					rw.Lock()
				}
				for j := range cells {
					cells[j]++
				}
				writes.Add(1)
				rw.Unlock()
				return true
			case 2:
				rw.RLock()
				defer rw.RUnlock()
				read(true)
				defer active.Add(-1) // before the RUnlock
				return check("RLock")
			case 3:
				h := rw.RLocker()
				h.Lock()
				defer h.Unlock()
				return check("RLocker")
			case 4:
				if !rw.TryRLock() {
					return true
				}
				defer rw.RUnlock()
				read(false)
				return check("TryRLock")
			default:
				// Lock here, release on another goroutine.
				rw.RLock()
				read(true)
				ok := check("RLock released elsewhere")
				active.Add(-1)
				<-async(rw.RUnlock)
				return ok
			}
		})
		// Under -short on a slow machine (qemu), a few writes in 30ms
		// may all fall while every reader sees the mutex biased; the
		// full run is long enough to meet both modes.
		if !seen[0].Load() && !testing.Short() {
			t.Error("no reader found the mutex unbiased")
		}
		if opportunities.Load() > 0 && biasedPauses.Load() == 0 {
			t.Errorf("no reader found the mutex biased, in %d pauses of the writers with %d read locks or more", opportunities.Load(), 16*rebiasAfter)
		}
		rw.Lock()
		defer rw.Unlock()
		if got := int64(cells[0]); got != writes.Load() {
			t.Fatalf("cells hold %d, but %d writes were made", got, writes.Load())
		}
		t.Logf("%d writes, %d pauses ended biased, %d more were opportunities", writes.Load(), biasedPauses.Load(), opportunities.Load())
	})
}

// slowLocal takes and releases a read lock of a mutex of its own through
// RLock's and RUnlock's slow paths alone, with the nil hint of a fresh
// mutex, which they count in central.
//
//go:noinline
func slowLocal() {
	var rw RWMutex
	rw.rlockSlow(nil)
	rw.runlockSlow(nil)
}

// TestSlowPathsKeepTheMutexInTheHeap checks that the compiler sees the
// mutex escape through RLock's and RUnlock's slow paths. They store its
// address where the heap and other goroutines reach it (the slots' RLocker
// handles, the runtime's semaphore queues), and a goroutine's stack moves
// when it grows, so a mutex left on the stack would leave those pointing at
// the stack it had. The compiler knows this only from the slow paths'
// declarations (TestAssemblyKeepsTheMutexInTheHeap checks the assembly's).
// RLock's own atomic load of the hint also moves a mutex to the heap today;
// this does not count on it.
func TestSlowPathsKeepTheMutexInTheHeap(t *testing.T) {
	if n := testing.AllocsPerRun(100, slowLocal); n != 1 {
		t.Errorf("a local mutex locked through the slow paths: %v allocations per run, want 1 (the mutex, moved to the heap)", n)
	}
}

func TestNoAllocationsAfterFirstUse(t *testing.T) {
	var rw RWMutex
	makeBiased(t, &rw) // the one allocation: the slots
	for name, f := range map[string]func(){
		"RLock+RUnlock":   func() { cycle(rw.RLock, rw.RUnlock) },
		"Lock+Unlock":     func() { cycle(rw.Lock, rw.Unlock) },
		"TryRLock":        func() { rw.TryRLock(); rw.RUnlock() },
		"TryLock":         func() { rw.TryLock(); rw.Unlock() },
		"RLocker":         func() { h := rw.RLocker(); cycle(h.Lock, h.Unlock) },
		"RLock under Try": func() { rw.RLock(); rw.TryLock(); rw.RUnlock() },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s allocates %v times per run, want 0", name, n)
		}
	}
}

func TestMisuseIsReportedNotHidden(t *testing.T) {
	const unlock, runlock = "Unlock of unlocked", "RUnlock of unlocked"
	cases := []struct {
		name, want string
		misuse     func(t *testing.T)
	}{
		{"Unlock of zero value", unlock, func(*testing.T) {
			var rw RWMutex
			rw.Unlock()
		}},
		{"Unlock twice", unlock, func(*testing.T) {
			var rw RWMutex
			rw.Lock()
			rw.Unlock()
			rw.Unlock()
		}},
		{"Unlock of a read lock", unlock, func(*testing.T) {
			var rw RWMutex
			rw.RLock()
			rw.Unlock()
		}},
		{"recovered Unlock of zero value", unlock, func(*testing.T) {
			var rw RWMutex
			defer func() { recover() }()
			rw.Unlock()
		}},
		{"RUnlock without RLock, unbiased, seen at once", runlock, func(*testing.T) {
			var rw RWMutex
			rw.RUnlock()
		}},
		{"RUnlock too many on the fast path, seen at once", runlock, func(t *testing.T) {
			chooseLone() // so that the hint can be the mutex itself
			setLoneBias(t, false)
			var rw RWMutex
			cycle(rw.RLock, rw.RUnlock)
			if atomic.LoadPointer(&rw.hint) != unsafe.Pointer(&rw) {
				t.Fatal("a read lock did not send the next ones down the fast path")
			}
			rw.RLock()
			rw.RUnlock()
			rw.RUnlock()
		}},
		{"recovered RUnlock without RLock", runlock, func(*testing.T) {
			var rw RWMutex
			defer func() { recover() }()
			rw.RUnlock()
		}},
		{"RUnlock without RLock, biased, then Lock", runlock, func(t *testing.T) {
			var rw RWMutex
			makeBiased(t, &rw)
			rw.RUnlock()
			rw.Lock()
		}},
		{"RUnlock twice then TryLock", runlock, func(t *testing.T) {
			var rw RWMutex
			makeBiased(t, &rw)
			rw.RLock()
			rw.RUnlock()
			rw.RUnlock()
			rw.TryLock()
		}},
		{"handle Unlock without Lock then Lock", runlock, func(*testing.T) {
			var rw RWMutex
			rw.RLocker().Unlock()
			rw.Lock()
		}},
		{"RUnlock of a write-locked mutex", runlock, func(*testing.T) {
			var rw RWMutex
			rw.Lock()
			rw.RUnlock()
			rw.Unlock()
		}},
		{"RUnlock of a write-locked mutex, through a stale bias", runlock, func(t *testing.T) {
			var rw RWMutex
			makeBiased(t, &rw)
			r := rw.biased()
			rw.Lock()
			rw.runlockSlot(&r.at(0).count) // what RUnlock does with a hint loaded before Lock
			rw.Unlock()
		}},
		{"RUnlock too many while a writer waits", runlock, func(t *testing.T) {
			var rw RWMutex
			makeBiased(t, &rw)
			rw.RLock()
			go rw.Lock()
			// Asleep, and then on one P with this goroutine, so that both
			// RUnlocks come before its next count: a writer that counted
			// between them would see the count at zero and take the lock,
			// and nobody would count the stray one. (The first RUnlock
			// wakes it; with one P it runs only once this goroutine
			// sleeps.)
			waitUntil(t, func() bool { return rw.state.Load()&sleeping != 0 }, "the writer never slept")
			runtime.GOMAXPROCS(1) // in a child process, which ends here
			rw.RUnlock()
			rw.RUnlock()
			time.Sleep(promptly) // the waiting writer reports it
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A fatal error, not a panic: nothing can recover from it.
			tests.ExpectPanic(t, "fatal error: drwmutex: "+c.want+" RWMutex", func() { c.misuse(t) })
		})
	}
}

// TestSlotsAreACacheLineBlockApart checks that no two slots' counters can
// share a cache-line block: each slot's counters are followed by a whole
// block of padding (asm.CacheLinePad) before the next slot's begin.
func TestSlotsAreACacheLineBlockApart(t *testing.T) {
	var rw RWMutex
	makeBiased(t, &rw)
	r := rw.readers.Load()
	if len(r.slots) != asm.SlotCount() {
		t.Fatalf("%d slots, want asm.SlotCount() = %d", len(r.slots), asm.SlotCount())
	}
	for i := 1; i < len(r.slots); i++ {
		end := uintptr(unsafe.Pointer(&r.slots[i-1])) + unsafe.Sizeof(slotCounters{})
		next := uintptr(unsafe.Pointer(&r.slots[i]))
		if next-end < asm.CacheLineSize {
			t.Fatalf("slot %d's counters end at %#x and slot %d's begin at %#x, want at least %d bytes apart", i-1, end, i, next, asm.CacheLineSize)
		}
		if r.at(i) != &r.slots[i] {
			t.Fatalf("at(%d) = %p, want &slots[%d] = %p", i, r.at(i), i, &r.slots[i])
		}
	}
}

// TestReadMostlyFieldsApart checks that the fields every reader loads and
// no one writes in the steady state are a cache-line block away from the
// counter unbiased readers write.
func TestReadMostlyFieldsApart(t *testing.T) {
	var rw RWMutex
	end := max(unsafe.Offsetof(rw.hint)+unsafe.Sizeof(rw.hint), unsafe.Offsetof(rw.readers)+unsafe.Sizeof(rw.readers))
	for name, off := range map[string]uintptr{"central": unsafe.Offsetof(rw.central), "budget": unsafe.Offsetof(rw.budget), "state": unsafe.Offsetof(rw.state)} {
		if off < end+asm.CacheLineSize {
			t.Errorf("%s starts %d bytes after the read-mostly fields end, want at least %d", name, off-end, asm.CacheLineSize)
		}
	}
}

var _ sync.Locker = (*RWMutex)(nil)

// TestLoneReadersBiasWhereCheaper follows the mode switch where the startup
// measurement found a read lock through a P's owned counter cheaper than one
// through central (loneBias): there a mutex read by one goroutine at a
// time, with one P or two, turns biased as one with overlapping readers
// does, but only under the membarrier fence.
func TestLoneReadersBiasWhereCheaper(t *testing.T) {
	setLoneBias(t, true)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	eachFence(t, func(t *testing.T) {
		for _, procs := range []int{1, 2} {
			runtime.GOMAXPROCS(procs)
			var rw RWMutex
			for range rebiasAfter {
				cycle(rw.RLock, rw.RUnlock)
			}
			if got, want := rw.biased() != nil, fenced.Load(); got != want {
				t.Fatalf("GOMAXPROCS=%d, fenced %v: after %d read locks one at a time biased is %v, want %v", procs, fenced.Load(), rebiasAfter, got, want)
			}
			cycle(rw.Lock, rw.Unlock)
			checkFolded(t, &rw, "the writer")
		}
	})
}

// TestLoneReadersWrittenOftenTakeTheFastPath checks that under loneBias a
// mutex written more often than every rebiasAfter read locks does not keep
// its readers on the slow path that counts them: a writer that finds fewer
// read locks counted since the last one hands the mutex to the fast path.
func TestLoneReadersWrittenOftenTakeTheFastPath(t *testing.T) {
	setLoneBias(t, true)
	eachFence(t, func(t *testing.T) {
		if !fenced.Load() {
			return // loneBias applies under the membarrier fence only
		}
		var rw RWMutex
		for range rebiasAfter {
			cycle(rw.RLock, rw.RUnlock)
		}
		if rw.biased() == nil {
			t.Fatal("a lone reader's mutex did not turn biased under loneBias")
		}
		cycle(rw.Lock, rw.Unlock)
		for range 3 {
			for range rebiasAfter / 8 {
				cycle(rw.RLock, rw.RUnlock)
			}
			cycle(rw.Lock, rw.Unlock)
		}
		if h := atomic.LoadPointer(&rw.hint); h != unsafe.Pointer(&rw) {
			t.Fatalf("after writes every %d read locks the hint is %p, want the mutex itself (the fast path)", rebiasAfter/8, h)
		}
		for range 2 * rebiasAfter {
			cycle(rw.RLock, rw.RUnlock)
		}
		if b := centralBudget(&rw); b != 0 || rw.biased() != nil {
			t.Fatalf("lone read locks on the fast path spent the budget (%d) or turned the mutex biased", b)
		}
		checkFolded(t, &rw, "the writers")
	})
}

// TestLoneReadersReport checks that LoneReaders reports what the mode
// switch uses: never yes without the membarrier fence, and the
// measurement's verdict first in its reason.
func TestLoneReadersReport(t *testing.T) {
	lone, why := LoneReaders()
	t.Logf("lone readers bias: %v (%s)", lone, why)
	if name, _ := Fence(); name != fenceMembarrier && lone {
		t.Fatalf("lone readers bias under the %s fence", name)
	}
	if verdict := map[bool]string{true: "yes", false: "no"}[lone]; !strings.HasPrefix(why, verdict+":") {
		t.Fatalf("LoneReaders() = %v, %q: the reason does not begin with %q", lone, why, verdict)
	}
}

// TestCopiedUnlockedMutexWorks copies a used, unlocked mutex byte for byte
// (a plain copy vet would report, as it should), whose hint then points to
// the original, and checks that the copy and the original each go on
// excluding as two mutexes, as copies of an unlocked sync.RWMutex do.
func TestCopiedUnlockedMutexWorks(t *testing.T) {
	twoPs(t)
	setLoneBias(t, false)
	var orig RWMutex
	cycle(orig.RLock, orig.RUnlock)
	cycle(orig.RLock, orig.RUnlock)
	if atomic.LoadPointer(&orig.hint) != unsafe.Pointer(&orig) {
		t.Fatal("the original's hint is not the mutex itself")
	}
	var dup RWMutex
	size := int(unsafe.Sizeof(dup))
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&dup)), size), unsafe.Slice((*byte)(unsafe.Pointer(&orig)), size))
	for _, rw := range []*RWMutex{&dup, &orig} {
		cycle(rw.RLock, rw.RUnlock)
		cycle(rw.RLock, rw.RUnlock)
		if h := atomic.LoadPointer(&rw.hint); h != unsafe.Pointer(rw) {
			t.Fatalf("after two read locks the hint is %p, want the mutex itself, %p", h, rw)
		}
		rw.Lock()
		if rw.TryRLock() {
			t.Fatal("TryRLock succeeded beside the writer")
		}
		r := async(func() { cycle(rw.RLock, rw.RUnlock) })
		stillBlocked(t, r, "RLock under Lock")
		rw.Unlock()
		eventually(t, r, "RLock after Unlock")
	}
	// The other order: RUnlock is the first to find the copied hint.
	orig.RLock()
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&dup)), size), unsafe.Slice((*byte)(unsafe.Pointer(&orig)), size))
	orig.RUnlock()
	dup.RUnlock() // the read lock copied with the mutex
	if !dup.TryLock() {
		t.Fatal("TryLock failed on the copy with no reader")
	}
	dup.Unlock()
}
