//go:build linux && amd64

// Command qemucheck checks the CPU features an emulated (or real) amd64 CPU
// reports against what the caller expects, and that RDPID/RDTSCP, where
// present, answer the kernel's CPU number the way Linux sets IA32_TSC_AUX
// (node<<12 | cpu). It exits non-zero on any mismatch.
//
// Usage: qemucheck [rdpid=0|1] [rdtscp=0|1]
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"
)

func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
func rdpid() uint32
func rdtscp() uint32

// sysGetcpu is getcpu(2) on linux/amd64; package syscall has no constant for
// it and x/sys is deliberately not a dependency of this throw-away module.
const sysGetcpu = 309

func getcpu() uint32 {
	var cpu uint32
	_, _, errno := syscall.RawSyscall(sysGetcpu, uintptr(unsafe.Pointer(&cpu)), 0, 0)
	if errno != 0 {
		fail("getcpu: %v", errno)
	}
	return cpu
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "qemucheck: "+format+"\n", args...)
	os.Exit(1)
}

// agrees reports whether read matches getcpu at least once in many tries; a
// single disagreement can be a migration between the two reads.
func agrees(read func() uint32) (got, want uint32, ok bool) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range 1000 {
		before := getcpu()
		got = read() & 0xfff
		after := getcpu()
		if before == after && got == before {
			return got, before, true
		}
		want = after
	}
	return got, want, false
}

func main() {
	want := map[string]bool{}
	for _, arg := range os.Args[1:] {
		name, v, ok := strings.Cut(arg, "=")
		if !ok || (name != "rdpid" && name != "rdtscp") || (v != "0" && v != "1") {
			fail("bad argument %q (want rdpid=0|1 or rdtscp=0|1)", arg)
		}
		want[name] = v == "1"
	}

	maxLeaf, _, _, _ := cpuid(0, 0)
	var hasRDPID, hasRDTSCP bool
	if maxLeaf >= 7 {
		_, _, ecx, _ := cpuid(7, 0)
		hasRDPID = ecx&(1<<22) != 0 // CPUID.(EAX=7,ECX=0):ECX[22]
	}
	if maxExt, _, _, _ := cpuid(0x80000000, 0); maxExt >= 0x80000001 {
		_, _, _, edx := cpuid(0x80000001, 0)
		hasRDTSCP = edx&(1<<27) != 0 // CPUID.80000001H:EDX[27]
	}
	fmt.Printf("qemucheck: CPUID says RDPID=%v RDTSCP=%v\n", hasRDPID, hasRDTSCP)

	check := func(name string, has bool, read func() uint32) {
		if w, ok := want[name]; ok && w != has {
			fail("%s feature bit is %v, expected %v", name, has, w)
		}
		if !has {
			return
		}
		got, cpu, ok := agrees(read)
		if !ok {
			fail("%s answers %d but getcpu says %d", name, got, cpu)
		}
		fmt.Printf("qemucheck: %s answers %d = getcpu\n", name, got)
	}
	check("rdpid", hasRDPID, rdpid)
	check("rdtscp", hasRDTSCP, rdtscp)
}
