package asm

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/readmostly/readmostly/internal/sched"
)

// A Strategy is one way of answering "which CPU am I on?".
type Strategy uint8

const (
	// PID is the index of the Go scheduler's P that runs the goroutine,
	// read through runtime.procPin. It is not a CPU number, but at any
	// moment at most one running goroutine holds a given P, which is what
	// a per-CPU slot needs. It works on every platform and is always valid.
	PID Strategy = iota
	// RDPID reads IA32_TSC_AUX with the RDPID instruction (CPUID leaf 7,
	// ECX bit 22). Linux stores node<<12 | cpu there.
	RDPID
	// RDTSCP reads IA32_TSC_AUX as the ECX output of RDTSCP.
	RDTSCP
	// LSL reads the limit of the per-CPU segment that Linux puts in every
	// CPU's GDT (selector 0x7b, limit node<<12 | cpu), as the vDSO's getcpu
	// does on CPUs without RDPID.
	LSL
	// CPUID reads the x2APIC id (leaf 0xB) or the initial APIC id (leaf 1)
	// and maps it to a CPU number through a table built by pinning to each
	// allowed CPU at detection time. CPUID traps to the hypervisor on a
	// virtual machine, so it is usually by far the slowest strategy.
	CPUID
	// Getcpu asks the kernel through the getcpu system call. It is the
	// reference every other strategy is validated against.
	Getcpu

	numStrategies = iota
)

var strategyNames = [numStrategies]string{
	PID:    "pid",
	RDPID:  "rdpid",
	RDTSCP: "rdtscp",
	LSL:    "lsl",
	CPUID:  "cpuid",
	Getcpu: "getcpu",
}

// String returns the strategy's name as READMOSTLY_CPU spells it.
func (s Strategy) String() string {
	if int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
}

// ParseStrategy returns the strategy named name (as String spells it).
func ParseStrategy(name string) (Strategy, error) {
	for s, n := range strategyNames {
		if n == name {
			return Strategy(s), nil
		}
	}
	return 0, fmt.Errorf("asm: unknown CPU strategy %q (want one of %s)", name, strings.Join(strategyNames[:], ", "))
}

// Strategies returns every strategy, in the order of their constants.
func Strategies() []Strategy {
	all := make([]Strategy, numStrategies)
	for i := range all {
		all[i] = Strategy(i)
	}
	return all
}

// EnvVar names the environment variable that forces a strategy for
// experiments: READMOSTLY_CPU=rdpid|rdtscp|lsl|cpuid|getcpu|pid. It is read
// once, when detection runs. A strategy that is unknown or does not validate
// on the running machine is reported on standard error and ignored.
const EnvVar = "READMOSTLY_CPU"

// active is the Strategy that Current uses. It is PID until detection runs,
// which is always correct, so Current never has to wait for detection.
var active atomic.Uint32

// Current returns the number of the CPU the caller runs on, according to the
// active strategy, or the P index under the PID strategy. The caller may be
// moved to another CPU at any moment, so the answer is a hint for spreading
// load, never a guarantee; mask it to index per-CPU slots (see SlotCount).
func Current() int {
	if s := Strategy(active.Load()); s != PID {
		return s.current()
	}
	// pid, spelled out: Current is too large to inline anyway, and calling
	// through pid would add a third call to the hot path.
	p := procPin()
	procUnpin()
	return p
}

// current answers for a hardware or kernel strategy. Detection only activates
// a strategy after it answered correctly on every allowed CPU; should one
// fail later anyway (an LSL on a thread moved into another cgroup, an APIC id
// that was not in the table), the P index is still a valid slot.
func (s Strategy) current() int {
	switch s {
	case RDPID:
		return int(rdpid() & cpuMask)
	case RDTSCP:
		return int(rdtscp() & cpuMask)
	case LSL:
		if limit, ok := lsl(perCPUSelector); ok {
			return int(limit & cpuMask)
		}
	case CPUID:
		if cpu, ok := apicTable.Load().lookup(apicID()); ok {
			return cpu
		}
	case Getcpu:
		if cpu, err := sched.Getcpu(); err == nil {
			return cpu
		}
	}
	return pid()
}

