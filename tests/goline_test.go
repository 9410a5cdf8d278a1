package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAdoptingKeepsTheGoLine adopts this module as a user's old module would:
// a scratch module at go 1.16 requires it (replaced by this checkout), runs
// go mod tidy, and must end with our go line, not a newer one. Its test file
// calls fmt.Printf with a non-constant format, which vet inside go test
// rejects only from go 1.24 on: that is how adopting a module that needed
// 1.24 broke other modules' tests (seen on a go 1.16 cache library).
func TestAdoptingKeepsTheGoLine(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command on a scratch module")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ours := goLine(t, filepath.Join(root, "go.mod"))

	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module consumer\n\ngo 1.16\n\nrequire github.com/readmostly/readmostly v0.0.0\n\n" +
			"replace github.com/readmostly/readmostly => " + root + "\n",
		"consumer.go": `package consumer

import "github.com/readmostly/readmostly/drwmutex"

var mu drwmutex.RWMutex

// Get reads under the lock.
func Get(f func() string) string {
	mu.RLock()
	defer mu.RUnlock()
	return f()
}
`,
		"consumer_test.go": `package consumer

import (
	"fmt"
	"testing"
)

func TestGet(t *testing.T) {
	msg := Get(func() string { return "hello\n" })
	fmt.Printf(msg)
}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, gotool, args...)
		cmd.Dir = dir
		// A go 1.16 module loads the whole module graph, so tidy may fetch
		// go.mod files of our dependencies' dependencies that this module's
		// pruned graph never needed. GOFLAGS is cleared so that a -mod
		// flag of the caller's does not leak in.
		cmd.Env = append(os.Environ(), "GOFLAGS=", "GOTOOLCHAIN=local", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("mod", "tidy")
	if got := goLine(t, filepath.Join(dir, "go.mod")); got != ours {
		t.Errorf("after go mod tidy the adopting module's go line is %s, want ours, %s", got, ours)
	}
	run("test", "-count=1", ".")
}

var goLineRE = regexp.MustCompile(`(?m)^go ([0-9][0-9.]*)\s*$`)

// goLine returns the version on the go line of the go.mod file at path.
func goLine(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := goLineRE.FindSubmatch(data)
	if m == nil {
		t.Fatalf("%s has no go line", path)
	}
	return string(m[1])
}
