//go:build !(linux && amd64 && go1.26 && !go1.27 && !race)

package drwmutex

import "unsafe"

// Without owned_amd64.s the Go paths do all.
const ownedAsm = false

var ownedOK = false

// rlockSlow and runlockSlow are RLock's and RUnlock's slow paths, the Go
// ones. They are not inlined, so that RLock and RUnlock stay within the
// inliner's budget.
//
//go:noinline
func (rw *RWMutex) rlockSlow(h unsafe.Pointer) { rlockSlowGo(rw, h) }

//go:noinline
func (rw *RWMutex) runlockSlow(h unsafe.Pointer) { runlockSlowGo(rw, h) }
