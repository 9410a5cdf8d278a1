#include "textflag.h"

// Each routine answers one CPU-number question with one instruction; which of
// them the running machine offers is decided in detect.go, which of those
// may be trusted in validate.go, and Current dispatches in strategy.go.

// func rdpid() uint32
TEXT ·rdpid(SB), NOSPLIT, $0-4
	RDPID	AX
	MOVL	AX, ret+0(FP)
	RET

// func rdtscp() uint32
TEXT ·rdtscp(SB), NOSPLIT, $0-4
	RDTSCP
	MOVL	CX, ret+0(FP)
	RET

// func lsl(selector uint32) (limit uint32, ok bool)
TEXT ·lsl(SB), NOSPLIT, $0-13
	MOVL	selector+0(FP), CX
	XORL	AX, AX
	LSLL	CX, AX
	SETEQ	ok+12(FP)
	MOVL	AX, limit+8(FP)
	RET

// func cpuidex(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuidex(SB), NOSPLIT, $0-24
	MOVL	leaf+0(FP), AX
	MOVL	subleaf+4(FP), CX
	CPUID
	MOVL	AX, eax+8(FP)
	MOVL	BX, ebx+12(FP)
	MOVL	CX, ecx+16(FP)
	MOVL	DX, edx+20(FP)
	RET
