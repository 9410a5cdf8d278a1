// Package notcandidates has locks that drwswap does not report: inside other
// data structures, behind pointers, in arrays, local, or already drwmutex's.
package notcandidates

import (
	"sync"

	"github.com/readmostly/readmostly/drwmutex"
)

type entry struct {
	mu    sync.RWMutex
	value int
}

var (
	entries = map[string]*entry{}
	shared  = &entry{}
	shards  [4]sync.RWMutex
	ptr     *sync.RWMutex
	fast    drwmutex.RWMutex
)

func use() {
	var local sync.RWMutex
	local.RLock()
	shared.mu.RLock()
	shards[0].RLock()
	ptr = &local
	fast.RLock()
	e := entries["x"]
	e.mu.Lock()
}
