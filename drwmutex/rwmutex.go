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
// Per-CPU counters pay off only while writers are rare and readers run in
// parallel, so an RWMutex has two modes. A Lock switches it to one
// shared counter, counted the way sync.RWMutex counts, with RLock and
// RUnlock inlined into the caller as sync.RWMutex's are; the 1024th read
// lock with no writer in between that finds another reader holding the lock
// switches it back to the per-CPU counters. A Lock leaves the per-CPU
// counters in place where the last switch to them has stood at least as
// long as it took to earn, so that a mutex written that rarely does not pay
// for 1024 shared read locks after every write. A mutex that is written
// often, or read by one goroutine at a time, therefore costs about what
// sync.RWMutex costs, and one whose readers overlap scales. With GOMAXPROCS=1 it keeps the shared counter, which is
// the cheaper one when readers cannot run in parallel. (Under the membarrier
// fence, on a machine where a biased read lock measured cheaper than an
// unbiased one even for a lone reader, such mutexes turn biased too; see
// LoneReaders.)
//
// The write lock is a mark in the shared counter, so a mutex that is never
// read often enough to switch takes it with one compare-and-swap and
// releases it with one add, fewer atomic read-modify-writes than
// sync.RWMutex makes. The price of the per-CPU counters is memory and the
// write lock: a mutex that has been read often enough to switch, or whose
// RLocker was called, holds asm.SlotCount() counters, each followed by a
// cache-line block of padding, besides its own fields; from then on a write
// lock reads every counter, and a lone goroutine looks up its P on every
// read lock. docs/benchmarks.md has the figures, with the machines they come
// from. Prefer sync.RWMutex for the many small locks inside data structures,
// and for locks written as often as they are read.
//
// # Fence
//
// On linux/amd64 a biased reader counts itself with a plain add to a counter
// that only its P writes, with no atomic read-modify-write, and a writer
// that finds the mutex biased makes every thread of the process execute a
// memory barrier, with membarrier(2), before it counts the readers (see
// Fence and FenceEnvVar). A biased write lock therefore costs one or two
// system calls more; the mode switch keeps a mutex written often unbiased,
// so that only the first write after a read-mostly phase pays them. Those
// calls are cheap while no other thread of the process runs and can take
// microseconds while readers do, in some virtual machines tens of them;
// READMOSTLY_FENCE=atomic keeps the atomic adds where that matters. Where
// membarrier is not available, and in race builds, readers use atomic adds.
//
// # Misuse
//
// Misuse that the counters show ends the program with an unrecoverable
// fatal error, as it does for sync.RWMutex: Unlock of a mutex that is not
// write-locked, and a reader total below zero, which a stray RUnlock causes.
// With per-CPU counters a stray RUnlock cannot always be seen at once: while
// the mutex is unbiased, RUnlock reports it at once, unless a read lock that
// another goroutine takes in the same instant lifts the count back to zero
// before RUnlock looks again (its fast path keeps no more than the add's
// sign), when the release that next takes the count below zero reports it;
// while it is biased, the decrement may meet another reader's increment in
// the sum, and the misuse is reported by the next writer that finds the
// total below zero. Until then a writer can have entered beside a reader, as
// with any lock released twice. RUnlock while a writer holds the lock is
// reported by that writer's Unlock.
//
// Copying an RWMutex after first use is a mistake that vet reports. A copy
// of an unlocked RWMutex goes on working as a mutex of its own, as one of an
// unlocked sync.RWMutex does, unless it was copied while biased: the copy
// then shares the original's per-CPU counters, which keeps both sound but
// makes each one's writers wait for the other's readers.
//
// # Race detector
//
// Under -race an RWMutex tells the race detector what sync.RWMutex tells
// it, and nothing more: its own counters are hidden, a read lock acquires
// the last Unlock, and a write lock acquires every earlier RUnlock. Two
// readers that write the same variable under RLock are therefore reported,
// as they are with sync.RWMutex. Race builds also do not start package
// asm's CPU detection, whose timing loops, run beside a program's first
// read locks, were seen to make the detector miss races between them; the
// P index chooses the slots there, and asm.EnvVar takes effect only if the
// program runs detection itself.
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
// one that took it. A failed TryLock blocks no reader.
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

	// hint tells readers where to count themselves: it points to the
	// per-CPU counters while the mutex is biased, to the mutex itself
	// while readers count in central and look at the budget only when
	// they overlap, and is nil while every read lock through central
	// counts against the budget (see unbiasedHint). It is a hint:
	// correctness rests on central and the counters alone. It is a bare
	// unsafe.Pointer, and central a word used through the package
	// functions, only so that RLock and RUnlock fit the inliner's budget
	// (see RLock); biased reads it as the slots, or nil.
	hint unsafe.Pointer
	// readers points to the per-CPU counters; nil until the mutex first
	// turns biased or RLocker is called.
	readers atomic.Pointer[readerSlots]

	// A cache-line block apart from what follows, which writers and
	// unbiased readers write: a reader that loaded hint from a line that
	// another core then wrote would pay for a second transfer of the line
	// on its add (docs/benchmarks.md, "How the write numbers got here",
	// has the profile that showed it).
	_ asm.CacheLinePad

	// state holds what the slow paths wait on: whether the writer sleeps
	// on writerSem until a reader leaves (sleeping); whether a writer
	// sleeps on nextWriterSem until the writer present leaves
	// (writerSleeps), and whether one waits in line at all (writerQueued);
	// and, in units of oneWaiting, the readers blocked on readerSem until
	// the writer leaves, whose read locks the writer's release takes for
	// them. With nobody waiting, state is zero but for readers that
	// registered as the writer left and are taking themselves out again.
	state atomic.Int64
	// central holds the read locks counted here (see countOf), and
	// -writerMark while a writer is present, which is the write lock
	// itself, so that one atomic add tells an unbiased reader all it
	// needs, and one swap takes the write lock. It is below zero exactly
	// while a writer is present or the count is below zero.
	central atomic.Int64
	// budget counts read locks taken through central since the last
	// writer, towards turning the mutex biased again (see rebias); only
	// slow paths touch it.
	budget atomic.Int64
	// writers keeps in line the writers that found another writer present
	// or someone waiting; Lock's fast path does not touch it.
	writers sync.Mutex

	writerSem     uint32 // semaphore for the writer to wait for readers
	readerSem     uint32 // semaphore for readers to wait for the writer
	nextWriterSem uint32 // semaphore for the next writer to wait for the writer

	// foldOnRelease is set by the writer whose last count of the readers
	// found a counter of a slot other than zero, and cleared by its release,
	// which folds the slots; only the holder of the write lock touches it,
	// so that it is false whenever no writer is present. It is atomic only
	// for the race detector, which does not see the lock's own atomics order
	// the holders.
	foldOnRelease atomic.Bool

	// What a writer that finds the mutex biased goes by (see keepBias),
	// in clock's nanoseconds, 0 until it happens: when a writer last made
	// the mutex unbiased, when it last turned biased, and when a writer
	// last left it biased. They are hints, like the mode itself: their
	// loads and stores are atomic but unordered with the lock's own, and a
	// race between them costs at most one writer's choice of mode. The
	// runtime's monotonic clock does not overflow an int64 in 292 years.
	unbiasedAt, rebiasedAt, keptAt atomic.Int64
}

