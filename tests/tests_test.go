package tests

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestMain(m *testing.M) { VerifyMain(m) }

func TestHammerStopsAtDeadlineAndCountsEveryIteration(t *testing.T) {
	var total atomic.Int64
	start := time.Now()
	counts := Hammer(t, 50*time.Millisecond, 3, func(w, i int) bool {
		total.Add(1)
		return true
	})
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("Hammer ran %v past a 50ms deadline", elapsed)
	}
	if len(counts) != 3 {
		t.Fatalf("got %d counts, want one per worker (3)", len(counts))
	}
	var sum int64
	for w, c := range counts {
		if c == 0 {
			t.Errorf("worker %d never ran", w)
		}
		sum += int64(c)
	}
	if sum != total.Load() {
		t.Fatalf("counts add up to %d, body ran %d times", sum, total.Load())
	}
}

func TestHammerStopsWhenBodyReturnsFalse(t *testing.T) {
	counts := Hammer(t, time.Minute, 1, func(w, i int) bool { return i < 9 })
	if counts[0] != 9 {
		t.Fatalf("worker completed %d iterations, want 9 (stopped by the tenth call)", counts[0])
	}
}

func TestPinMovesTheThreadAndRestores(t *testing.T) {
	cpus := AllowedCPUs(t)
	for _, cpu := range cpus {
		restore := Pin(t, cpu)
		got := Getcpu(t)
		restore()
		if got != cpu {
			t.Errorf("pinned to CPU %d, getcpu says %d", cpu, got)
		}
	}
	if after := AllowedCPUs(t); len(after) != len(cpus) {
		t.Fatalf("affinity not restored: %v before, %v after", cpus, after)
	}
}

func TestExpectPanicSeesTheMessage(t *testing.T) {
	ExpectPanic(t, "the named mistake", func() { panic("readmostly: the named mistake") })
}

func TestRunPatternSelectsOneSubtest(t *testing.T) {
	got := runPattern("TestX/a+b")
	if want := `^TestX$/^a\+b$`; got != want {
		t.Fatalf("runPattern = %q, want %q", got, want)
	}
}
