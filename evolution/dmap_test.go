package evolution

import (
	"strings"
	"sync"
	"testing"

	"github.com/readmostly/readmostly/tests"
)

func TestDMapDoubleInsert(t *testing.T) {
	var d DMap[string, int]
	d.Insert("a", 1)
	d.Insert("a", 1) // the same value again is allowed
	const want = `DMap.Insert of key a with value 2, already inserted with value 1`
	if msg := tests.PanicMessage(func() { d.Insert("a", 2) }); !strings.Contains(msg, want) {
		t.Fatalf("Insert of another value panicked with %q, want a panic containing %q", msg, want)
	}
}

// TestDMapCaches checks the caching rule: a key joins the cached map once
// its tree lookups exceed the map's length (and are at least two).
func TestDMapCaches(t *testing.T) {
	var d DMap[int, int]
	for k := range 4 {
		d.Insert(k, k)
	}
	for k := range 4 {
		cached := len(d.cacheMap())
		lookups := 0
		for ; lookups < 100; lookups++ {
			if _, ok := d.cacheMap()[k]; ok {
				break
			}
			d.Lookup(k)
		}
		if want := max(2, cached+1); lookups != want {
			t.Fatalf("key %d cached after %d lookups with %d keys cached; want %d", k, lookups, cached, want)
		}
	}
}

// TestDMapConcurrentInsert races inserts of the same keys, then checks that
// each key holds one value and that concurrent lookups never see another.
func TestDMapConcurrentInsert(t *testing.T) {
	const keys, workers = 256, 4
	var d DMap[int, int]
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range keys {
				k := (i*37 + w*11) % keys
				d.Insert(k, -k)
				if v, ok := d.Lookup(k); !ok || v != -k {
					t.Errorf("Lookup(%d) = %d, %v after Insert", k, v, ok)
				}
			}
		}()
	}
	wg.Wait()
	for k := range keys {
		if v, ok := d.Lookup(k); !ok || v != -k {
			t.Fatalf("Lookup(%d) = %d, %v; want %d, true", k, v, ok, -k)
		}
	}
}
