package tests

import (
	"testing"

	"github.com/readmostly/readmostly/internal/sched"
)

// AllowedCPUs returns the CPUs this thread may run on. It skips the test
// where the system cannot tell.
func AllowedCPUs(tb testing.TB) []int {
	tb.Helper()
	if !sched.Supported {
		tb.Skip("CPU affinity is not supported on this system")
	}
	cpus, err := sched.AllowedCPUs()
	if err != nil {
		tb.Fatalf("reading the affinity mask: %v", err)
	}
	return cpus
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
	if !sched.Supported {
		tb.Skip("CPU affinity is not supported on this system")
	}
	restore, err := sched.Pin(cpu)
	if err != nil {
		tb.Fatal(err)
	}
	return restore
}

// Getcpu returns the kernel's number for the CPU the calling thread runs on
// (the getcpu system call). It skips the test where there is no such call.
func Getcpu(tb testing.TB) int {
	tb.Helper()
	if !sched.Supported {
		tb.Skip("getcpu is not supported on this system")
	}
	cpu, err := sched.Getcpu()
	if err != nil {
		tb.Fatalf("getcpu: %v", err)
	}
	return cpu
}
