// Package asm answers "which CPU am I on?" correctly and cheaply, for locks
// that keep one slot per CPU.
//
// Current returns the caller's CPU number (or P index) through the active
// Strategy. The strategies are:
//
//   - PID: the Go scheduler's P index, through runtime.procPin. Portable,
//     the cheapest (1.2-2.6 ns measured on the reference VM), and always a
//     valid slot index, though not a CPU number.
//   - RDPID and RDTSCP: the IA32_TSC_AUX register, where Linux stores
//     node<<12 | cpu.
//   - LSL: the limit of Linux's per-CPU GDT segment, as the vDSO's getcpu
//     reads it on CPUs without RDPID (9-18 ns on the reference VM).
//   - CPUID: the APIC id, mapped to a CPU number by a table built at
//     detection. CPUID traps to the hypervisor on a virtual machine (about
//     6.5 µs on the reference VM).
//   - Getcpu: the getcpu system call, the kernel's own answer (about 1 µs
//     on the reference VM).
//
// A hardware strategy is trusted only if its CPUID feature bit is set and,
// pinned to each CPU of the thread's affinity mask in turn, it answered the
// same number as getcpu; CPUID's APIC ids must also be the ones the kernel
// lists for each CPU in /proc/cpuinfo. All three checks matter: on some
// virtual machines RDTSCP and RDPID execute without their feature bit and
// return the host's CPU, under qemu-user CPUID reports APIC id 0 on every
// CPU, and on the reference VM CPUID reports the host CPU's APIC id, which
// changes whenever the host moves the vCPU, so that a table that matched at
// detection maps the wrong CPU minutes later. Detection runs once:
// on a goroutine of its own in DetectIdle, or on the first call of
// Active, Use or Report, which wait for it. It pins a thread to every allowed
// CPU in turn and times each strategy, so it takes milliseconds on a large
// machine; until it has finished, Current uses PID. The cheapest
// validated strategy wins unless the READMOSTLY_CPU environment variable
// forces another.
//
// On platforms other than linux/amd64 only PID (and, on Linux, Getcpu) is
// available; everything builds everywhere.
package asm
