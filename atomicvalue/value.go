package atomicvalue

import "sync/atomic"

// A Value holds a value of type T that goroutines read and replace
// atomically. It is a typed sync/atomic.Value: there are no interface
// assertions and no "inconsistently typed value" panics, and the zero Value
// is ready to use and holds the zero value of T.
//
// Every Store, Swap, Update and successful CompareAndSwap publishes a
// freshly allocated copy of the new value; Load copies the published value
// out. Readers therefore never see a half-written T and never write shared
// memory. For a large T that is treated as immutable once published, use a
// Value[*T] so that Load copies one pointer.
//
// A Value must not be copied after first use.
//
// In the terminology of the Go memory model, a write (Store, Swap, Update,
// or a CompareAndSwap that swaps) synchronizes before every Load, Swap,
// Update or CompareAndSwap that observes the value it wrote, just as for the
// operations of sync/atomic.
type Value[T any] struct {
	// p points at the published value, or is nil while nothing was stored,
	// which reads as the zero T. *p is never written after publication:
	// every write installs a new box, so identity of p is identity of the
	// write that made it.
	p atomic.Pointer[T]
}

// Load returns the value most recently stored, or the zero value of T if
// nothing has been stored.
func (v *Value[T]) Load() T {
	return deref(v.p.Load())
}

// Store sets the value to x.
func (v *Value[T]) Store(x T) {
	v.p.Store(&x)
}

// Swap stores x and returns the previous value (the zero T if nothing had
// been stored).
func (v *Value[T]) Swap(x T) (old T) {
	return deref(v.p.Swap(&x))
}

// Update replaces the value with f(old), where old is the current value, and
// returns the value it stored. If another goroutine writes the Value while f
// runs, Update calls f again with the newer value, so no concurrent write is
// lost and the stored result is always f applied to the value it replaced.
//
// f may therefore run more than once and must not have effects that break
// when repeated. f must not write to v itself: each such write would make
// Update retry, forever.
func (v *Value[T]) Update(f func(old T) T) T {
	if f == nil {
		panic("atomicvalue: Value.Update called with a nil function")
	}
	for {
		p := v.p.Load()
		n := f(deref(p))
		// Comparing the box, not the value, is what makes the retry exact:
		// a concurrent Store of an equal value still changes the box, so f
		// is re-run on it and the write is never silently overwritten.
		if v.p.CompareAndSwap(p, &n) {
			return n
		}
	}
}

// CompareAndSwap stores new in v if the current value of v equals old, and
// reports whether it did. A Value that was never written holds the zero T,
// so CompareAndSwap(v, zero, x) succeeds on it.
//
// CompareAndSwap is a function rather than a method because it needs T to be
// comparable, while Value accepts any T. As with sync.Map.CompareAndSwap, it
// panics if T is an interface type and the dynamic types being compared are
// not comparable. For values that are not comparable, use Update.
func CompareAndSwap[T comparable](v *Value[T], old, new T) (swapped bool) {
	box := &new
	for {
		p := v.p.Load()
		if deref(p) != old {
			return false
		}
		// p may have been replaced by a write of an equal value since the
		// comparison; the current value then still equals old, so retrying
		// is correct and ends once the value differs or the swap lands.
		if v.p.CompareAndSwap(p, box) {
			return true
		}
	}
}

// deref reads a published box; nil is the never-written Value.
func deref[T any](p *T) T {
	if p != nil {
		return *p
	}
	var zero T
	return zero
}
