// Package embedded has a lock embedded in a package-level struct var, whose
// methods are promoted; the sync import is alone in its group, before a group
// of other modules' imports.
package embedded

import (
	"sync"

	"github.com/readmostly/readmostly/atomicvalue"
)

var stats struct {
	sync.RWMutex // want `^stats.RWMutex: swap for drwmutex.RWMutex \(4 read call sites, 2 write call sites\)$`
	hits         map[string]int
}

var limit atomicvalue.Value[int]

func hits(page string) int {
	stats.RLock()
	defer stats.RUnlock()
	return stats.hits[page]
}

func hot(page string) bool {
	stats.RWMutex.RLock()
	defer stats.RWMutex.RUnlock()
	return stats.hits[page] > limit.Load()
}

func hit(page string) {
	stats.Lock()
	stats.hits[page]++
	stats.Unlock()
}
