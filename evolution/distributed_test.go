package evolution

import (
	"sync"
	"testing"
	"time"

	"github.com/readmostly/readmostly/tests"
)

// movable returns a two-slot DistributedRWMutex whose idea of the current
// slot is *slot, so a test can move a reader between RLock and RUnlock.
func movable(slot *int) *DistributedRWMutex {
	return &DistributedRWMutex{slotFor: func() int { return *slot }, slotCount: 2}
}

// writerWait bounds how long a test waits to decide that a writer is blocked.
const writerWait = 100 * time.Millisecond

// TestDistributedRWMutexMovedReader is the design's flaw, run
// deterministically: the reader read-locks slot 0, moves to slot 1, and
// RUnlock, looking the slot up again, releases slot 1's mutex, which it
// never locked. sync.RWMutex catches the imbalance and the program dies; no
// recover can hide it, hence the child process.
func TestDistributedRWMutexMovedReader(t *testing.T) {
	tests.ExpectPanic(t, "sync: RUnlock of unlocked RWMutex", func() {
		slot := 0
		m := movable(&slot)
		m.RLock()
		slot = 1 // preempted, or back from a system call, on another P
		m.RUnlock()
	})
}

// TestDistributedRWMutexMovedReaderSilent shows the quieter outcome, when
// another reader holds the slot the moving reader lands on: nothing crashes,
// but the moving reader has released the other's read lock, and its own
// stays on slot 0: slot 1's reader reads with its slot free, and a writer
// waits on slot 0 for a reader that has left. Only another move in the
// opposite direction can repair the books.
func TestDistributedRWMutexMovedReaderSilent(t *testing.T) {
	slot := 0
	m := movable(&slot)
	m.RLock() // the mover, on slot 0
	slot = 1
	m.RLock() // a reader that stays on slot 1
	//lint:ignore SA2001 this RUnlock is the mover's, not the reader's
	m.RUnlock()
	// The mover has left; only slot 1's reader is inside. Its slot is free:
	if !slotFree(m, 1) {
		t.Fatal("slot 1 is still read-locked; want it released by the mover")
	}
	// and slot 0 is held for no one:
	if slotFree(m, 0) {
		t.Fatal("slot 0 is free; want it still read-locked for the mover")
	}
	blocked, wait := writerBlocks(m, writerWait)
	if !blocked {
		t.Fatal("a writer got in while a reader was inside")
	}
	// slot 1's reader now leaves through slot 0 (it moved too), which
	// balances the books by luck; had it stayed, its RUnlock would crash.
	slot = 0
	m.RUnlock()
	wait()
}

// TestDistributedRWMutexRLockerMoves runs the sequence of
// TestDistributedRWMutexMovedReader through the RLocker handle: the handle
// releases the slot it locked wherever the reader runs, a writer waits while
// the handle holds the lock, and gets in once it is released.
func TestDistributedRWMutexRLockerMoves(t *testing.T) {
	slot := 0
	m := movable(&slot)
	h := m.RLocker()
	moveReader(t, &slot, m, h.Lock, h.Unlock)
	if blocked, wait := writerBlocks(m, 10*time.Second); blocked {
		wait()
		t.Fatal("a writer was still blocked 10s after every reader left")
	}
}

// TestDistributedRWMutexMovedReaderAdapter runs the moving reader through
// releaseAnySlot, the adapter the package's benchmarks use: RUnlock finds the
// slot that holds the read lock.
func TestDistributedRWMutexMovedReaderAdapter(t *testing.T) {
	slot := 0
	m := movable(&slot)
	l := releaseAnySlot(m)
	moveReader(t, &slot, l, l.RLock, l.RUnlock)
	for i := range 2 {
		if !slotFree(m, i) {
			t.Fatalf("slot %d still locked after every reader and writer left", i)
		}
	}
}

// TestReleaseAnySlotMisuse checks that an RUnlock without RLock through the
// adapter crashes, as sync.RWMutex's does, instead of spinning.
func TestReleaseAnySlotMisuse(t *testing.T) {
	tests.ExpectPanic(t, "sync: RUnlock of unlocked RWMutex", func() {
		releaseAnySlot(new(DistributedRWMutex)).RUnlock()
	})
}

// TestPerCPURWMutexHandle checks PerCPURWMutex's contract: the handle RLock
// returns excludes writers until it is released, from any goroutine.
func TestPerCPURWMutexHandle(t *testing.T) {
	m := NewPerCPURWMutex()
	h := m.RLock()
	blocked, wait := writerBlocks(m, writerWait)
	if !blocked {
		t.Fatal("a writer got in while a handle held a read lock")
	}
	done := make(chan struct{})
	go func() { h.Unlock(); close(done) }() // released elsewhere
	<-done
	wait()
}

// moveReader read-locks through lock on slot 0, moves the reader to slot 1,
// checks that a writer on w waits, unlocks through unlock, and returns once
// the writer is done.
func moveReader(t *testing.T, slot *int, w sync.Locker, lock, unlock func()) {
	t.Helper()
	*slot = 0
	lock()
	*slot = 1 // preempted, or back from a system call, on another P
	blocked, wait := writerBlocks(w, writerWait)
	if !blocked {
		t.Fatal("a writer got in while a reader was inside")
	}
	unlock()
	wait()
}

// slotFree reports whether slot i of m is neither read- nor write-locked.
func slotFree(m *DistributedRWMutex, i int) bool {
	mu := &m.rwSlots().at(i).mu
	if !mu.TryLock() {
		return false
	}
	mu.Unlock()
	return true
}
