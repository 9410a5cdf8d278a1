//go:build !linux

package sched

// Supported reports whether Getcpu, AllowedCPUs and Pin work on this system.
const Supported = false

// Getcpu returns ErrUnsupported on this system.
func Getcpu() (int, error) { return -1, ErrUnsupported }

// AllowedCPUs returns ErrUnsupported on this system.
func AllowedCPUs() ([]int, error) { return nil, ErrUnsupported }

// Pin returns ErrUnsupported on this system.
func Pin(cpu int) (restore func(), err error) { return nil, ErrUnsupported }

// Idle returns ErrUnsupported on this system.
func Idle() error { return ErrUnsupported }
