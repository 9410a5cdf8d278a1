//go:build linux && go1.26 && !go1.27 && !race

#include "go_asm.h"
#include "textflag.h"

// The membarrier fence's biased read paths (see rlockSlowGo and
// runlockSlowGo, whose Go versions these repeat): RLock's and RUnlock's slow
// paths themselves, which rlockSlow and runlockSlow call with the hint that
// RLock or RUnlock loaded, under the membarrier fence, for a hint other
// than the mutex itself (which they send to the Go paths).
// Each takes or releases a biased read lock through the running P's owned
// counter and returns, and jumps to Go for everything else: to the Go slow
// path, having done nothing, for a hint other than the slots, offsets that
// checkOffsets rejected (ownedOK), or a P whose index is beyond the slots;
// to rlockStepBackOf after a read lock that found a writer or
// the mutex unbiased and took itself out again; to wakeWriterOf after a
// release that found the writer asleep. A jump, not a call, so that the
// Go function returns straight to RLock's or RUnlock's caller: the call
// these save, with the frame and the spills of a Go function around an
// assembly one, is what the owned counter's read lock mostly cost before
// (docs/benchmarks.md). Each runs on one P from its first instruction to
// the jump or RET: the runtime never preempts assembly code
// asynchronously, and these make no call and have no stack check, so it
// has no point at which to stop them either. Holding the P is all that
// procPin buys the Go versions, at the cost of two calls and of the m's
// lock count. The P is found as getg().m.p.ptr().id through the offsets
// that owned_asm.go declares and checks (ownedOK).

// OWNED_SLOT loads rw into AX and the hint into BX, and, if the hint is
// the mutex's slots and the offsets were accepted, the address of the
// running P's slot into DX; otherwise, and for a P beyond the slots, it
// jumps to golang. The order of the tests is rlockSlowGo's, less the two
// that the callers made (a hint other than rw, the membarrier fence).
#define OWNED_SLOT \
	MOVQ	rw+0(FP), AX \
	MOVQ	h+8(FP), BX \
	TESTQ	BX, BX \
	JEQ	golang \
	CMPQ	RWMutex_readers(AX), BX \
	JNE	golang \
	CMPB	·ownedOK(SB), $0 \
	JEQ	golang \
	MOVQ	(TLS), DX \
	MOVQ	const_gM(DX), DX \
	MOVQ	const_mP(DX), DX \
	MOVLQSX	const_pID(DX), DX \
	CMPQ	DX, readerSlots_mask(BX) \
	JHI	golang \
	IMULQ	$slot__size, DX \
	ADDQ	readerSlots_slots(BX), DX

// func rlockSlowAsm(rw *RWMutex, h unsafe.Pointer)
TEXT ·rlockSlowAsm(SB), NOSPLIT, $0-16
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
	RET
undo:
	SUBQ	$1, slotCounters_owned(DX)
	JMP	·rlockStepBackOf(SB) // with rw where it is, at 0(FP)
golang:
	JMP	·rlockSlowGo(SB) // with rw and h where they are

// func runlockSlowAsm(rw *RWMutex, h unsafe.Pointer)
TEXT ·runlockSlowAsm(SB), NOSPLIT, $0-16
	OWNED_SLOT
	// x86 makes the decrement visible after every load and store of the
	// critical section; the load of state after it is ordered by the
	// writer's membarrier (fence.go).
	SUBQ	$1, slotCounters_owned(DX)
	TESTQ	$const_sleeping, RWMutex_state(AX)
	JNE	wake
	RET
wake:
	JMP	·wakeWriterOf(SB)
golang:
	JMP	·runlockSlowGo(SB)

// func getg() unsafe.Pointer
TEXT ·getg(SB), NOSPLIT, $0-8
	MOVQ	(TLS), AX
	MOVQ	AX, ret+0(FP)
	RET
