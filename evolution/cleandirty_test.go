package evolution

import "testing"

// TestCleanDirtyMapOneOfTwo checks the first CL's invariant: clean and dirty
// are never both non-nil, and a write always leaves clean nil.
func TestCleanDirtyMapOneOfTwo(t *testing.T) {
	var m CleanDirtyMap[int, int]
	for i := range 3000 {
		k := (i * 31) % 40
		write := i%4 == 0
		if write {
			m.Store(k, i)
		} else {
			m.Load(k)
		}
		clean := m.clean.Load()
		if clean != nil && m.dirty != nil {
			t.Fatalf("op %d: clean and dirty both non-nil", i)
		}
		if write && clean != nil {
			t.Fatalf("op %d: clean non-nil after a write", i)
		}
	}
}
