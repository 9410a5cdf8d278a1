//go:build !(linux && amd64)

package drwmutex

import (
	"errors"
	"runtime"
)

// registerMembarrier reports that the membarrier fence is not used here:
// it needs Linux, and stores that x86 keeps in order (see fence.go).
func registerMembarrier() error {
	return errors.New("the membarrier fence is used on linux/amd64 only, not " + runtime.GOOS + "/" + runtime.GOARCH)
}

// membarrier is never called where registration fails.
func membarrier() { fatal("drwmutex: membarrier without registration") }
