package drwmutex

import _ "unsafe" // for go:linkname

// The runtime's semaphores, the ones sync.RWMutex sleeps on. A blocked
// reader or writer must park without spinning and be woken without a lock
// of its own: a channel would add a runtime lock that every reader takes
// while a writer is active, and under hundreds of goroutines that lock, not
// the RWMutex, becomes the bottleneck. The runtime keeps both linkable from
// outside the standard library on purpose, because widely used packages
// reach for them (see the notes on them in runtime/sema.go).

// semacquire waits until *s > 0 and then decrements it.
//
//go:linkname semacquire sync.runtime_Semacquire
func semacquire(s *uint32)

// semrelease increments *s and wakes one goroutine blocked in semacquire,
// handing it the rest of the caller's time slice if handoff is set.
//
//go:linkname semrelease sync.runtime_Semrelease
func semrelease(s *uint32, handoff bool, skipframes int)

// canSpin reports whether a goroutine that has spun i times waiting for a
// lock should spin once more: only a few times, only with other Ps running
// and nothing else ready on this one. doSpin spins once, a few dozen pause
// instructions. They are what sync.Mutex spins with, and the runtime keeps
// them linkable for the same reason as the semaphores.
//
//go:linkname canSpin sync.runtime_canSpin
func canSpin(i int) bool

//go:linkname doSpin sync.runtime_doSpin
func doSpin()

// fatal ends the program with "fatal error: " and msg, as sync.RWMutex does
// on misuse: it is the runtime's own sync.fatal, which no recover can stop.
// A panic would not do: a program that recovered from one would go on with
// a lock whose counters no longer add up, and later lock calls would hang
// or let a writer in beside a reader. The runtime provides sync.fatal under
// that name through a push linkname, so it may be linked from here.
//
//go:linkname fatal sync.fatal
func fatal(msg string)

// nanotime is the runtime's monotonic clock in nanoseconds, the one behind
// time.Now's monotonic reading, without the wall-clock reading that
// time.Now also takes. The runtime keeps it linkable for the same reason as
// the semaphores.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64
