package asm

import _ "unsafe" // for go:linkname

// procPin disables preemption of the calling goroutine and returns the index
// of the P it runs on; procUnpin enables preemption again. sync.Pool uses the
// same pair. The runtime keeps both linkable from outside the standard
// library on purpose, because widely used packages reach for them
// (go.dev/issue/67401).
//
//go:linkname procPin runtime.procPin
func procPin() int

//go:linkname procUnpin runtime.procUnpin
func procUnpin()

// pid returns the index of the scheduler's P the caller runs on. It is a
// number in [0, GOMAXPROCS) held by at most one running goroutine at a time,
// which is all a per-CPU slot needs; the goroutine may move to another P as
// soon as pid returns.
func pid() int {
	p := procPin()
	procUnpin()
	return p
}

// UsesPID reports whether Current answers with the P index, so that a hot
// path can spell that case out with ProcPin and ProcUnpin: both inline to a
// direct runtime call, where Current costs one call more.
func UsesPID() bool { return active.Load() == uint32(PID) }

// ProcPin returns the index of the scheduler's P that runs the caller and
// keeps the goroutine from being preempted until ProcUnpin, which must follow
// at once on the same goroutine.
func ProcPin() int { return procPin() }

// ProcUnpin ends ProcPin.
func ProcUnpin() { procUnpin() }
