//go:build linux

package sched

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Supported reports whether Getcpu, AllowedCPUs and Pin work on this system.
const Supported = true

// Getcpu returns the number of the CPU the calling thread runs on, as the
// kernel reports it through the getcpu system call (x/sys has no wrapper).
// The answer may be stale by the time the caller looks at it unless the
// thread is pinned.
func Getcpu() (int, error) {
	var cpu, node uint32
	_, _, errno := unix.RawSyscall(unix.SYS_GETCPU,
		uintptr(unsafe.Pointer(&cpu)), uintptr(unsafe.Pointer(&node)), 0)
	if errno != 0 {
		return -1, errno
	}
	return int(cpu), nil
}

// AllowedCPUs returns, in increasing order, the CPUs in the calling thread's
// affinity mask.
func AllowedCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, err
	}
	return members(&set), nil
}

func members(set *unix.CPUSet) []int {
	cpus := make([]int, 0, set.Count())
	for cpu := 0; len(cpus) < cap(cpus); cpu++ {
		if set.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	return cpus
}

// Pin locks the calling goroutine to its OS thread and restricts that thread
// to cpu. When Pin returns nil the thread runs on cpu. The returned function
// restores the thread's previous affinity mask and unlocks the goroutine; it
// must be called from the same goroutine, exactly once.
func Pin(cpu int) (restore func(), err error) {
	runtime.LockOSThread()
	var saved unix.CPUSet
	if err := unix.SchedGetaffinity(0, &saved); err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	restore = func() {
		// Restoring a mask the thread held a moment ago cannot fail unless
		// CPUs went offline; the thread then keeps the narrower mask, which
		// is still a valid one, and it is no longer locked to this goroutine.
		_ = unix.SchedSetaffinity(0, &saved)
		runtime.UnlockOSThread()
	}
	var one unix.CPUSet
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		restore()
		return nil, fmt.Errorf("sched: pin to CPU %d: %w", cpu, err)
	}
	// sched_setaffinity migrates the caller before it returns; check, so that
	// a caller comparing CPU numbers never compares against the wrong CPU.
	if got, err := Getcpu(); err != nil || got != cpu {
		restore()
		return nil, fmt.Errorf("sched: pinned to CPU %d but running on %d (%v)", cpu, got, err)
	}
	return restore, nil
}

// Idle makes the calling thread run only when its CPU has nothing else to
// do (SCHED_IDLE), for background work that must not delay the program's
// own threads. The caller must have locked its goroutine to the thread; the
// policy stays with the thread, so the goroutine should exit still locked,
// which ends the thread.
func Idle() error {
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}
	return unix.SchedSetAttr(0, &attr, 0)
}
