package drwmutex_test

import (
	"fmt"
	"sync"

	"github.com/readmostly/readmostly/drwmutex"
)

// A package-level lock guarding read-mostly data: changing the type from
// sync.RWMutex is the whole migration.
var (
	routesMu drwmutex.RWMutex // was: sync.RWMutex
	routes   = map[string]string{"/": "index"}
)

func lookup(path string) (string, bool) {
	routesMu.RLock()
	defer routesMu.RUnlock()
	h, ok := routes[path]
	return h, ok
}

func register(path, handler string) {
	routesMu.Lock()
	defer routesMu.Unlock()
	routes[path] = handler
}

func Example() {
	register("/about", "about")
	var wg sync.WaitGroup
	for _, p := range []string{"/", "/about", "/missing"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lookup(p)
		}()
	}
	wg.Wait()
	h, ok := lookup("/about")
	fmt.Println(h, ok)
	// Output: about true
}

// RLocker returns a handle bound to the reader counter of the CPU the
// goroutine is on; its Unlock releases that same counter even if the
// goroutine has moved since, and it fits wherever a sync.Locker is wanted.
func ExampleRWMutex_RLocker() {
	var mu drwmutex.RWMutex
	total := 0
	ready := sync.NewCond(mu.RLocker())

	go func() {
		mu.Lock()
		total = 42
		mu.Unlock()
		ready.Broadcast()
	}()

	ready.L.Lock() // a read lock
	for total == 0 {
		ready.Wait() // releases and retakes the read lock through the handle
	}
	fmt.Println(total)
	ready.L.Unlock()
	// Output: 42
}
