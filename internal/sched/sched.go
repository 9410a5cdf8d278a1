// Package sched is the project's one window onto the kernel's scheduler: which
// CPU a thread runs on, which CPUs it may run on, and pinning a thread to one of
// them. The asm package uses it to validate its CPU-number strategies and the
// tests kit uses it to move goroutines between CPUs on purpose.
package sched

import "errors"

// ErrUnsupported is returned where the operating system gives no way to read
// or set a thread's CPU.
var ErrUnsupported = errors.New("sched: CPU affinity is not supported on this system")
