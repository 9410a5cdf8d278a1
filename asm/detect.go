package asm

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/readmostly/readmostly/internal/sched"
)

// This file holds detection and timing: which strategies the machine offers,
// what each costs, and which one Current uses. validate.go decides which of
// the offered ones answer right.

// StrategyInfo describes one strategy on the running machine.
type StrategyInfo struct {
	Strategy Strategy
	// Supported reports whether the machine offers it: the CPUID feature
	// bit is set, the assembly exists for GOARCH, the OS provides the
	// kernel side.
	Supported bool
	// Validated reports whether it is safe to use: for a CPU-number
	// strategy, its answer equalled the kernel's (getcpu) while pinned to
	// each allowed CPU; PID and Getcpu are valid by construction.
	Validated bool
	// NsPerCall is the measured cost of one Current call with this
	// strategy, in nanoseconds; 0 where the strategy is not supported.
	NsPerCall float64
	// Active reports whether Current uses it now.
	Active bool
	// Note says why a strategy is unsupported or was rejected.
	Note string
}

// Report returns what detection found for every strategy, in the order of
// the Strategy constants, running detection first if it has not run yet.
func Report() []StrategyInfo {
	d := detect()
	out := make([]StrategyInfo, len(d.info))
	copy(out, d.info[:])
	cur := Strategy(active.Load())
	for i := range out {
		out[i].Active = out[i].Strategy == cur
	}
	return out
}

// DetectIdle runs detection, unless it has run, on the calling goroutine's
// thread at the lowest priority (SCHED_IDLE on Linux): detection visits
// every CPU and times each strategy, and at a normal priority the kernel
// would let it preempt the program's threads on each CPU it visits for as
// long as that takes. On a machine whose CPUs are all busy it therefore
// takes longer; meanwhile the P index serves, and Active, Use and Report
// wait for it.
//
// DetectIdle locks the goroutine to its thread and leaves it locked, so
// that the thread, and its priority, end with the goroutine: call it only
// on a goroutine started for it, which exits when it returns.
func DetectIdle() {
	runtime.LockOSThread()
	_ = sched.Idle() // where it fails, detection runs at the usual priority
	detect()
}

// detection is what detect found; it never changes once published.
type detection struct {
	info [numStrategies]StrategyInfo
}

// detect runs detection once, activates its choice, and returns its result.
var detect = sync.OnceValue(func() *detection {
	d := newDetection()
	d.choose(os.Getenv(EnvVar), os.Stderr)
	return d
})

// newDetection checks which strategies the machine supports, validates them
// against the kernel on every allowed CPU, and measures their cost.
func newDetection() *detection {
	d := &detection{info: offered(probe())}
	if cpus, err := sched.AllowedCPUs(); err != nil {
		d.reject(fmt.Sprintf("no kernel CPU number to validate against: %v", err))
	} else {
		d.validate(cpus, sched.Pin, hardwareSamplers(), kernelAPICIDs())
	}
	for s := range d.info {
		if d.info[s].Supported {
			d.info[s].NsPerCall = measure(Strategy(s))
		}
	}
	return d
}

// features is what the machine says it offers, before any strategy runs.
type features struct {
	getcpu   bool // the OS has the getcpu system call (internal/sched)
	assembly bool // cpu_amd64.s exists for GOARCH
	rdpid    bool // CPUID leaf 7, ECX bit 22
	rdtscp   bool // CPUID leaf 0x80000001, EDX bit 27
	gdtCPU   bool // the OS keeps a per-CPU segment in the GDT (Linux does)
}

// probe reads the machine's features. It only reads: executing RDPID or
// RDTSCP where their bit is clear may raise #UD, so nothing runs them before
// probe has said they exist. A set bit is not trusted either: on some
// hypervisors the instructions answer with the host's CPU, which is what
// validation is for.
func probe() features {
	f := features{getcpu: sched.Supported, assembly: hasAssembly, gdtCPU: runtime.GOOS == "linux"}
	if !hasAssembly {
		return f
	}
	if maxLeaf, _, _, _ := cpuidex(0, 0); maxLeaf >= 7 {
		_, _, ecx, _ := cpuidex(7, 0)
		f.rdpid = ecx&(1<<22) != 0
	}
	if maxExtLeaf, _, _, _ := cpuidex(0x80000000, 0); maxExtLeaf >= 0x80000001 {
		_, _, _, edx := cpuidex(0x80000001, 0)
		f.rdtscp = edx&(1<<27) != 0
	}
	return f
}

