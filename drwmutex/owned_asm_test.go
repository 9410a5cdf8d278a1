//go:build linux && amd64 && go1.26 && !go1.27 && !race

package drwmutex

import (
	"debug/dwarf"
	"debug/elf"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/readmostly/readmostly/tests"
)

// TestRuntimeOffsets compares the offsets that owned_amd64.s and
// checkOffsets read the runtime's structures through with the debugging
// information that the toolchain writes from the runtime's source, in a
// program it builds for the purpose (go test leaves it out of test
// binaries).
func TestRuntimeOffsets(t *testing.T) {
	gotool := tests.GoCommand(t)
	dir := t.TempDir()
	out, err := tests.RunGo(gotool, dir, time.Minute, nil, "env", "GOVERSION")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if v := strings.TrimSpace(string(out)); v != runtime.Version() {
		t.Fatalf("the go command on PATH is %s, this test binary's runtime %s", v, runtime.Version())
	}
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "prog")
	if out, err := tests.RunGo(gotool, dir, 5*time.Minute, nil, "build", "-o", exe, src); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	f, err := elf.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := f.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int64{
		"runtime.g": {"m": gM},
		"runtime.m": {"procid": mProcid, "curg": mCurg, "p": mP, "locks": mLocks},
		"runtime.p": {"id": pID, "m": pM},
	}
	found := map[string]bool{}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e == nil {
			break
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		fields, ok := want[name]
		if e.Tag != dwarf.TagStructType || !ok || found[name] {
			if e.Children && e.Tag == dwarf.TagStructType {
				r.SkipChildren()
			}
			continue
		}
		found[name] = true
		seen := map[string]bool{}
		for {
			c, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if c == nil || c.Tag == 0 {
				break
			}
			field, _ := c.Val(dwarf.AttrName).(string)
			off, ok := fields[field]
			if c.Tag != dwarf.TagMember || !ok {
				continue
			}
			seen[field] = true
			if got, _ := c.Val(dwarf.AttrDataMemberLoc).(int64); got != off {
				t.Errorf("%s.%s is at offset %d; the constant says %d", name, field, got, off)
			}
		}
		for field := range fields {
			if !seen[field] {
				t.Errorf("%s has no field %s", name, field)
			}
		}
	}
	for name := range want {
		if !found[name] {
			t.Errorf("no struct %s in the debugging information", name)
		}
	}
	if !ownedOK {
		t.Errorf("checkOffsets rejected the runtime's layout")
	}
}

