package tests

import (
	"testing"

	"github.com/readmostly/readmostly/internal/sched"
)

// AllowedCPUs returns the CPUs this thread may run on. It skips the test
// where the system cannot tell.
func AllowedCPUs(tb testing.TB) []int {
	tb.Helper()
	return kernelCall(tb, "CPU affinity", sched.AllowedCPUs)
}

// NeedCPUs returns the allowed CPUs, skipping the test unless there are at
// least n of them.
func NeedCPUs(tb testing.TB, n int) []int {
	tb.Helper()
	cpus := AllowedCPUs(tb)
	if len(cpus) < n {
		tb.Skipf("needs %d CPUs, the affinity mask allows %d", n, len(cpus))
	}
	return cpus
}

// Pin locks the calling goroutine to its thread and the thread to cpu. The
// returned function restores the thread's affinity and unlocks the goroutine;
// call it from the same goroutine (defer it). Pin skips the test where
// affinity is not supported and fails it if pinning fails.
func Pin(tb testing.TB, cpu int) (restore func()) {
	tb.Helper()
	return kernelCall(tb, "CPU affinity", func() (func(), error) { return sched.Pin(cpu) })
}

// Getcpu returns the kernel's number for the CPU the calling thread runs on
// (the getcpu system call). It skips the test where there is no such call.
func Getcpu(tb testing.TB) int {
	tb.Helper()
	return kernelCall(tb, "getcpu", sched.Getcpu)
}

// kernelCall returns what call, one of internal/sched's, returns. It skips
// the test where the system has no such call, and fails the test if the call
// fails; what names the call in both messages.
func kernelCall[T any](tb testing.TB, what string, call func() (T, error)) T {
	tb.Helper()
	if !sched.Supported {
		tb.Skipf("%s is not supported on this system", what)
	}
	v, err := call()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
	return v
}
