package drwmutex

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/readmostly/readmostly/tests"
)

// rwLocker is the method set that RWMutex shares with sync.RWMutex.
type rwLocker interface {
	tests.RWLocker
	TryLock() bool
	TryRLock() bool
}

// raceScenario is one locking pattern, run on one lock in one child
// process: two readers writing one variable under RLock (a bug the race
// detector must report), or readers reading it and a writer writing it
// (correct, so nothing may be reported).
type raceScenario struct {
	name string
	racy bool
	run  func(l rwLocker, rlocker func() sync.Locker)
}

var raceScenarios = []raceScenario{
	{"readers write", true, func(l rwLocker, _ func() sync.Locker) {
		writeUnderReadLocks(func() sync.Locker { return readLocks{l} })
	}},
	{"handles write", true, func(_ rwLocker, rlocker func() sync.Locker) {
		writeUnderReadLocks(rlocker)
	}},
	{"readers read, writer writes", false, func(l rwLocker, rlocker func() sync.Locker) {
		var x int
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 200 {
					switch {
					case g == 0 && i%4 == 0:
						l.Lock()
						x++
						l.Unlock()
					case g == 1 && i%2 == 0:
						h := rlocker()
						h.Lock()
						_ = x
						h.Unlock()
					case g == 2 && i%2 == 0:
						if l.TryRLock() {
							_ = x
							l.RUnlock()
						}
					case g == 3 && i%8 == 0:
						if l.TryLock() {
							x++
							l.Unlock()
						}
					default:
						l.RLock()
						_ = x
						l.RUnlock()
					}
				}
			}()
		}
		wg.Wait()
	}},
	{"read lock released by another goroutine", false, func(l rwLocker, _ func() sync.Locker) {
		var x int
		for range 50 {
			l.RLock()
			_ = x
			<-async(l.RUnlock)
			l.Lock()
			x++
			<-async(l.Unlock)
		}
	}},
}

// writeUnderReadLocks has two goroutines, which nothing orders but the
// lock, each write one variable under a read lock taken through locker().
func writeUnderReadLocks(locker func() sync.Locker) {
	var x int
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := locker()
			l.Lock()
			x++
			l.Unlock()
		}()
	}
	wg.Wait()
}

// readLocks is l's RLock and RUnlock as a sync.Locker.
type readLocks struct{ l rwLocker }

func (r readLocks) Lock()   { r.l.RLock() }
func (r readLocks) Unlock() { r.l.RUnlock() }

// racyTries is how many fresh processes a buggy scenario may take before
// its race must have been reported. The detector itself misses a race now
// and then: CI once saw "handles write" go unreported for sync.RWMutex at
// GOMAXPROCS 2, in one process of the many it has run, while thousands of
// local runs reported it every time. (ThreadSanitizer's runtime can order
// two goroutines that nothing orders when one of them takes over a slot,
// and with it the clock, that the other left, or when a global reset wipes
// its shadow memory; which of these happened there is not known.) A lock
// whose own synchronization orders the two writers is missed in every
// process, so three tries still catch it; a miss in some fraction of fresh
// processes is TestRaceReportedInAFreshProcess's to count.
const racyTries = 3

// TestRaceDetectorParity runs each scenario in child processes, with
// sync.RWMutex and with RWMutex in each mode, at GOMAXPROCS 1 and 2, and
// checks that the race detector reports the buggy ones (within racyTries
// processes) and the correct ones never, as it does for sync.RWMutex.
func TestRaceDetectorParity(t *testing.T) {
	if !raceEnabled {
		t.Skip("needs a binary built with -race")
	}
	locks := []struct {
		name string
		new  func(t *testing.T) (rwLocker, func() sync.Locker)
	}{
		{"sync", func(*testing.T) (rwLocker, func() sync.Locker) {
			var mu sync.RWMutex
			return &mu, mu.RLocker
		}},
		{"unbiased", func(*testing.T) (rwLocker, func() sync.Locker) {
			var mu RWMutex
			return &mu, mu.RLocker
		}},
		{"biased", func(t *testing.T) (rwLocker, func() sync.Locker) {
			var mu RWMutex
			makeBiased(t, &mu)
			return &mu, mu.RLocker
		}},
	}
	for _, sc := range raceScenarios {
		for _, lk := range locks {
			for _, procs := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/%s/procs=%d", sc.name, lk.name, procs), func(t *testing.T) {
					child := func() (reported bool, out []byte, err error) {
						out, err = tests.RunInChild(t, []string{"GORACE=atexit_sleep_ms=0"}, func() {
							runtime.GOMAXPROCS(procs)
							l, rlocker := lk.new(t)
							if lk.name == "biased" && l.(*RWMutex).biased() == nil {
								panic("the mutex is not biased")
							}
							sc.run(l, rlocker)
						})
						return bytes.Contains(out, []byte("WARNING: DATA RACE")), out, err
					}
					if !sc.racy {
						if reported, out, err := child(); reported || err != nil {
							t.Fatalf("a correct program failed under the race detector; exit %v, output:\n%s", err, out)
						}
						return
					}
					for try := 1; ; try++ {
						reported, out, err := child()
						if reported {
							return
						}
						if try == racyTries {
							t.Fatalf("the race detector did not report the race in %d processes; the last one's exit %v, output:\n%s", racyTries, err, out)
						}
						t.Logf("try %d: not reported; trying a fresh process", try)
					}
				})
			}
		}
	}
}

// TestRaceReportedInAFreshProcess checks, in fresh processes at GOMAXPROCS
// 1, that two goroutines writing one variable under read locks of a zero
// RWMutex are reported in each of them. The first read lock of a process
// starts the choice of fence and CPU strategy in the background; when CPU
// detection ran there under -race, the detector missed this race in about
// a third of such processes. One miss in the 30 is allowed for the
// detector's own rare misses (see racyTries): a miss rate of a third passes
// with probability below 1e-4.
func TestRaceReportedInAFreshProcess(t *testing.T) {
	if !raceEnabled {
		t.Skip("needs a binary built with -race")
	}
	const processes, allowed = 30, 1
	missed := 0
	for range processes {
		out, err := tests.RunInChild(t, []string{"GORACE=atexit_sleep_ms=0"}, func() {
			runtime.GOMAXPROCS(1)
			var mu RWMutex
			writeUnderReadLocks(func() sync.Locker { return readLocks{&mu} })
		})
		if !bytes.Contains(out, []byte("WARNING: DATA RACE")) {
			missed++
			t.Logf("not reported; exit %v, output:\n%s", err, out)
		}
	}
	if missed > allowed {
		t.Fatalf("the race detector missed the race in %d of %d fresh processes (%d allowed)", missed, processes, allowed)
	}
}
