package tests

import (
	"context"
	"errors"
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
	if os.Getenv(childEnv) == t.Name() {
		fn()
		// Returning normally is the failure the parent reports.
		os.Exit(0)
	}
	ctx, cancel := context.WithTimeout(context.Background(), ChildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run="+runPattern(t.Name()), "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+t.Name())
	out, err := cmd.CombinedOutput()
	switch {
	case ctx.Err() != nil:
		t.Fatalf("misuse case hung: no crash within %v; output:\n%s", ChildTimeout, out)
	case err == nil:
		t.Fatalf("misuse case returned normally; want a crash containing %q; output:\n%s", want, out)
	case !strings.Contains(string(out), want):
		t.Fatalf("misuse case crashed without %q; output:\n%s", want, out)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("running the misuse case: %v", err)
	}
}

// runPattern is the -test.run pattern that selects exactly the named test.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}
