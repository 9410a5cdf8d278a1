package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/readmostly/readmostly/bench"
)

// A report is everything one run of the command measured.
type report struct {
	Command   string        `json:"command"`
	Date      time.Time     `json:"date"`
	Machine   machine       `json:"machine"`
	CPU       []cpuStrategy `json:"cpu_strategies"`
	Benchtime string        `json:"benchtime"`
	Count     int           `json:"count"`
	Results   []result      `json:"results"`
}

// A result is one cell of the grid: one implementation under one workload
// at one GOMAXPROCS and goroutine count.
type result struct {
	Workload   string `json:"workload"`
	Impl       string `json:"impl"`
	Procs      int    `json:"gomaxprocs"`
	Goroutines int    `json:"goroutines"`
	// Oversubscribed is set when Procs exceeds the CPUs the process may
	// run on.
	Oversubscribed bool `json:"oversubscribed"`
	// NsPerOp is the fastest run's ns/op.
	NsPerOp float64 `json:"ns_per_op"`
	// Runs are every run, in the order they ran.
	Runs []timedRun `json:"runs"`
	// Speedup is the baseline's NsPerOp in the same row over NsPerOp.
	Speedup float64 `json:"speedup"`
	// Baseline names the implementation Speedup is relative to.
	Baseline string `json:"baseline"`
}

// A timedRun is one run of a cell.
type timedRun struct {
	// Ops is the number of operations, split among the goroutines.
	Ops     int     `json:"ops"`
	NsPerOp float64 `json:"ns_per_op"`
}

// A row is the cells that share a workload, GOMAXPROCS and goroutine count.
// Its implementations take turns, run after run, so that noise from the
// rest of the machine falls on all of them alike.
type row struct {
	wl         bench.Workload
	procs      int
	goroutines int
	impls      []bench.Impl
}

func plan(cfg config) []row {
	var rows []row
	for _, wl := range cfg.workloads {
		var impls []bench.Impl
		for _, impl := range cfg.impls {
			if impl.Serves(wl) {
				impls = append(impls, impl)
			}
		}
		for _, p := range cfg.procs {
			for _, g := range cfg.goroutines {
				rows = append(rows, row{wl: wl, procs: p, goroutines: g, impls: impls})
			}
		}
	}
	return rows
}

// measure runs the whole grid, reporting progress to progress.
func measure(cfg config, progress io.Writer) (*report, error) {
	rep := &report{
		Command:   strings.Join(append([]string{"go -C bench run ./cmd/contention"}, cfg.args...), " "),
		Date:      time.Now().UTC().Truncate(time.Second),
		Machine:   describeMachine(),
		CPU:       cpuStrategies(),
		Benchtime: cfg.benchtime.String(),
		Count:     cfg.count,
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))

	rows := plan(cfg)
	total := 0
	for _, r := range rows {
		total += len(r.impls)
	}
	fmt.Fprintf(progress, "contention: %d cells (%d rows), %d runs of about %v each, GOMAXPROCS %v, goroutines %v\n",
		total, len(rows), cfg.count, cfg.benchtime, cfg.procs, cfg.goroutines)
	start := time.Now()
	done := 0
	for _, r := range rows {
		results, err := measureRow(r, cfg)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, results...)
		done += len(r.impls)
		elapsed := time.Since(start)
		left := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		fmt.Fprintf(progress, "cell %d of %d  %-9s GOMAXPROCS=%-3d goroutines=%-4d  %5.1fs elapsed, about %.0fs left\n",
			done, total, r.wl.Name, r.procs, r.goroutines, elapsed.Seconds(), left.Seconds())
	}
	return rep, nil
}

