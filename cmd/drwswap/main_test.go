package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/readmostly/readmostly/tests"

	// The real package that TestRealPackage migrates: a copy of it is
	// fixed and tested. Imported here so that go.mod pins its version and
	// go.sum its hash.
	_ "github.com/gorilla/context"
)

// TestMain runs the tests under goleak, as every package of the project does.
func TestMain(m *testing.M) { tests.VerifyMain(m) }

func TestChdir(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want []string
		dir  string // where chdir must leave us; "" for unchanged
	}{
		{args: []string{"./..."}, want: []string{"./..."}},
		{args: []string{"-fix", "-C", dir, "./..."}, want: []string{"-fix", "-C", dir, "./..."}},
		{args: []string{"-C", dir, "-fix", "./..."}, want: []string{"-fix", "./..."}, dir: dir},
		{args: []string{"--C", dir, "./..."}, want: []string{"./..."}, dir: dir},
		{args: []string{"-C=" + dir, "./..."}, want: []string{"./..."}, dir: dir},
		{args: nil, want: nil},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			start, err := os.Getwd()
			if err != nil {
				t.Fatal(err)
			}
			t.Chdir(start) // restored afterwards
			got, err := chdir(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("chdir(%q) returned %q, want %q", tc.args, got, tc.want)
			}
			wd, _ := os.Getwd()
			if want := orDefault(tc.dir, start); !sameDir(t, wd, want) {
				t.Errorf("chdir(%q) left the directory %s, want %s", tc.args, wd, want)
			}
		})
	}
	for _, args := range [][]string{{"-C"}, {"-C", filepath.Join(dir, "missing")}} {
		if _, err := chdir(args); err == nil {
			t.Errorf("chdir(%q) succeeded, want an error", args)
		}
	}
}

func orDefault(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

func sameDir(t *testing.T, a, b string) bool {
	t.Helper()
	ai, err1 := os.Stat(a)
	bi, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(ai, bi)
}

// buildCommand builds the command into a temporary directory.
func buildCommand(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "drwswap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// run runs a command in dir and returns its combined output and exit code.
func run(t *testing.T, dir, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	case err != nil:
		t.Fatalf("%s %q: %v", name, args, err)
	}
	return string(out), 0
}

// mustRun runs a command that must succeed.
func mustRun(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	out, code := run(t, dir, name, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, out)
	}
	return out
}

