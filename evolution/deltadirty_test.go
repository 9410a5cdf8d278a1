package evolution

import "testing"

// TestDeltaDirtyMapDisjoint checks the design's invariant after random
// operations: no key is in both read and dirty, and dirty's entries are
// live.
func TestDeltaDirtyMapDisjoint(t *testing.T) {
	var m DeltaDirtyMap[int, int]
	for i := range 5000 {
		k := (i * 7919) % 61
		switch i % 5 {
		case 0, 1:
			m.Store(k, i)
		case 2:
			m.Delete(k)
		case 3:
			m.Load(k)
		case 4:
			m.LoadOrStore(k, i)
		}
		for key, e := range m.dirty {
			if e.p.Load() == nil {
				t.Fatalf("op %d: dirty holds a deleted entry for %d", i, key)
			}
			if _, ok := m.loadView().m[key]; ok {
				t.Fatalf("op %d: key %d is in both read and dirty", i, key)
			}
		}
	}
}

// TestDeltaDirtyMapDeleteThenLoad shows the cost the design pays: a Load of
// a key deleted from read takes the mutex and, dirty being empty,
// republishes read without the key, a copy of the whole map.
func TestDeltaDirtyMapDeleteThenLoad(t *testing.T) {
	var m DeltaDirtyMap[int, int]
	for k := range 100 {
		m.Store(k, k)
	}
	m.Range(func(int, int) bool { return true }) // promote: all in read
	before := m.read.Load()
	m.Delete(5)
	if m.read.Load() != before {
		t.Fatal("Delete republished read; want it to only mark the entry")
	}
	if _, ok := m.Load(5); ok {
		t.Fatal("Load(5) found a deleted key")
	}
	after := m.read.Load()
	if after == before {
		t.Fatal("Load of a deleted key left read as it was; want it copied without the key")
	}
	if _, ok := after.m[5]; ok || len(after.m) != 99 {
		t.Fatalf("read has %d keys, 5 among them: %v; want 99 without 5", len(after.m), ok)
	}
}
