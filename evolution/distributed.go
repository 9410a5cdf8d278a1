package evolution

import (
	"sync"
	"sync/atomic"

	"github.com/readmostly/readmostly/asm"
)

// DistributedRWMutex is dvyukov's distributed RWMutex from golang/go#17973:
// one sync.RWMutex per P found through runtime.GetProcLocal (a proposed API
// that never landed), here through asm.Current. RLock read-locks the current
// slot's mutex, Lock write-locks every slot in order.
//
// Its flaw, which TestDistributedRWMutexMovedReader shows: RUnlock looks the
// slot up again. A goroutine may move to another CPU (or P) between RLock
// and RUnlock, after a system call, a preemption or a blocking operation,
// and then releases a mutex it never locked. If no other reader holds that
// mutex, sync.RWMutex detects the imbalance and the program dies with "fatal
// error: sync: RUnlock of unlocked RWMutex". If another reader holds it, the
// release silently takes that reader's place: that reader, still reading, is
// no longer counted where a writer looks, and the slot first locked stays
// read-locked until some other reader moves the opposite way; when none
// does, that reader's own RUnlock crashes. The read lock of RLocker, bound
// to one slot, is the fix dvyukov gave in the same thread, and PerCPURWMutex
// makes it the only read path.
//
// The zero DistributedRWMutex is unlocked; it allocates its slots on first
// use. It must not be copied after first use. As with sync.RWMutex, the n'th
// call to Unlock synchronizes before the m'th call to Lock for n < m, and an
// RUnlock that releases the mutex its RLock took synchronizes before the next
// Lock.
type DistributedRWMutex struct {
	// locals holds one mutex per slot; nil until first use.
	locals atomic.Pointer[rwSlots]
	// slotFor, when non-nil, replaces asm.Current, so that tests can move a
	// reader to another slot deterministically.
	slotFor func() int
	// slotCount, when non-zero, replaces asm.SlotCount; a power of two.
	slotCount int
}

func (m *DistributedRWMutex) rwSlots() *rwSlots {
	if s := m.locals.Load(); s != nil {
		return s
	}
	return m.allocSlots()
}

func (m *DistributedRWMutex) allocSlots() *rwSlots {
	n := m.slotCount
	if n == 0 {
		n = asm.SlotCount()
	}
	m.locals.CompareAndSwap(nil, newRWSlots(n))
	return m.locals.Load()
}

func (m *DistributedRWMutex) slotIndex() int {
	if m.slotFor != nil {
		return m.slotFor()
	}
	return asm.Current()
}

// local is getLocal of the proposal: the mutex of the slot the caller runs
// on now.
func (m *DistributedRWMutex) local() *sync.RWMutex {
	return &m.rwSlots().at(m.slotIndex()).mu
}

// RLock read-locks the mutex of the caller's current slot.
func (m *DistributedRWMutex) RLock() { m.local().RLock() }

// RUnlock read-unlocks the mutex of the caller's current slot, which is the
// one RLock locked only if the caller has not moved: the design's flaw.
func (m *DistributedRWMutex) RUnlock() { m.local().RUnlock() }

// Lock write-locks every slot, in index order.
func (m *DistributedRWMutex) Lock() { m.rwSlots().lockAll() }

// Unlock write-unlocks every slot.
func (m *DistributedRWMutex) Unlock() { m.rwSlots().unlockAll() }

// RLocker returns the read locker of the caller's current slot. Its Lock and
// Unlock act on that slot wherever the caller runs later, which is the
// correct way to use the design: take a handle, then lock and unlock
// through it. Once the slots exist it does not allocate.
func (m *DistributedRWMutex) RLocker() sync.Locker { return m.local().RLocker() }
