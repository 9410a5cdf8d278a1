package evolution

import (
	"sync"
	"sync/atomic"
)

// entry is the slot for one key in the read/dirty designs without expunged
// (DeltaDirtyMap, NoExpungedMap). It is shared by the maps that hold it, so
// that a write to a key found on the lock-free path needs no lock.
type entry[V any] struct {
	// p points to the entry's value; nil once the entry is deleted. Which
	// transitions out of nil are allowed, and when, is each design's
	// invariant.
	p atomic.Pointer[V]
}

func newEntry[V any](value V) *entry[V] {
	e := new(entry[V])
	e.p.Store(&value)
	return e
}

func (e *entry[V]) load() (value V, ok bool) {
	if p := e.p.Load(); p != nil {
		return *p, true
	}
	return value, false
}

// deleteLive swaps a live value for nil and returns it.
func (e *entry[V]) deleteLive() (value V, ok bool) {
	if p := e.p.Swap(nil); p != nil {
		return *p, true
	}
	return value, false
}

// compareAndSwapLive replaces a live value equal to old with new (nil for
// a delete), never reviving a deleted entry.
func (e *entry[V]) compareAndSwapLive(method string, old V, new *V) bool {
	for {
		p := e.p.Load()
		if p == nil || !equal(method, *p, old) {
			return false
		}
		if e.p.CompareAndSwap(p, new) {
			return true
		}
	}
}

// readView is the immutable part of a read/dirty map, published atomically.
type readView[K comparable, V any] struct {
	m map[K]*entry[V]
	// amended reports that dirty may hold keys that m lacks.
	amended bool
}

// loadView returns the view p points to; nil reads as an empty, unamended
// view, which keeps the zero maps usable.
func loadView[K comparable, V any](p *atomic.Pointer[readView[K, V]]) readView[K, V] {
	if v := p.Load(); v != nil {
		return *v
	}
	return readView[K, V]{}
}

// rangeRead is Range for the read/dirty designs without expunged: if the
// view read points to is amended, it promotes dirty under mu with
// promoteLocked, so that it iterates over an immutable map and f may call any
// method; then it calls f for each live entry, stopping if f returns false.
func rangeRead[K comparable, V any](mu *sync.Mutex, read *atomic.Pointer[readView[K, V]], promoteLocked func(), f func(key K, value V) bool) {
	view := loadView(read)
	if view.amended {
		mu.Lock()
		if loadView(read).amended {
			promoteLocked()
		}
		view = loadView(read)
		mu.Unlock()
	}
	for k, e := range view.m {
		if v, ok := e.load(); ok && !f(k, v) {
			return
		}
	}
}
