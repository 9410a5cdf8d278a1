package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/readmostly/readmostly/drwmutex"
	"github.com/readmostly/readmostly/tests"
)

// asMainEnv makes the test binary run main instead of the tests, so that a
// test can check the exit status of the real command.
const asMainEnv = "CONTENTION_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMainEnv) == "1" {
		main()
		return
	}
	tests.VerifyMain(m)
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		procs      []int
		goroutines []int
		workloads  []string
		impls      []string
		benchtime  time.Duration
	}{
		{
			args:       nil,
			procs:      defaultProcs(),
			goroutines: []int{1, 4, 16, 64, 256},
			workloads:  []string{"read", "map-load"},
			impls: []string{"sync.RWMutex", "drwmutex", "drwmutex-rlocker", "drwmutex-rlocker-per-goroutine", "xsync.RBMutex", "evolution.percpu",
				"sync.Map", "syncmap", "atomicvalue.Cache", "xsync.Map", "concurrent-map", "evolution.sharded"},
			benchtime: 30 * time.Millisecond,
		},
		{
			args:       []string{"-procs", "8,1", "-goroutines", "2", "-workload", "write10", "-impl", "drwmutex", "-benchtime", "1ms"},
			procs:      []int{8, 1},
			goroutines: []int{2},
			workloads:  []string{"write10"},
			impls:      []string{"sync.RWMutex", "drwmutex"}, // the baseline joins
			benchtime:  time.Millisecond,
		},
		{
			args:       []string{"-workload", "map-mixed", "-impl", "syncmap, xsync.Map"},
			procs:      defaultProcs(),
			goroutines: []int{1, 4, 16, 64, 256},
			workloads:  []string{"map-mixed"},
			impls:      []string{"sync.Map", "syncmap", "xsync.Map"},
			benchtime:  30 * time.Millisecond,
		},
		{
			args:       []string{"-workload", "all", "-impl", "all"},
			procs:      defaultProcs(),
			goroutines: []int{1, 4, 16, 64, 256},
			workloads:  []string{"read", "write1", "write10", "map-load", "map-mixed"},
			impls: []string{"sync.RWMutex", "drwmutex", "drwmutex-rlocker", "drwmutex-rlocker-per-goroutine", "xsync.RBMutex",
				"evolution.distributed", "evolution.percpu",
				"sync.Map", "syncmap", "atomicvalue.Cache", "xsync.Map", "concurrent-map",
				"evolution.dmap", "evolution.twomap", "evolution.cleandirty", "evolution.deltadirty", "evolution.sharded"},
			benchtime: 30 * time.Millisecond,
		},
		{
			// An extra design joins by name; one that serves the map
			// workloads but not with writes is simply not measured there.
			args:       []string{"-workload", "map-load,map-mixed", "-impl", "evolution.dmap"},
			procs:      defaultProcs(),
			goroutines: []int{1, 4, 16, 64, 256},
			workloads:  []string{"map-load", "map-mixed"},
			impls:      []string{"sync.Map", "evolution.dmap"},
			benchtime:  30 * time.Millisecond,
		},
	} {
		var stderr bytes.Buffer
		cfg, err := parseConfig(tc.args, &stderr)
		if err != nil {
			t.Errorf("parseConfig(%q) = %v, stderr:\n%s", tc.args, err, &stderr)
			continue
		}
		var workloads, impls []string
		for _, wl := range cfg.workloads {
			workloads = append(workloads, wl.Name)
		}
		for _, impl := range cfg.impls {
			impls = append(impls, impl.Name)
		}
		if !slices.Equal(cfg.procs, tc.procs) || !slices.Equal(cfg.goroutines, tc.goroutines) ||
			!slices.Equal(workloads, tc.workloads) || !slices.Equal(impls, tc.impls) || cfg.benchtime != tc.benchtime {
			t.Errorf("parseConfig(%q):\n got procs %v goroutines %v workloads %v impls %v benchtime %v\nwant procs %v goroutines %v workloads %v impls %v benchtime %v",
				tc.args, cfg.procs, cfg.goroutines, workloads, impls, cfg.benchtime,
				tc.procs, tc.goroutines, tc.workloads, tc.impls, tc.benchtime)
		}
	}
}

func TestDefaultProcsEndOversubscribed(t *testing.T) {
	procs := defaultProcs()
	n := runtime.NumCPU()
	if procs[0] != 1 || procs[len(procs)-1] != 2*n || !slices.Contains(procs, n) || !slices.IsSorted(procs) {
		t.Errorf("defaultProcs() = %v on %d CPUs, want 1, ..., %d, %d in order", procs, n, n, 2*n)
	}
}

