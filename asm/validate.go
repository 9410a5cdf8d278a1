package asm

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// This file holds validation: reading each hardware strategy's raw answer
// on every allowed CPU and checking it against the kernel's CPU number (and,
// for CPUID, against the kernel's APIC ids in /proc/cpuinfo; cpuinfo.go).

// apicID returns the APIC id of the CPU that executes it.
func apicID() uint32 {
	if x2APIC() {
		_, _, _, edx := cpuidex(0xb, 0)
		return edx
	}
	_, ebx, _, _ := cpuidex(1, 0)
	return ebx >> 24
}

// x2APIC reports whether CPUID leaf 0xB enumerates x2APIC ids, so that
// apicID reads the 32-bit x2APIC id there rather than the 8-bit initial APIC
// id of leaf 1. It asks the CPU once; only the CPUID strategy calls it.
var x2APIC = sync.OnceValue(func() bool {
	if maxLeaf, _, _, _ := cpuidex(0, 0); maxLeaf >= 0xb {
		_, ebx, _, _ := cpuidex(0xb, 0)
		return ebx&0xffff != 0
	}
	return false
})

// A reading is one strategy's raw answer on one CPU.
type reading struct {
	raw uint32
	ok  bool
}

// hardwareSamplers returns, for each hardware strategy, a function reading
// its raw answer on the current CPU. Only supported ones are ever called.
func hardwareSamplers() map[Strategy]func() reading {
	return map[Strategy]func() reading{
		RDPID:  func() reading { return reading{rdpid(), true} },
		RDTSCP: func() reading { return reading{rdtscp(), true} },
		LSL: func() reading {
			limit, ok := lsl(perCPUSelector)
			return reading{limit, ok}
		},
		CPUID: func() reading { return reading{apicID(), true} },
	}
}

// validate pins the thread to each of cpus in turn (pin returns only once
// the thread runs there, which sched.Pin checks with getcpu), reads every
// supported hardware strategy there, and marks those that answered right on
// every CPU as validated. It also publishes the APIC-id table, which must
// agree with kernelIDs (the kernel's APIC ids of each CPU) where that is not
// nil.
func (d *detection) validate(cpus []int, pin func(cpu int) (restore func(), err error), samplers map[Strategy]func() reading, kernelIDs map[int][]uint32) {
	var todo []Strategy
	for _, s := range hardwareStrategies {
		if d.info[s].Supported && samplers[s] != nil {
			todo = append(todo, s)
		}
	}
	if len(todo) == 0 {
		return
	}
	readings := make(map[Strategy][]reading, len(todo))
	for _, cpu := range cpus {
		restore, err := pin(cpu)
		if err != nil {
			d.reject(fmt.Sprintf("could not pin to CPU %d to validate: %v", cpu, err))
			return
		}
		for _, s := range todo {
			readings[s] = append(readings[s], samplers[s]())
		}
		restore()
	}
	for _, s := range todo {
		var err error
		if s == CPUID {
			var table apicMap
			if table, err = newAPICMap(cpus, readings[s], kernelIDs); err == nil {
				apicTable.Store(&table)
			}
		} else {
			err = checkDirect(cpus, readings[s])
		}
		if err != nil {
			d.info[s].Note = "rejected: " + err.Error()
		} else {
			d.info[s].Validated = true
		}
	}
}

// checkDirect checks that the reading taken on each of cpus names that CPU.
func checkDirect(cpus []int, got []reading) error {
	for i, cpu := range cpus {
		switch r := got[i]; {
		case !r.ok:
			return fmt.Errorf("no answer on CPU %d", cpu)
		case int(r.raw&cpuMask) != cpu:
			return fmt.Errorf("on CPU %d it answered %d (raw %#x)", cpu, r.raw&cpuMask, r.raw)
		}
	}
	return nil
}

// apicMap maps APIC ids to the kernel's CPU numbers.
type apicMap map[uint32]int

// apicTable is the map the CPUID strategy uses; nil until validated.
var apicTable atomic.Pointer[apicMap]

func (m *apicMap) lookup(id uint32) (cpu int, ok bool) {
	if m == nil {
		return 0, false
	}
	cpu, ok = (*m)[id]
	return cpu, ok
}

// newAPICMap builds the APIC-id table from the ids read on each of cpus. Two
// CPUs with one id make the table useless (qemu-user reports 0 everywhere),
// and so does an id that is not the one the kernel knows for that CPU (a
// hypervisor answering with the host's ids, which change as it moves the
// vCPU): both are errors rather than a silent mis-mapping. kernelIDs may be
// nil, or lack a CPU, where the kernel does not say.
func newAPICMap(cpus []int, got []reading, kernelIDs map[int][]uint32) (apicMap, error) {
	m := make(apicMap, len(cpus))
	for i, cpu := range cpus {
		id := got[i].raw
		if prev, dup := m[id]; dup {
			return nil, fmt.Errorf("CPUs %d and %d report the same APIC id %d", prev, cpu, id)
		}
		if known, ok := kernelIDs[cpu]; ok && !slices.Contains(known, id) {
			return nil, fmt.Errorf("CPU %d reports APIC id %d where the kernel has %v: the hypervisor answers with ids the guest does not use", cpu, id, known)
		}
		m[id] = cpu
	}
	return m, nil
}
