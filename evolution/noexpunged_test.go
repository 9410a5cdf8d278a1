package evolution

import (
	"testing"

	"github.com/readmostly/readmostly/syncmap"
)

// TestNoExpungedMapLosesStore opens the design's race window with the test
// hook: a Store of a deleted key lands, on the lock-free path, between
// dirtyLocked's check that the key's entry is deleted and its decision to
// leave the entry out. The Store returns, yet the key is gone.
func TestNoExpungedMapLosesStore(t *testing.T) {
	var m NoExpungedMap[string, int]
	m.Store("a", 1)
	m.Load("a") // a miss that promotes: "a" is now in read
	m.Delete("a")
	m.afterDeletedCheck = func(key string) {
		if key == "a" {
			m.Store("a", 2) // another goroutine, still holding the old read
		}
	}
	m.Store("b", 3) // a new key: dirtyLocked runs
	m.afterDeletedCheck = nil
	if v, ok := m.Load("a"); ok {
		t.Fatalf(`Load("a") = %d, true: the store in the window was kept; want it lost (the design's flaw)`, v)
	}
	if v, ok := m.Load("b"); !ok || v != 3 {
		t.Fatalf(`Load("b") = %d, %v; want 3, true`, v, ok)
	}
}

// TestSyncMapKeepsStore runs the same sequence on syncmap, without the hook
// (its dirtyLocked has none), to show what the sequence should give: the
// final design's CAS to expunged leaves no window to open.
func TestSyncMapKeepsStore(t *testing.T) {
	var m syncmap.Map[string, int]
	m.Store("a", 1)
	m.Load("a")
	m.Delete("a")
	m.Store("b", 3)
	m.Store("a", 2)
	if v, ok := m.Load("a"); !ok || v != 2 {
		t.Fatalf(`Load("a") = %d, %v; want 2, true`, v, ok)
	}
}
