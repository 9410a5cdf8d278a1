//go:build !(linux && amd64 && go1.26 && !go1.27 && !race)

package drwmutex

// Without owned_amd64.s the Go paths of rlockSlow and runlockSlow do all.
const ownedAsm = false

var ownedOK = false

func rlockOwned(*RWMutex, *readerSlots) int   { return ownedNot }
func runlockOwned(*RWMutex, *readerSlots) int { return ownedNot }
