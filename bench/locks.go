package bench

import (
	"fmt"
	"sync"

	"github.com/puzpuzpuz/xsync/v4"
	"github.com/readmostly/readmostly/asm"
	"github.com/readmostly/readmostly/drwmutex"
)

// A lockUnderTest is one fresh lock, seen through sync.Locker so that every
// implementation pays the same single dynamic call per lock operation.
type lockUnderTest struct {
	// writer takes and releases the lock for writing.
	writer sync.Locker
	// reader returns one worker's read side; it is called on the worker's
	// goroutine, once, before the worker's first operation. A read side
	// whose lock is a handle or a token keeps it between Lock and Unlock.
	reader func() sync.Locker
}

func lockImpls() []Impl {
	return []Impl{
		{
			Name: "sync.RWMutex", Kind: LockKind, Baseline: true,
			Doc: "the standard library's RWMutex, one shared reader count",
			newLock: func() lockUnderTest {
				mu := new(sync.RWMutex)
				return lockUnderTest{writer: mu, reader: mu.RLocker}
			},
		},
		{
			Name: "drwmutex", Kind: LockKind,
			Doc: "readmostly/drwmutex.RWMutex through RLock and RUnlock",
			newLock: func() lockUnderTest {
				mu := new(drwmutex.RWMutex)
				return lockUnderTest{writer: mu, reader: func() sync.Locker { return drwRead{mu} }}
			},
		},
		{
			Name: "drwmutex-rlocker", Kind: LockKind,
			Doc: "readmostly/drwmutex.RWMutex through an RLocker handle taken per critical section",
			newLock: func() lockUnderTest {
				mu := new(drwmutex.RWMutex)
				return lockUnderTest{writer: mu, reader: func() sync.Locker { return &drwSection{mu: mu} }}
			},
		},
		{
			Name: "drwmutex-rlocker-per-goroutine", Kind: LockKind,
			Doc: "readmostly/drwmutex.RWMutex through one RLocker handle per goroutine, taken once",
			newLock: func() lockUnderTest {
				mu := new(drwmutex.RWMutex)
				return lockUnderTest{writer: mu, reader: mu.RLocker}
			},
		},
		{
			Name: "xsync.RBMutex", Kind: LockKind,
			Doc: "puzpuzpuz/xsync/v4.RBMutex, reader tokens over a striped count",
			newLock: func() lockUnderTest {
				mu := xsync.NewRBMutex()
				return lockUnderTest{writer: mu, reader: func() sync.Locker { return &rbRead{mu: mu} }}
			},
		},
	}
}

// The read sides below are one per type, not one generic type: a method of a
// type parameter is a dynamic call, which would add one to what each
// implementation's read path costs. Those that keep a handle or a token are
// padded, because a worker writes them on every read lock.

// drwRead is drwmutex's read side through RLock and RUnlock, which look up
// the caller's CPU on every call.
type drwRead struct{ mu *drwmutex.RWMutex }

func (r drwRead) Lock()   { r.mu.RLock() }
func (r drwRead) Unlock() { r.mu.RUnlock() }

// drwSection is drwmutex's read side as its documentation teaches it: a
// handle per critical section, `l := mu.RLocker(); l.Lock(); ...;
// l.Unlock()`, so that a goroutine that has moved reads on its new CPU's
// slot.
type drwSection struct {
	mu *drwmutex.RWMutex
	h  sync.Locker
	_  asm.CacheLinePad
}

func (r *drwSection) Lock()   { r.h = r.mu.RLocker(); r.h.Lock() }
func (r *drwSection) Unlock() { r.h.Unlock() }

// rbRead is one worker's read side of an RBMutex. It keeps the token that
// RUnlock needs.
type rbRead struct {
	mu  *xsync.RBMutex
	tok *xsync.RToken
	_   asm.CacheLinePad
}

func (r *rbRead) Lock()   { r.tok = r.mu.RLock() }
func (r *rbRead) Unlock() { r.mu.RUnlock(r.tok) }

// guardedWord is the data a lock workload's lock protects: readers read it,
// writers increment it. It has cache lines of its own, pads on both sides,
// so that what readers share is the lock and this word, nothing else.
type guardedWord struct {
	_ asm.CacheLinePad
	n int
	_ asm.CacheLinePad
}

// lockTrial runs wl on l. The lock itself is the gate: hold takes it for
// writing, so every worker's first operation waits, and release unlocks it.
func lockTrial(l lockUnderTest, wl Workload) trial {
	data := new(guardedWord)
	return trial{
		hold:    l.writer.Lock,
		release: l.writer.Unlock,
		work: func(w *worker, ready func()) {
			r := l.reader()
			untilWrite := writeCountdown(wl, w)
			ready()
			for range w.quota {
				untilWrite--
				if untilWrite == 0 {
					untilWrite = wl.WriteEvery
					l.writer.Lock()
					data.n++
					l.writer.Unlock()
					w.writes++
					continue
				}
				r.Lock()
				w.sum += data.n
				r.Unlock()
			}
		},
		check: func(ws []asm.Padded[worker]) error {
			if want := totalWrites(ws); data.n != want {
				return fmt.Errorf("%d writes under the write lock left the guarded counter at %d", want, data.n)
			}
			return nil
		},
	}
}
