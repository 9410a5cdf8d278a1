package evolution_test

import (
	"fmt"

	"github.com/readmostly/readmostly/evolution"
)

// Every design is driven through one interface, so a benchmark or the
// contention command can walk the whole evolution in order.
func ExampleMapDesigns() {
	for _, d := range evolution.MapDesigns() {
		m := d.New()
		m.LoadOrStore(1, 10)
		v, ok := m.Load(1)
		fmt.Println(d.Name, v, ok)
	}
	// Output:
	// dmap 10 true
	// twomap 10 true
	// cleandirty 10 true
	// deltadirty 10 true
	// syncmap 10 true
	// sharded 10 true
	// sync.Map 10 true
}

func ExampleLockDesigns() {
	for _, d := range evolution.LockDesigns() {
		mu := d.New()
		mu.RLock()
		//lint:ignore SA2001 the example only shows the method set
		mu.RUnlock()
		mu.Lock()
		//lint:ignore SA2001 the example only shows the method set
		mu.Unlock()
		fmt.Println(d.Name)
	}
	// Output:
	// distributed
	// percpu
	// drwmutex
	// sync.RWMutex
}

// A DMap only grows: inserting a key again with another value is a bug it
// reports by panicking.
func ExampleDMap() {
	var d evolution.DMap[string, int]
	d.Insert("answer", 42)
	v, ok := d.Lookup("answer")
	fmt.Println(v, ok)
	_, ok = d.Lookup("question")
	fmt.Println(ok)
	// Output:
	// 42 true
	// false
}

// The RLocker handle of a per-slot design releases the slot it locked, even
// if the goroutine has moved to another CPU in between.
func ExampleDistributedRWMutex_RLocker() {
	var mu evolution.DistributedRWMutex
	r := mu.RLocker()
	r.Lock()
	// ... read; the goroutine may be rescheduled anywhere ...
	//lint:ignore SA2001 the elided read is the critical section
	r.Unlock()
	mu.Lock()
	fmt.Println("writer in")
	mu.Unlock()
	// Output: writer in
}