// The parts of RWMutex.state. A writer is present exactly while central
// holds the mark (writerPresent); state is touched only on slow paths.
//
// Each bit has one owner that sets it, so none is set twice: sleeping by
// the writer present, writerSleeps and writerQueued by the writer that
// holds writers, which is at most one. writerSleeps is cleared by the one
// caller that wins a swap, which then releases nextWriterSem, or by its
// owner, which then does not sleep: the semaphore never holds more than
// one release. The readers' count is bounded by the goroutines blocked in
// RLock, each registered once; see waitForWriter and admitWaiting.
const (
	sleeping     int64 = 1 // the writer sleeps on writerSem until a reader leaves
	writerSleeps int64 = 2 // the next writer sleeps on nextWriterSem until the writer leaves
	writerQueued int64 = 4 // a writer waits in line; Lock's fast path stays out
	oneWaiting   int64 = 8 // the unit of the blocked readers' count
)

// writerPresent reports whether a writer holds the lock or waits for
// readers to leave.
func (rw *RWMutex) writerPresent() bool { return rw.central.Load() < markedBelow }

// A mutex is in one of two modes, which only decide where readers count
// themselves. Biased, each reader takes the slot of its CPU, so readers on
// different cores write different cache lines, and a writer has to read
// every slot. Unbiased, readers count themselves in central, one word next
// to state, as sync.RWMutex does: cheaper on one core and for the writer,
// but every reader writes the same cache line.
//
// A writer makes the mutex unbiased, unless writers are rare by the
// readers' measure (see keepBias). An unbiased reader's add to
// central tells it whether another reader is counted there; the
// rebiasAfter'th read lock that finds one, with no writer in between, makes
// the mutex biased again (see rebias). A mutex that is written often
// therefore behaves like sync.RWMutex, one that is written rarely like
// percpu_rw_semaphore. A mutex read by one goroutine at a time, or by
// goroutines that take turns, stays unbiased: for them the shared counter's
// line does not bounce between cores, or only as often as they take turns,
// while the per-CPU counters would cost each read lock a look-up of its P.
// Readers that overlap in a fraction f of their read locks turn it biased
// after about rebiasAfter/f of them. (Under loneBias every read lock through
// central counts, overlapping or not; see unbiasedHint.) The same idea is in Linux's rcu_sync, which keeps
// percpu_rw_semaphore's readers on their slow path while writers are active,
// and in the reader bias of xsync's RBMutex (after the BRAVO paper: Dice and
// Kogan, "BRAVO—Biased Locking for Reader-Writer Locks", USENIX ATC 2019),
// which a writer turns off for a while. A zero RWMutex starts unbiased, so a
// lock read fewer than rebiasAfter times never allocates its slots, nor
// does one read by a single goroutine at a time (unless loneBias). A TryLock
// that fails leaves the mode as it found it.
//
// Correctness does not depend on the mode: the writer sums the slots and
// central alike, and a reader that finds a writer undoes its increment on
// the counter it made it on, whichever mode the mutex is in by then.
//
// # Bounds
//
// A read lock taken in one mode and released in the other leaves +1 on one
// counter and -1 on another; only the sum means anything. So that these
// splits cannot pile up over a process's life, every writer folds the slots
// back into central before it leaves (see fold), unless its last count found
// them empty (see release): the sum stays the same, and the split left
// after each write is made only of operations in flight.
// Between two writes the mode changes at most twice, so a counter strays
// from zero by at most twice the read locks held at once. With bits 0 to 61
// for central's count, nothing overflows before 2^60 read locks are held at
// once (sync.RWMutex's limit is 2^30); the slots are full words. The read
// locks a writer's release takes for blocked readers (admitWaiting) are read
// locks held, within the same bound.
//
// The budget starts at zero after every writer that leaves the mutex
// unbiased and rises by one per read lock that spends it (see spend); the
// reader that finds it at rebiasAfter turns the mutex biased, or, with one
// P or no other reader (and no loneBias), takes rebiasAfter off it again;
// readers already on their way may take it a little higher, one each. A
// writer that leaves the mutex biased (keepBias) leaves the budget as it
// is, and while the mutex stays biased only those readers on their way,
// which loaded an unbiased hint before it turned biased, spend any more of
// it. It therefore stays below rebiasAfter + the goroutines in RLock at
// once.
//
// writerMark is far below any value the count can make, and it is the
// write lock: set by a swap from a value without it, removed by the
// writer's release alone, so at most one is ever in central. Without it
// central lies in [-2^61, 2^61), so the value after a release's add tells a
// sound release from misuse (see release).
const (
	countUnit   int64 = 1 // one read lock counted in central
	rebiasAfter       = 1 << 10
	writerMark  int64 = 1 << 62
	markedBelow       = -writerMark / 2
)

// countOf returns the read locks counted in central's value v: bits 0 to
// 61, sign-extended.
func countOf(v int64) int64 { return v << 2 >> 2 }

// The fast paths of RLock and RUnlock reach the words inside central and
// hint through package functions of sync/atomic, which cost the inliner
// fewer nodes than the typed methods; this holds only while the typed
// atomic is its word and nothing else, which the two declarations below
// check at compile time.
var (
	_ [unsafe.Sizeof(atomic.Int64{}) - 8]struct{}
	_ [8 - unsafe.Sizeof(atomic.Int64{})]struct{}
)

// centralWord returns central as the word that the fast paths add to. The
// race builds' paths call it; RLock and RUnlock spell it out, as the call
// would cost each 3 nodes over the inliner's budget.
func (rw *RWMutex) centralWord() *uint64 { return (*uint64)(unsafe.Pointer(&rw.central)) }

// readerSlots is what an RWMutex allocates when it first turns biased.
type readerSlots struct {
	slots []slot // len(slots) is a power of two
	mask  int    // len(slots) - 1
}

// A slot counts read locks taken minus read locks released through it, in
// two counters: count, which anyone may add to atomically, and owned, which
// only the goroutine holding P i adds to, pinned, under the membarrier fence
// (see fence.go). A single slot's counts mean nothing and may be negative,
// because RUnlock may run on another CPU than its RLock; only the sum over
// all slots and central is the number of readers.
type slot struct {
	slotCounters
	_ asm.CacheLinePad
}

