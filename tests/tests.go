// Package tests is the shared test kit of readmostly. Every package's tests
// run under goleak through VerifyMain; the helpers cover what concurrency
// tests here keep needing: time-bounded stress loops (stress.go), pinning the
// current thread to a CPU and reading the kernel's CPU number (cpu.go), and
// running a misuse case in a child process to check that it panics with the
// right message and never hangs (child.go). For maps it holds the SyncMap
// interface and two reference maps (refmaps.go), the model checker that
// compares a map with them (mapmodel.go), and the key spaces that let the
// checker drive maps of any key type (mapmodelkeys.go).
//
// The package is meant for _test.go files only.
package tests

import (
	"testing"

	"go.uber.org/goleak"
)

// VerifyMain runs the tests of a package and fails the run if any goroutine
// started by them is still running at the end. Every package's TestMain is
//
//	func TestMain(m *testing.M) { tests.VerifyMain(m) }
func VerifyMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
