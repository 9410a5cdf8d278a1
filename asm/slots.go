package asm

import (
	"runtime"

	"github.com/readmostly/readmostly/internal/sched"
)

// This file holds what per-CPU slots need besides Current: how many there
// must be, and how far apart.
//
// Every pad in readmostly is a `_ asm.CacheLinePad` field or an
// asm.Padded[T], so that the size is chosen once, here, and no struct
// repeats the arithmetic of sizing its own pad.

// CacheLineSize is the distance, in bytes, that keeps two per-CPU fields
// from interfering. It is two 64-byte lines: Intel's spatial (adjacent-line)
// prefetcher fetches lines in 128-byte-aligned pairs, so on those CPUs two
// fields 64 bytes apart can still bounce between cores, and sync.Pool pads
// its per-P data to 128 bytes for that reason. Where lines are moved one at a
// time (the AMD machines measured so far), 64 would do; 128 is safe on both,
// for 64 bytes more per slot. BenchmarkFalseSharing measures the effect; its
// figures are in docs/benchmarks.md.
const CacheLineSize = 128

// CacheLinePad is the project's one padding idiom. Placed after the fields
// of a per-CPU slot,
//
//	_ asm.CacheLinePad
//
// keeps whatever follows, the next slot of an array included, out of every
// CacheLineSize block those fields touch, whatever their size. It costs up to
// CacheLineSize bytes more per slot than a pad that rounds the slot up
// exactly (sync.Pool's [128 - unsafe.Sizeof(x)%128]byte); in exchange every
// pad is spelled the same way, and none is recomputed when a slot's fields
// change.
type CacheLinePad struct{ _ [CacheLineSize]byte }

// Padded is a T followed by a CacheLinePad, for arrays of per-CPU values:
// the Values of neighbouring elements lie at least CacheLineSize bytes
// apart, so that no cache-line block holds parts of two, whatever the size
// of T.
type Padded[T any] struct {
	Value T
	_     CacheLinePad
}

// SlotCount returns a power of two that is greater than every CPU number
// in the thread's affinity mask and than GOMAXPROCS now, so that
// Current()&(n-1) spreads the CPUs (or Ps) over n slots without collisions.
// A CPU added to the affinity mask later, or a larger GOMAXPROCS, only makes
// two CPUs share a slot. SlotCount never waits for detection: the affinity
// mask it relies on is read once, when the package is initialized.
func SlotCount() int {
	n := max(cpuLimit, runtime.GOMAXPROCS(0), 1)
	slots := 1
	for slots < n {
		slots <<= 1
	}
	return slots
}

// cpuLimit is one more than the highest CPU number in the affinity mask at
// initialization, or runtime.NumCPU() where the kernel does not say. It is
// read then, one system call, so that the first lock to need slots does not
// make it.
var cpuLimit = func() int {
	if cpus, err := sched.AllowedCPUs(); err == nil && len(cpus) > 0 {
		return cpus[len(cpus)-1] + 1
	}
	return runtime.NumCPU()
}()
