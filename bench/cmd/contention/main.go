// Command contention measures how read-mostly synchronization scales with
// cores: readmostly's primitives side by side with sync.RWMutex, sync.Map
// and the peers, over a grid of GOMAXPROCS values and goroutine counts.
//
// Run it from the repository root:
//
//	go -C bench run ./cmd/contention
//
// For every workload it prints a table on standard output, ns/op and the
// speed-up against sync.RWMutex (lock workloads) or sync.Map (map
// workloads), and draws a chart, ns/op against GOMAXPROCS with one line per
// implementation and one panel per goroutine count, as WORKLOAD.svg and
// WORKLOAD.png in the -out directory. The directory is relative to the
// working directory, which go -C bench makes bench/, so the default run
// writes bench/contention-out/ (ignored by git). Progress goes to standard
// error. The machine's CPU-number strategies (package asm) head the output;
// "contention cpu" prints only them.
//
// The grid reproduces BenchmarkRWMutex of golang/go#17973: for each
// goroutine count, that many goroutines wait on a gate, one release lets
// them all go, and they split the cell's operations. A cell is calibrated to
// last -benchtime, then run -count times, the implementations of a row taking
// turns so that a noisy neighbour slows all of them alike; the table reports
// the fastest run. A GOMAXPROCS above the number of CPUs is measured but
// marked oversubscribed.
//
// Usage:
//
//	contention [flags]
//	contention cpu
//
// Run "contention -h" for the flags, the workloads and the implementations.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/readmostly/readmostly/bench"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the measurement or an output file failed
	exitUsage = 2 // bad flags or arguments
)

// run is the whole command, with its arguments and output streams passed
// in so that tests can run it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "cpu" {
		if len(args) > 1 {
			fmt.Fprintf(stderr, "contention: cpu takes no arguments (got %q)\n", args[1:])
			return exitUsage
		}
		writeCPUReport(stdout, describeMachine(), cpuStrategies())
		return exitOK
	}
	cfg, err := parseConfig(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	rep, err := measure(cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "contention: %v\n", err)
		return exitError
	}
	writeCPUReport(stdout, rep.Machine, rep.CPU)
	for _, wl := range cfg.workloads {
		fmt.Fprintln(stdout)
		writeTable(stdout, rep, wl)
	}
	if err := writeOutputs(cfg, rep, stderr); err != nil {
		fmt.Fprintf(stderr, "contention: %v\n", err)
		return exitError
	}
	return exitOK
}

// A config is what the flags asked for.
type config struct {
	procs      []int
	goroutines []int
	// workloads are the workloads to measure, in registry order.
	workloads []bench.Workload
	// impls are the implementations to measure, in registry order; they
	// include the baselines of the workloads' kinds.
	impls     []bench.Impl
	benchtime time.Duration
	count     int
	// out is the chart directory; empty means no charts.
	out string
	// json is the results file; empty means none.
	json string
	// args are the arguments the command ran with, for the report.
	args []string
}

// defaultProcs is 1, 2, 4, ... up to the number of CPUs, the number of CPUs
// itself, and twice that, oversubscribed.
func defaultProcs() []int {
	n := runtime.NumCPU()
	var procs []int
	for p := 1; p < n; p *= 2 {
		procs = append(procs, p)
	}
	return append(procs, n, 2*n)
}

// Limits on flag values, so that a typo cannot start a run for hours.
const (
	maxProcs      = 1024
	maxGoroutines = 1 << 16
	maxBenchtime  = time.Minute
	maxCount      = 100
)

