package drwmutex

import (
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// spinUntilWriter waits, without sleeping, until a writer has announced
// itself on rw or done is closed: the lifetime tests do this thousands of
// times.
func spinUntilWriter(t *testing.T, rw *RWMutex, done <-chan struct{}) {
	t.Helper()
	spinUntil(t, done, rw.writerPresent, "the writer never announced itself")
}

// spinUntil waits, without sleeping, until cond holds or done is closed,
// and fails the test with msg unless one of them happens within promptly.
func spinUntil(t *testing.T, done <-chan struct{}, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(promptly)
	for i := 0; !cond(); i++ {
		select {
		case <-done:
			return
		default:
		}
		if i%1024 == 0 && time.Now().After(deadline) {
			t.Fatal(msg)
		}
		runtime.Gosched()
	}
}

// crossModes holds `held` read locks across each of the two mode changes:
// taken through central and released through the slots after the mutex
// turned biased, then taken through the slots and released through central
// after a writer made it unbiased. It returns once that writer has got in
// and out, and fails the test unless it does so within promptly.
func crossModes(t *testing.T, rw *RWMutex, held int) {
	t.Helper()
	if rw.biased() != nil {
		cycle(rw.Lock, rw.Unlock)
	}
	for range held {
		rw.RLock()
	}
	// Spend the budget but for two read locks, which turn it biased as
	// they find another reader. (The first of overlapped's, which finds
	// none unless held is above zero, spends it only if every read lock
	// does; see unbiasedHint.)
	presetBudget(rw, rebiasAfter-2-centralBudget(rw))
	overlapped(rw, 2)
	if rw.biased() == nil {
		t.Fatalf("not biased after the budget was spent (budget %d)", centralBudget(rw))
	}
	for range held {
		rw.RUnlock()
	}
	for range held {
		rw.RLock()
	}
	done := async(func() { cycle(rw.Lock, rw.Unlock) })
	// The writer announces itself before it unbiases; release the read
	// locks only once it has, so that they leave through central.
	spinUntil(t, done, func() bool { return rw.writerPresent() && rw.biased() == nil },
		"the writer never announced itself and made the mutex unbiased")
	for range held {
		rw.RUnlock()
	}
	eventually(t, done, fmt.Sprintf("Lock after %d readers left in the other mode", held))
}

// checkFolded fails the test unless, with no reader, the counters hold no
// split: every writer must leave them at zero.
func checkFolded(t *testing.T, rw *RWMutex, after string) {
	t.Helper()
	if c := centralCount(rw); c != 0 {
		t.Fatalf("after %s central counts %d read locks with none held, want 0 (slots %v)", after, c, slotCounts(rw))
	}
	for i, c := range slotCounts(rw) {
		if c != 0 {
			t.Fatalf("after %s slot %d counts %d with no reader, want 0", after, i, c)
		}
	}
}

// TestCountersDoNotDrift crosses the modes many times with read locks held
// across each crossing, as a long-running program does, and checks that
// every writer gets in promptly and leaves the counters as it found them.
// Before writers folded the slots, each cycle here moved `held` read locks
// from the slots to central for good, and central's count wrapped.
func TestCountersDoNotDrift(t *testing.T) {
	twoPs(t)
	cycles := 1 << 19 // a million crossings
	if testing.Short() || raceEnabled {
		cycles = 1 << 13
	}
	var rw RWMutex
	for i := range cycles {
		held := i % 4
		if i%4096 == 4095 {
			held = 1 << 16
		}
		crossModes(t, &rw, held)
		checkFolded(t, &rw, fmt.Sprintf("%d crossings of the modes", 2*(i+1)))
	}
}

// TestCountersNearTheirBounds starts the counters at every boundary a split
// could have reached, and at the bounds the doc states for the budget and
// the count, and checks that the mutex works from there and that the first
// writer folds the split away.
func TestCountersNearTheirBounds(t *testing.T) {
	twoPs(t)
	const countBound = 1 << 60 // the bound stated for read locks held at once
	for _, split := range []int64{
		1<<31 - 1, 1 << 31, 1<<31 + 1, 1<<32 - 1, 1 << 32, 1<<32 + 1, countBound - 1<<17,
		-(1<<31 - 1), -(1 << 31), -(1<<31 + 1), -(1<<32 - 1), -(1 << 32), -(1<<32 + 1), -(countBound - 1<<17),
	} {
		t.Run(fmt.Sprint(split), func(t *testing.T) {
			var rw RWMutex
			makeBiased(t, &rw)
			presetSplit(&rw, split)
			if n := rw.readerCount(); n != 0 {
				t.Fatalf("after the preset the counters sum to %d, want 0", n)
			}
			// Readers on both sides of the split, then a writer.
			rw.RLock()
			h := rw.RLocker()
			h.Lock()
			if rw.TryLock() {
				t.Fatal("TryLock succeeded beside two readers")
			}
			rw.RUnlock()
			h.Unlock()
			eventually(t, async(func() { cycle(rw.Lock, rw.Unlock) }), "Lock after the preset")
			checkFolded(t, &rw, "the first writer")
			for range 64 {
				crossModes(t, &rw, 1000)
			}
			checkFolded(t, &rw, "64 cycles")
		})
	}
	t.Run("count at its bound under the mark", func(t *testing.T) {
		var rw RWMutex
		presetSplit(&rw, countBound-1)
		rw.Lock()
		if n := rw.readerCount(); n != 0 {
			t.Fatalf("the writer got in with the counters summing to %d", n)
		}
		r := async(func() { cycle(rw.RLock, rw.RUnlock) })
		stillBlocked(t, r, "RLock under Lock")
		rw.Unlock()
		eventually(t, r, "RLock after Unlock")
		checkFolded(t, &rw, "the writer")
	})
	t.Run("budget spent by stragglers", func(t *testing.T) {
		var rw RWMutex
		// Far more read locks than rebiasAfter taken through central:
		// what goroutines already on their way there when the mutex
		// turned biased could leave, with room to spare.
		presetBudget(&rw, 1<<20)
		overlapped(&rw, 1)
		if rw.biased() == nil {
			t.Fatal("a spent budget did not turn the mutex biased")
		}
		cycle(rw.Lock, rw.Unlock)
		if b := centralBudget(&rw); b != 0 {
			t.Fatalf("after a writer the budget holds %d read locks, want 0", b)
		}
		checkFolded(t, &rw, "the writer")
	})
	// A spent budget does not turn the mutex biased on one P, where
	// every read lock overlaps one held here and the budget is granted
	// again, nor with no other reader on two (loneBias off, as on machine
	// B), where read locks take the fast path and leave the budget as it
	// is.
	for _, c := range []struct {
		name    string
		procs   int
		overlap bool
	}{{"budget spent on one P", 1, true}, {"budget spent with no other reader", 2, false}} {
		t.Run(c.name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(c.procs))
			setLoneBias(t, false)
			var rw RWMutex
			presetBudget(&rw, 3*rebiasAfter)
			if c.overlap {
				rw.RLock()
			}
			for range 4 * rebiasAfter {
				cycle(rw.RLock, rw.RUnlock)
				if b := centralBudget(&rw); b > 3*rebiasAfter {
					t.Fatalf("%s: the budget grew to %d, above where it started", c.name, b)
				}
			}
			if c.overlap {
				rw.RUnlock()
			}
			if b := centralBudget(&rw); c.overlap && b >= rebiasAfter {
				t.Fatalf("%s: the budget stays spent at %d after %d read locks", c.name, b, 4*rebiasAfter)
			} else if !c.overlap && b != 3*rebiasAfter {
				t.Fatalf("%s: the budget moved from %d to %d, with no read lock that overlapped", c.name, 3*rebiasAfter, b)
			}
			if rw.biased() != nil {
				t.Fatalf("%s: a spent budget turned the mutex biased", c.name)
			}
			checkFolded(t, &rw, "the read locks")
		})
	}
}

