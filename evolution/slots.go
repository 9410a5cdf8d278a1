package evolution

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/readmostly/readmostly/asm"
)

// rwSlots are the per-CPU locks that DistributedRWMutex and PerCPURWMutex
// share: one sync.RWMutex per slot, each alone in its cache-line block. A
// writer locks every slot in index order, so two writers cannot deadlock and
// a writer holding them all excludes every reader.
type rwSlots struct {
	slots []asm.Padded[rwSlot]
	mask  int // len(slots) - 1; len(slots) is a power of two
}

type rwSlot struct {
	mu sync.RWMutex
	// held counts the read locks taken on mu through releaseAnySlot and not
	// yet released; it never exceeds mu's reader count.
	held atomic.Int32
}

// newRWSlots returns n slots; n must be a power of two.
func newRWSlots(n int) *rwSlots {
	return &rwSlots{slots: make([]asm.Padded[rwSlot], n), mask: n - 1}
}

func (s *rwSlots) at(i int) *rwSlot { return &s.slots[i&s.mask].Value }

func (s *rwSlots) lockAll() {
	for i := range s.slots {
		s.slots[i].Value.mu.Lock()
	}
}

func (s *rwSlots) unlockAll() {
	for i := range s.slots {
		s.slots[i].Value.mu.Unlock()
	}
}

// slotted is what releaseAnySlot needs of a per-slot design.
type slotted interface {
	Lock()
	Unlock()
	RLocker() sync.Locker
	rwSlots() *rwSlots
	slotIndex() int
}

// releaseAnySlot gives a per-slot design sync.RWMutex's method set, whose
// RUnlock has no handle to say which slot the read lock was taken on: the
// package's tests and benchmarks drive both designs through it, as they
// drive sync.RWMutex.
//
// It relies on an observation about per-slot sync.RWMutex locks: a writer
// gets in only once it holds every slot, that is once every slot's reader
// count is zero, so which slot a reader releases does not matter for mutual
// exclusion as long as no slot's count goes below zero (sync.RWMutex makes
// that a fatal error). The adapter therefore counts, per slot, the read locks
// it took there, and RUnlock releases one on the first slot, starting with
// the current CPU's, that still has one. The count lives beside the slot's
// mutex, so it costs one uncontended atomic add on a line the reader writes
// anyway.
func releaseAnySlot(l slotted) anySlotReleaser { return anySlotReleaser{l} }

type anySlotReleaser struct{ slotted }

func (a anySlotReleaser) RLock() {
	s := a.rwSlots().at(a.slotIndex())
	s.mu.RLock()
	s.held.Add(1)
}

// releasePasses bounds the search for a slot with a read lock to release. A
// caller that holds a read lock finds one on the first pass unless other
// RUnlocks race it around the ring; after that many empty passes, the caller
// most likely holds none, and RUnlock on the current slot makes sync.RWMutex
// report it rather than spin forever.
const releasePasses = 4

func (a anySlotReleaser) RUnlock() {
	slots := a.rwSlots()
	start := a.slotIndex()
	for pass := 0; pass < releasePasses; pass++ {
		for i := range len(slots.slots) {
			s := slots.at(start + i)
			for n := s.held.Load(); n > 0; n = s.held.Load() {
				if s.held.CompareAndSwap(n, n-1) {
					s.mu.RUnlock()
					return
				}
			}
		}
		runtime.Gosched()
	}
	slots.at(start).mu.RUnlock() // crashes: "sync: RUnlock of unlocked RWMutex"
}
