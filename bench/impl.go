package bench

import (
	"fmt"

	"github.com/readmostly/readmostly/tests"
)

// An Impl is one implementation under test: a lock or a map, ours or a
// peer's.
type Impl struct {
	// Name is the spelling the -impl flag accepts.
	Name string
	Kind Kind
	// Doc is one line for usage text.
	Doc string
	// Baseline marks the standard-library type that speed-ups are
	// relative to: sync.RWMutex for locks, sync.Map for maps.
	Baseline bool
	// Extra marks an implementation that cmd/contention measures only when
	// asked for by name (or with -impl all): the evolution designs that
	// are history rather than a choice a user would make today.
	Extra bool

	// newLock returns a fresh lock (LockKind only).
	newLock func() lockUnderTest
	// newMap returns a fresh, empty map (MapKind only).
	newMap func() tests.Map[int, int]
	// insertOnly marks a map that cannot overwrite a key (its Store
	// inserts): it serves read-only map workloads only.
	insertOnly bool
}

// Serves reports whether the implementation can run workload wl.
func (impl Impl) Serves(wl Workload) bool {
	if impl.Kind != wl.Kind {
		return false
	}
	return !(impl.insertOnly && wl.WriteEvery > 0)
}

func (impl Impl) trial(wl Workload) trial {
	switch impl.Kind {
	case LockKind:
		return lockTrial(impl.newLock(), wl)
	case MapKind:
		return mapTrial(impl.newMap(), wl)
	}
	panic(fmt.Sprintf("bench: %s has unknown kind %v", impl.Name, impl.Kind))
}

// Impls returns every implementation: locks, then maps, each kind's
// baseline first and the evolution designs last.
func Impls() []Impl {
	impls := lockImpls()
	impls = append(impls, evolutionLockImpls()...)
	impls = append(impls, mapImpls()...)
	return append(impls, evolutionMapImpls()...)
}

// ImplByName returns the implementation spelled name.
func ImplByName(name string) (Impl, bool) {
	for _, impl := range Impls() {
		if impl.Name == name {
			return impl, true
		}
	}
	return Impl{}, false
}

// BaselineFor returns the implementation that speed-ups for workloads of
// kind k are relative to.
func BaselineFor(k Kind) Impl {
	for _, impl := range Impls() {
		if impl.Kind == k && impl.Baseline {
			return impl
		}
	}
	panic(fmt.Sprintf("bench: no baseline for %v", k))
}
