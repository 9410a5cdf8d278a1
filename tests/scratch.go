package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// ModulePath is the import path of this repository's main module.
const ModulePath = "github.com/readmostly/readmostly"

// GoCommand returns the go command on PATH, and skips t (with -short too) when
// there is none: the tests that use it build and run another module.
func GoCommand(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command on a scratch module")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	return gotool
}

// RepoRoot returns the directory of this checkout's main module.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the tests package's source")
	}
	return filepath.Dir(filepath.Dir(file))
}

// ScratchModule writes a module named name, with the given go line, that
// requires this module replaced by this checkout, plus files (name to
// content; a "go.sum" among them is written as given), into a new
// temporary directory, and returns the directory.
func ScratchModule(t testing.TB, name, goLine string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	gomod := "module " + name + "\n\ngo " + goLine + "\n\nrequire " + ModulePath + " v0.0.0\n\n" +
		"replace " + ModulePath + " => " + RepoRoot(t) + "\n"
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", gomod)
	for name, content := range files {
		write(name, content)
	}
	return dir
}

// RunGo runs the go command gotool with args in dir, with env added to the
// environment (GOWORK=off and GOTOOLCHAIN=local always), within timeout,
// and returns its combined output.
func RunGo(gotool, dir string, timeout time.Duration, env []string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gotool, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off", "GOTOOLCHAIN=local"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, &goError{strings.Join(args, " "), err}
	}
	return out, nil
}

type goError struct {
	args string
	err  error
}

func (e *goError) Error() string { return "go " + e.args + ": " + e.err.Error() }
func (e *goError) Unwrap() error { return e.err }
