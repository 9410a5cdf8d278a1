// Package asm answers "which CPU am I on?" correctly and cheaply, for locks
// that keep one slot per CPU, and says how to size and space those slots
// (SlotCount, CacheLinePad, Padded).
//
// Current returns the caller's CPU number (or P index) through the active
// Strategy. The strategies:
//
//   - PID: the Go scheduler's P index, through runtime.procPin. Portable,
//     usually the cheapest, and always a valid slot index, though not a CPU
//     number.
//   - RDPID and RDTSCP: the IA32_TSC_AUX register, where Linux stores
//     node<<12 | cpu. One unprivileged instruction each.
//   - LSL: the limit of Linux's per-CPU GDT segment, as the vDSO's getcpu
//     reads it on CPUs without RDPID.
//   - CPUID: the APIC id, mapped to a CPU number by a table built at
//     detection. CPUID traps to the hypervisor on a virtual machine, which
//     makes it the slowest strategy there by orders of magnitude.
//   - Getcpu: the getcpu system call, the kernel's own answer, at the cost
//     of entering the kernel on every call.
//
// What each costs on the machines measured so far, and the commands that
// measure it, are in docs/benchmarks.md (section asm); detection times them
// again on the running machine, and Report shows its figures.
//
// A hardware strategy is trusted only if its CPUID feature bit is set and,
// pinned to each CPU of the thread's affinity mask in turn, it answered the
// same number as getcpu; CPUID's APIC ids must also be the ones the kernel
// lists for each CPU in /proc/cpuinfo. All three checks matter: on some
// virtual machines RDTSCP and RDPID execute without their feature bit and
// return the host's CPU, under qemu-user CPUID reports APIC id 0 on every
// CPU, and on others CPUID reports the host CPU's APIC id, which changes
// whenever the host moves the vCPU, so that a table that matched at
// detection maps the wrong CPU minutes later.
//
// Detection runs once: on a goroutine of its own in DetectIdle, or on the
// first call of Active, Use or Report, which wait for it. It pins a thread to
// every allowed CPU in turn and times each strategy, so its cost grows with
// the number of CPUs and is paid once per process; until it has finished,
// Current uses PID, so no caller of Current ever waits for it. The cheapest
// validated strategy wins unless the READMOSTLY_CPU environment variable
// (EnvVar) forces another.
//
// On platforms other than linux/amd64 only PID (and, on Linux, Getcpu) is
// available; everything builds everywhere. The assembly is four small
// routines in cpu_amd64.s, declared in cpu_amd64.go and stubbed
// in cpu_other.go; nothing else in the package is architecture-specific.
package asm
