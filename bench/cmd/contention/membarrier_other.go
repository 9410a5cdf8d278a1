//go:build !linux

package main

// measureMembarrier reports that membarrier(2) is Linux's alone.
func measureMembarrier() (idleNs, busyNs float64, ok bool) { return 0, 0, false }