type slotCounters struct {
	count atomic.Int64
	// owned is written with plain adds by P i's goroutine while pinned,
	// and read atomically by writers. It counts read locks minus releases
	// through it modulo 2^64: only differences matter (see base), so its
	// wrapping, after 2^63 read locks on one P, is harmless.
	owned int64
	// base is owned's value when a writer last folded it into central;
	// owned - base is what the slot still holds. Writers alone write it.
	base atomic.Int64
	// handle is the slot's RLocker, built with the slots, so that RLocker
	// allocates nothing once they exist.
	handle rlocker
}

// parts returns what the slot holds of the sum, in its two parts: what its
// owned counter gained since the last fold, and its atomic count. It loads
// owned first: a read lock taken through count and released through owned
// (a handle's Lock and an RUnlock) then shows, if at all, in count, so that
// a sum taken while no writer holds back readers errs high.
func (s *slotCounters) parts() (owned, count int64) {
	owned = atomic.LoadInt64(&s.owned) - s.base.Load()
	return owned, s.count.Load()
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
		raceLoaded(r)
		return r
	}
	return rw.allocSlots()
}

// raceLoaded tells the race detector, in race builds, that the caller loaded
// r, which allocSlots published. The lock's own atomics are hidden from the
// detector, but the slots' plain fields are not, and it would otherwise see
// their initialization race with every reader that reads them. The caller
// has race events disabled, as every lock method has while it works.
func raceLoaded(r *readerSlots) {
	if raceEnabled {
		raceEnable()
		raceAcquire(unsafe.Pointer(r))
		raceDisable()
	}
}

// allocSlots allocates the counters. It also starts, on a goroutine of its
// own, CPU detection, whose answer chooses the slots from now on, and the
// choice of the fence (see prepareInBackground), so that no lock call
// waits for either.
func (rw *RWMutex) allocSlots() *readerSlots {
	if raceEnabled {
		// The callers have race events disabled; the go statement in
		// prepareInBackground and the publication below must be seen.
		raceEnable()
		defer raceDisable()
	}
	prepareInBackground()
	n := asm.SlotCount()
	r := &readerSlots{slots: make([]slot, n), mask: n - 1}
	for i := range r.slots {
		r.slots[i].handle = rlocker{rw: rw, slots: r, slot: &r.slots[i]}
	}
	if raceEnabled {
		raceRelease(unsafe.Pointer(r))
	}
	if rw.readers.CompareAndSwap(nil, r) {
		return r
	}
	r = rw.readers.Load()
	if raceEnabled {
		raceAcquire(unsafe.Pointer(r))
	}
	return r
}

// RLock locks rw for reading.
//
// It should not be used for recursive read locking; a blocked Lock call
// excludes new readers from acquiring the lock. See the RWMutex type doc.
func (rw *RWMutex) RLock() {
	if raceEnabled {
		rw.rlockRace()
		return
	}
	// The fast path, which inlines into the caller as sync.RWMutex's
	// does: an unbiased reader's add to central that finds no writer and
	// no other reader counted there (as unsigned, a result of 2 or more is
	// either; below zero is huge). Everything else is rlockSlow's, told
	// the hint loaded here, which says whether the add was made. As
	// written the function costs exactly the inliner's budget of 80
	// nodes; the typed atomics' methods, a helper, or a second call site
	// each take it over (docs/benchmarks.md, "Why the unbiased read path
	// is a call", has the history).
	if h := atomic.LoadPointer(&rw.hint); h != unsafe.Pointer(rw) || atomic.AddUint64((*uint64)(unsafe.Pointer(&rw.central)), 1) >= 2 {
		rw.rlockSlow(h)
	}
}

// rlockRace is RLock in race builds: the same steps, with the detector's
// events disabled while the lock's own atomics work.
func (rw *RWMutex) rlockRace() {
	raceDisable()
	if h := atomic.LoadPointer(&rw.hint); h != unsafe.Pointer(rw) || atomic.AddUint64(rw.centralWord(), 1) >= 2 {
		rlockSlowGo(rw, h)
	}
	raceEnable()
	raceAcquire(unsafe.Pointer(&rw.readerSem))
}

// rlockSlowGo takes the read lock that RLock's fast path did not take,
// given the hint that the fast path loaded: the mutex's slots, the mutex
// itself if the fast path counted the reader in central and found a writer,
// another reader, or a count below zero, or nil. It added nothing but in
// the second case. The two common cases, readers that overlap and biased
// readers, are spelled out here rather than called. RLock reaches it
// through rlockSlow, which on linux/amd64 first runs the assembly of
// owned_amd64.s: that takes a biased read lock through the P's owned
// counter itself, and jumps here for everything else. A function, not a
// method, because the assembler can name only functions.
func rlockSlowGo(rw *RWMutex, h unsafe.Pointer) {
	if h == unsafe.Pointer(rw) {
		// The add's result is gone, but central tells what matters: a
		// writer present now, which the reader steps back for, or none,
		// when the read lock counted stands (a writer that was present
		// at the add and has left since did not count it, or it would
		// still be waiting for it). As rlockCentralSlow.
		v := rw.central.Load()
		if v < markedBelow {
			rw.rlockCentralWait()
		} else if countOf(v) >= 2 && rw.budget.Add(1) >= rebiasAfter { // as spend
			rw.rebias(v)
		}
		return
	}
	r := rw.readers.Load()
	if h == nil || h != unsafe.Pointer(r) {
		rw.rlockOther(h)
		return
	}
	raceLoaded(r)
	// asm.Current, with its PID case spelled out so that ProcPin and
	// ProcUnpin inline here; a helper doing the same could not inline,
	// and the call would cost what this saves. runlockSlowGo repeats it.
	var cpu int
	switch {
	case fenced.Load():
		// What owned_amd64.s's rlockSlowAsm does for a P within the
		// slots, where it runs.
		cpu = asm.ProcPin()
		if cpu <= r.mask {
			// The membarrier fence (fence.go): a plain add to the
			// counter of the P we hold, pinned so that no other
			// goroutine runs on it meanwhile. The add comes before the
			// loads of hint and central because an atomic load is
			// ordered after every earlier memory operation in the
			// compiler's SSA; the processor may still let the loads
			// pass the store, which is what the writer's membarrier is
			// for.
			//
			// hint is loaded before central, and x86 keeps loads in
			// order. A writer skips the membarrier only if it finds
			// the hint not pointing to the slots; if we then find it
			// pointing there, and central unmarked, the change was
			// stored after our look at the hint by an earlier writer,
			// which found the slots in use, so fenced and counted us,
			// and waited for us; with the other order, a rebias between
			// that writer and this one could show us the slots again
			// after we looked at central, and this writer, which did
			// not fence, could miss our add.
			o := &r.at(cpu).owned
			*o++
			retry := atomic.LoadPointer(&rw.hint) != h || rw.central.Load() < markedBelow
			if retry {
				*o--
			}
			asm.ProcUnpin()
			if retry {
				rw.rlockStepBack()
			}
			return
		}
		asm.ProcUnpin() // a P index beyond the slots counts atomically
	case asm.UsesPID():
		cpu = asm.ProcPin()
		asm.ProcUnpin()
	default:
		cpu = asm.Current()
	}
	c := &r.at(cpu).count
	c.Add(1)
	// central holds the mark while a writer is present. The look at the
	// hint catches one gone stale before the add; see rlockSlotSlow.
	if rw.central.Load() < markedBelow || atomic.LoadPointer(&rw.hint) != h {
		rw.rlockSlotSlow(c)
	}
}