// measureRow calibrates each implementation of the row in the first round.
// Each later run aims at benchtime at the rate of the one before: on a
// machine shared with other work, the rate of a short calibration run can be
// twice that of a long run, and a fixed n would make the grid's wall time
// drift far from what -benchtime promises.
func measureRow(r row, cfg config) ([]result, error) {
	runtime.GOMAXPROCS(r.procs)
	results := make([]result, len(r.impls))
	for i, impl := range r.impls {
		results[i] = result{
			Workload: r.wl.Name, Impl: impl.Name, Procs: r.procs, Goroutines: r.goroutines,
			Oversubscribed: r.procs > runtime.NumCPU(), Baseline: bench.BaselineFor(r.wl.Kind).Name,
		}
	}
	for round := range cfg.count {
		for i, impl := range r.impls {
			res := &results[i]
			var n int
			var d time.Duration
			var err error
			if round == 0 {
				n, d, err = calibrate(impl, r, cfg.benchtime)
			} else {
				n = opsFor(cfg.benchtime, res.Runs[len(res.Runs)-1], r.goroutines)
				d, err = timeRun(impl, r, n, true)
			}
			if err != nil {
				return nil, err
			}
			res.Runs = append(res.Runs, timedRun{Ops: n, NsPerOp: nsPerOp(d, n)})
		}
	}
	var base float64
	for i := range results {
		res := &results[i]
		res.NsPerOp = res.Runs[0].NsPerOp
		for _, run := range res.Runs {
			res.NsPerOp = min(res.NsPerOp, run.NsPerOp)
		}
		if res.Impl == res.Baseline {
			base = res.NsPerOp
		}
	}
	for i := range results {
		results[i].Speedup = base / results[i].NsPerOp
	}
	return results, nil
}

// opsFor returns the number of operations that last benchtime at the rate
// of run, growing at most a hundredfold, with at least one per goroutine.
func opsFor(benchtime time.Duration, run timedRun, goroutines int) int {
	n := maxGrowth * run.Ops
	if run.NsPerOp > 0 {
		n = min(n, int(float64(benchtime.Nanoseconds())/run.NsPerOp))
	}
	return min(max(n, goroutines), maxOps)
}

// Calibration grows n until a run lasts at least half of benchtime,
// predicting each next n from the last run's rate, as the testing package
// does, with at most a hundredfold step. Unlike the testing package it aims
// at benchtime without overshooting it, so that the whole grid's wall time
// stays near cells × count × benchtime.
const (
	maxOps     = 1_000_000_000
	maxGrowth  = 100
	minRunTime = time.Microsecond
)

// calibrate returns the number of operations for which one run of impl
// lasts about benchtime, and that run's duration.
func calibrate(impl bench.Impl, r row, benchtime time.Duration) (n int, d time.Duration, err error) {
	n = r.goroutines // one operation per goroutine to start with
	// predicted is set once n comes from a measured rate: only such a
	// run is likely to be kept, and worth a garbage collection first.
	predicted := false
	for {
		if d, err = timeRun(impl, r, n, predicted); err != nil {
			return 0, 0, err
		}
		if d >= benchtime/2 || n >= maxOps {
			return n, d, nil
		}
		next := maxGrowth * n
		predicted = false
		if d >= minRunTime {
			if rated := int(float64(n) * float64(benchtime) / float64(d)); rated < next {
				next, predicted = rated, true
			}
		}
		n = min(max(next, n+1), maxOps)
	}
}

// timeRun runs n operations once. With collect, it collects garbage first,
// as the testing package does before each run, so that the setup's garbage
// is not collected in the run's time; on a loaded machine a collection
// takes milliseconds, too long to spend before runs that are thrown away.
func timeRun(impl bench.Impl, r row, n int, collect bool) (time.Duration, error) {
	if collect {
		runtime.GC()
	}
	var sw stopwatch
	err := bench.Run(&sw, impl, r.wl, r.goroutines, n)
	return sw.elapsed, err
}

func nsPerOp(d time.Duration, n int) float64 {
	return float64(d.Nanoseconds()) / float64(n)
}

// stopwatch is a tests.Timer, for bench.Run.
type stopwatch struct {
	started time.Time // zero while stopped
	elapsed time.Duration
}

func (s *stopwatch) StartTimer() { s.started = time.Now() }

func (s *stopwatch) StopTimer() {
	if !s.started.IsZero() {
		s.elapsed += time.Since(s.started)
		s.started = time.Time{}
	}
}
