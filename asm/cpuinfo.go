package asm

import (
	"bufio"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// kernelAPICIDs returns, for each CPU, the APIC ids the kernel recorded for
// it at boot ("apicid" and "initial apicid" in /proc/cpuinfo), or nil where
// the kernel does not say. The CPUID strategy's table must agree with them:
// on a 2-vCPU guest of an AMD EPYC host (docs/benchmarks.md, section
// asm), CPUID run in user space answered with the host CPU's x2APIC id,
// which matches nothing the guest kernel knows and changes when the host
// moves the vCPU, so a table built from one pass over the CPUs went stale
// (seen: 59 and 235 at detection, 162 on the second CPU later).
func kernelAPICIDs() map[int][]uint32 {
	if runtime.GOOS != "linux" {
		return nil
	}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	return parseCPUInfoAPICIDs(f)
}

// parseCPUInfoAPICIDs reads /proc/cpuinfo's format: blocks of "key : value"
// lines, one block per CPU, each starting with "processor".
func parseCPUInfoAPICIDs(r io.Reader) map[int][]uint32 {
	ids := make(map[int][]uint32)
	cpu := -1
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch key {
		case "processor":
			n, err := strconv.Atoi(value)
			if err != nil {
				return nil
			}
			cpu = n
		case "apicid", "initial apicid":
			n, err := strconv.ParseUint(value, 10, 32)
			if err != nil || cpu < 0 {
				return nil
			}
			ids[cpu] = append(ids[cpu], uint32(n))
		}
	}
	if sc.Err() != nil || len(ids) == 0 {
		return nil
	}
	return ids
}