// rlockOther is rlockSlowGo's for a nil hint, and for one copied from
// another mutex.
func (rw *RWMutex) rlockOther(h unsafe.Pointer) {
	if h == nil {
		rw.rlockCounting()
		return
	}
	rw.forgetCopiedHint(h)
	rw.RLock()
}

// biased returns the slots while the mutex is biased, and nil while it is
// not. The slots are published before the hint points to them.
func (rw *RWMutex) biased() *readerSlots {
	if r := rw.readers.Load(); r != nil && atomic.LoadPointer(&rw.hint) == unsafe.Pointer(r) {
		return r
	}
	return nil
}

// forgetCopiedHint replaces hint h, which is neither nil, nor the mutex
// itself, nor its slots, with nil. Such a hint is the address of the mutex
// that this one was copied from, after use and unlocked, which vet reports
// but sync.RWMutex survives; so does this one. (A mutex copied while biased
// shares the original's slots, which keeps every lock sound, but lets each
// mutex's writers wait for the other's readers.)
func (rw *RWMutex) forgetCopiedHint(h unsafe.Pointer) {
	atomic.CompareAndSwapPointer(&rw.hint, h, nil)
}

// unbiasedHint is the hint for an unbiased mutex: the mutex itself, so
// that only read locks that find another reader counted in central spend
// the budget, unless a lone reader's mutex may turn biased too (loneBias,
// under the membarrier fence), or that is still being decided. Then it is
// nil, and every read lock through central spends the budget, on RLock's
// slow path, until the budget is spent or a writer finds it unspent (see
// release).
func (rw *RWMutex) unbiasedHint() unsafe.Pointer {
	if !loneDecided.Load() || loneBias.Load() && fenced.Load() {
		return nil
	}
	return unsafe.Pointer(rw)
}

// rlockCentral, runlockSlot and runlockCentral are fast paths that the
// RLocker handles and the slow paths share; each is small enough to inline.

// rlockCentral takes a read lock through central; one add tells it whether
// a writer or another reader is present.
func (rw *RWMutex) rlockCentral() {
	if v := rw.central.Add(countUnit); uint64(v) >= 2 {
		rw.rlockCentralSlow(v)
	}
}

// rlockCounting takes a read lock through central for a mutex whose hint is
// nil: a zero RWMutex, or one whose every read lock through central spends
// the budget (see unbiasedHint). Once the hint should be the mutex itself,
// it sets that, and later read locks take the fast path.
func (rw *RWMutex) rlockCounting() {
	v := rw.central.Add(countUnit)
	if v < markedBelow {
		rw.rlockCentralWait()
		return
	}
	if h := rw.unbiasedHint(); h != nil {
		atomic.CompareAndSwapPointer(&rw.hint, nil, h)
		if countOf(v) >= 2 {
			rw.spend(v)
		}
		return
	}
	// Decide loneBias, if no mutex has yet. Race events are disabled
	// here, but the go statement in prepareInBackground must be seen.
	if raceEnabled {
		raceEnable()
	}
	prepareInBackground()
	if raceEnabled {
		raceDisable()
	}
	rw.spend(v)
}

// runlockSlot releases a read lock through slot counter c.
func (rw *RWMutex) runlockSlot(c *atomic.Int64) {
	c.Add(-1)
	if rw.state.Load()&sleeping != 0 {
		rw.wakeWriter()
	}
}

// runlockCentral releases a read lock through central. A sleeping writer
// marked central before it slept, so the add tells whether to look; so does
// a count below zero, which without a writer is misuse.
func (rw *RWMutex) runlockCentral() {
	if v := rw.central.Add(-countUnit); v < 0 {
		rw.runlockCentralSlow(v)
	}
}

// runlockCentralSlow runs when a reader that released through central
// found a writer or a count below zero, and central is now v.
//
// Without a writer, central's count is never below zero: a read lock taken
// through a slot is released through central only after a writer made the
// mutex unbiased; that writer waited for it, so its last count found the
// slot holding the read lock, and it folded the slots into central before
// it left. A count below zero with no mark in central is therefore an
// RUnlock too many.
func (rw *RWMutex) runlockCentralSlow(v int64) {
	if markedBelow <= v && v < 0 {
		fatal("drwmutex: RUnlock of unlocked RWMutex")
	}
	rw.wakeWriter()
}

// rlockCentralSlow runs when a reader that counted itself in central found
// a writer there, another reader, or a count below zero (which the RUnlock
// that made it so reports); central was v at the add or since.
func (rw *RWMutex) rlockCentralSlow(v int64) {
	if v < markedBelow {
		rw.rlockCentralWait()
	} else if countOf(v) >= 2 && rw.budget.Add(1) >= rebiasAfter { // as spend
		rw.rebias(v)
	}
}

// spend counts a read lock taken through central, which found central v,
// against the budget, and looks at the mode once the budget is spent.
func (rw *RWMutex) spend(v int64) {
	if rw.budget.Add(1) >= rebiasAfter {
		rw.rebias(v)
	}
}

// rebias makes the mutex biased, unless a writer is present, or the reader
// that spent the budget, finding central v, found no other reader holding
// the lock, or the program runs on one P, where readers never run in
// parallel and the shared counter is the cheaper one, unless the membarrier
// fence makes the per-P counters cheaper even so (see loneBias). In the
// last two cases it grants another rebiasAfter read locks before asking
// again, once however many readers find the budget spent. A writer that
// comes meanwhile may miss the pointer and leave the mutex biased: only the
// choice of counters suffers, until the next writer.
func (rw *RWMutex) rebias(v int64) {
	if (countOf(v) < 2 || runtime.GOMAXPROCS(0) == 1) && !(loneBias.Load() && fenced.Load()) {
		for b := rw.budget.Load(); b >= rebiasAfter && !rw.budget.CompareAndSwap(b, b-rebiasAfter); b = rw.budget.Load() {
		}
		return
	}
	r := rw.slots()
	if h := atomic.LoadPointer(&rw.hint); h != unsafe.Pointer(r) && !rw.writerPresent() && atomic.CompareAndSwapPointer(&rw.hint, h, unsafe.Pointer(r)) {
		rw.rebiasedAt.Store((*clock.Load())())
	}
}

// rlockSlotSlow runs when a reader that counted itself in slot counter c
// found a writer, or found the mutex unbiased. The second case is a biased
// hint loaded before a writer came and went: the writer folded the slots,
// and a read lock counted in a slot now would be released through central,
// taking central's count below zero with no writer present, which is how
// RUnlock recognizes misuse. So the reader steps back, waits for the writer
// if one is present, and otherwise takes the lock afresh, through the
// counter the mode now chooses.
func (rw *RWMutex) rlockSlotSlow(c *atomic.Int64) {
	c.Add(-1)
	rw.rlockStepBack()
}