// parseConfig parses the flags. On a bad flag or value it prints the
// problem and the usage to stderr and returns an error.
func parseConfig(args []string, stderr io.Writer) (config, error) {
	cfg := config{args: args}
	procs := intList{max: maxProcs, list: defaultProcs()}
	goroutines := intList{max: maxGoroutines, list: []int{1, 4, 16, 64, 256}}
	workloads := nameList{what: "workload", known: workloadNames(), list: []string{"read", "map-load"}}
	impls := nameList{what: "implementation", known: implNames(), list: defaultImplNames()}

	fs := flag.NewFlagSet("contention", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&procs, "procs", "comma-separated GOMAXPROCS `values`; the default is the powers of two below the CPU count, the CPU count and twice it")
	fs.Var(&goroutines, "goroutines", "comma-separated goroutine `counts`")
	fs.Var(&workloads, "workload", "comma-separated `workloads`, or all (see below)")
	fs.Var(&impls, "impl", "comma-separated `implementations`, or all (see below); the baselines are always measured")
	fs.DurationVar(&cfg.benchtime, "benchtime", 30*time.Millisecond, "target `duration` of one run of one cell")
	fs.IntVar(&cfg.count, "count", 3, "runs of each cell; the table reports the fastest")
	fs.StringVar(&cfg.out, "out", "contention-out", "`directory` for the SVG and PNG charts, relative to the working directory; empty for none")
	fs.StringVar(&cfg.json, "json", "", "write the results as JSON to `file`")
	fs.Usage = func() { usage(fs) }

	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	fail := func(format string, a ...any) (config, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintf(stderr, "contention: %v\n", err)
		fs.Usage()
		return cfg, err
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q (the only subcommand is cpu, and it comes first)", fs.Arg(0))
	}
	if cfg.benchtime <= 0 || cfg.benchtime > maxBenchtime {
		return fail("-benchtime %v out of range (0, %v]", cfg.benchtime, maxBenchtime)
	}
	if cfg.count < 1 || cfg.count > maxCount {
		return fail("-count %d out of range [1, %d]", cfg.count, maxCount)
	}
	cfg.procs = procs.list
	cfg.goroutines = goroutines.list
	cfg.workloads = selectWorkloads(workloads)
	var err error
	if cfg.impls, err = selectImpls(impls, cfg.workloads); err != nil {
		return fail("%v", err)
	}
	return cfg, nil
}

func selectWorkloads(names nameList) []bench.Workload {
	var out []bench.Workload
	for _, wl := range bench.Workloads() {
		if names.has(wl.Name) {
			out = append(out, wl)
		}
	}
	return out
}

// selectImpls returns the named implementations and the baselines of the
// workloads' kinds, refusing a name that serves none of the workloads: such
// a run would silently measure nothing the user asked for.
func selectImpls(names nameList, workloads []bench.Workload) ([]bench.Impl, error) {
	var out []bench.Impl
	for _, impl := range bench.Impls() {
		serves := false
		for _, wl := range workloads {
			serves = serves || impl.Serves(wl)
		}
		switch {
		case !serves && names.named(impl.Name):
			return nil, fmt.Errorf("-impl %s serves none of the workloads %s", impl.Name, strings.Join(workloadList(workloads), ","))
		case serves && (names.has(impl.Name) || impl.Baseline):
			out = append(out, impl)
		}
	}
	return out, nil
}

func workloadList(wls []bench.Workload) []string {
	names := make([]string, len(wls))
	for i, wl := range wls {
		names[i] = wl.Name
	}
	return names
}

func workloadNames() []string { return workloadList(bench.Workloads()) }

func implNames() []string {
	var names []string
	for _, impl := range bench.Impls() {
		names = append(names, impl.Name)
	}
	return names
}

// defaultImplNames are the implementations measured without -impl: all but
// the extra evolution designs.
func defaultImplNames() []string {
	var names []string
	for _, impl := range bench.Impls() {
		if !impl.Extra {
			names = append(names, impl.Name)
		}
	}
	return names
}

func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, `usage: contention [flags]
       contention cpu        print the CPU-number strategies of this machine

Measures read-mostly locks and maps over GOMAXPROCS values and goroutine
counts; run from the repository root as go -C bench run ./cmd/contention.

Flags:
`)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nWorkloads (default read,map-load):\n")
	for _, wl := range bench.Workloads() {
		fmt.Fprintf(w, "  %-10s %-4s  %s\n", wl.Name, wl.Kind, wl.Doc)
	}
	fmt.Fprintf(w, "\nImplementations (default: all not marked \"on request\" that serve the workloads):\n")
	width := 0
	for _, impl := range bench.Impls() {
		width = max(width, len(impl.Name))
	}
	for _, impl := range bench.Impls() {
		note := ""
		switch {
		case impl.Baseline:
			note = " (baseline)"
		case impl.Extra:
			note = " (on request)"
		}
		fmt.Fprintf(w, "  %-*s %-4s  %s%s\n", width, impl.Name, impl.Kind, impl.Doc, note)
	}
}
