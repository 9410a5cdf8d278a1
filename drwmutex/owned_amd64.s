//go:build linux && go1.26 && !go1.27 && !race

#include "go_asm.h"
#include "textflag.h"

// The membarrier fence's biased read paths (see rlockSlow and runlockSlow,
// whose Go versions these repeat), each one assembly function that runs on
// one P from its first instruction to RET: the runtime never preempts
// assembly code asynchronously, and these make no call and have no stack
// check, so it has no point at which to stop them either. Holding the P
// is all that procPin buys the Go versions, at the cost of two calls and
// of the m's lock count. The P is found as getg().m.p.ptr().id through the
// offsets that owned_asm.go declares and checks (ownedOK). Each returns
// ownedDone when it is done, ownedMore when it is done but the caller
// must act on what it found, and ownedNot, having done nothing, when the
// P's index is beyond the slots.

// OWNED_SLOT loads rw into AX and r into BX, and the address of the
// running P's slot into DX, or jumps to beyond if the P's index is beyond
// the slots.
#define OWNED_SLOT \
	MOVQ	rw+0(FP), AX \
	MOVQ	r+8(FP), BX \
	MOVQ	(TLS), DX \
	MOVQ	const_gM(DX), DX \
	MOVQ	const_mP(DX), DX \
	MOVLQSX	const_pID(DX), DX \
	CMPQ	DX, readerSlots_mask(BX) \
	JHI	beyond \
	IMULQ	$slot__size, DX \
	ADDQ	readerSlots_slots(BX), DX

// func rlockOwned(rw *RWMutex, r *readerSlots) int
TEXT ·rlockOwned(SB), NOSPLIT, $0-24
	OWNED_SLOT
	// The plain add, then the loads of hint and central, in this order,
	// which the processor may not keep: it may let the loads pass the
	// add, and the writer's membarrier is what orders them (fence.go).
	ADDQ	$1, slotCounters_owned(DX)
	CMPQ	RWMutex_hint(AX), BX
	JNE	undo
	MOVQ	$const_markedBelow, CX
	CMPQ	RWMutex_central(AX), CX
	JLT	undo
	MOVQ	$const_ownedDone, ret+16(FP)
	RET
undo:
	SUBQ	$1, slotCounters_owned(DX)
	MOVQ	$const_ownedMore, ret+16(FP)
	RET
beyond:
	MOVQ	$const_ownedNot, ret+16(FP)
	RET

// func runlockOwned(rw *RWMutex, r *readerSlots) int
TEXT ·runlockOwned(SB), NOSPLIT, $0-24
	OWNED_SLOT
	// x86 makes the decrement visible after every load and store of the
	// critical section; the load of state after it is ordered by the
	// writer's membarrier (fence.go).
	SUBQ	$1, slotCounters_owned(DX)
	TESTQ	$const_sleeping, RWMutex_state(AX)
	JNE	wake
	MOVQ	$const_ownedDone, ret+16(FP)
	RET
wake:
	MOVQ	$const_ownedMore, ret+16(FP)
	RET
beyond:
	MOVQ	$const_ownedNot, ret+16(FP)
	RET

// func getg() unsafe.Pointer
TEXT ·getg(SB), NOSPLIT, $0-8
	MOVQ	(TLS), AX
	MOVQ	AX, ret+0(FP)
	RET
