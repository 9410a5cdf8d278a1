package drwmutex

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// The membarrier(2) commands, from linux/membarrier.h.
const (
	membarrierCmdQuery                    = 0
	membarrierCmdPrivateExpedited         = 1 << 3
	membarrierCmdRegisterPrivateExpedited = 1 << 4
)

// registerMembarrier registers the process for private expedited
// membarriers, after checking that the kernel offers them.
func registerMembarrier() error {
	cmds, _, errno := unix.Syscall(unix.SYS_MEMBARRIER, membarrierCmdQuery, 0, 0)
	if errno != 0 {
		return fmt.Errorf("membarrier: %w", errno)
	}
	if cmds&membarrierCmdPrivateExpedited == 0 {
		return errors.New("membarrier: the kernel offers no MEMBARRIER_CMD_PRIVATE_EXPEDITED")
	}
	if _, _, errno := unix.Syscall(unix.SYS_MEMBARRIER, membarrierCmdRegisterPrivateExpedited, 0, 0); errno != 0 {
		return fmt.Errorf("membarrier register: %w", errno)
	}
	return nil
}

// membarrier makes every running thread of the process execute a full
// memory barrier before it returns.
func membarrier() {
	_, _, errno := unix.Syscall(unix.SYS_MEMBARRIER, membarrierCmdPrivateExpedited, 0, 0)
	if errno != 0 {
		// Registration succeeded, so this cannot happen; a writer that
		// went on without the barrier could enter beside a reader.
		fatal("drwmutex: membarrier failed: " + syscall.Errno(errno).Error())
	}
}