// module writes a module requiring this repository's root module, with
// the given files, and returns its directory.
func module(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files["go.mod"] = "module example.test/user\n\ngo 1.24.0\n\n" +
		"require github.com/readmostly/readmostly v0.0.0-00010101000000-000000000000\n\n" +
		"replace github.com/readmostly/readmostly => " + root + "\n"
	sum, err := os.ReadFile("drwswap/testdata/go.sum")
	if err != nil {
		t.Fatal(err)
	}
	files["go.sum"] = string(sum)
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const cacheGo = `package cache

import "sync"

var (
	mu sync.RWMutex
	m  = map[string]int{}
)

func Get(k string) int {
	mu.RLock()
	defer mu.RUnlock()
	return m[k]
}

func Put(k string, v int) {
	mu.Lock()
	defer mu.Unlock()
	m[k] = v
}
`

const cacheTestGo = `package cache

import "testing"

func TestPut(t *testing.T) {
	Put("a", 1)
	if Get("a") != 1 {
		t.Fatal("Get after Put")
	}
}
`

// A lock whose only need for the type is in its package's test: reported
// once (by the test variant, not also by the package alone), and kept.
const guardGo = `package guard

import "sync"

var mu sync.RWMutex

func Read() {
	mu.RLock()
	mu.RUnlock()
}
`

const guardTestGo = `package guard

import (
	"sync"
	"testing"
)

func held(l *sync.RWMutex) bool { return !l.TryLock() }

func TestRead(t *testing.T) {
	Read()
	if held(&mu) {
		t.Fatal("held")
	}
	mu.Unlock()
}
`

var vetLine = regexp.MustCompile(`^/\S+\.go:\d+:\d+: \t?\S`) // related lines are indented

func TestCommand(t *testing.T) {
	bin := buildCommand(t)
	dir := module(t, map[string]string{
		"cache/cache.go":      cacheGo,
		"cache/cache_test.go": cacheTestGo,
		"guard/guard.go":      guardGo,
		"guard/guard_test.go": guardTestGo,
	})

	// Report: vet's format, a non-zero exit, one report per lock.
	out, code := run(t, ".", bin, "-C", dir, "./...")
	if code != 3 {
		t.Fatalf("report: exit %d, want 3 (diagnostics)\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines {
		if !vetLine.MatchString(l) {
			t.Errorf("report line %q is not file:line:col: message", l)
		}
	}
	var verdicts []string
	for _, l := range lines {
		if _, msg, _ := strings.Cut(l, ": "); !strings.HasPrefix(msg, "\t") {
			verdicts = append(verdicts, msg)
		}
	}
	want := []string{
		"mu: swap for drwmutex.RWMutex (2 read call sites, 2 write call sites)",
		"mu: keep, needs the type (2 read call sites, 0 write call sites): its address flows into the *sync.RWMutex parameter of held at guard_test.go:12:10",
	}
	if !slices.Equal(verdicts, want) {
		t.Errorf("report verdicts:\n%s\nwant:\n%s", strings.Join(verdicts, "\n"), strings.Join(want, "\n"))
	}

	// -json: the analysis framework's JSON, exit 0.
	out, code = run(t, dir, bin, "-json", "./cache")
	var tree map[string]map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &tree); code != 0 || err != nil {
		t.Errorf("-json: exit %d, %v\n%s", code, err, out)
	} else if !strings.Contains(out, `"message": "mu: swap for drwmutex.RWMutex`) {
		t.Errorf("-json: want the swap, got\n%s", out)
	}

	// Fix: exit 0, gofmt-clean files that vet and test; the kept lock is
	// untouched.
	guardBefore := readFile(t, filepath.Join(dir, "guard/guard.go"))
	if out := mustRun(t, dir, bin, "-fix", "./..."); out != "" {
		t.Errorf("-fix printed\n%s", out)
	}
	fixed := readFile(t, filepath.Join(dir, "cache/cache.go"))
	if !strings.Contains(fixed, "\tmu drwmutex.RWMutex\n") || !strings.Contains(fixed, `import "github.com/readmostly/readmostly/drwmutex"`) {
		t.Errorf("cache.go after -fix:\n%s", fixed)
	}
	if got := readFile(t, filepath.Join(dir, "guard/guard.go")); got != guardBefore {
		t.Errorf("-fix changed guard.go, whose lock is kept:\n%s", got)
	}
	if out := mustRun(t, dir, "gofmt", "-l", "."); out != "" {
		t.Errorf("gofmt -l after -fix: %s", out)
	}
	mustRun(t, dir, "go", "vet", "./...")
	mustRun(t, dir, "go", "test", "-count=1", "./...")

	// A second run finds nothing to do: exit 0 where nothing is left to
	// report, and -fix changes nothing.
	if out, code := run(t, dir, bin, "./cache"); code != 0 || out != "" {
		t.Errorf("second run on ./cache: exit %d, want 0 and no output\n%s", code, out)
	}
	mustRun(t, dir, bin, "-fix", "./...")
	if again := readFile(t, filepath.Join(dir, "cache/cache.go")); again != fixed {
		t.Errorf("a second -fix changed cache.go:\n%s", again)
	}
}

// TestRealPackage migrates github.com/gorilla/context: a package-level
// sync.RWMutex guarding global maps, read by Get, GetOk, GetAll and GetAllOk
// and written by Set, Delete, Clear and Purge, with tests that need nothing
// but net/http. A copy of the module is fixed; its own tests, and its
// benchmarks of parallel readers and writers run once, pass with -race.
func TestRealPackage(t *testing.T) {
	bin := buildCommand(t)
	src := strings.TrimSpace(mustRun(t, ".", "go", "list", "-m", "-f", "{{.Dir}}", "github.com/gorilla/context"))
	dir := t.TempDir()
	copyDir(t, src, dir)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile("drwswap/testdata/go.sum")
	if err != nil {
		t.Fatal(err)
	}
	appendFile(t, filepath.Join(dir, "go.mod"), "\nrequire github.com/readmostly/readmostly v0.0.0-00010101000000-000000000000\n\nreplace github.com/readmostly/readmostly => "+root+"\n")
	appendFile(t, filepath.Join(dir, "go.sum"), string(sum))

	out, code := run(t, dir, bin, "./...")
	if code != 3 || !strings.Contains(out, "mutex: swap for drwmutex.RWMutex (11 read call sites, 8 write call sites)") {
		t.Fatalf("report on gorilla/context: exit %d\n%s", code, out)
	}
	mustRun(t, dir, bin, "-fix", "./...")
	fixed := readFile(t, filepath.Join(dir, "context.go"))
	if !strings.Contains(fixed, "mutex drwmutex.RWMutex") || strings.Contains(fixed, `"sync"`) {
		t.Errorf("context.go after -fix:\n%s", fixed)
	}
	if out, code := run(t, dir, bin, "./..."); code != 0 || out != "" {
		t.Errorf("second run: exit %d, want 0 and no output\n%s", code, out)
	}
	if out := mustRun(t, dir, "gofmt", "-l", "."); out != "" {
		t.Errorf("gofmt -l after -fix: %s", out)
	}
	mustRun(t, dir, "go", "vet", "./...")
	out = mustRun(t, dir, "go", "test", "-race", "-count=1", "-bench", ".", "-benchtime", "1x", "./...")
	t.Logf("go test -race in the fixed copy of gorilla/context:\n%s", out)
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o777)
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, content, 0o666) // writable, unlike the module cache
	})
	if err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, name, text string) {
	t.Helper()
	content, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, append(content, text...), 0o666); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	content, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(content)
}
