package tests

import (
	"os"
	"path/filepath"
	"regexp"
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
	gotool := GoCommand(t)
	ours := goLine(t, filepath.Join(RepoRoot(t), "go.mod"))
	dir := ScratchModule(t, "consumer", "1.16", map[string]string{
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
	})
	// A go 1.16 module loads the whole module graph, so tidy may fetch
	// go.mod files of our dependencies' dependencies that this module's
	// pruned graph never needed. GOFLAGS is cleared so that a -mod flag of
	// the caller's does not leak in.
	env := []string{"GOFLAGS="}
	if out, err := RunGo(gotool, dir, 3*time.Minute, env, "mod", "tidy"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got := goLine(t, filepath.Join(dir, "go.mod")); got != ours {
		t.Errorf("after go mod tidy the adopting module's go line is %s, want ours, %s", got, ours)
	}
	if out, err := RunGo(gotool, dir, 3*time.Minute, env, "test", "-count=1", "."); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
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
