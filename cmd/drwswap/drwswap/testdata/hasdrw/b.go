package hasdrw

import (
	"sync"

	rw "github.com/readmostly/readmostly/drwmutex"
)

var (
	other rw.RWMutex
	once  sync.Once
	mu2   sync.RWMutex // want `^mu2: swap for drwmutex.RWMutex \(1 read call site, 0 write call sites\)$`
)

func use2() {
	once.Do(other.Lock)
	mu2.RLock()
}
