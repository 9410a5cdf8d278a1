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
// The price is memory and write cost: a mutex that has been used holds
// asm.SlotCount() counters of asm.CacheLineSize bytes (2 × 128 bytes on a
// 2-CPU machine, 8 KiB on 64 CPUs), and Lock reads every counter. Prefer
// sync.RWMutex for locks taken for writing about as often as for reading,
// for locks that are rarely contended by readers on several cores, and for
// the many small locks inside data structures. Measured numbers are in the
// repository's docs/benchmarks.md.
package drwmutex

import (
	"runtime"
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
	// writer is noWriter, acquiring while a writer waits for readers to
	// leave, or held while it holds the lock; readers back off unless it
	// is noWriter.
	writer atomic.Int32
	// readers points to the per-CPU counters; nil until first use.
	readers atomic.Pointer[readerSlots]

	// gate guards waiting and the wake-up of readers blocked by a writer.
	gate sync.Mutex
	// waiting is the number of readers blocked until the writer leaves;
	// the writer's Unlock takes their read locks for them.
	waiting int32
}

// The states of RWMutex.writer.
const (
	noWriter int32 = iota
	acquiring
	held
)

// readerSlots is what an RWMutex allocates on first use.
type readerSlots struct {
	slots []slot // len(slots) is a power of two
	mask  int    // len(slots) - 1
	// wakeWriter holds a token when a reader may have left while a writer
	// waits; capacity 1, so a wake-up sent before the writer sleeps is kept.
	wakeWriter chan struct{}
	// admitted is signalled, with L = &RWMutex.gate, when Unlock admits
	// the readers that waited.
	admitted sync.Cond
	// epoch counts admissions, so that a waiting reader knows its turn came.
	epoch uint64
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

// slots returns the mutex's counters, allocating them on first use.
func (rw *RWMutex) slots() *readerSlots {
	if r := rw.readers.Load(); r != nil {
		return r
	}
	return rw.allocSlots()
}

func (rw *RWMutex) allocSlots() *readerSlots {
	n := asm.SlotCount()
	r := &readerSlots{slots: make([]slot, n), mask: n - 1, wakeWriter: make(chan struct{}, 1)}
	r.admitted.L = &rw.gate
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
	s := &r.slots[asm.Current()&r.mask]
	s.count.Add(1)
	if rw.writer.Load() != noWriter {
		rw.rlockSlow(r, s)
	}
}

// rlockSlow runs when a writer came while the reader took s: the reader
// steps back and waits until a writer's Unlock admits it, or retries through
// the same slot if the writer has gone by then.
func (rw *RWMutex) rlockSlow(r *readerSlots, s *slot) {
	for {
		// Undo on s itself, never on a slot looked up again: the writer
		// reads the slots one by one, and an increment it saw on s, undone
		// on a slot it has already read, would leave its sum one too high
		// forever; undone on a slot it has not read yet, one too low,
		// letting it in beside a reader.
		s.count.Add(-1)
		rw.wakeWriter(r)
		rw.gate.Lock()
		if rw.writer.Load() != noWriter {
			rw.waiting++
			for epoch := r.epoch; r.epoch == epoch; {
				r.admitted.Wait()
			}
			rw.gate.Unlock()
			return // release took the read lock for us
		}
		rw.gate.Unlock()
		s.count.Add(1)
		if rw.writer.Load() == noWriter {
			return
		}
	}
}

// TryRLock tries to lock rw for reading and reports whether it succeeded.
//
// Note that while correct uses of TryRLock do exist, they are rare, and use
// of TryRLock is often a sign of a deeper problem in a particular use of
// mutexes.
func (rw *RWMutex) TryRLock() bool {
	if rw.writer.Load() != noWriter {
		return false
	}
	r := rw.slots()
	s := &r.slots[asm.Current()&r.mask]
	s.count.Add(1)
	if rw.writer.Load() != noWriter {
		s.count.Add(-1)
		rw.wakeWriter(r)
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
	r.slots[asm.Current()&r.mask].count.Add(-1)
	if rw.writer.Load() != noWriter {
		rw.wakeWriter(r)
	}
}

// wakeWriter tells a writer waiting for readers to count them again.
func (rw *RWMutex) wakeWriter(r *readerSlots) {
	select {
	case r.wakeWriter <- struct{}{}:
	default: // a token is already there
	}
}

// Lock locks rw for writing. If the lock is already locked for reading or
// writing, Lock blocks until the lock is available.
func (rw *RWMutex) Lock() {
	rw.writers.Lock()
	r := rw.slots()
	rw.writer.Store(acquiring)
	// From here on new readers step back, so the sum can only fall.
	for spins := 0; ; spins++ {
		n := r.readerCount()
		if n == 0 {
			break
		}
		if n < 0 {
			fatal("drwmutex: RUnlock of unlocked RWMutex")
		}
		if spins < writerSpins {
			runtime.Gosched()
			continue
		}
		<-r.wakeWriter
	}
	rw.writer.Store(held)
}

// writerSpins is how many times Lock yields before it sleeps until a reader
// leaves: enough for readers of short critical sections on the same P to
// finish, few enough not to burn a core while readers hold the lock long.
const writerSpins = 4

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
	rw.writer.Store(acquiring)
	switch n := r.readerCount(); {
	case n == 0:
		rw.writer.Store(held)
		return true
	case n < 0:
		fatal("drwmutex: RUnlock of unlocked RWMutex")
	}
	rw.release(r)
	return false
}

// Unlock unlocks rw for writing. It is a run-time error if rw is not locked
// for writing on entry to Unlock.
//
// As with sync.RWMutex, a locked RWMutex is not associated with a particular
// goroutine. One goroutine may RLock (Lock) an RWMutex and then arrange for
// another goroutine to RUnlock (Unlock) it.
func (rw *RWMutex) Unlock() {
	if rw.writer.Load() != held {
		fatal("drwmutex: Unlock of unlocked RWMutex")
	}
	rw.release(rw.readers.Load())
}

// release ends a writer's hold, or its attempt: the readers that waited for
// it get their read locks, counted in a slot before the writer flag drops so
// that the next writer waits for them, and then the writers' mutex is freed.
func (rw *RWMutex) release(r *readerSlots) {
	rw.gate.Lock()
	if rw.writer.Load() == noWriter {
		rw.gate.Unlock()
		fatal("drwmutex: Unlock of unlocked RWMutex")
	}
	if rw.waiting > 0 {
		r.slots[0].count.Add(int64(rw.waiting))
		rw.waiting = 0
		r.epoch++
		r.admitted.Broadcast()
	}
	rw.writer.Store(noWriter)
	rw.gate.Unlock()
	rw.writers.Unlock()
}

// RLocker returns a Locker whose Lock and Unlock take and release read locks
// of rw through the counter of the CPU the caller runs on now. A goroutine
// that moves to another CPU between the handle's Lock and Unlock still
// releases exactly the counter it incremented, so the handle's methods never
// look the CPU up. RLocker does not allocate.
func (rw *RWMutex) RLocker() sync.Locker {
	r := rw.slots()
	return &r.slots[asm.Current()&r.mask].handle
}

// rlocker is a read-lock handle bound to one slot.
type rlocker struct {
	rw   *RWMutex
	slot *slot
}

// Lock takes a read lock through the handle's slot.
func (h *rlocker) Lock() {
	h.slot.count.Add(1)
	if h.rw.writer.Load() != noWriter {
		h.rw.rlockSlow(h.rw.readers.Load(), h.slot)
	}
}

// Unlock releases a read lock through the handle's slot.
func (h *rlocker) Unlock() {
	h.slot.count.Add(-1)
	if h.rw.writer.Load() != noWriter {
		h.rw.wakeWriter(h.rw.readers.Load())
	}
}

// fatal reports misuse. It panics, as the misuse leaves the lock in a state
// no caller can repair.
func fatal(msg string) { panic(msg) }

// noCopy lets go vet's copylocks check catch copies of an RWMutex.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