// TestWriterFoldsSplitsWithinASlot leaves a slot holding nothing in sum but
// something in each of its counters: a handle's read lock taken through
// central and released through the slot's atomic count (-1 there, +1 in
// central), beside an RLock taken through the slot's owned counter under
// the membarrier fence and released through central after a writer made
// the mutex unbiased (+1 owned, -1 central). Every writer that finds that
// must fold it, or the two counters drift apart, a read lock per
// occurrence, for the life of the process.
func TestWriterFoldsSplitsWithinASlot(t *testing.T) {
	twoPs(t)
	var rw RWMutex
	makeBiased(t, &rw)
	r := rw.readers.Load()
	s := &r.slots[0]
	for i := range 1000 {
		s.count.Add(-1)
		atomic.AddInt64(&s.owned, 1)
		cycle(rw.Lock, rw.Unlock)
		if c, o := s.count.Load(), atomic.LoadInt64(&s.owned)-s.base.Load(); c != 0 || o != 0 {
			t.Fatalf("after %d splits within slot 0, each followed by a writer, its count is %d and its owned counter %d past its base; want both 0", i+1, c, o)
		}
	}
	checkFolded(t, &rw, "the writers")
}

// TestOwnedCountersWrap moves every slot's owned counter and its base by
// the same amount, its base to two below the largest int64, so that the
// read locks that follow take the counter of their P past 2^63-1, where it
// wraps. Only owned minus base counts (see slotCounters), so the count of
// readers, exclusion and the fold must come out as anywhere else.
func TestOwnedCountersWrap(t *testing.T) {
	eachFence(t, func(t *testing.T) {
		twoPs(t)
		var rw RWMutex
		makeBiased(t, &rw)
		r := rw.readers.Load()
		const start = math.MaxInt64 - 2
		for i := range r.slots {
			// Both by the same amount, keeping what the slot holds.
			s := &r.slots[i]
			shift := start - s.base.Load()
			atomic.AddInt64(&s.owned, shift)
			s.base.Add(shift)
		}
		wrapped := false
		for k := 1; k <= 8; k++ {
			for range k {
				rw.RLock()
			}
			for i := range r.slots {
				wrapped = wrapped || atomic.LoadInt64(&r.slots[i].owned) < 0
			}
			if n := rw.readerCount(); n != int64(k) {
				t.Fatalf("with %d read locks held across the wrap the count is %d", k, n)
			}
			if rw.TryLock() {
				t.Fatalf("TryLock succeeded beside %d read locks", k)
			}
			for range k {
				rw.RUnlock()
			}
			if n := rw.readerCount(); n != 0 {
				t.Fatalf("after releasing %d read locks the count is %d", k, n)
			}
		}
		if fenced.Load() && !wrapped {
			t.Fatalf("no owned counter wrapped with 8 read locks held: they did not go through them")
		}
		cycle(rw.Lock, rw.Unlock)
		checkFolded(t, &rw, "read locks across the wrap and a writer")
	})
}
