package tests

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// childEnv names the test a child process was started to run as a misuse case.
const childEnv = "READMOSTLY_TESTS_CHILD"

// ChildTimeout bounds a misuse case: a child still running after it is killed
// and reported as a hang.
const ChildTimeout = 30 * time.Second

// ExpectPanic checks that fn, run in a child process, crashes the process
// with output containing want, and that it does so within ChildTimeout. A
// crash is what misuse of a lock must cause: a panic, or a fatal error that
// no recover can hide. Running fn in a child keeps the crash, and any
// goroutine the misuse strands, out of the test binary.
//
// ExpectPanic re-runs the test binary with -test.run selecting only the
// calling test, so it must be called from a top-level test or subtest that
// does nothing before it that the child could not repeat.
func ExpectPanic(t *testing.T, want string, fn func()) {
	t.Helper()
	out, err := RunInChild(t, nil, fn)
	switch {
	case err == nil:
		t.Fatalf("misuse case returned normally; want a crash containing %q; output:\n%s", want, out)
	case !strings.Contains(string(out), want):
		t.Fatalf("misuse case crashed without %q; output:\n%s", want, out)
	}
}

// RunInChild runs fn in a child process, a copy of the test binary started
// with env added to its environment and -test.run selecting only the
// calling test, and returns the child's combined output and its exit error
// (nil if fn returned and the child exited 0). In the child, RunInChild runs
// fn and exits. A child still running after ChildTimeout is killed and the
// test fails as hung. The same rule as for ExpectPanic applies to what the
// test does before calling it.
func RunInChild(t *testing.T, env []string, fn func()) (out []byte, err error) {
	t.Helper()
	if os.Getenv(childEnv) == t.Name() {
		fn()
		os.Exit(0)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ChildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run="+runPattern(t.Name()), "-test.count=1", "-test.v")
	cmd.Env = append(append(os.Environ(), env...), childEnv+"="+t.Name())
	out, err = cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("child process hung: still running after %v; output:\n%s", ChildTimeout, out)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running the child process: %v", err)
	}
	return out, err
}

// runPattern is the -test.run pattern that selects exactly the named test.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// PanicMessage runs f and returns the message of the panic it raises, as
// fmt.Sprint formats the panic value, or "" if f returns normally. It is for
// panics a program may recover from, such as a builtin map's on an
// incomparable key; misuse of a lock is checked in a child process with
// ExpectPanic instead.
func PanicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