// rlockStepBack runs when a reader that counted itself in a slot, and took
// itself out again, found a writer or the mutex unbiased: it waits for the
// writer, or takes the lock afresh.
func (rw *RWMutex) rlockStepBack() {
	if rw.waitForWriter() {
		return // the writer's Unlock took our read lock for us
	}
	rw.RLock()
}

// rlockCentralWait runs when a writer came while the reader counted itself
// in central: the reader steps back and waits until the writer's Unlock
// admits it, or retries if the writer has gone by then. A read lock counted
// in central is sound in either mode, so it retries there.
func (rw *RWMutex) rlockCentralWait() {
	for {
		// Undo on the counter the increment was made on, never on one
		// looked up again: the writer reads the counters one by one,
		// and an increment it saw on one, undone on a counter it has
		// already read, would leave its sum one too high forever;
		// undone on a counter it has not read yet, one too low, letting
		// it in beside a reader. (rlockSlotSlow follows the same rule.)
		rw.central.Add(-countUnit)
		if rw.waitForWriter() {
			return // the writer's Unlock took our read lock for us
		}
		if rw.central.Add(countUnit) >= markedBelow {
			return
		}
	}
}

// waitForWriter blocks until the writer present now leaves, and reports
// whether it was admitted with a read lock. It returns false at once if no
// writer is present any more.
//
// The reader registers in state and then looks again: a writer that left
// in between may not have seen it, so it takes itself out again, unless
// the registrations were already taken (by admitWaiting, from a writer's
// release or a writer in line), whose release for it is then on the
// semaphore. Registrations are counted, not named, so taking out
// another reader's instead of its own comes to the same: the other one then
// finds none to take out and consumes the release.
func (rw *RWMutex) waitForWriter() bool {
	if !rw.writerPresent() {
		return false
	}
	rw.state.Add(oneWaiting)
	if rw.writerPresent() {
		// The writer may have counted us before we stepped back.
		rw.wakeWriter()
	} else {
		for {
			old := rw.state.Load()
			if old < oneWaiting {
				break // taken: a release is ours
			}
			if rw.state.CompareAndSwap(old, old-oneWaiting) {
				return false
			}
		}
	}
	semacquire(&rw.readerSem)
	return true
}

// TryRLock tries to lock rw for reading and reports whether it succeeded.
// It fails only while a writer holds the lock or a blocked Lock waits for
// readers to leave.
//
// Note that while correct uses of TryRLock do exist, they are rare, and use
// of TryRLock is often a sign of a deeper problem in a particular use of
// mutexes.
func (rw *RWMutex) TryRLock() bool {
	if raceEnabled {
		raceDisable()
	}
	ok := rw.tryRLock()
	if raceEnabled {
		raceEnable()
		if ok {
			raceAcquire(unsafe.Pointer(&rw.readerSem))
		}
	}
	return ok
}

func (rw *RWMutex) tryRLock() bool {
	for {
		if rw.writerPresent() {
			return false
		}
		r := rw.biased()
		if r == nil {
			if rw.central.Add(countUnit) < markedBelow {
				rw.central.Add(-countUnit)
				rw.wakeWriter()
				return false
			}
			return true
		}
		raceLoaded(r)
		// As in RLock, a slot is used only if the mutex is still biased
		// after the add. Under the membarrier fence TryRLock counts in
		// the owned counter, as RUnlock does: a sum read while one
		// goroutine's TryRLock and RUnlock moved two counters of one
		// slot apart could read too low and send TryLock in vain.
		if fenced.Load() {
			cpu := asm.ProcPin()
			if cpu <= r.mask {
				o := &r.at(cpu).owned
				*o++
				ok := atomic.LoadPointer(&rw.hint) == unsafe.Pointer(r) && !rw.writerPresent() // in RLock's order
				if !ok {
					*o--
				}
				asm.ProcUnpin()
				if ok {
					return true
				}
				rw.wakeWriter()
				continue
			}
			asm.ProcUnpin()
		}
		c := &r.at(asm.Current()).count
		c.Add(1)
		if !rw.writerPresent() && atomic.LoadPointer(&rw.hint) == unsafe.Pointer(r) {
			return true
		}
		c.Add(-1)
		rw.wakeWriter()
	}
}

// RUnlock undoes a single RLock call; it does not affect other simultaneous
// readers. It may be called on another goroutine, and another CPU, than the
// RLock it undoes. Calling RUnlock on an rw that is not locked for reading
// is a fatal run-time error, reported at once or later (see Misuse in the
// package doc).
func (rw *RWMutex) RUnlock() {
	if raceEnabled {
		rw.runlockRace()
		return
	}
	// As in RLock: the fast path is an unbiased reader's add that finds
	// neither a writer nor a count below zero (as unsigned, 2^63 or more).
	if h := atomic.LoadPointer(&rw.hint); h != unsafe.Pointer(rw) || atomic.AddUint64((*uint64)(unsafe.Pointer(&rw.central)), ^uint64(0)) >= 1<<63 {
		rw.runlockSlow(h)
	}
}

// runlockRace is RUnlock in race builds.
func (rw *RWMutex) runlockRace() {
	raceReleaseMerge(unsafe.Pointer(&rw.writerSem))
	raceDisable()
	if h := atomic.LoadPointer(&rw.hint); h != unsafe.Pointer(rw) || atomic.AddUint64(rw.centralWord(), ^uint64(0)) >= 1<<63 {
		runlockSlowGo(rw, h)
	}
	raceEnable()
}

// runlockSlowGo releases the read lock that RUnlock's fast path did not
// release, given the hint that the fast path loaded, as rlockSlowGo does:
// only if it is the mutex itself did the fast path release it, through
// central, and find a writer or a count below zero. RUnlock reaches it
// through runlockSlow, as RLock does rlockSlowGo.
func runlockSlowGo(rw *RWMutex, h unsafe.Pointer) {
	r := rw.readers.Load()
	if h == nil || h != unsafe.Pointer(r) {
		rw.runlockUnbiased(h)
		return
	}
	raceLoaded(r)
	var cpu int
	switch {
	case fenced.Load():
		cpu = asm.ProcPin()
		if cpu <= r.mask {
			// As in rlockSlowGo. The decrement cannot be seen before
			// the critical section's loads and stores: x86 keeps
			// stores in order after them.
			r.at(cpu).owned--
			st := rw.state.Load()
			asm.ProcUnpin()
			if st&sleeping != 0 {
				rw.wakeWriter()
			}
			return
		}
		asm.ProcUnpin()
	case asm.UsesPID():
		cpu = asm.ProcPin()
		asm.ProcUnpin()
	default:
		cpu = asm.Current()
	}
	rw.runlockSlot(&r.at(cpu).count)
}

