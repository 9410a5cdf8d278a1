package drwmutex

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readmostly/readmostly/tests"
)

// expectFenceEnv, where set, names the fence this machine must end up
// with: CI sets it where it knows, under qemu for one.
const expectFenceEnv = "READMOSTLY_TEST_EXPECT_FENCE"

func TestFenceInUse(t *testing.T) {
	name, why := Fence()
	t.Logf("fence: %s (%s)", name, why)
	if want := os.Getenv(expectFenceEnv); want != "" && name != want {
		t.Fatalf("fence %s (%s), want %s", name, why, want)
	}
	if got := fenced.Load(); got != (name == fenceMembarrier) {
		t.Fatalf("readers use owned counters: %v, with the %s fence", got, name)
	}
	if raceEnabled && name != fenceAtomic {
		t.Fatalf("a race build uses the %s fence", name)
	}
}

func TestDecideFence(t *testing.T) {
	ok := func() error { return nil }
	refused := func() error { return errors.New("membarrier: operation not permitted") }
	cases := []struct {
		env      string
		register func() error
		want     string
		warns    bool
	}{
		{"", ok, fenceMembarrier, false},
		{"membarrier", ok, fenceMembarrier, false},
		{"atomic", ok, fenceAtomic, false},
		{"", refused, fenceAtomic, false},
		{"membarrier", refused, fenceAtomic, true},
		{"atomic", refused, fenceAtomic, false},
		{"bogus", ok, fenceMembarrier, true},
		{"bogus", refused, fenceAtomic, true},
	}
	for _, c := range cases {
		d := decideFence(c.env, c.register)
		want, warns := c.want, c.warns
		if raceEnabled {
			want, warns = fenceAtomic, c.warns || c.env == fenceMembarrier
		}
		if d.name != want {
			t.Errorf("decideFence(%q, register %v) = %s (%s), want %s", c.env, c.register() == nil, d.name, d.why, want)
		}
		if warns != (d.warn != "") {
			t.Errorf("decideFence(%q, register %v) warns %q, want a warning: %v", c.env, c.register() == nil, d.warn, warns)
		}
		if d.warn != "" && (strings.Contains(d.warn, "\n") || !strings.Contains(d.warn, FenceEnvVar)) {
			t.Errorf("warning %q is not one line naming %s", d.warn, FenceEnvVar)
		}
	}
}

// eachFence runs f with readers on the atomic fence, and, where membarrier
// is registered, on the membarrier fence; where the assembly of
// owned_amd64.s takes the membarrier fence's biased paths, also on their Go
// versions, which pin with procPin ("membarrier-procpin"), as on other Go
// releases. Flipping the fence between tests is safe because no lock is in
// use then; within a process it never flips.
func eachFence(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	name, why := Fence()
	prev, prevOwned := fenced.Load(), ownedOK
	defer func() { fenced.Store(prev); ownedOK = prevOwned }()
	const procpin = fenceMembarrier + "-procpin"
	for _, fence := range []string{fenceAtomic, fenceMembarrier, procpin} {
		t.Run(fence, func(t *testing.T) {
			if fence != fenceAtomic && name != fenceMembarrier {
				t.Skipf("the membarrier fence is not in use here: %s", why)
			}
			if fence == procpin && !(ownedAsm && prevOwned) {
				t.Skip("the membarrier fence's biased paths are the Go ones here")
			}
			fenced.Store(fence != fenceAtomic)
			ownedOK = prevOwned && fence != procpin
			f(t)
		})
	}
}

