//go:build !amd64

package asm

// Without amd64 assembly no hardware strategy is supported, and these are
// never called: detection reports every hardware strategy as unsupported.

func rdpid() uint32                                            { panic("asm: rdpid without amd64") }
func rdtscp() uint32                                           { panic("asm: rdtscp without amd64") }
func lsl(selector uint32) (limit uint32, ok bool)              { return 0, false }
func cpuidex(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32) { panic("asm: cpuid without amd64") }

const hasAssembly = false
