package bench

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/puzpuzpuz/xsync/v4"
	"github.com/readmostly/readmostly/asm"
	"github.com/readmostly/readmostly/drwmutex"
)

// A lockUnderTest is one fresh lock, seen through sync.Locker so that every
// implementation pays the same single dynamic call per lock operation.
type lockUnderTest struct {
	// writer takes and releases the lock for writing.
	writer sync.Locker
	// reader returns the read side for one worker; it is called on the
	// worker's goroutine, once, before the worker's first operation, as a
	// user of RLocker-style handles would call it.
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
			Doc: "readmostly/drwmutex.RWMutex through a per-goroutine RLocker handle",
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

// drwRead is drwmutex's read side through RLock and RUnlock, which look up
// the caller's CPU on every call.
type drwRead struct{ mu *drwmutex.RWMutex }

func (r drwRead) Lock()   { r.mu.RLock() }
func (r drwRead) Unlock() { r.mu.RUnlock() }

// rbRead is one worker's read side of an RBMutex. It keeps the token that
// RUnlock needs, and is padded because a worker writes it on every RLock.
type rbRead struct {
	mu  *xsync.RBMutex
	tok *xsync.RToken
	_   [asm.CacheLineSize - 2*unsafe.Sizeof(uintptr(0))]byte
}

func (r *rbRead) Lock()   { r.tok = r.mu.RLock() }
func (r *rbRead) Unlock() { r.mu.RUnlock(r.tok) }

// guardedWord is the data a lock workload's lock protects: readers read it,
// writers increment it. It has cache lines of its own, so that what readers
// share is the lock and this word, nothing else.
type guardedWord struct {
	n int
	_ [asm.CacheLineSize - unsafe.Sizeof(int(0))]byte
}

// lockTrial runs wl on l. The lock itself is the gate: block takes it for
// writing, so every worker's first operation waits, and release unlocks it.
func lockTrial(l lockUnderTest, wl Workload) trial {
	data := new(guardedWord)
	return trial{
		block:   l.writer.Lock,
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
		check: func(ws []paddedWorker) error {
			if want := totalWrites(ws); data.n != want {
				return fmt.Errorf("%d writes under the write lock left the guarded counter at %d", want, data.n)
			}
			return nil
		},
	}
}