// TestStoreBufferingLitmus shows why the membarrier fence is needed. Two
// goroutines on two CPUs play reader and writer, each storing its flag and
// then loading the other's. Without a fence the processor lets each load
// pass its own store, so both can read zero, which for a lock means a
// reader that missed the writer and a writer that missed the reader. The
// writer's membarrier between its store and its load rules that out. The
// reader's side is what RLock does: a plain store, then an atomic load.
func TestStoreBufferingLitmus(t *testing.T) {
	if raceEnabled {
		t.Skip("the plain stores here are races by design")
	}
	if name, why := Fence(); name != fenceMembarrier {
		t.Skipf("membarrier is not in use here: %s", why)
	}
	cpus := tests.NeedCPUs(t, 2)
	twoPs(t) // with one P the two sides never run at once, and spin in turns
	run := func(t *testing.T, fence bool, rounds int, deadline time.Duration) (reorderings, done int) {
		var x int64        // the reader's count, stored plainly
		var y atomic.Int64 // the writer's flag
		var r1, r2 int64
		var round, finished atomic.Int64
		stop := time.Now().Add(deadline)
		reader := async(func() {
			defer tests.Pin(t, cpus[0])()
			for i := int64(1); i <= int64(rounds); i++ {
				for round.Load() < i {
				}
				stagger(int(i % 11))
				x = 1
				r1 = y.Load()
				finished.Add(1)
			}
		})
		defer tests.Pin(t, cpus[1])()
		for i := int64(1); i <= int64(rounds); i++ {
			x, r1, r2 = 0, -1, -1
			y.Store(0)
			round.Store(i) // the reader starts its store now
			stagger(int(i % 7))
			y.Add(1) // a LOCK'd add, as the writer's announce is
			if fence {
				membarrier()
			}
			r2 = atomic.LoadInt64(&x)
			for finished.Load() < i {
			}
			if r1 == 0 && r2 == 0 {
				reorderings++
			}
			done++
			if (!fence && reorderings >= 10) || time.Now().After(stop) {
				round.Store(int64(rounds)) // release the reader
				break
			}
		}
		<-reader
		return reorderings, done
	}
	t.Run("no fence", func(t *testing.T) {
		n, done := run(t, false, 1<<24, 15*time.Second)
		t.Logf("%d of %d rounds reordered", n, done)
		if n == 0 {
			// How often the two sides meet inside a store buffer's
			// window depends on where the kernel runs them; -short
			// (as CI runs it, on a shared machine) only reports it.
			if testing.Short() {
				t.Skipf("no reordering in %d rounds without a fence this time", done)
			}
			t.Fatalf("no reordering in %d rounds without a fence: the test cannot tell whether the fence works", done)
		}
	})
	t.Run("membarrier", func(t *testing.T) {
		n, done := run(t, true, 1<<16, 10*time.Second)
		t.Logf("%d of %d rounds reordered", n, done)
		if n != 0 {
			t.Fatalf("%d of %d rounds reordered with membarrier between the writer's store and load", n, done)
		}
	})
}

// stagger spins for n short steps, so that the litmus test's two sides
// meet at every offset from each other.
func stagger(n int) {
	for range n {
		staggerSink.Add(1)
	}
}

var staggerSink atomic.Int64

// TestLostWakeUp has readers leave just as the writer gives up spinning
// and goes to sleep, many times over: a leaving reader that missed the
// sleeping bit while the writer missed its decrement would leave the writer
// asleep for ever, which the watchdog reports.
func TestLostWakeUp(t *testing.T) {
	twoPs(t)
	eachFence(t, func(t *testing.T) {
		var rw RWMutex
		makeBiased(t, &rw)
		rounds := 2000
		if testing.Short() {
			rounds = 200
		}
		for i := range rounds {
			rw.RLock()
			if rw.biased() == nil {
				makeBiased(t, &rw)
			}
			writer := async(func() { cycle(rw.Lock, rw.Unlock) })
			// Leave after a few hundred counts by the writer, around
			// the moment it sets its sleeping bit.
			spinUntilWriter(t, &rw, writer)
			for range i % 256 * 8 {
				runtime.Gosched()
			}
			rw.RUnlock()
			eventually(t, writer, "the writer after the last reader left")
			// Bias it again for the next round.
			makeBiased(t, &rw)
		}
	})
}

// TestGOMAXPROCSChanges raises and lowers GOMAXPROCS, beyond the number of
// slots too, while readers and writers run: a P index past the slots must
// take the atomic path, as two Ps sharing an owned counter lose counts.
func TestGOMAXPROCSChanges(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	eachFence(t, func(t *testing.T) {
		var rw RWMutex
		makeBiased(t, &rw)
		slots := len(rw.readers.Load().slots)
		var cells [4]int
		procs := []int{1, 2, slots, 2 * slots, 4 * slots, slots + 1}
		tests.Hammer(t, tests.StressTime(500*time.Millisecond), 4, func(w, i int) bool {
			switch w {
			case 0:
				if i%64 == 0 {
					runtime.GOMAXPROCS(procs[i/64%len(procs)])
				}
				if i%16 == 0 {
					rw.Lock()
					for j := range cells {
						cells[j]++
					}
					rw.Unlock()
					return true
				}
				// Let readers turn it biased again between writes.
				runtime.Gosched()
				return true
			default:
				rw.RLock()
				defer rw.RUnlock()
				for _, c := range cells {
					if c != cells[0] {
						t.Errorf("a reader saw a half-done write: %v", cells)
						return false
					}
				}
				return true
			}
		})
		eventually(t, async(func() { cycle(rw.Lock, rw.Unlock) }), "Lock after the hammer")
		if n := rw.readerCount(); n != 0 {
			t.Fatalf("no reader holds the lock, but the counters sum to %d", n)
		}
	})
}
