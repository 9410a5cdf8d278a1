//go:build race

package drwmutex

import (
	"runtime"
	"unsafe"
)

// The race detector's hooks, which package runtime exports in race builds
// only. An RWMutex calls them where sync.RWMutex calls its internal race
// package's, so that the detector sees the lock's promised edges and none
// of its own atomics (see race_test.go).
const raceEnabled = true

func raceAcquire(addr unsafe.Pointer)      { runtime.RaceAcquire(addr) }
func raceRelease(addr unsafe.Pointer)      { runtime.RaceRelease(addr) }
func raceReleaseMerge(addr unsafe.Pointer) { runtime.RaceReleaseMerge(addr) }
func raceDisable()                         { runtime.RaceDisable() }
func raceEnable()                          { runtime.RaceEnable() }
