package evolution_test

import (
	"fmt"

	"github.com/readmostly/readmostly/evolution"
)

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

// A PerCPURWMutex's read lock is a handle: RLock returns it, and the reader
// releases the lock through it, wherever it runs by then.
func ExamplePerCPURWMutex() {
	mu := evolution.NewPerCPURWMutex()
	l := mu.RLock()
	// ... read ...
	//lint:ignore SA2001 the elided read is the critical section
	l.Unlock()
	mu.Lock()
	fmt.Println("writer in")
	mu.Unlock()
	// Output: writer in
}
