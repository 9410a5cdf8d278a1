package main

import (
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// The membarrier(2) commands, from linux/membarrier.h.
const (
	membarrierQuery                    = 0
	membarrierPrivateExpedited         = 1 << 3
	membarrierRegisterPrivateExpedited = 1 << 4
)

// measureMembarrier times the system call behind drwmutex's membarrier
// fence, MEMBARRIER_CMD_PRIVATE_EXPEDITED, once with no other thread of
// the process running and once with one spinning on another CPU, which the
// kernel then has to interrupt and wait for: what a biased write lock pays,
// once or twice, while readers run. It returns the nanoseconds per call
// of each (the median of 7 batches), busy 0 where only one CPU or P is to
// be had, and ok false where the kernel does not offer the command. It
// registers the process for it, as drwmutex does, which is harmless when
// drwmutex uses the atomic fence.
func measureMembarrier() (idleNs, busyNs float64, ok bool) {
	cmds, _, errno := unix.Syscall(unix.SYS_MEMBARRIER, membarrierQuery, 0, 0)
	if errno != 0 || cmds&membarrierPrivateExpedited == 0 {
		return 0, 0, false
	}
	if _, _, errno := unix.Syscall(unix.SYS_MEMBARRIER, membarrierRegisterPrivateExpedited, 0, 0); errno != 0 {
		return 0, 0, false
	}
	idleNs = membarrierBatches(200)
	if runtime.NumCPU() < 2 || runtime.GOMAXPROCS(0) < 2 {
		return idleNs, 0, true
	}
	var started, stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // a thread of its own, running
		defer runtime.UnlockOSThread()
		started.Store(true)
		for !stop.Load() {
		}
	}()
	for !started.Load() {
		runtime.Gosched()
	}
	busyNs = membarrierBatches(50)
	stop.Store(true)
	<-done
	return idleNs, busyNs, true
}

// membarrierBatches returns the median over 7 batches of n calls of the
// nanoseconds per call.
func membarrierBatches(n int) float64 {
	per := make([]float64, 7)
	for i := range per {
		start := time.Now()
		for range n {
			unix.Syscall(unix.SYS_MEMBARRIER, membarrierPrivateExpedited, 0, 0)
		}
		per[i] = float64(time.Since(start).Nanoseconds()) / float64(n)
	}
	slices.Sort(per)
	return per[len(per)/2]
}
