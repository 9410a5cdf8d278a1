package asm

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/readmostly/readmostly/internal/sched"
)

// This file holds the strategies and the dispatch among them: which one
// Current uses, and how each answers. detect.go decides which ones the
// machine offers and which is cheapest; validate.go checks them against the
// kernel.

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
	// RDTSCP reads IA32_TSC_AUX as the ECX output of RDTSCP (CPUID leaf
	// 0x80000001, EDX bit 27).
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

// parseStrategy returns the strategy named name (as String spells it).
func parseStrategy(name string) (Strategy, error) {
	for s, n := range strategyNames {
		if n == name {
			return Strategy(s), nil
		}
	}
	return 0, fmt.Errorf("asm: unknown CPU strategy %q (want one of %s)", name, strings.Join(strategyNames[:], ", "))
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
