package evolution

import "testing"

// TestTwoMapPromotes checks the promotion rule: once as many loads as live
// has keys have reached live, live becomes tenured.
func TestTwoMapPromotes(t *testing.T) {
	var m TwoMap[int, int]
	for k := range 3 {
		m.StoreOrLoad(k, k)
	}
	for i := range 3 {
		if m.tenured.Load() != nil {
			t.Fatalf("promoted after %d loads of 3 keys", i)
		}
		m.Load(i)
	}
	p := m.tenured.Load()
	if p == nil || len(*p) != 3 || m.live != nil {
		t.Fatal("not promoted after 3 loads of 3 keys")
	}
	// The next store copies tenured into a new live map; tenured stays.
	m.StoreOrLoad(3, 3)
	if len(m.live) != 4 || len(*m.tenured.Load()) != 3 {
		t.Fatalf("after a store: live has %d keys, tenured %d; want 4 and 3", len(m.live), len(*m.tenured.Load()))
	}
}

// TestTwoMapLoadRacingAPromotion replays the interleaving that once lost a
// key: Load misses tenured, a promotion moves the key from live to tenured
// and clears live, and only then does Load take the lock.
func TestTwoMapLoadRacingAPromotion(t *testing.T) {
	var m TwoMap[int, int]
	m.StoreOrLoad(1, 10)
	// Load finds tenured empty here, then...
	m.liveLoads.Store(liveLoadsLimit)
	m.promote() // ...a promotion runs before it locks.
	if m.live != nil {
		t.Fatal("the promotion left live in place; the test replays nothing")
	}
	if v, ok := m.loadSlow(1); !ok || v != 10 {
		t.Fatalf("loadSlow(1) after a promotion = %v, %v; want 10, true", v, ok)
	}
}
