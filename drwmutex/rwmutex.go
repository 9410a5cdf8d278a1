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
// Per-CPU counters pay off only while writers are rare, so an RWMutex has
// two modes. Every Lock switches it to one shared counter, counted the way
// sync.RWMutex counts; after 1024 read locks with no writer in between it
// switches back to the per-CPU counters. A mutex that is written often
// therefore costs about what sync.RWMutex costs, and one that is read-mostly
// scales. With GOMAXPROCS=1 it keeps the shared counter, which is the
// cheaper one when readers cannot run in parallel.
//
// Measured on a 2-core VM (docs/benchmarks.md), ns per operation against
// sync.RWMutex's: with two cores only reading, 7.7 against 23.2 (3x); with
// GOMAXPROCS=1, 12.9 against 11.8; with 1% of operations writing, 15.4
// against 15.2 (0.99x sync's throughput); with 10% writing, 18.0 against
// 16.4 (0.91x). A lone goroutine on a multi-core machine pays 1.25x for
// looking up its P on every call. The price is also memory and the write
// lock: a mutex that has been read often enough to switch holds
// asm.SlotCount() counters of asm.CacheLineSize bytes (2 × 128 bytes on a
// 2-CPU machine, 8 KiB on 64 CPUs) besides its own 176 bytes (sync.RWMutex:
// 24), and Lock reads every counter. Prefer sync.RWMutex for the many small
// locks inside data structures, and for locks written as often as they are
// read.
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

	// The first cache line holds what every reader reads and almost no
	// one writes, so that it stays in every core's cache.

	// biased points to the per-CPU counters while readers count
	// themselves there, and is nil while they count themselves in
	// central. It is a hint: correctness rests on state and the counters
	// alone.
	biased atomic.Pointer[readerSlots]
	// readers points to the per-CPU counters; nil until the mutex first
	// turns biased or RLocker is called.
	readers atomic.Pointer[readerSlots]

	// A cache-line block apart from what follows, which writers and
	// unbiased readers write: a reader that loaded biased from a line that
	// another core then wrote would pay for a second transfer of the line
	// on its add. (When the mode was a bit of state, a CPU profile of 1%
	// writes with 16 goroutines spent a third of its time loading state.)
	_ [asm.CacheLineSize]byte

	// state's low bits say whether a writer is present (holding the lock
	// or waiting for readers to leave), and whether it sleeps on writerSem
	// until a reader leaves; the rest counts the readers blocked on
	// readerSem until the writer leaves, whose read locks its Unlock takes
	// for them.
	state atomic.Int64
	// central counts the read locks taken and released outside the slots,
	// in its low 32 bits (signed). Above them it counts down the read locks
	// taken through it since the last writer, until the mutex turns biased
	// again, and a present writer subtracts writerMark, so that one atomic
	// add tells an unbiased reader all it needs. See rebiasBelow.
	central atomic.Int64
	// writers serializes writers; it is held from Lock to Unlock.
	writers sync.Mutex

	writerSem uint32 // semaphore for the writer to wait for readers
	readerSem uint32 // semaphore for readers to wait for the writer
}

// The parts of RWMutex.state.
const (
	writer     int64 = 1 // a writer holds the lock or waits for readers to leave
	sleeping   int64 = 2 // the writer sleeps on writerSem until a reader leaves
	oneWaiting int64 = 4 // the unit of the blocked readers' count
)

// A mutex is in one of two modes, which only decide where readers count
// themselves. Biased, each reader takes the slot of its CPU, so readers on
// different cores write different cache lines, and a writer has to read
// every slot. Unbiased, readers count themselves in central, one word next
// to state, as sync.RWMutex does: cheaper on one core and for the writer,
// but every reader writes the same cache line.
//
// Every writer makes the mutex unbiased; after rebiasAfter read locks taken
// through central with no writer in between, the reader that takes the
// next one makes it biased again. A mutex that is written often therefore
// behaves like sync.RWMutex, one that is written rarely like
// percpu_rw_semaphore. The same idea is in Linux's rcu_sync, which keeps
// percpu_rw_semaphore's readers on their slow path while writers are
// active, and in the reader bias of xsync's RBMutex (after the BRAVO paper:
// Dice and Kogan, "BRAVO—Biased Locking for Reader-Writer Locks", USENIX
// ATC 2019), which a writer turns off for a while. A zero RWMutex starts
// unbiased, so a lock read fewer than rebiasAfter times never allocates its
// slots.
//
// Correctness does not depend on the mode: the writer sums the slots and
// central alike, and a reader that finds a writer undoes its increment on
// the counter it made it on, whichever mode the mutex is in by then.
const (
	rebiasAfter       = 1 << 10
	budgetUnit  int64 = 1 << 32 // one read lock taken through central
	rebiasBelow       = -rebiasAfter * budgetUnit
	// writerMark is subtracted from central while a writer is present,
	// taking it far below rebiasBelow, and below markedBelow. The budget
	// part never strays far from zero, as every writer resets it.
	writerMark  int64 = 1 << 62
	markedBelow       = -writerMark / 2
)