// TestOwnedAssembly checks each way out of the assembly's rlockSlowAsm and
// runlockSlowAsm against the counters: a read lock taken and released
// through the running P's owned counter; a read lock that finds a writer
// present, takes itself out of the owned counter and waits, and one that
// finds its hint gone stale and retakes the lock through central; a
// release that finds the writer asleep and wakes it; and a P whose index
// is beyond the slots, which the Go path counts atomically.
func TestOwnedAssembly(t *testing.T) {
	if !ownedOK {
		t.Fatal("checkOffsets rejected the runtime's layout")
	}
	if name, why := Fence(); name != fenceMembarrier {
		t.Skipf("the membarrier fence is not in use here: %s", why)
	}
	owned := func(r *readerSlots) (sum int64) {
		for i := range r.slots {
			sum += r.slots[i].owned
		}
		return sum
	}
	var rw RWMutex
	r := rw.slots()
	h := unsafe.Pointer(r)
	rw.hint = h
	rlockSlowAsm(&rw, h)
	if owned(r) != 1 || centralCount(&rw) != 0 {
		t.Fatalf("rlockSlowAsm: owned counters sum to %d, central counts %d; want 1 and 0", owned(r), centralCount(&rw))
	}
	runlockSlowAsm(&rw, h)
	if owned(r) != 0 {
		t.Fatalf("runlockSlowAsm: owned counters sum to %d, want 0", owned(r))
	}

	// A writer present: the reader takes itself out and waits, counted
	// in state, until the writer's release admits it through central.
	rw.central.Store(-writerMark)
	done := make(chan struct{})
	go func() {
		defer close(done)
		rlockSlowAsm(&rw, h)
	}()
	for deadline := time.Now().Add(10 * time.Second); rw.state.Load() != oneWaiting; {
		if time.Now().After(deadline) {
			t.Fatalf("in 10 s the reader did not wait for the writer: state %#x", rw.state.Load())
		}
		runtime.Gosched()
	}
	if owned(r) != 0 {
		t.Errorf("rlockSlowAsm beside a writer: owned counters sum to %d while it waits, want 0", owned(r))
	}
	rw.central.Store(0)
	rw.admitWaiting(false)
	<-done
	if owned(r) != 0 || centralCount(&rw) != 1 {
		t.Errorf("admitted reader: owned counters sum to %d, central counts %d; want 0 and 1", owned(r), centralCount(&rw))
	}
	if t.Failed() {
		t.FailNow()
	}
	rw.central.Store(0)

	// A stale hint: the mutex turned unbiased after the caller loaded
	// it. The reader takes itself out and retakes the lock as RLock
	// now would, through central.
	rw.hint = unsafe.Pointer(&rw)
	rlockSlowAsm(&rw, h)
	if owned(r) != 0 || centralCount(&rw) != 1 {
		t.Fatalf("rlockSlowAsm with a stale hint: owned counters sum to %d, central counts %d; want 0 and 1", owned(r), centralCount(&rw))
	}
	rw.central.Store(0)
	rw.hint = h

	// A release that finds the writer asleep wakes it: it clears the
	// bit and releases the writer's semaphore, which a writer would be
	// waiting on; none is here, so the test takes the release back.
	rlockSlowAsm(&rw, h)
	rw.state.Store(sleeping)
	runlockSlowAsm(&rw, h)
	if owned(r) != 0 || rw.state.Load() != 0 {
		t.Fatalf("runlockSlowAsm with the writer asleep: owned counters sum to %d, state %#x; want 0 and 0", owned(r), rw.state.Load())
	}
	semacquire(&rw.writerSem) // released with the bit cleared

	// One slot, so that P 1 is beyond it: two goroutines that spin at once
	// hold both Ps, so one of them soon calls on P 1; each outcome must
	// match what its counters show. A deadline keeps a machine too busy to
	// run them at once from hanging the test.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var wg sync.WaitGroup
	var beyond atomic.Bool
	deadline := time.Now().Add(10 * time.Second)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var rw RWMutex
			one := &readerSlots{slots: make([]slot, 1), mask: 0}
			rw.readers.Store(one)
			rw.hint = unsafe.Pointer(one)
			s := &one.slots[0]
			for i := 0; !beyond.Load(); i++ {
				rlockSlowAsm(&rw, rw.hint)
				switch {
				case s.count.Load() == 1 && s.owned == 0:
					beyond.Store(true)
					s.count.Add(-1)
				case s.count.Load() == 0 && s.owned == 1:
					s.owned--
				default:
					t.Errorf("rlockSlowAsm: the slot's atomic counter is %d, its owned one %d; want one of them 1", s.count.Load(), s.owned)
					return
				}
				if i%1024 == 0 && time.Now().After(deadline) {
					t.Errorf("in 10 s on two Ps, no call ran on P 1")
					return
				}
			}
		}()
	}
	wg.Wait()
}

// asmLocal takes and releases a read lock of a mutex of its own through
// the assembly alone, with the nil hint of a fresh mutex, which it sends to
// the Go paths by a jump.
//
//go:noinline
func asmLocal() {
	var rw RWMutex
	rlockSlowAsm(&rw, nil)
	runlockSlowAsm(&rw, nil)
}

// TestAssemblyKeepsTheMutexInTheHeap is TestSlowPathsKeepTheMutexInTheHeap
// for the assembly's declarations, which the compiler cannot see through:
// marked noescape, they would let it keep the mutex on the stack, though
// the Go paths they jump to store its address where the heap reaches it.
func TestAssemblyKeepsTheMutexInTheHeap(t *testing.T) {
	if n := testing.AllocsPerRun(100, asmLocal); n != 1 {
		t.Errorf("a local mutex locked through the assembly: %v allocations per run, want 1 (the mutex, moved to the heap)", n)
	}
}
