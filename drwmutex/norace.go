//go:build !race

package drwmutex

import "unsafe"

// Without -race the hooks are never called: raceEnabled is a constant, so
// the compiler drops every call site.
const raceEnabled = false

func raceAcquire(unsafe.Pointer)      {}
func raceRelease(unsafe.Pointer)      {}
func raceReleaseMerge(unsafe.Pointer) {}
func raceDisable()                    {}
func raceEnable()                     {}