func TestOpsFor(t *testing.T) {
	for _, tc := range []struct {
		benchtime  time.Duration
		run        timedRun
		goroutines int
		want       int
	}{
		{30 * time.Millisecond, timedRun{Ops: 100_000, NsPerOp: 10}, 1, 3_000_000},
		{30 * time.Millisecond, timedRun{Ops: 1000, NsPerOp: 10}, 1, 100_000}, // at most a hundredfold
		{30 * time.Millisecond, timedRun{Ops: 1000, NsPerOp: 0}, 1, 100_000},  // no rate: grow a hundredfold
		{time.Millisecond, timedRun{Ops: 1000, NsPerOp: 1e6}, 16, 16},         // one per goroutine at least
		{time.Minute, timedRun{Ops: 900_000_000, NsPerOp: 0.001}, 1, maxOps},
	} {
		if got := opsFor(tc.benchtime, tc.run, tc.goroutines); got != tc.want {
			t.Errorf("opsFor(%v, %+v, %d) = %d, want %d", tc.benchtime, tc.run, tc.goroutines, got, tc.want)
		}
	}
}

// badArgs are command lines that must print a message naming the problem
// and the usage, and exit with status 2.
var badArgs = []struct {
	args []string
	want string
}{
	{[]string{"-nosuchflag"}, "flag provided but not defined: -nosuchflag"},
	{[]string{"-workload", "write5"}, `unknown workload "write5"`},
	{[]string{"-impl", "sync.Mutex"}, `unknown implementation "sync.Mutex"`},
	{[]string{"-impl", "sync.Map", "-workload", "read"}, "-impl sync.Map serves none of the workloads read"},
	{[]string{"-procs", "0"}, "0 out of range [1, 1024]"},
	{[]string{"-procs", "2,x"}, `"x" is not an integer`},
	{[]string{"-goroutines", "4,4"}, "4 given twice"},
	{[]string{"-benchtime", "-1s"}, "-benchtime -1s out of range"},
	{[]string{"-benchtime", "soon"}, `invalid value "soon" for flag -benchtime`},
	{[]string{"-count", "0"}, "-count 0 out of range"},
	{[]string{"extra"}, `unexpected argument "extra"`},
	{[]string{"cpu", "now"}, "cpu takes no arguments"},
}

func TestBadInputPrintsUsageAndExits2(t *testing.T) {
	for _, tc := range badArgs {
		var stdout, stderr bytes.Buffer
		if code := run(tc.args, &stdout, &stderr); code != exitUsage {
			t.Errorf("run(%q) = %d, want %d", tc.args, code, exitUsage)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("run(%q) stderr does not say %q:\n%s", tc.args, tc.want, &stderr)
		}
		if tc.args[0] != "cpu" && !strings.Contains(stderr.String(), "usage: contention") {
			t.Errorf("run(%q) stderr has no usage:\n%s", tc.args, &stderr)
		}
		if stdout.Len() > 0 {
			t.Errorf("run(%q) wrote to stdout:\n%s", tc.args, &stdout)
		}
	}
}

// TestTheCommandExits2 runs the real binary, so that the exit status is
// os.Exit's, not run's.
func TestTheCommandExits2(t *testing.T) {
	for _, args := range [][]string{{"-workload", "write5"}, {"-nosuchflag"}} {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), asMainEnv+"=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != exitUsage {
			t.Errorf("contention %q: %v, want exit status %d; stderr:\n%s", args, err, exitUsage, &stderr)
		}
		if !strings.Contains(stderr.String(), "usage: contention") {
			t.Errorf("contention %q printed no usage:\n%s", args, &stderr)
		}
	}
}

func TestHelpExits0(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, &stdout, &stderr); code != exitOK {
		t.Errorf("run(-h) = %d, want %d", code, exitOK)
	}
	for _, want := range []string{"usage: contention", "-procs", "map-mixed", "xsync.RBMutex", "(baseline)"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("usage does not mention %q:\n%s", want, &stderr)
		}
	}
}

func TestCPUReport(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"cpu"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("run(cpu) = %d, stderr:\n%s", code, &stderr)
	}
	out := stdout.String()
	for _, want := range []string{"machine: " + runtime.GOOS + "/" + runtime.GOARCH, "drwmutex fence", "a lone reader turns", "strategy", "pid", "getcpu", "yes"} {
		if !strings.Contains(out, want) {
			t.Errorf("cpu report does not contain %q:\n%s", want, out)
		}
	}
	// Where drwmutex registered for membarrier, so can the report.
	if fence, _ := drwmutex.Fence(); fence == "membarrier" && !strings.Contains(out, "membarrier(2) PRIVATE_EXPEDITED") {
		t.Errorf("the membarrier fence is in use, but the cpu report does not time the call:\n%s", out)
	}
}

