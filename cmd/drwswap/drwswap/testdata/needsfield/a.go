// Package needsfield stores locks' addresses in *sync.RWMutex fields.
package needsfield

import "sync"

type guarded struct {
	l    *sync.RWMutex
	name string
}

var (
	mu  sync.RWMutex // want `^mu: keep, needs the type \(0 read call sites, 0 write call sites\): its address flows into the \*sync.RWMutex field l at a.go:\d+:\d+$`
	mu2 sync.RWMutex // want `^mu2: keep, needs the type \(0 read call sites, 0 write call sites\): its address flows into the \*sync.RWMutex variable g.l at a.go:\d+:\d+$`
	mu3 sync.RWMutex // want `^mu3: keep, needs the type \(0 read call sites, 0 write call sites\): its address flows into the \*sync.RWMutex field l at a.go:\d+:\d+$`
)

var g = guarded{l: &mu, name: "g"}

func use() {
	g.l = &mu2
	_ = guarded{&mu3, "positional"}
}
