// Package hasdrw already uses drwmutex, in one file by its own name and in
// another under an alias.
package hasdrw

import (
	"sync"

	"github.com/readmostly/readmostly/drwmutex"
)

var (
	done drwmutex.RWMutex
	mu   sync.RWMutex // want `^mu: swap for drwmutex.RWMutex \(1 read call site, 0 write call sites\)$`
)

func use() {
	done.Lock()
	mu.RLock()
}