// runlockUnbiased is runlockSlowGo's for a hint other than the slots.
func (rw *RWMutex) runlockUnbiased(h unsafe.Pointer) {
	switch h {
	case unsafe.Pointer(rw):
		// The add's result is gone; central as it is now tells a writer
		// to wake, or a count still below zero, which is misuse. A stray
		// RUnlock whose count a read lock taken meanwhile has lifted
		// back to zero goes unseen here (see Misuse in the package doc).
		rw.runlockCentralSlow(rw.central.Load())
	case nil:
		rw.runlockCentral()
	default:
		rw.forgetCopiedHint(h)
		rw.RUnlock()
	}
}

// wakeWriter wakes the writer if it sleeps and no reader it waits for is
// left, so that it counts them again. Every reader that takes itself out of
// the count calls it after doing so, so whoever brings the count to zero
// sees zero; waking the writer for any less would cost it a sleep and a
// wake-up per reader that leaves, and on a busy P each of those is a context
// switch. A count below zero wakes it too, so that it reports the misuse:
// only the writer's own count is trusted with that, as a reader's may run
// on into the next writer's fold and see the sum too low. Only the caller
// that clears the sleeping bit releases the semaphore, so the writer is
// woken once however many readers leave.
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
	if raceEnabled {
		raceDisable()
	}
	// The write lock is central's mark. With nobody waiting, no reader
	// counted in central and no slots to hold readers, one compare-and-swap
	// takes the lock, restarting the budget, and there is nothing to wait
	// for: what code that only writes, or writes and reads on one
	// goroutine at a time, pays. The check of readers comes after the
	// swap, as readerCount's does.
	if ok := rw.central.Load() == 0 && rw.state.Load() == 0 && rw.central.CompareAndSwap(0, -writerMark); !ok || rw.readers.Load() != nil {
		rw.lockSlow(ok)
	}
	if raceEnabled {
		raceEnable()
		raceAcquire(unsafe.Pointer(&rw.readerSem))
		raceAcquire(unsafe.Pointer(&rw.writerSem))
	}
}

// lockSlow takes the write lock when Lock's single swap could not, or waits
// for the readers in the slots when it did (swapped set): it announces
// the writer, unless another one is present or waits, and then waits for
// the readers.
func (rw *RWMutex) lockSlow(swapped bool) {
	if swapped {
		rw.waitForReaders()
		return
	}
	for spins := 0; rw.state.Load() == 0; {
		c := rw.central.Load()
		if c < markedBelow {
			// Another writer holds the lock. As sync.Mutex does, spin
			// a little while it may be about to leave, before
			// joining the line and, there, sleeping.
			if !canSpin(spins) {
				break
			}
			doSpin()
			spins++
			continue
		}
		if rw.central.CompareAndSwap(c, announced(c)) {
			rw.waitForReaders()
			return
		}
	}
	rw.acquireQueued()
	rw.waitForReaders()
}

// announced is central's value c with the writer announced.
func announced(c int64) int64 { return c - writerMark }

// acquireQueued announces the caller as the writer once the writer present,
// if any, has left, as the next of the writers that found one present or
// found someone waiting. writers holds them in line, so that at most one
// sleeps on nextWriterSem at a time; while it waits, writerQueued in state
// sends every other writer into the line behind it, Lock's swap included,
// so that none can overtake it for ever. Before it announces itself it lets
// in the readers that a writer which left still owes a read lock (see
// admitWaiting), so that writers cannot starve them either.
func (rw *RWMutex) acquireQueued() {
	rw.writers.Lock()
	queued := int64(0)
	for spins := 0; ; {
		c := rw.central.Load()
		if c < markedBelow {
			if canSpin(spins) {
				doSpin()
				spins++
				continue
			}
			rw.sleepUntilWriterLeaves(writerQueued &^ queued)
			queued, spins = writerQueued, 0
			continue
		}
		if rw.state.Load() >= oneWaiting {
			rw.admitWaiting(false)
			continue
		}
		if rw.central.CompareAndSwap(c, announced(c)) {
			break
		}
	}
	if queued != 0 {
		rw.state.Add(-writerQueued)
	}
	rw.writers.Unlock()
}

// sleepUntilWriterLeaves parks the queued writer until the writer present
// leaves, setting writerSleeps (and more, the bits in state that it is
// given) for that writer's release to see. It returns at once if that
// writer has gone meanwhile. A release that finds the bit clears it and
// releases nextWriterSem once, so the semaphore never holds more than one
// release; one that comes after the writer has taken its bit back finds
// nothing to do.
func (rw *RWMutex) sleepUntilWriterLeaves(more int64) {
	rw.state.Add(writerSleeps | more)
	if rw.writerPresent() {
		// Its release, which comes after this load, finds the bit.
		semacquire(&rw.nextWriterSem)
		return
	}
	for {
		old := rw.state.Load()
		if old&writerSleeps == 0 {
			// A release found the bit first; consume what it released.
			semacquire(&rw.nextWriterSem)
			return
		}
		if rw.state.CompareAndSwap(old, old&^writerSleeps) {
			return
		}
	}
}

// unbias makes the mutex unbiased for the writer that has just announced
// itself and returns the slots that were in use if it was biased, so that a
// failed TryLock can restore the mode.
func (rw *RWMutex) unbias() (wasBiased *readerSlots) {
	// Only if biased: a store costs every reader a miss.
	if wasBiased = rw.biased(); wasBiased != nil && !rw.keepBias() {
		atomic.StorePointer(&rw.hint, rw.unbiasedHint())
	}
	return wasBiased
}

// keepBias decides, for a writer that found the mutex biased, whether it
// leaves it so, and notes the time for the next writer and the next rebias.
// A writer that makes the mutex unbiased sends the readers to central until
// rebiasAfter read locks have spent the budget; one that leaves it biased
// costs itself the membarrier fence and the pass over the slots, and, if
// writers come often, the readers that step back for each of them. So it
// leaves the mutex biased where writers are rare by the readers' own
// measure: the bias has stood, since it was earned or since a writer last
// left it, at least as long as the readers took to earn it after the last
// writer that made it unbiased. A mutex written once per rebiasAfter read
// locks or less often then stays biased, at one write's cost per write,
// where it would otherwise pay rebiasAfter read locks through central per
// write; a mutex written more often is made unbiased by the second writer
// of a run, whose bias stood only since the first. This is the time-based
// policy of BRAVO's writers (Dice and Kogan, USENIX ATC 2019), which keep
// the bias off for a multiple of what revoking it cost, turned round: the
// bias stays on for as long as it took to earn. Until the mutex has been
// made unbiased once there is no measure, and the writer makes it so; nor
// is there one when a writer made it unbiased after the last rebias's
// time was read, which a race between the two can leave.
func (rw *RWMutex) keepBias() bool {
	now := (*clock.Load())()
	u, b := rw.unbiasedAt.Load(), rw.rebiasedAt.Load()
	if earned := b - u; u != 0 && earned > 0 && now-max(b, rw.keptAt.Load()) >= earned {
		rw.keptAt.Store(now)
		return true
	}
	rw.unbiasedAt.Store(now)
	return false
}

