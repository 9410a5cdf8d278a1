package tests

import (
	"maps"
	"sync"
	"sync/atomic"
)

// This file holds the reference maps that the model checker (mapmodel.go)
// compares a candidate against, and the interface they share with it.

// SyncMap is the method set of sync.Map with typed keys and values. Every
// concurrent map of this module implements it, and so do the references
// below; sync.Map itself is a SyncMap[any, any]. It extends Map, the one
// map kind (kinds.go), with the rest of sync.Map's methods.
type SyncMap[K comparable, V any] interface {
	Map[K, V] // Load and Store
	LoadOrStore(key K, value V) (actual V, loaded bool)
	LoadAndDelete(key K) (value V, loaded bool)
	Delete(key K)
	Swap(key K, value V) (previous V, loaded bool)
	CompareAndSwap(key K, old, new V) (swapped bool)
	CompareAndDelete(key K, old V) (deleted bool)
	Range(f func(key K, value V) bool)
	Clear()
}

// MutexMap is the plainest SyncMap: a builtin map behind a sync.Mutex. It is
// a reference for model tests and the mutex+map baseline of benchmarks. The
// zero MutexMap is empty and ready for use; it must not be copied after first
// use.
//
// Its methods look like the shards of evolution's ShardedMap on purpose: a
// reference written apart from the maps it checks cannot share their bugs.
type MutexMap[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]V // nil until the first store
}

var _ SyncMap[int, int] = (*MutexMap[int, int])(nil)

func (m *MutexMap[K, V]) Load(key K) (value V, ok bool) {
	m.mu.Lock()
	value, ok = m.m[key]
	m.mu.Unlock()
	return value, ok
}

func (m *MutexMap[K, V]) Store(key K, value V) {
	m.mu.Lock()
	m.storeLocked(key, value)
	m.mu.Unlock()
}

func (m *MutexMap[K, V]) storeLocked(key K, value V) {
	if m.m == nil {
		m.m = make(map[K]V)
	}
	m.m[key] = value
}

func (m *MutexMap[K, V]) LoadOrStore(key K, value V) (actual V, loaded bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if actual, loaded = m.m[key]; loaded {
		return actual, true
	}
	m.storeLocked(key, value)
	return value, false
}

func (m *MutexMap[K, V]) LoadAndDelete(key K) (value V, loaded bool) {
	m.mu.Lock()
	value, loaded = m.m[key]
	delete(m.m, key)
	m.mu.Unlock()
	return value, loaded
}

func (m *MutexMap[K, V]) Delete(key K) {
	m.mu.Lock()
	delete(m.m, key)
	m.mu.Unlock()
}

func (m *MutexMap[K, V]) Swap(key K, value V) (previous V, loaded bool) {
	m.mu.Lock()
	previous, loaded = m.m[key]
	m.storeLocked(key, value)
	m.mu.Unlock()
	return previous, loaded
}

func (m *MutexMap[K, V]) CompareAndSwap(key K, old, new V) (swapped bool) {
	m.mu.Lock()
	defer m.mu.Unlock() // the comparison may panic
	if cur, ok := m.m[key]; !ok || any(cur) != any(old) {
		return false
	}
	m.m[key] = new
	return true
}

func (m *MutexMap[K, V]) CompareAndDelete(key K, old V) (deleted bool) {
	m.mu.Lock()
	defer m.mu.Unlock() // the comparison may panic
	if cur, ok := m.m[key]; !ok || any(cur) != any(old) {
		return false
	}
	delete(m.m, key)
	return true
}

// Range calls f on a copy of the contents, so that f may call any method.
func (m *MutexMap[K, V]) Range(f func(key K, value V) bool) {
	m.mu.Lock()
	c := maps.Clone(m.m)
	m.mu.Unlock()
	for k, v := range c {
		if !f(k, v) {
			return
		}
	}
}

func (m *MutexMap[K, V]) Clear() {
	m.mu.Lock()
	clear(m.m)
	m.mu.Unlock()
}

// CopyOnWriteMap is a SyncMap whose readers load an immutable map from an
// atomic pointer and whose writers, serialized by a mutex, publish a modified
// copy. It is the second reference of model tests: its code shares nothing
// with MutexMap, so a bug common to a candidate and one reference is unlikely
// to be in the other. The zero CopyOnWriteMap is empty and ready for use; it
// must not be copied after first use.
type CopyOnWriteMap[K comparable, V any] struct {
	mu sync.Mutex              // serializes writers
	m  atomic.Pointer[map[K]V] // current contents, never modified once stored; nil when empty
}

var _ SyncMap[int, int] = (*CopyOnWriteMap[int, int])(nil)

