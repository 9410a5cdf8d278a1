package evolution

import (
	"sync"

	"github.com/readmostly/readmostly/asm"
)

// PerCPURWMutex is the design of github.com/jonhoo/drwmutex, a per-CPU
// RWMutex library older than golang/go#17973: one sync.RWMutex per CPU, each
// padded to its own cache-line block, a writer that locks every one in
// order, and read locks taken only through a handle bound to the slot the
// reader ran on. Since the handle, not a second lookup, says which mutex to
// release, a reader may move between locking and unlocking.
//
// Its flaws are those of its API: it is not a drop-in sync.RWMutex (RLock
// returns the handle that must release the lock, and code that RLocks in one
// function and RUnlocks in another has to pass it along), and a writer pays
// one Lock per slot. drwmutex.RWMutex removes both.
//
// A PerCPURWMutex is made by NewPerCPURWMutex and must not be copied after
// first use. The n'th call to Unlock synchronizes before the m'th call to
// Lock for n < m, and the release of a read lock through its handle
// synchronizes before the next Lock.
type PerCPURWMutex struct {
	slots *rwSlots // fixed at construction
}

// NewPerCPURWMutex returns an unlocked PerCPURWMutex with asm.SlotCount()
// slots.
func NewPerCPURWMutex() *PerCPURWMutex {
	return &PerCPURWMutex{slots: newRWSlots(asm.SlotCount())}
}

func (m *PerCPURWMutex) rwSlots() *rwSlots { return m.slots }
func (m *PerCPURWMutex) slotIndex() int    { return asm.Current() }

// RLocker returns the read locker of the slot of the CPU the caller runs on
// now. It does not allocate.
func (m *PerCPURWMutex) RLocker() sync.Locker {
	return m.slots.at(asm.Current()).mu.RLocker()
}

// RLock takes a read lock and returns the handle that releases it.
func (m *PerCPURWMutex) RLock() sync.Locker {
	l := m.RLocker()
	l.Lock()
	return l
}

// Lock write-locks every slot, in index order.
func (m *PerCPURWMutex) Lock() { m.slots.lockAll() }

// Unlock write-unlocks every slot.
func (m *PerCPURWMutex) Unlock() { m.slots.unlockAll() }
