package bench

import "fmt"

// A Kind says which interface a workload drives: locks or maps.
type Kind uint8

const (
	// LockKind workloads take read locks, and write locks now and then.
	LockKind Kind = iota
	// MapKind workloads load keys from a map, and store now and then.
	MapKind
)

func (k Kind) String() string {
	switch k {
	case LockKind:
		return "lock"
	case MapKind:
		return "map"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// A Workload is one operation mix. An operation is a read (RLock+RUnlock with
// an empty critical section that reads one guarded word, or one Load) or,
// every WriteEvery operations of each goroutine, a write (Lock+Unlock around
// an increment of that word, or one Store of an existing key).
type Workload struct {
	// Name is the spelling the -workload flag accepts.
	Name string
	Kind Kind
	// WriteEvery is the period of writes in each goroutine's operations;
	// 0 means reads only.
	WriteEvery int
	// Doc is one line for usage text and table headers.
	Doc string
}

// MapKeys is the number of keys a map workload's map holds; every Load
// finds its key.
const MapKeys = 1024

// Workloads returns every workload, lock workloads first.
func Workloads() []Workload {
	return []Workload{
		{Name: "read", Kind: LockKind, Doc: "RLock+RUnlock only (golang/go#17973)"},
		{Name: "write1", Kind: LockKind, WriteEvery: 100, Doc: "1% Lock+Unlock, 99% RLock+RUnlock"},
		{Name: "write10", Kind: LockKind, WriteEvery: 10, Doc: "10% Lock+Unlock, 90% RLock+RUnlock"},
		{Name: "map-load", Kind: MapKind, Doc: fmt.Sprintf("Load of present keys, %d int keys", MapKeys)},
		{Name: "map-mixed", Kind: MapKind, WriteEvery: 10, Doc: fmt.Sprintf("90%% Load, 10%% Store to present keys, %d int keys", MapKeys)},
	}
}

// WorkloadByName returns the workload spelled name.
func WorkloadByName(name string) (Workload, bool) {
	for _, w := range Workloads() {
		if w.Name == name {
			return w, true
		}
	}
	return Workload{}, false
}
