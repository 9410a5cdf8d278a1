package tests

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestMapModelAcceptsCorrectMaps(t *testing.T) {
	for name, newMap := range map[string]func() SyncMap[int, int]{
		"MutexMap":       func() SyncMap[int, int] { return new(MutexMap[int, int]) },
		"CopyOnWriteMap": func() SyncMap[int, int] { return new(CopyOnWriteMap[int, int]) },
		"sync.Map":       func() SyncMap[int, int] { return AnyAsInt(new(sync.Map)) },
	} {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(20) {
				CheckMapModel(t, newMap, 2000, seed)
			}
		})
	}
}

// Each broken map differs from MutexMap in one method; the model must notice.
type (
	ignoresOldOnDelete struct{ MutexMap[int, int] }
	storesWhenLoaded   struct{ MutexMap[int, int] }
	swapReportsLoaded  struct{ MutexMap[int, int] }
	clearKeepsOne      struct{ MutexMap[int, int] }
	rangeRepeatsAKey   struct{ MutexMap[int, int] }
	rangeSkipsAKey     struct{ MutexMap[int, int] }
	casOnMissingStores struct{ MutexMap[int, int] }
)

func (m *ignoresOldOnDelete) CompareAndDelete(k, old int) bool {
	_, ok := m.LoadAndDelete(k)
	return ok
}

func (m *storesWhenLoaded) LoadOrStore(k, v int) (int, bool) {
	prev, loaded := m.Swap(k, v)
	if loaded {
		return prev, true
	}
	return v, false
}

func (m *swapReportsLoaded) Swap(k, v int) (int, bool) {
	prev, _ := m.MutexMap.Swap(k, v)
	return prev, true
}

func (m *clearKeepsOne) Clear() {
	v, ok := m.Load(0)
	m.MutexMap.Clear()
	if ok {
		m.Store(0, v)
	}
}

func (m *rangeRepeatsAKey) Range(f func(k, v int) bool) {
	m.MutexMap.Range(func(k, v int) bool {
		if !f(k, v) {
			return false
		}
		return f(k, v) // the same key again
	})
}

func (m *rangeSkipsAKey) Range(f func(k, v int) bool) {
	m.MutexMap.Range(func(k, v int) bool { return k == 3 || f(k, v) })
}

func (m *casOnMissingStores) CompareAndSwap(k, old, new int) bool {
	if _, ok := m.Load(k); !ok {
		m.Store(k, new)
		return false
	}
	return m.MutexMap.CompareAndSwap(k, old, new)
}

func TestMapModelCatchesBrokenMaps(t *testing.T) {
	for _, tc := range []struct {
		name   string
		newMap func() SyncMap[int, int]
		want   string // in the failure message, besides the op's place
	}{
		{"CompareAndDelete ignores old", func() SyncMap[int, int] { return new(ignoresOldOnDelete) }, "CompareAndDelete"},
		{"LoadOrStore stores when loaded", func() SyncMap[int, int] { return new(storesWhenLoaded) }, "visited"},
		{"Swap always reports loaded", func() SyncMap[int, int] { return new(swapReportsLoaded) }, "Swap"},
		{"Clear keeps a key", func() SyncMap[int, int] { return new(clearKeepsOne) }, "want (0, false)"},
		{"Range repeats a key", func() SyncMap[int, int] { return new(rangeRepeatsAKey) }, "twice"},
		{"Range skips a key", func() SyncMap[int, int] { return new(rangeSkipsAKey) }, "returned visited"},
		{"CompareAndSwap on a missing key stores", func() SyncMap[int, int] { return new(casOnMissingStores) }, "returned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, failed := runRecording(func(tb testing.TB) { CheckMapModel(tb, tc.newMap, 2000, 1) })
			if !failed {
				t.Fatalf("the model accepted a map whose %s", tc.name)
			}
			if !strings.Contains(msg, "seed 1, op ") || !strings.Contains(msg, tc.want) {
				t.Fatalf("the model failed with %q, want the failing op and %q", msg, tc.want)
			}
		})
	}
}

func TestMapOpsFromBytesCoversEveryKind(t *testing.T) {
	var data []byte
	for k := range numMapOps {
		data = append(data, byte(k)|byte(k)<<4, 0x21)
	}
	ops := MapOpsFromBytes(append(data, 0xff)) // an odd trailing byte is ignored
	if len(ops) != int(numMapOps) {
		t.Fatalf("decoded %d ops, want %d", len(ops), numMapOps)
	}
	for i, op := range ops {
		if op.Kind != MapOpKind(i) || op.Key != i || op.Value != 1 || op.Old != 2 {
			t.Errorf("op %d decoded as %+v", i, op)
		}
	}
}

// recorder is a testing.TB whose failures end the calling goroutine, as
// t.FailNow does, and are kept for the test to inspect.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	msg    string
	failed bool
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.msg, r.failed = fmt.Sprintf(format, args...), true
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.msg, r.failed = fmt.Sprintf(format, args...), true
	r.mu.Unlock()
}

func runRecording(f func(tb testing.TB)) (msg string, failed bool) {
	r := new(recorder)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msg, r.failed
}