// waitForReaders makes the mutex unbiased and waits until the readers that
// hold the lock have left; the caller has announced itself. From the
// announcement on new readers step back, so the sum can only fall.
func (rw *RWMutex) waitForReaders() {
	fence := rw.unbias() != nil && fenced.Load()
	if fence {
		membarrier()
	}
	for spins := 0; ; spins++ {
		n, inSlots := rw.countReaders()
		if n == 0 {
			if inSlots {
				rw.foldOnRelease.Store(true)
			}
			return
		}
		if n < 0 {
			fatal("drwmutex: RUnlock of unlocked RWMutex")
		}
		if spins >= writerSpins {
			rw.sleepUntilReaderLeaves(fence)
		}
	}
}

// sleepUntilReaderLeaves parks the acquiring writer until a reader that
// leaves sees the sleeping bit and wakes it. A reader that left before the
// bit was set is seen by the count taken after setting it, so no wake-up is
// lost; under the membarrier fence (fence set), only once every thread has
// passed a barrier after the bit was set, as a leaving reader's plain
// decrement may otherwise still be on its way while it misses the bit.
func (rw *RWMutex) sleepUntilReaderLeaves(fence bool) {
	rw.state.Add(sleeping)
	if fence {
		membarrier()
	}
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
	n, _ := rw.countReaders()
	return n
}

// countReaders returns readerCount, and whether a slot held anything in
// either of its counters. A slot whose two counters cancel out holds
// nothing of the sum, but a split all the same (a read lock taken through
// one and released through the other), which must be folded like any
// other, or the counters drift apart over a process's life.
func (rw *RWMutex) countReaders() (n int64, inSlots bool) {
	n = countOf(rw.central.Load())
	if r := rw.readers.Load(); r != nil {
		raceLoaded(r)
		for i := range r.slots {
			owned, count := r.slots[i].parts()
			n += owned + count
			inSlots = inSlots || owned != 0 || count != 0
		}
	}
	return n, inSlots
}

// TryLock tries to lock rw for writing and reports whether it succeeded.
// A TryLock that fails because readers hold the lock blocks no reader and
// leaves rw as it found it.
//
// Note that while correct uses of TryLock do exist, they are rare, and use
// of TryLock is often a sign of a deeper problem in a particular use of
// mutexes.
func (rw *RWMutex) TryLock() bool {
	if raceEnabled {
		raceDisable()
	}
	ok := rw.tryLock()
	if raceEnabled {
		raceEnable()
		if ok {
			raceAcquire(unsafe.Pointer(&rw.readerSem))
			raceAcquire(unsafe.Pointer(&rw.writerSem))
		}
	}
	return ok
}

func (rw *RWMutex) tryLock() bool {
	for {
		// Look before announcing: readers that hold the lock show in the
		// sum, and a writer announced in vain would send new readers to
		// wait. (Without a writer the sum may be off by readers in
		// flight, so only the count taken after announcing decides.)
		if rw.readerCount() > 0 {
			return false
		}
		// Nor does it overtake a writer waiting in line.
		c := rw.central.Load()
		if c < markedBelow || rw.state.Load()&writerQueued != 0 {
			return false
		}
		if rw.central.CompareAndSwap(c, announced(c)) {
			break
		}
	}
	unbiasedAt, keptAt := rw.unbiasedAt.Load(), rw.keptAt.Load()
	wasBiased := rw.unbias()
	if wasBiased != nil && fenced.Load() {
		membarrier()
	}
	n, inSlots := rw.countReaders()
	if inSlots {
		rw.foldOnRelease.Store(true)
	}
	switch {
	case n == 0:
		return true
	case n < 0:
		fatal("drwmutex: RUnlock of unlocked RWMutex")
	}
	// Restore the mode, and what keepBias goes by, before the release,
	// while readers that take the lock still find the mark and step back.
	if wasBiased != nil {
		atomic.StorePointer(&rw.hint, unsafe.Pointer(wasBiased))
		rw.unbiasedAt.Store(unbiasedAt)
		rw.keptAt.Store(keptAt)
	}
	rw.release()
	return false
}

// Unlock unlocks rw for writing. It is a fatal run-time error if rw is not
// locked for writing on entry to Unlock.
//
// As with sync.RWMutex, a locked RWMutex is not associated with a particular
// goroutine. One goroutine may RLock (Lock) an RWMutex and then arrange for
// another goroutine to RUnlock (Unlock) it.
func (rw *RWMutex) Unlock() {
	if raceEnabled {
		raceRelease(unsafe.Pointer(&rw.readerSem))
		raceDisable()
	}
	rw.release()
	if raceEnabled {
		raceEnable()
	}
}

// release ends a writer's hold, or a failed TryLock's attempt: it folds the
// slots into central in the add that removes the mark, if the writer's last
// count found them holding anything, which frees the lock for readers and
// writers alike, and then lets in the readers that blocked on the writer,
// and wakes the writer next in line, if state shows any.
//
// A writer whose count found every slot empty, both its counters at zero,
// leaves them as they are: a mutex that was biased once and is only written
// since pays one pass over its slots per write, not two. Only read locks in
// flight can have moved a slot since the count, readers that loaded a biased
// hint before it went stale and step back on the slot they counted in, or
// releases of read locks counted in central, and the next writer's count
// finds what they leave. With every slot empty at the count, central then
// held each reader counted (a read lock taken in a slot and released in
// central leaves a slot above zero), so central alone never falls below zero
// but by misuse.
func (rw *RWMutex) release() {
	// A mutex left biased (keepBias) keeps its spent budget, which tells
	// the next writer's release that it has been biased since.
	b := rw.budget.Load()
	if b != 0 && rw.biased() == nil {
		// A mutex whose every read lock spends the budget (a nil hint),
		// read fewer than rebiasAfter times since the last writer, is
		// written too often for lone readers to gain from turning it
		// biased; its readers take the fast path from now on.
		if b < rebiasAfter && atomic.LoadPointer(&rw.hint) == nil && loneDecided.Load() {
			atomic.CompareAndSwapPointer(&rw.hint, nil, unsafe.Pointer(rw))
		}
		rw.budget.Store(0) // only if spent: the store is a locked swap
	}
	var folded int64
	if rw.foldOnRelease.Load() {
		rw.foldOnRelease.Store(false)
		folded = rw.fold()
	}
	// From this add on, readers find no writer. With the slots folded
	// in, or found empty, central holds every reader: none, or those a
	// failed TryLock found, and any that came since, which only add.
	// Fewer means a reader left while this writer held the lock; a value
	// that was not marked means no writer held it. Either way the value
	// is outside [0, writerMark/2), and the program ends.
	v := rw.central.Add(writerMark + folded*countUnit)
	if uint64(v) >= uint64(writerMark/2) {
		releaseMisuse(v)
	}
	// A reader or writer that registered in state while this writer
	// held the lock did so before this load: it registered and then
	// found the mark, which this add removed.
	if rw.state.Load() != 0 {
		rw.wakeWaiters(b < rebiasAfter)
	}
}