const (
	// cpuMask keeps the CPU number from the node<<12 | cpu value that Linux
	// writes to IA32_TSC_AUX and to the per-CPU segment limit.
	cpuMask = 0xfff
	// perCPUSelector is Linux's GDT_ENTRY_CPUNODE (15) with RPL 3.
	perCPUSelector = 15<<3 | 3
)

// Active returns the strategy Current uses, running detection first if it
// has not run yet.
func Active() Strategy {
	detect()
	return Strategy(active.Load())
}

// Use makes Current use s from now on. It fails, changing nothing, if s did
// not validate on this machine. Per-CPU locks stay correct across a change:
// a strategy only chooses which slot a reader touches.
func Use(s Strategy) error {
	d := detect()
	if int(s) >= len(d.info) {
		return fmt.Errorf("asm: unknown CPU strategy %v", s)
	}
	if info := d.info[s]; !info.Validated {
		return fmt.Errorf("asm: CPU strategy %v is not usable here: %s", s, info.Note)
	}
	active.Store(uint32(s))
	return nil
}

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
// Strategies, running detection first if it has not run yet.
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

// SlotCount returns a power of two that is greater than every CPU number
// in the thread's affinity mask and than GOMAXPROCS now, so that
// Current()&(n-1) spreads the CPUs (or Ps) over n slots without collisions.
// A CPU added to the affinity mask later, or a larger GOMAXPROCS, only makes
// two CPUs share a slot. SlotCount never waits for detection: the affinity
// mask it relies on is read once, when the package is initialized.
func SlotCount() int {
	n := max(cpuLimit, runtime.GOMAXPROCS(0), 1)
	slots := 1
	for slots < n {
		slots <<= 1
	}
	return slots
}

// cpuLimit is one more than the highest CPU number in the affinity mask at
// initialization, or runtime.NumCPU() where the kernel does not say. It is
// read then, one system call, so that the first lock to need slots does not
// make it.
var cpuLimit = func() int {
	if cpus, err := sched.AllowedCPUs(); err == nil && len(cpus) > 0 {
		return cpus[len(cpus)-1] + 1
	}
	return runtime.NumCPU()
}()

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

var detected = sync.OnceValue(func() *detection {
	d := newDetection()
	d.choose(os.Getenv(EnvVar), os.Stderr)
	return d
})

// detect runs detection once and returns its result.
func detect() *detection { return detected() }

// newDetection checks which strategies the machine supports, validates them
// against the kernel on every allowed CPU, and measures their cost.
func newDetection() *detection {
	d := &detection{}
	for s := range d.info {
		d.info[s] = StrategyInfo{Strategy: Strategy(s)}
	}
	markSupported(d)

	cpus, err := sched.AllowedCPUs()
	switch {
	case err != nil:
		d.reject(fmt.Sprintf("no kernel CPU number to validate against: %v", err))
	default:
		d.validate(cpus, sched.Pin, hardwareSamplers(), kernelAPICIDs())
	}
	for s := range d.info {
		if d.info[s].Supported {
			d.info[s].NsPerCall = measure(Strategy(s))
		}
	}
	return d
}

// reject marks every supported hardware strategy as not validated.
func (d *detection) reject(why string) {
	for _, s := range hardwareStrategies {
		if d.info[s].Supported {
			d.info[s].Note = why
		}
	}
}

// hardwareStrategies are those that need validation against the kernel.
var hardwareStrategies = [...]Strategy{RDPID, RDTSCP, LSL, CPUID}

// choose activates the strategy forced by env if it is usable, else the
// cheapest validated one, and explains a rejected env value on w.
func (d *detection) choose(env string, w interface{ Write([]byte) (int, error) }) {
	best := PID
	for s, info := range d.info {
		if info.Validated && info.NsPerCall < d.info[best].NsPerCall {
			best = Strategy(s)
		}
	}
	if env != "" {
		s, err := ParseStrategy(env)
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
// times batches that double until one takes 50µs and at least 20 times what
// reading the clock costs, so that neither the clock (slow under emulators)
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
