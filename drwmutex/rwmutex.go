// Package drwmutex provides RWMutex, a drop-in replacement for sync.RWMutex
// whose read locks scale with the number of cores.
//
// sync.RWMutex counts readers in one word, so every RLock and RUnlock on
// every core writes the same cache line, and read throughput falls as cores
// are added (golang/go#17973). RWMutex here keeps one reader counter per CPU,
// each on its own cache-line block, and a writer sums them: the idea of
// Linux's percpu_rw_semaphore and of the distributed RWMutex designs of
// dvyukov and jonhoo/drwmutex. Unlike those, it keeps the whole sync.RWMutex
// contract: the zero value is ready, and RUnlock may run on another goroutine
// and another CPU than the RLock it releases. RLocker returns a handle bound
// to one counter, for code that wants the reader pinned to the slot it took.
//
// The price is memory, the read lock's cost on one core and the write
// lock's cost: a mutex that has been used holds asm.SlotCount() counters of
// asm.CacheLineSize bytes (2 × 128 bytes on a 2-CPU machine, 8 KiB on 64
// CPUs), RLock and RUnlock each look up the current P or CPU, and Lock reads
// every counter. Measured on a 2-core VM (docs/benchmarks.md): with two
// cores reading, an RLock+RUnlock pair costs 7.7 ns against sync.RWMutex's
// 23.5 (3x); alone on one core, 15.2 ns against 11.6 (1.31x slower); with 1%
// or 10% of operations writing, 0.74-0.86x sync.RWMutex's throughput. Prefer
// sync.RWMutex for locks that are written as often as that, for locks whose
// readers rarely run on several cores at once, and for the many small locks
// inside data structures.
package drwmutex

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/readmostly/readmostly/asm"
)

// An RWMutex is a reader/writer mutual exclusion lock, with the method set
// and the semantics of sync.RWMutex. The lock can be held by an arbitrary
// number of readers or a single writer. The zero value for an RWMutex is an
// unlocked mutex.
//
// An RWMutex must not be copied after first use.
//
// If any goroutine calls Lock while the lock is already held by one or more
// readers, concurrent calls to RLock will block until the writer has acquired
// (and released) the lock, to ensure that the lock eventually becomes
// available to the writer. Note that this prohibits recursive read-locking.
// A read lock may be released by another goroutine, on another CPU, than the
// one that took it.
//
// In the terminology of the Go memory model, the n'th call to Unlock
// “synchronizes before” the m'th call to Lock for any n < m, just as for
// sync.Mutex. For any call to RLock, there exists an n such that the n'th
// call to Unlock “synchronizes before” that call to RLock, and the
// corresponding call to RUnlock “synchronizes before” the n+1'th call to
// Lock. The same holds for the Lock and Unlock methods of the handles that
// RLocker returns, which are read locks.
type RWMutex struct {
	_ noCopy

	// writers serializes writers; it is held from Lock to Unlock.
	writers sync.Mutex
	// state is zero when no writer is present, which is all a reader's
	// fast path checks. Otherwise its low bits say whether the writer is
	// acquiring (waiting for readers to leave) or holds the lock, and
	// whether it sleeps on writerSem until a reader leaves; the rest
	// counts the readers blocked on readerSem until it leaves, whose read
	// locks its Unlock takes for them.
	state atomic.Int64
	// readers points to the per-CPU counters; nil until first use.
	readers atomic.Pointer[readerSlots]

	writerSem uint32 // semaphore for the writer to wait for readers
	readerSem uint32 // semaphore for readers to wait for the writer
}

// The parts of RWMutex.state.
const (
	acquiring  int64 = 1 // a writer waits for readers to leave
	held       int64 = 2 // a writer holds the lock
	writerMask int64 = 3
	sleeping   int64 = 4 // the acquiring writer sleeps on writerSem
	oneWaiting int64 = 8 // the unit of the blocked readers' count
)

// readerSlots is what an RWMutex allocates on first use.
type readerSlots struct {
	slots []slot // len(slots) is a power of two
	mask  int    // len(slots) - 1
}

// A slot counts read locks taken minus read locks released through it. A
// single slot's count means nothing and may be negative, because RUnlock may
// run on another CPU than its RLock; only the sum over all slots is the
// number of readers.
type slot struct {
	count atomic.Int64
	// handle is the slot's RLocker, built with the slots so that RLocker
	// does not allocate.
	handle rlocker
	_      [asm.CacheLineSize - unsafe.Sizeof(atomic.Int64{}) - unsafe.Sizeof(rlocker{})]byte
}

// at returns the slot for CPU (or P) number cpu. The mask keeps the index in
// range, so at skips the bounds check that indexing would repeat on every
// RLock and RUnlock.
func (r *readerSlots) at(cpu int) *slot {
	return (*slot)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(r.slots)), uintptr(cpu&r.mask)*unsafe.Sizeof(slot{})))
}

