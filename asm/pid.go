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
