//go:build linux && amd64 && go1.26 && !go1.27 && !race

package drwmutex

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/readmostly/readmostly/asm"
)

// The offsets, in the runtime's structures of Go 1.26 on amd64, through
// which owned_amd64.s finds the running P's index (g.m, m.p, p.id), and
// those that checkOffsets checks them with. TestRuntimeOffsets compares
// every one with the debugging information of a program built by the same
// toolchain. The build constraint
// keeps every other Go release on the Go paths, which find the P by
// procPin.
const (
	gM      = 48  // runtime.g.m
	mProcid = 64  // runtime.m.procid
	mCurg   = 184 // runtime.m.curg
	mP      = 208 // runtime.m.p
	mLocks  = 264 // runtime.m.locks
	pID     = 0   // runtime.p.id
	pM      = 48  // runtime.p.m
)

// ownedAsm tells the tests that the assembly is there; it runs while
// ownedOK holds.
const ownedAsm = true

// ownedOK is set when the offsets above are those of the running
// program's runtime (see checkOffsets). Otherwise the Go paths run.
var ownedOK = checkOffsets()

// rlockSlow and runlockSlow are RLock's and RUnlock's slow paths. They are
// methods, as a call to a method costs the inliner one node less than one
// to a function, which RLock and RUnlock do not have to spare, and the
// assembler cannot name a method. Each calls its assembly only where that
// may take the owned path, a hint other than the mutex itself under the
// membarrier fence (the assembly checks the rest), and the Go slow path
// straight otherwise: through the assembly, the Go function would be two
// calls deeper, behind the ABI0 wrapper that the assembly's jump reaches it
// through.
//
//go:nosplit
//go:noinline
func (rw *RWMutex) rlockSlow(h unsafe.Pointer) {
	if h != unsafe.Pointer(rw) && fenced.Load() {
		rlockSlowAsm(rw, h)
		return
	}
	rlockSlowGo(rw, h)
}

//go:nosplit
//go:noinline
func (rw *RWMutex) runlockSlow(h unsafe.Pointer) {
	if h != unsafe.Pointer(rw) && fenced.Load() {
		runlockSlowAsm(rw, h)
		return
	}
	runlockSlowGo(rw, h)
}

// rlockSlowAsm and runlockSlowAsm, in owned_amd64.s, take and release the
// membarrier fence's biased read lock through the running P's owned
// counter, and jump to rlockSlowGo or runlockSlowGo for everything else.
// They are called only under the membarrier fence, with h not rw. Not
// noescape: what they jump to stores rw where the heap reaches it
// (TestAssemblyKeepsTheMutexInTheHeap).
func rlockSlowAsm(rw *RWMutex, h unsafe.Pointer)

func runlockSlowAsm(rw *RWMutex, h unsafe.Pointer)

// rlockStepBackOf and wakeWriterOf are where the assembly goes on, by a
// jump, when a biased read lock found a writer or the mutex unbiased and
// took itself out again, and when a release found the writer asleep.
//
//lint:ignore U1000 the assembly jumps here
func rlockStepBackOf(rw *RWMutex) { rw.rlockStepBack() }

//lint:ignore U1000 the assembly jumps here
func wakeWriterOf(rw *RWMutex) { rw.wakeWriter() }

// getg returns the running goroutine's g.
func getg() unsafe.Pointer

// checkOffsets reports whether the runtime's structures are laid out as the
// constants say. Pinned to its P, it follows g.m, whose offset the
// toolchain's linker knows too, and then checks what it can know of the m
// by other means before it follows m.p: the m's thread is this thread
// (m.procid), the m runs this goroutine (m.curg), and pinning once more
// adds one to the m's lock count (m.locks), fields on both sides of m.p in
// the struct. Of the P it checks that it belongs to the m (p.m) and that
// its index is the one procPin returned.
func checkOffsets() bool {
	id := asm.ProcPin()
	defer asm.ProcUnpin()
	g := getg()
	m := *(*unsafe.Pointer)(unsafe.Add(g, gM))
	if m == nil || *(*unsafe.Pointer)(unsafe.Add(m, mCurg)) != g || *(*uint64)(unsafe.Add(m, mProcid)) != uint64(unix.Gettid()) {
		return false
	}
	locks := *(*int32)(unsafe.Add(m, mLocks))
	asm.ProcPin()
	more := *(*int32)(unsafe.Add(m, mLocks))
	asm.ProcUnpin()
	if locks < 1 || more != locks+1 {
		return false
	}
	p := *(*unsafe.Pointer)(unsafe.Add(m, mP))
	return p != nil && *(*unsafe.Pointer)(unsafe.Add(p, pM)) == m && int(*(*int32)(unsafe.Add(p, pID))) == id
}
