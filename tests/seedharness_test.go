package tests

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// recordingTimer remembers the order of its calls, with the harness's.
type recordingTimer struct {
	mu    sync.Mutex
	calls []string
}

func (r *recordingTimer) add(call string) {
	r.mu.Lock()
	r.calls = append(r.calls, call)
	r.mu.Unlock()
}

func (r *recordingTimer) StartTimer() { r.add("start") }
func (r *recordingTimer) StopTimer()  { r.add("stop") }

func TestRunGatedSplitsAndTimesOnlyTheReleasedWork(t *testing.T) {
	for _, tc := range []struct{ goroutines, n int }{{1, 0}, {1, 7}, {3, 10}, {4, 2}, {16, 1000}} {
		var timer recordingTimer
		gate := make(chan struct{})
		var ops atomic.Int64
		quotas := make([]int, tc.goroutines)
		RunGated(&timer, tc.goroutines, tc.n, func() { timer.add("hold") }, func() {
			timer.add("release")
			close(gate)
		}, func(g, quota int, ready func()) {
			quotas[g] = quota
			timer.add("ready")
			ready()
			<-gate
			ops.Add(int64(quota))
		})
		if got := ops.Load(); got != int64(tc.n) {
			t.Errorf("%d goroutines, n %d: the quotas add up to %d", tc.goroutines, tc.n, got)
		}
		if lo, hi := slices.Min(quotas), slices.Max(quotas); hi-lo > 1 {
			t.Errorf("%d goroutines, n %d: quotas %v are uneven", tc.goroutines, tc.n, quotas)
		}
		want := []string{"stop", "hold"}
		for range tc.goroutines {
			want = append(want, "ready")
		}
		if want = append(want, "start", "release", "stop"); !slices.Equal(timer.calls, want) {
			t.Errorf("%d goroutines, n %d: calls %v, want %v", tc.goroutines, tc.n, timer.calls, want)
		}
	}
}

func TestRunGatedRefusesNoGoroutines(t *testing.T) {
	msg := PanicMessage(func() {
		RunGated(new(recordingTimer), 0, 1, func() {}, func() {}, func(int, int, func()) {})
	})
	if !strings.Contains(msg, "goroutines >= 1") {
		t.Fatalf("RunGated with no goroutines panicked with %q, want a message about goroutines >= 1", msg)
	}
}

func TestSeedHarnessReleasesEveryReader(t *testing.T) {
	var mu countingRWMutex
	res := testing.Benchmark(func(b *testing.B) { SeedHarness(b, &mu, 4) })
	if res.N == 0 || mu.readers.Load() != 0 || mu.rlocks.Load() < int64(res.N) {
		t.Fatalf("SeedHarness ran %d iterations, %d read locks, %d still held", res.N, mu.rlocks.Load(), mu.readers.Load())
	}
}

// countingRWMutex is a sync.RWMutex that counts its read locks.
type countingRWMutex struct {
	sync.RWMutex
	rlocks, readers atomic.Int64
}

func (m *countingRWMutex) RLock() {
	m.RWMutex.RLock()
	m.rlocks.Add(1)
	m.readers.Add(1)
}

func (m *countingRWMutex) RUnlock() {
	m.readers.Add(-1)
	m.RWMutex.RUnlock()
}
