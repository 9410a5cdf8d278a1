//go:build amd64

package asm

// Implemented in cpu_amd64.s. Executing rdpid or rdtscp on a CPU without the
// instruction raises #UD, so they are only called once their CPUID bit is set.

// rdpid returns IA32_TSC_AUX through the RDPID instruction.
func rdpid() uint32

// rdtscp returns IA32_TSC_AUX, the ECX output of RDTSCP (the time stamp in
// EDX:EAX is discarded).
func rdtscp() uint32

// lsl returns the segment limit of selector and whether the CPU let us read
// it (ZF set).
func lsl(selector uint32) (limit uint32, ok bool)

// cpuidex executes CPUID. On a virtual machine every call may trap to the
// hypervisor, which makes it the slowest instruction here by far, so it runs
// on a hot path only under the CPUID strategy: where it is the cheapest that
// validated, or where READMOSTLY_CPU forces it.
func cpuidex(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

const hasAssembly = true