func TestMeasureMembarrier(t *testing.T) {
	idle, busy, ok := measureMembarrier()
	if fence, _ := drwmutex.Fence(); fence == "membarrier" && !ok {
		t.Fatal("drwmutex uses membarrier, but measureMembarrier found it unavailable")
	}
	if !ok {
		if idle != 0 || busy != 0 {
			t.Fatalf("membarrier unavailable, yet measured %v and %v ns", idle, busy)
		}
		t.Skip("membarrier(2) PRIVATE_EXPEDITED is not available here")
	}
	if idle <= 0 || busy < 0 || (busy == 0) != (runtime.NumCPU() < 2 || runtime.GOMAXPROCS(0) < 2) {
		t.Fatalf("measureMembarrier() = %v, %v ns with %d CPUs and GOMAXPROCS %d", idle, busy, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	}
}

// TestTinyRun measures a tiny grid, one GOMAXPROCS value oversubscribed,
// and reads back everything it wrote.
func TestTinyRun(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "json", "results.json") // in a directory that does not exist yet
	out := filepath.Join(dir, "charts")
	over := runtime.NumCPU() + 1
	args := []string{
		"-procs", fmt.Sprintf("1,%d", over), "-goroutines", "1,3",
		"-workload", "read,map-mixed", "-impl", "drwmutex,syncmap",
		"-benchtime", "1ms", "-count", "2", "-out", out, "-json", jsonPath,
	}
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("run(%q) = %d, stderr:\n%s", args, code, &stderr)
	}

	for _, want := range []string{
		"CPU-number strategies", "read: RLock+RUnlock only", "map-mixed: 90% Load",
		"sync.RWMutex", "drwmutex", "sync.Map", "syncmap", "(×", fmt.Sprintf("%d*", over), "* oversubscribed",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout does not contain %q:\n%s", want, &stdout)
		}
	}
	for _, want := range []string{"cell 4 of 16", "cell 16 of 16", "left"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("progress does not contain %q:\n%s", want, &stderr)
		}
	}

	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("results do not parse as JSON: %v", err)
	}
	// 2 workloads × 2 implementations (one named, one baseline) × 2 × 2.
	if len(rep.Results) != 16 {
		t.Fatalf("JSON has %d results, want 16", len(rep.Results))
	}
	if rep.Machine.CPUs != runtime.NumCPU() || len(rep.CPU) == 0 || rep.Count != 2 || !strings.HasPrefix(rep.Command, "go -C bench run ./cmd/contention -procs") {
		t.Errorf("JSON header is wrong: %+v", rep)
	}
	for _, r := range rep.Results {
		if r.NsPerOp <= 0 || len(r.Runs) != 2 || r.Speedup <= 0 {
			t.Errorf("implausible result %+v", r)
		}
		for _, run := range r.Runs {
			if run.Ops < r.Goroutines || run.NsPerOp < r.NsPerOp {
				t.Errorf("result %+v has a run %+v with fewer operations than goroutines or faster than the result", r, run)
			}
		}
		if r.Oversubscribed != (r.Procs == over) {
			t.Errorf("result at GOMAXPROCS %d on %d CPUs has oversubscribed = %v", r.Procs, runtime.NumCPU(), r.Oversubscribed)
		}
		if r.Impl == r.Baseline && r.Speedup != 1 {
			t.Errorf("baseline %s has speed-up %v over itself", r.Impl, r.Speedup)
		}
	}

	for _, wl := range []string{"read", "map-mixed"} {
		checkChart(t, filepath.Join(out, wl+".svg"), svgProblem)
		checkChart(t, filepath.Join(out, wl+".png"), pngProblem)
	}
}

// checkChart opens path and fails t with what check finds wrong with it.
func checkChart(t *testing.T, path string, check func(r io.Reader) error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	if err := check(f); err != nil {
		t.Errorf("%s: %v", path, err)
	}
}

// svgProblem reports what keeps r from being an SVG chart with labels.
func svgProblem(r io.Reader) error {
	d := xml.NewDecoder(r)
	root := ""
	texts := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %v", err)
		}
		if el, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = el.Name.Local
			}
			if el.Name.Local == "text" {
				texts++
			}
		}
	}
	// Titles, axis labels, ticks and legend entries are all text.
	if root != "svg" || texts < 10 {
		return fmt.Errorf("root element %q with %d text elements, want svg with labels", root, texts)
	}
	return nil
}

// pngProblem reports what keeps r from being a PNG chart.
func pngProblem(r io.Reader) error {
	img, err := png.Decode(r)
	if err != nil {
		return fmt.Errorf("does not decode as PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 200 {
		return fmt.Errorf("%v is too small for a chart", b)
	}
	return nil
}
