package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/klauspost/cpuid/v2"
	"github.com/readmostly/readmostly/asm"
	"github.com/readmostly/readmostly/bench"
	"github.com/readmostly/readmostly/drwmutex"
)

// A machine describes where the numbers were taken.
type machine struct {
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPUs      int    `json:"cpus"` // runtime.NumCPU: the CPUs this process may run on
	Model     string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	// Fence is how drwmutex's biased readers are ordered against a
	// writer (drwmutex.Fence), and FenceWhy the reason.
	Fence    string `json:"fence"`
	FenceWhy string `json:"fence_why"`
	// LoneBias is whether a mutex read by one goroutine at a time turns
	// biased here (drwmutex.LoneReaders), and LoneWhy the measurement.
	LoneBias bool   `json:"lone_readers_bias"`
	LoneWhy  string `json:"lone_readers_why"`
	// MembarrierIdleNs and MembarrierBusyNs are what one membarrier(2)
	// call, the fence a biased write lock pays for, costs with no other
	// thread of the process running and with one running on another CPU
	// (measureMembarrier); zero where not measured.
	MembarrierIdleNs float64  `json:"membarrier_idle_ns,omitempty"`
	MembarrierBusyNs float64  `json:"membarrier_busy_ns,omitempty"`
	Topology         topology `json:"topology"`
}

// A topology is what the processor says of itself through CPUID, as
// klauspost/cpuid/v2 decodes it: what decides how readers on different CPUs
// interfere. Cores and threads per core tell whether two Ps may be
// hyperthreads sharing one core's caches; the line size and cache sizes tell
// what a padded slot costs and how many fit. A hypervisor chooses what a guest
// sees here, so on a VM these are the virtual CPU's figures. Counts are of one
// processor package, and are 0, and sizes -1, where CPUID does not say
// (cpuid's conventions).
type topology struct {
	Vendor         string `json:"vendor"`
	Family         int    `json:"family"`
	Model          int    `json:"model"`
	Stepping       int    `json:"stepping"`
	PhysicalCores  int    `json:"physical_cores"`
	ThreadsPerCore int    `json:"threads_per_core"`
	LogicalCores   int    `json:"logical_cores"`
	CacheLine      int    `json:"cache_line_bytes"`
	L1D            int    `json:"l1d_bytes"`
	L1I            int    `json:"l1i_bytes"`
	L2             int    `json:"l2_bytes"`
	L3             int    `json:"l3_bytes"`
	Hypervisor     string `json:"hypervisor,omitempty"`
}

func describeMachine() machine {
	fence, why := drwmutex.Fence()
	lone, loneWhy := drwmutex.LoneReaders()
	c := &cpuid.CPU
	model := c.BrandName
	if model == "" {
		model = "unknown"
	}
	t := topology{
		Vendor:         c.VendorString,
		Family:         c.Family,
		Model:          c.Model,
		Stepping:       c.Stepping,
		PhysicalCores:  c.PhysicalCores,
		ThreadsPerCore: c.ThreadsPerCore,
		LogicalCores:   c.LogicalCores,
		CacheLine:      c.CacheLine,
		L1D:            c.Cache.L1D,
		L1I:            c.Cache.L1I,
		L2:             c.Cache.L2,
		L3:             c.Cache.L3,
	}
	if c.VM() {
		t.Hypervisor = c.HypervisorVendorID.String() // "VendorUnknown" where cpuid has no name for it
	}
	idle, busy, _ := measureMembarrier()
	return machine{
		MembarrierIdleNs: idle,
		MembarrierBusyNs: busy,
		Fence:            fence,
		FenceWhy:         why,
		LoneBias:         lone,
		LoneWhy:          loneWhy,
		GOOS:             runtime.GOOS,
		GOARCH:           runtime.GOARCH,
		CPUs:             runtime.NumCPU(),
		Model:            model,
		GoVersion:        runtime.Version(),
		Topology:         t,
	}
}

// String is the topology on one line, saying only what CPUID said.
func (t topology) String() string {
	var parts []string
	if t.Vendor != "" {
		parts = append(parts, fmt.Sprintf("%s family %d model %d stepping %d", t.Vendor, t.Family, t.Model, t.Stepping))
	}
	if t.PhysicalCores > 0 {
		threads := "1 thread"
		if t.ThreadsPerCore > 1 {
			threads = fmt.Sprintf("%d threads", t.ThreadsPerCore)
		}
		parts = append(parts, fmt.Sprintf("%d cores per package, %s per core", t.PhysicalCores, threads))
	}
	var caches []string
	for _, c := range []struct {
		name  string
		bytes int
	}{{"L1d", t.L1D}, {"L1i", t.L1I}, {"L2", t.L2}, {"L3", t.L3}} {
		if c.bytes > 0 {
			caches = append(caches, c.name+" "+sizeString(c.bytes))
		}
	}
	if len(caches) > 0 {
		parts = append(parts, strings.Join(caches, ", "))
	}
	if t.CacheLine > 0 {
		parts = append(parts, fmt.Sprintf("%d-byte lines", t.CacheLine))
	}
	if t.Hypervisor != "" {
		parts = append(parts, "hypervisor "+t.Hypervisor)
	}
	if len(parts) == 0 {
		return "CPUID says nothing of the processor here"
	}
	return strings.Join(parts, "; ")
}

// sizeString writes a cache size in KiB or MiB.
func sizeString(bytes int) string {
	if bytes >= 1<<20 && bytes%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", bytes>>20)
	}
	return fmt.Sprintf("%d KiB", bytes>>10)
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
	fmt.Fprintf(w, "CPUID (klauspost/cpuid/v2): %s\n", m.Topology)
	fmt.Fprintf(w, "asm follows each per-CPU field with %d bytes of padding (asm.CacheLinePad)\n", asm.CacheLineSize)
	fmt.Fprintf(w, "drwmutex fence (%s overrides): %s (%s)\n", drwmutex.FenceEnvVar, m.Fence, m.FenceWhy)
	switch {
	case m.MembarrierBusyNs > 0:
		fmt.Fprintf(w, "membarrier(2) PRIVATE_EXPEDITED, which a biased write lock calls once or twice under the membarrier fence: %.0f ns a call with no other thread running, %.0f ns with one running on another CPU (median of 7 batches)\n", m.MembarrierIdleNs, m.MembarrierBusyNs)
	case m.MembarrierIdleNs > 0:
		fmt.Fprintf(w, "membarrier(2) PRIVATE_EXPEDITED, which a biased write lock calls once or twice under the membarrier fence: %.0f ns a call (one CPU or P: not measured with another thread running)\n", m.MembarrierIdleNs)
	}
	fmt.Fprintf(w, "drwmutex: a lone reader turns a mutex biased: %s\n", m.LoneWhy)
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
