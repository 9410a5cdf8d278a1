package tests

import "sync"

// The two kinds of primitive this module's tests and benchmarks drive, each
// through one interface, so that every implementation, ours or a peer's,
// pays the same single dynamic call per operation.

// RWLocker is the method set of sync.RWMutex that lock tests and benchmarks
// drive: *sync.RWMutex and *drwmutex.RWMutex have it; a lock whose read side
// is a handle (an RLocker, a reader token) is driven through an adapter.
type RWLocker interface {
	sync.Locker
	RLock()
	RUnlock()
}

// Map is the part of sync.Map's method set that map workloads drive: every
// concurrent map here and every peer has it, directly or through a one-type
// adapter. SyncMap is the whole method set, for the model and
// linearizability checks. A map that can only insert (an evolution design
// without overwrites) implements Store as an insert, and serves only the
// workloads that never store a key twice.
type Map[K comparable, V any] interface {
	Load(key K) (value V, ok bool)
	Store(key K, value V)
}

// IntSyncMap is a sync.Map holding int keys and values, with the type
// assertions a typed caller has to write: sync.Map as a SyncMap[int, int]
// (and so a Map[int, int]). The zero IntSyncMap is empty and ready for use; it
// must not be copied after first use.
//
// It calls its sync.Map directly, unlike AnyAsInt, which goes through an
// interface: there the boxed key of every lookup escapes to the heap, and a
// benchmark of a key above 255 would measure the allocator. Use IntSyncMap
// wherever sync.Map is measured.
type IntSyncMap struct{ m sync.Map }

var _ SyncMap[int, int] = (*IntSyncMap)(nil)

func (s *IntSyncMap) Load(k int) (int, bool) { v, ok := s.m.Load(k); return IntOf(v), ok }
func (s *IntSyncMap) Store(k, v int)         { s.m.Store(k, v) }
func (s *IntSyncMap) LoadOrStore(k, v int) (int, bool) {
	x, l := s.m.LoadOrStore(k, v)
	return IntOf(x), l
}
func (s *IntSyncMap) LoadAndDelete(k int) (int, bool) {
	v, l := s.m.LoadAndDelete(k)
	return IntOf(v), l
}
func (s *IntSyncMap) Delete(k int)                        { s.m.Delete(k) }
func (s *IntSyncMap) Swap(k, v int) (int, bool)           { p, l := s.m.Swap(k, v); return IntOf(p), l }
func (s *IntSyncMap) CompareAndSwap(k, old, new int) bool { return s.m.CompareAndSwap(k, old, new) }
func (s *IntSyncMap) CompareAndDelete(k, old int) bool    { return s.m.CompareAndDelete(k, old) }
func (s *IntSyncMap) Clear()                              { s.m.Clear() }
func (s *IntSyncMap) Range(f func(k, v int) bool) {
	s.m.Range(func(k, v any) bool { return f(k.(int), v.(int)) })
}
