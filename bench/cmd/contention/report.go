package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/readmostly/readmostly/asm"
	"github.com/readmostly/readmostly/bench"
	"github.com/readmostly/readmostly/drwmutex"
)

// A machine describes where the numbers were taken.
type machine struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPUs      int    `json:"cpus"`
	Model     string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	// Fence is how drwmutex's biased readers are ordered against a
	// writer (drwmutex.Fence), and FenceWhy the reason.
	Fence    string `json:"fence"`
	FenceWhy string `json:"fence_why"`
}

func describeMachine() machine {
	fence, why := drwmutex.Fence()
	return machine{
		Fence:     fence,
		FenceWhy:  why,
		GOOS:      runtime.GOOS,
		GOARCH:    runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		Model:     cpuModel(),
		GoVersion: runtime.Version(),
	}
}

// cpuModel returns the CPU's model name as Linux reports it, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}

// A cpuStrategy is one row of asm's strategy report.
type cpuStrategy struct {
	Strategy  string  `json:"strategy"`
	Supported bool    `json:"supported"`
	Validated bool    `json:"validated"`
	NsPerCall float64 `json:"ns_per_call"`
	Active    bool    `json:"active"`
	Note      string  `json:"note,omitempty"`
}

func cpuStrategies() []cpuStrategy {
	var out []cpuStrategy
	for _, s := range asm.Report() {
		out = append(out, cpuStrategy{
			Strategy:  s.Strategy.String(),
			Supported: s.Supported,
			Validated: s.Validated,
			NsPerCall: s.NsPerCall,
			Active:    s.Active,
			Note:      s.Note,
		})
	}
	return out
}

// writeCPUReport prints the machine and the table of asm's CPU-number
// strategies: which the machine supports, which answered the kernel's CPU
// number on every CPU, what a call costs, and which one is in use.
func writeCPUReport(w io.Writer, m machine, strategies []cpuStrategy) {
	fmt.Fprintf(w, "machine: %s/%s, %d CPUs, %s, %s\n", m.GOOS, m.GOARCH, m.CPUs, m.Model, m.GoVersion)
	fmt.Fprintf(w, "drwmutex fence (%s overrides): %s (%s)\n", drwmutex.FenceEnvVar, m.Fence, m.FenceWhy)
	fmt.Fprintf(w, "CPU-number strategies (package asm; %s overrides):\n", asm.EnvVar)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  strategy\tsupported\tvalidated\tns/call\tchosen\tnote")
	for _, s := range strategies {
		cost := "-"
		if s.NsPerCall > 0 {
			cost = fmt.Sprintf("%.1f", s.NsPerCall)
		}
		chosen := ""
		if s.Active {
			chosen = "yes"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", s.Strategy, yesNo(s.Supported), yesNo(s.Validated), cost, chosen, s.Note)
	}
	tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// writeTable prints one workload's results: a row per GOMAXPROCS and
// goroutine count, a column per implementation.
func writeTable(w io.Writer, rep *report, wl bench.Workload) {
	var impls []string
	var cells []result
	for _, r := range rep.Results {
		if r.Workload != wl.Name {
			continue
		}
		cells = append(cells, r)
		if !slices.Contains(impls, r.Impl) {
			impls = append(impls, r.Impl)
		}
	}
	if len(cells) == 0 {
		return
	}
	base := cells[0].Baseline
	fmt.Fprintf(w, "%s: %s\n", wl.Name, wl.Doc)
	fmt.Fprintf(w, "ns/op, fastest of %d runs of about %s; (×n) is the speed-up over %s, higher is faster\n",
		rep.Count, rep.Benchtime, base)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "GOMAXPROCS\tgoroutines\t%s\t\n", strings.Join(impls, "\t"))
	oversubscribed := false
	for i := 0; i < len(cells); {
		first := cells[i]
		procs := fmt.Sprint(first.Procs)
		if first.Oversubscribed {
			procs += "*"
			oversubscribed = true
		}
		fmt.Fprintf(tw, "%s\t%d\t", procs, first.Goroutines)
		for ; i < len(cells) && cells[i].Procs == first.Procs && cells[i].Goroutines == first.Goroutines; i++ {
			if cells[i].Impl == base {
				fmt.Fprintf(tw, "%.1f\t", cells[i].NsPerOp)
			} else {
				fmt.Fprintf(tw, "%.1f (×%.2f)\t", cells[i].NsPerOp, cells[i].Speedup)
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if oversubscribed {
		fmt.Fprintf(w, "* oversubscribed: more Ps than the %d CPUs this process may run on\n", rep.Machine.CPUs)
	}
}

// writeOutputs writes the JSON file and the charts that cfg asks for,
// naming each file on stderr.
func writeOutputs(cfg config, rep *report, stderr io.Writer) error {
	if cfg.json != "" {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(cfg.json), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(cfg.json, append(data, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", cfg.json)
	}
	if cfg.out == "" {
		return nil
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	for _, wl := range cfg.workloads {
		for _, format := range chartFormats {
			path := filepath.Join(cfg.out, wl.Name+"."+format.ext)
			if err := writeChart(path, format, rep, wl); err != nil {
				return fmt.Errorf("chart %s: %w", path, err)
			}
			fmt.Fprintf(stderr, "wrote %s\n", path)
		}
	}
	return nil
}
