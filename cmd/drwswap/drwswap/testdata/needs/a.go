// Package needs has locks kept for the other reasons a use needs the type.
package needs

import (
	"encoding/json"
	"fmt"
	"sync"
	"unsafe"
)

var compared sync.RWMutex // want `^compared: keep, needs the type \(0 read call sites, 0 write call sites\): it is compared: compared == \(sync.RWMutex\{\}\) at a.go:\d+:\d+$`

var converted sync.RWMutex // want `^converted: keep, needs the type \(0 read call sites, 0 write call sites\): it is converted to unsafe.Pointer at a.go:\d+:\d+$`

var printed sync.RWMutex // want `^printed: keep, needs the type \(0 read call sites, 0 write call sites\): it reaches reflection-typed code drwswap cannot follow: the any parameter of fmt.Printf at a.go:\d+:\d+$`

var config struct {
	sync.RWMutex // want `^config.RWMutex: keep, needs the type \(0 read call sites, 0 write call sites\): the struct that holds it reaches reflection-typed code drwswap cannot follow: the any parameter of json.Marshal at a.go:\d+:\d+$`
	Limit        int
}

var twice struct {
	mu sync.RWMutex // want `^twice.mu: keep, needs the type \(0 read call sites, 0 write call sites\): its struct type is written again here, and that one would keep sync.RWMutex at a.go:\d+:\d+$`
}

type table struct {
	mu sync.RWMutex // want `^tab.mu: keep, needs the type \(0 read call sites, 0 write call sites\): table also makes values that are not package-level vars \(new\), so the lock would be in every one of them at a.go:\d+:\d+$`
}

var tab table

var made = newLock() // want `^made: keep, needs the type \(0 read call sites, 0 write call sites\): it is initialized from a sync.RWMutex value at a.go:\d+:\d+$`

type rw = sync.RWMutex

var spelled rw // want `^spelled: keep, needs the type \(1 read call site, 0 write call sites\): its declaration does not spell sync.RWMutex`

var generic sync.RWMutex // want `^generic: keep, needs the type \(0 read call sites, 0 write call sites\): its address flows into the \*sync.RWMutex parameter of withLock at a.go:\d+:\d+$`

var copied sync.RWMutex // want `^copied: keep, needs the type \(0 read call sites, 0 write call sites\): it is copied into the sync.RWMutex parameter of byValue at a.go:\d+:\d+$`

func newLock() sync.RWMutex { return sync.RWMutex{} }

func withLock[L sync.Locker](l L) {
	l.Lock()
	l.Unlock()
}

func byValue(l sync.RWMutex) {}

func use() {
	if compared == (sync.RWMutex{}) {
		_ = unsafe.Pointer(&converted)
	}
	fmt.Printf("%p\n", &printed)
	_, _ = json.Marshal(&config)
	var other struct {
		mu sync.RWMutex
	}
	_ = &other
	_ = new(table)
	spelled.RLock()
	withLock(&generic)
	byValue(copied)
}