// slots returns the mutex's counters, allocating them on first use.
func (rw *RWMutex) slots() *readerSlots {
	if r := rw.readers.Load(); r != nil {
		return r
	}
	return rw.allocSlots()
}

func (rw *RWMutex) allocSlots() *readerSlots {
	n := asm.SlotCount()
	r := &readerSlots{slots: make([]slot, n), mask: n - 1}
	for i := range r.slots {
		r.slots[i].handle = rlocker{rw: rw, slot: &r.slots[i]}
	}
	if rw.readers.CompareAndSwap(nil, r) {
		return r
	}
	return rw.readers.Load()
}

// RLock locks rw for reading.
//
// It should not be used for recursive read locking; a blocked Lock call
// excludes new readers from acquiring the lock. See the RWMutex type doc.
func (rw *RWMutex) RLock() {
	r := rw.slots()
	// asm.Current, with its PID case spelled out so that ProcPin and
	// ProcUnpin inline here; a helper doing the same could not inline, and
	// the call would cost what this saves. RUnlock repeats it.
	var cpu int
	if asm.UsesPID() {
		cpu = asm.ProcPin()
		asm.ProcUnpin()
	} else {
		cpu = asm.Current()
	}
	s := r.at(cpu)
	s.count.Add(1)
	if rw.state.Load() != 0 {
		rw.rlockSlow(r, s)
	}
}

// rlockSlow runs when a writer came while the reader took s: the reader
// steps back and waits until the writer's Unlock admits it, or retries
// through the same slot if the writer has gone by then.
func (rw *RWMutex) rlockSlow(r *readerSlots, s *slot) {
	for {
		// Undo on s itself, never on a slot looked up again: the writer
		// reads the slots one by one, and an increment it saw on s, undone
		// on a slot it has already read, would leave its sum one too high
		// forever; undone on a slot it has not read yet, one too low,
		// letting it in beside a reader.
		s.count.Add(-1)
		if rw.waitForWriter() {
			return // the writer's Unlock took our read lock for us
		}
		s.count.Add(1)
		if rw.state.Load() == 0 {
			return
		}
	}
}

// waitForWriter blocks until the writer present now leaves, and reports
// whether it admitted the caller with a read lock. It returns false at once
// if no writer is present any more.
func (rw *RWMutex) waitForWriter() bool {
	for {
		old := rw.state.Load()
		if old&writerMask == 0 {
			return false
		}
		if rw.state.CompareAndSwap(old, old+oneWaiting) {
			// The writer may have counted us before we stepped back.
			rw.wakeWriter()
			semacquire(&rw.readerSem)
			// The race detector does not see through the runtime's
			// semaphores; this load acquires the release of the state
			// by the Unlock that admitted us, which it does see.
			rw.state.Load()
			return true
		}
	}
}

// TryRLock tries to lock rw for reading and reports whether it succeeded.
//
// Note that while correct uses of TryRLock do exist, they are rare, and use
// of TryRLock is often a sign of a deeper problem in a particular use of
// mutexes.
func (rw *RWMutex) TryRLock() bool {
	if rw.state.Load() != 0 {
		return false
	}
	r := rw.slots()
	s := r.at(asm.Current())
	s.count.Add(1)
	if rw.state.Load() != 0 {
		s.count.Add(-1)
		rw.wakeWriter()
		return false
	}
	return true
}

// RUnlock undoes a single RLock call; it does not affect other simultaneous
// readers. It may be called on another goroutine, and another CPU, than the
// RLock it undoes. Calling RUnlock on an rw that is not locked for reading
// is a run-time error, reported at the latest when the next writer finds
// fewer readers than none.
func (rw *RWMutex) RUnlock() {
	r := rw.slots()
	var cpu int
	if asm.UsesPID() {
		cpu = asm.ProcPin()
		asm.ProcUnpin()
	} else {
		cpu = asm.Current()
	}
	r.at(cpu).count.Add(-1)
	if rw.state.Load()&sleeping != 0 {
		rw.wakeWriter()
	}
}

// wakeWriter wakes the writer if it sleeps until readers leave, so that it
// counts them again. Only the caller that clears the sleeping bit releases
// the semaphore, so the writer is woken once however many readers leave.
func (rw *RWMutex) wakeWriter() {
	for {
		old := rw.state.Load()
		if old&sleeping == 0 {
			return
		}
		if rw.state.CompareAndSwap(old, old&^sleeping) {
			semrelease(&rw.writerSem, false, 1)
			return
		}
	}
}

