package syncmap_test

import (
	"fmt"
	"maps"
	"slices"

	"github.com/readmostly/readmostly/syncmap"
)

// A cache that only grows is the first case the map is built for: each key is
// written once and then read without locking.
func ExampleMap() {
	var squares syncmap.Map[int, int]
	square := func(n int) int {
		if v, ok := squares.Load(n); ok {
			return v
		}
		v, _ := squares.LoadOrStore(n, n*n) // another goroutine may have won
		return v
	}
	fmt.Println(square(12), square(12), square(3))
	// Output: 144 144 9
}

func ExampleMap_LoadOrStore() {
	var sessions syncmap.Map[string, int]
	actual, loaded := sessions.LoadOrStore("alice", 1)
	fmt.Println(actual, loaded)
	actual, loaded = sessions.LoadOrStore("alice", 2)
	fmt.Println(actual, loaded)
	// Output:
	// 1 false
	// 1 true
}

// CompareAndSwap in a loop updates a value from its old one without a lock.
func ExampleMap_CompareAndSwap() {
	var hits syncmap.Map[string, int]
	hits.Store("/", 0)
	increment := func(path string) {
		for {
			old, _ := hits.Load(path)
			if hits.CompareAndSwap(path, old, old+1) {
				return
			}
		}
	}
	increment("/")
	increment("/")
	v, _ := hits.Load("/")
	fmt.Println(v)
	// Output: 2
}

func ExampleMap_CompareAndDelete() {
	var leases syncmap.Map[string, string]
	leases.Store("db", "worker-1")
	// Only the holder may release the lease.
	fmt.Println(leases.CompareAndDelete("db", "worker-2"))
	fmt.Println(leases.CompareAndDelete("db", "worker-1"))
	_, held := leases.Load("db")
	fmt.Println(held)
	// Output:
	// false
	// true
	// false
}

// All's order is unspecified, like a builtin map's: sort what it yields.
func ExampleMap_All() {
	var m syncmap.Map[string, int]
	m.Store("b", 2)
	m.Store("a", 1)
	m.Store("c", 3)
	contents := maps.Collect(m.All())
	for _, k := range slices.Sorted(maps.Keys(contents)) {
		fmt.Println(k, contents[k])
	}
	// Output:
	// a 1
	// b 2
	// c 3
}

// Map[any, any] is a drop-in for sync.Map, down to the panic when
// CompareAndSwap has to compare two values that Go cannot compare.
func ExampleMap_CompareAndSwap_incomparable() {
	var m syncmap.Map[any, any]
	m.Store("k", []int{1})
	defer func() { fmt.Println(recover()) }()
	m.CompareAndSwap("k", []int{1}, []int{2})
	// Output: syncmap: CompareAndSwap of incomparable values of type []int: runtime error: comparing uncomparable type []int
}