// readerSlots is what an RWMutex allocates when it first turns biased.
type readerSlots struct {
	slots []slot // len(slots) is a power of two
	mask  int    // len(slots) - 1
}

// A slot counts read locks taken minus read locks released through it. A
// single slot's count means nothing and may be negative, because RUnlock may
// run on another CPU than its RLock; only the sum over all slots and
// central is the number of readers.
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
	if r := rw.biased.Load(); r != nil {
		// asm.Current, with its PID case spelled out so that ProcPin
		// and ProcUnpin inline here; a helper doing the same could not
		// inline, and the call would cost what this saves. RUnlock
		// repeats it.
		var cpu int
		if asm.UsesPID() {
			cpu = asm.ProcPin()
			asm.ProcUnpin()
		} else {
			cpu = asm.Current()
		}
		rw.rlockSlot(&r.at(cpu).count)
		return
	}
	rw.rlockCentral()
}

// rlockSlot takes a read lock through slot counter c. It and the three
// below are the fast paths that RLock, RUnlock and the RLocker handles
// share; each is small enough to inline.
func (rw *RWMutex) rlockSlot(c *atomic.Int64) {
	c.Add(1)
	if rw.state.Load() != 0 { // its other parts are zero without a writer
		rw.rlockSlow(c)
	}
}

// rlockCentral takes a read lock through central, counting it towards
// turning the mutex biased; one add tells it whether a writer is present.
func (rw *RWMutex) rlockCentral() {
	if v := rw.central.Add(1 - budgetUnit); v < rebiasBelow {
		rw.rlockCentralSlow(v)
	}
}

// runlockSlot releases a read lock through slot counter c.
func (rw *RWMutex) runlockSlot(c *atomic.Int64) {
	c.Add(-1)
	if rw.state.Load()&sleeping != 0 {
		rw.wakeWriter()
	}
}

// runlockCentral releases a read lock through central. A sleeping writer
// marked central before it slept, so the add tells whether to look.
func (rw *RWMutex) runlockCentral() {
	if rw.central.Add(-1) < rebiasBelow {
		rw.wakeWriter()
	}
}

// rlockCentralSlow runs when a reader that counted itself in central, making
// it v, found a writer, or found that the mutex has been read often enough
// since the last writer to turn biased.
func (rw *RWMutex) rlockCentralSlow(v int64) {
	if v < markedBelow || rw.state.Load()&writer != 0 {
		rw.rlockSlow(&rw.central)
		return
	}
	rw.rebias()
}

// rebias makes the mutex biased, unless a writer is present or the program
// runs on one P, where readers never run in parallel and the shared counter
// is the cheaper one; then it grants another rebiasAfter read locks before
// asking again. A writer that comes meanwhile may miss the pointer and leave
// the mutex biased: only the choice of counters suffers, until the next
// writer.
func (rw *RWMutex) rebias() {
	if runtime.GOMAXPROCS(0) == 1 {
		rw.central.Add(rebiasAfter * budgetUnit)
		return
	}
	r := rw.slots()
	if rw.state.Load()&writer == 0 {
		rw.biased.CompareAndSwap(nil, r)
	}
}

