package drwmutex

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/readmostly/readmostly/tests"
)

// TestGoRWMutexSuite runs the sync package's own rwmutex_test.go, from the
// installed toolchain, against RWMutex: the file is copied into a scratch
// module with its dot import of sync replaced by one of this package, and
// run with go test (under -race if this test is). That is the plainest
// check of the drop-in claim: the tests Go holds sync.RWMutex to, unchanged.
func TestGoRWMutexSuite(t *testing.T) {
	gotool := tests.GoCommand(t)
	goroot, err := exec.Command(gotool, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "src", "sync", "rwmutex_test.go"))
	if err != nil {
		t.Skipf("the toolchain's sync tests are not installed: %v", err)
	}
	adapted := string(src)
	for _, r := range []struct{ old, new string }{
		{"package sync_test\n", "package gostd_test\n"},
		{"\t. \"sync\"\n", "\t\"sync\"\n\n\t. \"github.com/readmostly/readmostly/drwmutex\"\n"},
	} {
		if !strings.Contains(adapted, r.old) {
			t.Fatalf("sync/rwmutex_test.go has no %q: its shape changed, adapt this test", r.old)
		}
		adapted = strings.Replace(adapted, r.old, r.new, 1)
	}
	// The file also names sync.Locker, which the dot import provided.
	adapted += "\ntype Locker = sync.Locker\n"

	sum, err := os.ReadFile(filepath.Join(tests.RepoRoot(t), "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := tests.ScratchModule(t, "gostd", "1.24", map[string]string{"go.sum": string(sum), "rwmutex_test.go": adapted})
	args := []string{"test", "-count=1", "-v"}
	if raceEnabled {
		args = append(args, "-race")
	}
	// Everything it needs is in the module cache already; never fetch.
	out, err := tests.RunGo(gotool, dir, 5*time.Minute, []string{"GOFLAGS=-mod=mod", "GOPROXY=off"}, append(args, ".")...)
	if err != nil {
		t.Fatalf("Go's rwmutex tests failed on drwmutex.RWMutex: %v\n%s", err, out)
	}
	for _, name := range []string{"TestParallelReaders", "TestRWMutex", "TestRLocker"} {
		if !strings.Contains(string(out), "--- PASS: "+name) {
			t.Errorf("%s did not run and pass:\n%s", name, out)
		}
	}
}

// TestFastPathsInline checks what the unbiased read path's speed rests on:
// that RLock and RUnlock inline into their callers, as sync.RWMutex's do.
// Each costs the inliner's whole budget, so a change to either that costs
// one node more turns it back into a call, silently but for this test.
func TestFastPathsInline(t *testing.T) {
	gotool := tests.GoCommand(t)
	out, err := tests.RunGo(gotool, filepath.Join(tests.RepoRoot(t), "drwmutex"), 5*time.Minute, nil, "build", "-gcflags=-m", ".")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, m := range []string{"RLock", "RUnlock"} {
		if !strings.Contains(string(out), "can inline (*RWMutex)."+m+"\n") {
			t.Errorf("(*RWMutex).%s does not inline any more; go build -gcflags=-m=2 says why", m)
		}
	}
}