// Lock locks rw for writing. If the lock is already locked for reading or
// writing, Lock blocks until the lock is available.
func (rw *RWMutex) Lock() {
	rw.writers.Lock()
	r := rw.slots()
	rw.state.Add(acquiring)
	// From here on new readers step back, so the sum can only fall.
	for spins := 0; ; spins++ {
		n := r.readerCount()
		if n == 0 {
			break
		}
		if n < 0 {
			fatal("drwmutex: RUnlock of unlocked RWMutex")
		}
		if spins >= writerSpins {
			rw.sleepUntilReaderLeaves(r)
		}
	}
	rw.state.Add(held - acquiring)
}

// sleepUntilReaderLeaves parks the acquiring writer until a reader that
// leaves sees the sleeping bit and wakes it. A reader that left before the
// bit was set is seen by the count taken after setting it, so no wake-up is
// lost.
func (rw *RWMutex) sleepUntilReaderLeaves(r *readerSlots) {
	rw.state.Add(sleeping)
	if r.readerCount() == 0 {
		// Whoever clears the bit first owns it: if a reader beat us to it,
		// its release is on the semaphore and must be consumed.
		for {
			old := rw.state.Load()
			if old&sleeping == 0 {
				break
			}
			if rw.state.CompareAndSwap(old, old&^sleeping) {
				return
			}
		}
	}
	semacquire(&rw.writerSem)
}

// writerSpins is how many times Lock counts the readers again before it
// sleeps until one leaves: enough to wait out readers in short critical
// sections on other cores, few enough not to burn a core while readers hold
// the lock long. It does not yield: with hundreds of runnable goroutines, a
// yield would put the writer, and the readers it holds off, behind them all.
const writerSpins = 64

// readerCount returns the number of readers that hold or are taking the
// lock. Once a writer has announced itself, every increment that it could
// miss is undone on the same slot, so the sum it reads is never too low.
func (r *readerSlots) readerCount() int64 {
	var n int64
	for i := range r.slots {
		n += r.slots[i].count.Load()
	}
	return n
}

// TryLock tries to lock rw for writing and reports whether it succeeded.
//
// Note that while correct uses of TryLock do exist, they are rare, and use
// of TryLock is often a sign of a deeper problem in a particular use of
// mutexes.
func (rw *RWMutex) TryLock() bool {
	if !rw.writers.TryLock() {
		return false
	}
	r := rw.slots()
	rw.state.Add(acquiring)
	switch n := r.readerCount(); {
	case n == 0:
		rw.state.Add(held - acquiring)
		return true
	case n < 0:
		fatal("drwmutex: RUnlock of unlocked RWMutex")
	}
	rw.release(r, acquiring)
	return false
}

// Unlock unlocks rw for writing. It is a run-time error if rw is not locked
// for writing on entry to Unlock.
//
// As with sync.RWMutex, a locked RWMutex is not associated with a particular
// goroutine. One goroutine may RLock (Lock) an RWMutex and then arrange for
// another goroutine to RUnlock (Unlock) it.
func (rw *RWMutex) Unlock() {
	rw.release(rw.readers.Load(), held)
}

// release ends a writer's hold, or its attempt (from is held or acquiring):
// the writer leaves the state, the readers that blocked on it get their read
// locks, counted in a slot before the next writer can start, and then the
// writers' mutex is freed.
func (rw *RWMutex) release(r *readerSlots, from int64) {
	for {
		old := rw.state.Load()
		if old&writerMask != from {
			fatal("drwmutex: Unlock of unlocked RWMutex")
		}
		if !rw.state.CompareAndSwap(old, 0) {
			continue // a reader joined the waiting ones
		}
		if n := old / oneWaiting; n > 0 {
			r.slots[0].count.Add(n)
			for range n {
				semrelease(&rw.readerSem, false, 1)
			}
		}
		rw.writers.Unlock()
		return
	}
}

// RLocker returns a Locker whose Lock and Unlock take and release read locks
// of rw through the counter of the CPU the caller runs on now. A goroutine
// that moves to another CPU between the handle's Lock and Unlock still
// releases exactly the counter it incremented, so the handle's methods never
// look the CPU up. RLocker does not allocate.
func (rw *RWMutex) RLocker() sync.Locker {
	r := rw.slots()
	return &r.at(asm.Current()).handle
}

// rlocker is a read-lock handle bound to one slot.
type rlocker struct {
	rw   *RWMutex
	slot *slot
}

// Lock takes a read lock through the handle's slot.
func (h *rlocker) Lock() {
	h.slot.count.Add(1)
	if h.rw.state.Load() != 0 {
		h.rw.rlockSlow(h.rw.readers.Load(), h.slot)
	}
}

// Unlock releases a read lock through the handle's slot.
func (h *rlocker) Unlock() {
	h.slot.count.Add(-1)
	if h.rw.state.Load()&sleeping != 0 {
		h.rw.wakeWriter()
	}
}

// fatal reports misuse. It panics, as the misuse leaves the lock in a state
// no caller can repair.
func fatal(msg string) { panic(msg) }

// noCopy lets go vet's copylocks check catch copies of an RWMutex.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