func (m *CopyOnWriteMap[K, V]) contents() map[K]V {
	if p := m.m.Load(); p != nil {
		return *p
	}
	return nil
}

// updateLocked publishes a copy of the contents changed by f. The caller must
// hold mu.
func (m *CopyOnWriteMap[K, V]) updateLocked(f func(c map[K]V)) {
	c := maps.Clone(m.contents())
	if c == nil {
		c = make(map[K]V)
	}
	f(c)
	m.m.Store(&c)
}

func (m *CopyOnWriteMap[K, V]) Load(key K) (value V, ok bool) {
	value, ok = m.contents()[key]
	return value, ok
}

func (m *CopyOnWriteMap[K, V]) Store(key K, value V) {
	m.Swap(key, value)
}

func (m *CopyOnWriteMap[K, V]) LoadOrStore(key K, value V) (actual V, loaded bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if actual, loaded = m.Load(key); loaded {
		return actual, true
	}
	m.updateLocked(func(c map[K]V) { c[key] = value })
	return value, false
}

func (m *CopyOnWriteMap[K, V]) LoadAndDelete(key K) (value V, loaded bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if value, loaded = m.Load(key); loaded {
		m.updateLocked(func(c map[K]V) { delete(c, key) })
	}
	return value, loaded
}

func (m *CopyOnWriteMap[K, V]) Delete(key K) {
	m.LoadAndDelete(key)
}

func (m *CopyOnWriteMap[K, V]) Swap(key K, value V) (previous V, loaded bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	previous, loaded = m.Load(key)
	m.updateLocked(func(c map[K]V) { c[key] = value })
	return previous, loaded
}

func (m *CopyOnWriteMap[K, V]) CompareAndSwap(key K, old, new V) (swapped bool) {
	return m.changeIfHolds(key, old, func(c map[K]V) { c[key] = new })
}

func (m *CopyOnWriteMap[K, V]) CompareAndDelete(key K, old V) (deleted bool) {
	return m.changeIfHolds(key, old, func(c map[K]V) { delete(c, key) })
}

// changeIfHolds publishes the contents changed by change if key holds old,
// and reports whether it did.
func (m *CopyOnWriteMap[K, V]) changeIfHolds(key K, old V, change func(c map[K]V)) bool {
	m.mu.Lock()
	defer m.mu.Unlock() // the comparison may panic
	if cur, ok := m.Load(key); !ok || any(cur) != any(old) {
		return false
	}
	m.updateLocked(change)
	return true
}

// Range iterates over the contents published when it starts, which no writer
// changes, so f may call any method.
func (m *CopyOnWriteMap[K, V]) Range(f func(key K, value V) bool) {
	for k, v := range m.contents() {
		if !f(k, v) {
			return
		}
	}
}

func (m *CopyOnWriteMap[K, V]) Clear() {
	m.mu.Lock()
	m.m.Store(nil)
	m.mu.Unlock()
}

// AnyAsInt adapts a SyncMap[any, any], such as *sync.Map, to SyncMap[int,
// int], so that the model and benchmarks written for int keys and values can
// drive maps of interface values. A missing value reads as 0.
func AnyAsInt(m SyncMap[any, any]) SyncMap[int, int] { return anyAsInt{m} }

type anyAsInt struct{ m SyncMap[any, any] }

func (a anyAsInt) Load(k int) (int, bool) { v, ok := a.m.Load(k); return IntOf(v), ok }
func (a anyAsInt) Store(k, v int)         { a.m.Store(k, v) }
func (a anyAsInt) LoadOrStore(k, v int) (int, bool) {
	x, l := a.m.LoadOrStore(k, v)
	return IntOf(x), l
}
func (a anyAsInt) LoadAndDelete(k int) (int, bool)     { v, l := a.m.LoadAndDelete(k); return IntOf(v), l }
func (a anyAsInt) Delete(k int)                        { a.m.Delete(k) }
func (a anyAsInt) Swap(k, v int) (int, bool)           { p, l := a.m.Swap(k, v); return IntOf(p), l }
func (a anyAsInt) CompareAndSwap(k, old, new int) bool { return a.m.CompareAndSwap(k, old, new) }
func (a anyAsInt) CompareAndDelete(k, old int) bool    { return a.m.CompareAndDelete(k, old) }
func (a anyAsInt) Clear()                              { a.m.Clear() }
func (a anyAsInt) Range(f func(k, v int) bool) {
	a.m.Range(func(k, v any) bool { return f(k.(int), v.(int)) })
}

// IntOf returns v as an int, and 0 for nil, which is what a map of
// interface values returns for a missing key: for tests that drive a map of
// any values with int keys and values.
func IntOf(v any) int {
	i, _ := v.(int)
	return i
}
