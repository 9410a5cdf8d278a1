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

// TestOwnedAssembly checks the assembly's three outcomes against the
// counters: a read lock taken and released through the running P's owned
// counter; a read lock that finds a writer and takes itself out again, and
// a release that finds the writer asleep; and a P whose index is beyond
// the slots, for which it does nothing.
func TestOwnedAssembly(t *testing.T) {
	if !ownedOK {
		t.Fatal("checkOffsets rejected the runtime's layout")
	}
	owned := func(r *readerSlots) (sum int64) {
		for i := range r.slots {
			sum += r.slots[i].owned
		}
		return sum
	}
	var rw RWMutex
	r := rw.slots()
	rw.hint = unsafe.Pointer(r)
	if got := rlockOwned(&rw, r); got != ownedDone || owned(r) != 1 {
		t.Fatalf("rlockOwned: %d, owned counters sum to %d; want %d and 1", got, owned(r), ownedDone)
	}
	if got := runlockOwned(&rw, r); got != ownedDone || owned(r) != 0 {
		t.Fatalf("runlockOwned: %d, owned counters sum to %d; want %d and 0", got, owned(r), ownedDone)
	}

	rw.central.Store(-writerMark)
	if got := rlockOwned(&rw, r); got != ownedMore || owned(r) != 0 {
		t.Errorf("rlockOwned beside a writer: %d, owned counters sum to %d; want %d and 0", got, owned(r), ownedMore)
	}
	rw.central.Store(0)
	rw.hint = unsafe.Pointer(&rw)
	if got := rlockOwned(&rw, r); got != ownedMore || owned(r) != 0 {
		t.Errorf("rlockOwned on an unbiased mutex: %d, owned counters sum to %d; want %d and 0", got, owned(r), ownedMore)
	}
	rw.hint = unsafe.Pointer(r)
	rlockOwned(&rw, r)
	rw.state.Store(sleeping)
	if got := runlockOwned(&rw, r); got != ownedMore || owned(r) != 0 {
		t.Errorf("runlockOwned with the writer asleep: %d, owned counters sum to %d; want %d and 0", got, owned(r), ownedMore)
	}
	rw.state.Store(0)

	// One slot, so that P 1 is beyond it: two goroutines that spin at once
	// hold both Ps, so one of them soon calls on P 1; each outcome must
	// match what its counter shows. A deadline keeps a machine too busy to
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
			rw.hint = unsafe.Pointer(one)
			for i := 0; !beyond.Load(); i++ {
				before := one.slots[0].owned
				switch got := rlockOwned(&rw, one); {
				case got == ownedNot && one.slots[0].owned == before:
					beyond.Store(true)
				case got == ownedDone && one.slots[0].owned == before+1:
					one.slots[0].owned--
				default:
					t.Errorf("rlockOwned: %d, and the counter went from %d to %d", got, before, one.slots[0].owned)
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