// rlockSlow runs when a writer came while the reader counted itself in c:
// the reader steps back and waits until the writer's Unlock admits it, or
// retries through c if the writer has gone by then.
func (rw *RWMutex) rlockSlow(c *atomic.Int64) {
	for {
		// Undo on c itself, never on a counter looked up again: the
		// writer reads the counters one by one, and an increment it saw
		// on c, undone on a counter it has already read, would leave its
		// sum one too high forever; undone on a counter it has not read
		// yet, one too low, letting it in beside a reader.
		c.Add(-1)
		if rw.waitForWriter() {
			return // the writer's Unlock took our read lock for us
		}
		c.Add(1)
		if rw.state.Load()&writer == 0 {
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
		if old&writer == 0 {
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
	if rw.state.Load()&writer != 0 {
		return false
	}
	c := &rw.central
	if r := rw.biased.Load(); r != nil {
		c = &r.at(asm.Current()).count
	}
	c.Add(1)
	if rw.state.Load()&writer != 0 {
		c.Add(-1)
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
	if r := rw.biased.Load(); r != nil {
		var cpu int
		if asm.UsesPID() {
			cpu = asm.ProcPin()
			asm.ProcUnpin()
		} else {
			cpu = asm.Current()
		}
		rw.runlockSlot(&r.at(cpu).count)
		return
	}
	rw.runlockCentral()
}

// wakeWriter wakes the writer if it sleeps and no reader it waits for is
// left, so that it counts them again. Every reader that takes itself out of
// the count calls it after doing so, so whoever brings the count to zero
// sees zero; waking the writer for any less would cost it a sleep and a
// wake-up per reader that leaves, and on a busy P each of those is a context
// switch. A count below zero wakes it too, so that it reports the misuse.
// Only the caller that clears the sleeping bit releases the semaphore, so
// the writer is woken once however many readers leave.
func (rw *RWMutex) wakeWriter() {
	for {
		old := rw.state.Load()
		if old&sleeping == 0 || rw.readerCount() > 0 {
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
	rw.announce()
	// From here on new readers step back, so the sum can only fall.
	for spins := 0; ; spins++ {
		n := rw.readerCount()
		if n == 0 {
			break
		}
		if n < 0 {
			fatal("drwmutex: RUnlock of unlocked RWMutex")
		}
		if spins >= writerSpins {
			rw.sleepUntilReaderLeaves()
		}
	}
}

// announce tells readers that a writer is acquiring the lock: biased ones
// through state, which they check after counting themselves in a slot, and
// unbiased ones through central, in which they count themselves. It makes
// the mutex unbiased and restarts the count of read locks until it turns
// biased again.
func (rw *RWMutex) announce() {
	rw.state.Add(writer)
	if rw.biased.Load() != nil {
		rw.biased.Store(nil) // only if set: a store costs every reader a miss
	}
	// Readers may change the budget between the load and the add; it is a
	// heuristic, and lands near zero either way.
	c := rw.central.Load()
	rw.central.Add(-(c - int64(int32(c))) - writerMark)
}

// sleepUntilReaderLeaves parks the acquiring writer until a reader that
// leaves sees the sleeping bit and wakes it. A reader that left before the
// bit was set is seen by the count taken after setting it, so no wake-up is
// lost.
func (rw *RWMutex) sleepUntilReaderLeaves() {
	rw.state.Add(sleeping)
	if rw.readerCount() <= 0 {
		// Whoever clears the bit first owns it: if a reader beat us to it,
		// its release is on the semaphore and must be consumed. (Below
		// zero, Lock's next count reports the misuse.)
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
// miss is undone on the same counter, so the sum it reads is never too low.
// The slots are loaded after the writer announced itself: a reader that
// allocates them and counts itself there before seeing the writer published
// them before its increment.
func (rw *RWMutex) readerCount() int64 {
	n := int64(int32(rw.central.Load()))
	if r := rw.readers.Load(); r != nil {
		for i := range r.slots {
			n += r.slots[i].count.Load()
		}
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
	rw.announce()
	switch n := rw.readerCount(); {
	case n == 0:
		return true
	case n < 0:
		fatal("drwmutex: RUnlock of unlocked RWMutex")
	}
	rw.release()
	return false
}

// Unlock unlocks rw for writing. It is a run-time error if rw is not locked
// for writing on entry to Unlock.
//
// As with sync.RWMutex, a locked RWMutex is not associated with a particular
// goroutine. One goroutine may RLock (Lock) an RWMutex and then arrange for
// another goroutine to RUnlock (Unlock) it.
func (rw *RWMutex) Unlock() {
	rw.release()
}

// release ends a writer's hold, or a failed TryLock's attempt: the writer
// leaves the state, the readers that blocked on it get their read locks,
// counted in central before the next writer can start, and then the
// writers' mutex is freed.
func (rw *RWMutex) release() {
	for {
		old := rw.state.Load()
		if old&writer == 0 {
			fatal("drwmutex: Unlock of unlocked RWMutex")
		}
		if !rw.state.CompareAndSwap(old, 0) {
			continue // a reader joined the waiting ones
		}
		n := old / oneWaiting
		// Until this add, readers that see the mark find no writer in
		// state and retry.
		rw.central.Add(writerMark + n)
		for range n {
			semrelease(&rw.readerSem, false, 1)
		}
		rw.writers.Unlock()
		return
	}
}

// RLocker returns a Locker whose Lock and Unlock take and release read locks
// of rw through the counter of the CPU the caller runs on now. A goroutine
// that moves to another CPU between the handle's Lock and Unlock still
// releases exactly the counter it incremented, so the handle's methods never
// look the CPU up. (While writers keep the mutex unbiased, the handle uses
// the shared counter instead, as RLock does; see the package doc.) RLocker
// does not allocate.
func (rw *RWMutex) RLocker() sync.Locker {
	r := rw.slots()
	return &r.at(asm.Current()).handle
}

// rlocker is a read-lock handle bound to one slot.
type rlocker struct {
	rw   *RWMutex
	slot *slot
}

// Lock takes a read lock through the handle's slot, or, while the mutex is
// unbiased, through the shared counter as RLock does.
func (h *rlocker) Lock() {
	if h.rw.biased.Load() != nil {
		h.rw.rlockSlot(&h.slot.count)
		return
	}
	h.rw.rlockCentral()
}

// Unlock releases a read lock through the handle's slot, or, while the
// mutex is unbiased, through the shared counter.
func (h *rlocker) Unlock() {
	if h.rw.biased.Load() != nil {
		h.rw.runlockSlot(&h.slot.count)
		return
	}
	h.rw.runlockCentral()
}

// fatal reports misuse. It panics, as the misuse leaves the lock in a state
// no caller can repair.
func fatal(msg string) { panic(msg) }

// noCopy lets go vet's copylocks check catch copies of an RWMutex.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