// offered returns detection's rows before validation: which strategies a
// machine with f supports, and why it does not support the others. PID and
// Getcpu are valid by construction; the hardware strategies still have to be
// validated.
func offered(f features) [numStrategies]StrategyInfo {
	var info [numStrategies]StrategyInfo
	for s := range info {
		info[s].Strategy = Strategy(s)
	}
	info[PID].Supported, info[PID].Validated = true, true
	info[PID].Note = "the scheduler's P index, not a CPU number; valid everywhere"
	if f.getcpu {
		info[Getcpu].Supported, info[Getcpu].Validated = true, true
		info[Getcpu].Note = "the kernel's answer, the reference for the others"
	} else {
		info[Getcpu].Note = "no getcpu system call on " + runtime.GOOS
	}
	if !f.assembly {
		for _, s := range hardwareStrategies {
			info[s].Note = "no assembly for " + runtime.GOARCH
		}
		return info
	}
	offer := func(s Strategy, ok bool, why string) {
		info[s].Supported = ok
		if !ok {
			info[s].Note = why
		}
	}
	offer(RDPID, f.rdpid, "CPUID leaf 7 ECX bit 22 is clear")
	offer(RDTSCP, f.rdtscp, "CPUID leaf 0x80000001 EDX bit 27 is clear")
	offer(LSL, f.gdtCPU, "the per-CPU GDT segment is Linux's")
	offer(CPUID, true, "")
	return info
}

// hardwareStrategies are those that need validation against the kernel.
var hardwareStrategies = [...]Strategy{RDPID, RDTSCP, LSL, CPUID}

// reject marks every supported hardware strategy as not validated.
func (d *detection) reject(why string) {
	for _, s := range hardwareStrategies {
		if d.info[s].Supported {
			d.info[s].Note = why
		}
	}
}

// choose activates the strategy forced by env if it is usable, else the
// cheapest validated one, and explains a rejected env value on w.
func (d *detection) choose(env string, w io.Writer) {
	best := PID
	for s, info := range d.info {
		if info.Validated && info.NsPerCall < d.info[best].NsPerCall {
			best = Strategy(s)
		}
	}
	if env != "" {
		s, err := parseStrategy(env)
		switch {
		case err != nil:
			fmt.Fprintf(w, "readmostly: %s=%s: %v; using %v\n", EnvVar, env, err, best)
		case !d.info[s].Validated:
			fmt.Fprintf(w, "readmostly: %s=%s is not usable here (%s); using %v\n", EnvVar, env, d.info[s].Note, best)
		default:
			best = s
		}
	}
	active.Store(uint32(best))
}

// measure returns the cost of Current under s in nanoseconds per call. It
// times batches that double until one lasts long enough (see enough: a
// fixed floor, and many times what reading the clock costs), so that neither the clock (slow under emulators)
// nor CPUID under a hypervisor (microseconds a call) distorts the result or
// makes detection slow.
func measure(s Strategy) float64 {
	call := func() int { return s.current() }
	if s == PID {
		call = pid
	}
	enough := max(50*time.Microsecond, 20*clockCost())
	call() // first execution pays for cold caches, or an emulator's translation
	for n := 16; ; n *= 2 {
		start := time.Now()
		for range n {
			call()
		}
		if elapsed := time.Since(start); elapsed >= enough || n >= 1<<20 {
			return float64(elapsed.Nanoseconds()) / float64(n)
		}
	}
}

// clockCost returns the least time a time.Now/time.Since pair took in a few
// tries.
func clockCost() time.Duration {
	least := time.Hour
	for range 5 {
		start := time.Now()
		least = min(least, time.Since(start))
	}
	return least
}
