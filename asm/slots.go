package asm

// CacheLineSize is the distance, in bytes, that keeps two per-CPU fields
// from interfering. It is two 64-byte lines: Intel's spatial (adjacent-line)
// prefetcher fetches lines in 128-byte-aligned pairs, so on those CPUs two
// fields 64 bytes apart can still bounce between cores, and sync.Pool pads
// its per-P data to 128 bytes for that reason. BenchmarkFalseSharing measures
// the effect; on the AMD EPYC VM the project is developed on, two goroutines
// incrementing counters 8, 64 and 128 bytes apart took 11.1, 3.1 and 3.05 ns
// per increment, so there 64 would do. 128 is the size that is safe on both,
// for 64 bytes more per slot.
const CacheLineSize = 128

// CacheLinePad, placed after a per-CPU field that is smaller than a line,
// keeps the next field out of its 128-byte block. Prefer sizing padding
// exactly where the field's size is known:
//
//	_ [asm.CacheLineSize - unsafe.Sizeof(counter{})%asm.CacheLineSize]byte
type CacheLinePad struct{ _ [CacheLineSize]byte }

// Padded holds a T alone in its cache-line block, for arrays of per-CPU
// values. A slice of Padded values has its elements CacheLineSize apart, as
// long as T is at most CacheLineSize bytes.
type Padded[T any] struct {
	Value T
	_     [CacheLineSize]byte
}
