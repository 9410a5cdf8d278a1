// Package evolution reproduces, side by side, the designs that led from
// sync.RWMutex to sync.Map and to per-CPU read locks in golang/go#17973
// ("sync: RWMutex scales poorly with CPU count") and golang/go#18177 (the
// proposal that became sync.Map), so that their flaws can be tested and their
// speed measured with the same workloads as the primitives this module
// ships.
//
// The lock designs, in the order the discussion met them:
//
//   - DistributedRWMutex: dvyukov's per-P sync.RWMutex, whose RUnlock looks
//     the slot up again and so breaks when the reader has moved.
//   - PerCPURWMutex: the same slots with jonhoo/drwmutex's API, where RLock
//     returns the handle that must release the lock.
//
// This module's answer is drwmutex.RWMutex, a drop-in sync.RWMutex.
//
// The map designs:
//
//   - DMap: ianlancetaylor's insert-only binary tree with a cached map.
//   - TwoMap: bcmills' tenured/live demo.
//   - CleanDirtyMap: the first sync.Map CL, where one of two maps is nil.
//   - DeltaDirtyMap: the final design with a dirty map of new keys only.
//   - NoExpungedMap: the final design without its expunged state, which
//     loses updates (see its test hook).
//   - ShardedMap: orcaman/concurrent-map's idea, for write-heavy use.
//
// The final design is sync.Map, and syncmap.Map its typed form.
//
// These types are experiments: they keep their designs' flaws on purpose.
// Use drwmutex and syncmap in programs. The package names no implementation
// but its own; the benchmarks that compare them with the products and the
// peers live in the bench module, and docs/benchmarks.md has the figures.
package evolution

// equal compares two values of a type that need not be comparable at compile
// time, as sync.Map's CompareAndSwap does, and panics naming method if they
// are not comparable at run time.
func equal[V any](method string, a, b V) bool {
	defer func() {
		if r := recover(); r != nil {
			panic("evolution: " + method + " called with incomparable values: " + errorString(r))
		}
	}()
	return any(a) == any(b)
}

func errorString(r any) string {
	if e, ok := r.(error); ok {
		return e.Error()
	}
	return "unknown panic"
}
