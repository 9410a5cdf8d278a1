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