// releaseMisuse reports the misuse that release found in central's value v:
// below zero, an RUnlock too many; otherwise, an Unlock of a mutex that no
// writer held.
func releaseMisuse(v int64) {
	if v < 0 {
		fatal("drwmutex: RUnlock of unlocked RWMutex")
	}
	fatal("drwmutex: Unlock of unlocked RWMutex")
}

// wakeWaiters runs after a writer's release found state other than zero:
// it lets in the readers that blocked on the writer and wakes the writer
// that sleeps until it leaves. By now another writer may hold the lock and
// the registrations may be for it; admitWaiting then leaves the readers to
// that writer's release, and the woken writer goes back to sleep. The
// release sets handoff where the budget shows the mutex unbiased since the
// writer before (see admitWaiting).
func (rw *RWMutex) wakeWaiters(handoff bool) {
	rw.admitWaiting(handoff && rw.state.Load()&writerSleeps == 0)
	for {
		old := rw.state.Load()
		if old&writerSleeps == 0 {
			return
		}
		if rw.state.CompareAndSwap(old, old&^writerSleeps) {
			semrelease(&rw.nextWriterSem, false, 1)
			return
		}
	}
}

// admitWaiting gives a read lock to each reader registered in state as
// blocked on a writer (see waitForWriter), once no writer is present: it
// takes the registrations and counts the readers in central with a swap
// that fails if a writer has announced itself, so that every later writer
// counts them and waits for them to leave, and then releases them. If a
// writer came first, it leaves the registrations, or gives them back, to
// that writer's release: the registrations are seen in state, or put back
// there, before central shows the writer, and that release writes central
// before it looks at state, so it finds them (or whoever took them since
// admits them).
//
// With handoff set, the last reader released takes over the caller's P at
// once, and the caller goes to the back of that P's run queue, where an idle
// P may take it. Otherwise the reader would wait on the P of a writer that
// runs on, still counted as holding the lock, and the writer's next Lock
// would sleep until the reader had run: on two Ps, a writer and a reader
// then take turns on one P, each write costing two sleeps and wake-ups,
// until the idle P steals one of them (docs/benchmarks.md, "1% writes at
// two Ps"). A writer's release hands off only where the mutex stayed
// unbiased since the writer before, written too often to turn biased (on
// mutexes that turn biased between writes the handoff measured slower),
// and not while a writer sleeps in line, whose wake-up, after this, would
// wait for the reader; a queued writer, which holds writers, does not.
func (rw *RWMutex) admitWaiting(handoff bool) {
	for {
		old := rw.state.Load()
		n := old / oneWaiting
		if n == 0 || rw.writerPresent() {
			return
		}
		if !rw.state.CompareAndSwap(old, old%oneWaiting) {
			continue
		}
		for {
			c := rw.central.Load()
			if c < markedBelow {
				rw.state.Add(n * oneWaiting)
				break // and look again: the writer may have gone
			}
			if rw.central.CompareAndSwap(c, c+n*countUnit) {
				for i := range n {
					semrelease(&rw.readerSem, handoff && i == n-1, 1)
				}
				return
			}
		}
	}
}

// fold empties every slot of the mutex and returns what they held,
// for the caller to add to central. The caller is the present writer. Each
// atomic count is emptied by a swap, which takes exactly what it removes,
// and each owned counter, which only its P may write, by moving its base,
// so that with the add the sum is the same; until the add it is off by the
// amount folded, which nobody but the writer itself would look at: the
// next writer cannot announce itself before the add.
func (rw *RWMutex) fold() (folded int64) {
	if !rw.writerPresent() {
		fatal("drwmutex: Unlock of unlocked RWMutex")
	}
	r := rw.readers.Load()
	raceLoaded(r)
	for i := range r.slots {
		s := &r.slots[i]
		if s.count.Load() != 0 {
			folded += s.count.Swap(0)
		}
		if o, b := atomic.LoadInt64(&s.owned), s.base.Load(); o != b {
			folded += o - b
			s.base.Store(o)
		}
	}
	return folded
}

// RLocker returns a Locker whose Lock and Unlock take and release read locks
// of rw through the counter of the CPU the caller runs on now. A goroutine
// that moves to another CPU between the handle's Lock and Unlock still
// releases exactly the counter it incremented, so the handle's methods never
// look the CPU up. (While writers keep the mutex unbiased, the handle uses
// the shared counter instead, as RLock does; see the package doc.) The
// handles are allocated with the counters, on a mutex's first call of
// RLocker or its first switch to biased; after that RLocker does not
// allocate.
func (rw *RWMutex) RLocker() sync.Locker {
	if raceEnabled {
		raceDisable()
		defer raceEnable()
	}
	r := rw.slots()
	return &r.at(asm.Current()).handle
}

// rlocker is a read-lock handle bound to one slot.
type rlocker struct {
	rw    *RWMutex
	slots *readerSlots // the slot's, which the hint points to while biased
	slot  *slot
}

// Lock takes a read lock through the handle's slot, or, while the mutex is
// unbiased, through the shared counter as RLock does.
func (h *rlocker) Lock() {
	rw := h.rw
	if raceEnabled {
		raceDisable()
	}
	if atomic.LoadPointer(&rw.hint) == unsafe.Pointer(h.slots) {
		c := &h.slot.count
		c.Add(1)
		if rw.central.Load() < markedBelow || atomic.LoadPointer(&rw.hint) != unsafe.Pointer(h.slots) { // as in rlockSlow
			rw.rlockSlotSlow(c)
		}
	} else {
		rw.rlockCentral()
	}
	if raceEnabled {
		raceEnable()
		raceAcquire(unsafe.Pointer(&rw.readerSem))
	}
}

// Unlock releases a read lock through the handle's slot, or, while the
// mutex is unbiased, through the shared counter.
func (h *rlocker) Unlock() {
	rw := h.rw
	if raceEnabled {
		raceReleaseMerge(unsafe.Pointer(&rw.writerSem))
		raceDisable()
	}
	if atomic.LoadPointer(&rw.hint) == unsafe.Pointer(h.slots) {
		rw.runlockSlot(&h.slot.count)
	} else {
		rw.runlockCentral()
	}
	if raceEnabled {
		raceEnable()
	}
}

// noCopy lets go vet's copylocks check catch copies of an RWMutex.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// clock is the time that keepBias goes by: nanotime, but for tests of the
// mode switch, which set their own.
var clock atomic.Pointer[func() int64]

func init() {
	read := nanotime
	clock.Store(&read)
}
