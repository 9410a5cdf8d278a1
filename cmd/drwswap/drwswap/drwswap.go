// Package drwswap defines an Analyzer that finds the package-level
// sync.RWMutex locks worth replacing with drwmutex.RWMutex, and replaces them.
//
// # Analyzer drwswap
//
// drwswap: report package-level sync.RWMutex locks and swap the read-mostly ones for drwmutex.RWMutex
//
// A candidate is a sync.RWMutex that is a package-level variable, or a field
// (also an embedded one) of a package-level variable of struct type: of an
// anonymous struct type, or of a named struct type declared in the package
// whose every value is a package-level variable. For each candidate drwswap
// reports where it is declared, the read call sites (RLock, RUnlock,
// TryRLock, RLocker) and write call sites (Lock, Unlock, TryLock) it finds
// for it in the package's non-test files, and one verdict:
//
//   - swap: the lock is unexported, has at least -ratio times as many read
//     call sites as write call sites, and nothing needs its type to be
//     sync.RWMutex. The suggested fix (-fix) changes the type to
//     drwmutex.RWMutex, adds the import and drops the sync import when
//     nothing else uses it.
//   - keep, write-heavy: fewer read call sites than -ratio times the write
//     call sites. Static counts are only a hint of run-time frequency, which
//     is why the report always shows them.
//   - keep, exported: changing the type of an exported variable or field,
//     or a field of an exported struct type, changes the package's API.
//     -exported swaps such locks too.
//   - keep, needs the type: its address flows into a *sync.RWMutex
//     parameter, field, variable or return value; it is compared, converted
//     or copied into something typed sync.RWMutex; it, or the struct that
//     holds it, is passed as an empty interface (reflection and fmt, which
//     drwswap cannot follow); its struct type is written a second time
//     elsewhere; its named struct type also makes values that are not
//     package-level; or its declaration does not spell sync.RWMutex.
//     The reason is given with its position. Passing its address as a
//     sync.Locker (sync.NewCond(&mu)) or calling RLocker is fine: drwmutex
//     has the same method set. Copies are left to vet's copylocks.
//
// Locks inside other data structures (fields of types whose values are not
// all package-level variables) are not candidates: a drwmutex.RWMutex that is
// read often holds one cache-line block per CPU, which is worth paying once
// for a package-level lock but not for every instance of a type.
//
// Call sites in _test.go files are not counted, since they say little about
// run-time use, but they must still compile: a test that needs the type keeps
// the lock. For that reason the verdict for a package with in-package tests is
// given once, by the analysis of the package together with its tests (the
// one that go vet and drwswap's default -test=true run).
package drwswap

import (
	"errors"
	"flag"
	"math"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
)

// DrwmutexPath is the import path of the package whose RWMutex replaces
// sync.RWMutex.
const DrwmutexPath = "github.com/readmostly/readmostly/drwmutex"

const doc = `report package-level sync.RWMutex locks and swap the read-mostly ones for drwmutex.RWMutex

Every sync.RWMutex that is a package-level variable, or a field of one of
struct type, is reported with its read call sites (RLock, RUnlock, TryRLock,
RLocker), its write call sites (Lock, Unlock, TryLock) and a verdict: swap
(unexported, at least -ratio times as many reads as writes, and nothing needs
the type; -fix rewrites it to drwmutex.RWMutex), keep write-heavy, keep
exported (its type is API; -exported swaps it anyway) or keep needs-the-type,
with the reason (its address reaches a *sync.RWMutex, it is compared or
converted, or reflection-typed code sees it). Locks inside other data
structures are not candidates, since each would cost a counter per CPU.`

// Analyzer reports package-level sync.RWMutex locks with a verdict, and
// offers to swap the read-mostly ones for drwmutex.RWMutex.
var Analyzer = &analysis.Analyzer{
	Name:     "drwswap",
	Doc:      doc,
	Flags:    flags(),
	Requires: []*analysis.Analyzer{inspect.Analyzer},
	Run:      run,
}

// The flags' values; the analysis framework sets them before any pass runs.
var (
	ratio       = 1.0 // swap needs reads >= ratio × writes
	swapExports bool  // swap exported locks too
)

func flags() flag.FlagSet {
	fs := flag.NewFlagSet("drwswap", flag.ExitOnError)
	fs.Float64Var(&ratio, "ratio", ratio, "swap only locks with at least `r` times as many read call sites as write call sites")
	fs.BoolVar(&swapExports, "exported", false, "swap exported locks too, although that changes the package's API")
	return *fs
}

func run(pass *analysis.Pass) (any, error) {
	if math.IsNaN(ratio) || ratio < 0 {
		return nil, errors.New("-ratio must be a number >= 0")
	}
	if deferToTestVariant(pass) {
		return nil, nil
	}
	p := newPackage(pass)
	if p == nil {
		return nil, nil // sync is not imported: nothing to find
	}
	for _, lk := range p.findLocks() {
		p.report(lk)
	}
	return nil, nil
}
