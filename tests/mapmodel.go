package tests

import (
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// This file holds the model checker: it applies one sequence of operations
// to a candidate map and to the two references of refmaps.go, and fails at
// the first result or content that differs.

// MapOpKind names one of the operations of a map model run.
type MapOpKind uint8

const (
	OpLoad MapOpKind = iota
	OpStore
	OpLoadOrStore
	OpLoadAndDelete
	OpDelete
	OpSwap
	OpCompareAndSwap
	OpCompareAndDelete
	OpRange
	OpClear
	// OpAll ranges with the map's All method where it has one
	// (All() iter.Seq2[K, V]), and with Range where it does not.
	OpAll
	numMapOps
)

var mapOpNames = [numMapOps]string{
	"Load", "Store", "LoadOrStore", "LoadAndDelete", "Delete", "Swap",
	"CompareAndSwap", "CompareAndDelete", "Range", "Clear", "All",
}

func (k MapOpKind) String() string {
	if k < numMapOps {
		return mapOpNames[k]
	}
	return fmt.Sprintf("MapOpKind(%d)", uint8(k))
}

// MapOp is one step of a map model run. Which fields an operation uses
// follows sync.Map's signatures: Key for all but Clear, Value for the stores
// and as the new value of CompareAndSwap, Old for the comparisons. Stop makes
// Range and All stop after that many calls of their function; 0 lets them
// run to the end.
type MapOp struct {
	Kind       MapOpKind
	Key        int
	Value, Old int
	Stop       int
}

func (op MapOp) String() string {
	switch op.Kind {
	case OpLoad, OpLoadAndDelete, OpDelete:
		return fmt.Sprintf("%v(%d)", op.Kind, op.Key)
	case OpStore, OpLoadOrStore, OpSwap:
		return fmt.Sprintf("%v(%d, %d)", op.Kind, op.Key, op.Value)
	case OpCompareAndSwap:
		return fmt.Sprintf("%v(%d, %d, %d)", op.Kind, op.Key, op.Old, op.Value)
	case OpCompareAndDelete:
		return fmt.Sprintf("%v(%d, %d)", op.Kind, op.Key, op.Old)
	case OpRange, OpAll:
		return fmt.Sprintf("%v(stop after %d)", op.Kind, op.Stop)
	}
	return op.Kind.String() + "()"
}

// The key and value spaces of generated runs are small, so that operations
// keep meeting keys that exist and comparisons keep succeeding. A run still
// stores enough distinct keys to build and promote the dirty maps of
// read/dirty designs many times.
const (
	modelKeys   = 24
	modelValues = 6
)

// RandomMapOps returns n operations drawn from seed, each kind about equally
// likely.
func RandomMapOps(seed uint64, n int) []MapOp {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	ops := make([]MapOp, n)
	for i := range ops {
		ops[i] = MapOp{
			Kind:  MapOpKind(r.IntN(int(numMapOps))),
			Key:   r.IntN(modelKeys),
			Value: r.IntN(modelValues),
			Old:   r.IntN(modelValues),
			Stop:  r.IntN(4),
		}
		if ops[i].Kind == OpClear && r.IntN(4) != 0 {
			// A Clear wipes out the state the run has built: make it rarer.
			ops[i].Kind = OpLoad
		}
	}
	return ops
}

// MapOpsFromBytes decodes a fuzzer's input into operations, two bytes each: a
// kind and a key, and a value and an old value (which also serve as Range's
// stop count). Every input decodes to a valid run.
func MapOpsFromBytes(data []byte) []MapOp {
	ops := make([]MapOp, 0, len(data)/2)
	for i := 0; i+1 < len(data); i += 2 {
		a, b := data[i], data[i+1]
		ops = append(ops, MapOp{
			Kind:  MapOpKind(a&0x0f) % numMapOps,
			Key:   int(a>>4) % modelKeys,
			Value: int(b&0x0f) % modelValues,
			Old:   int(b>>4) % modelValues,
			Stop:  int(b>>4) % 4,
		})
	}
	return ops
}

// CheckMapModel applies ops random operations drawn from seed to a map from
// newMap and to the two references, and fails tb at the first result or
// content that differs. See CheckMapOps.
func CheckMapModel(tb testing.TB, newMap func() SyncMap[int, int], ops int, seed uint64) {
	tb.Helper()
	checkMapOps(tb, newMap, RandomMapOps(seed, ops), fmt.Sprintf("seed %d", seed))
}

// CheckMapOps applies ops in order to a map from newMap, to a MutexMap and to
// a CopyOnWriteMap, and fails tb when a result of the map differs from the
// references', or when its contents differ after a full Range and at the end.
// Range and All with a stop count may visit any such number of entries, so
// for them it checks that each call saw a present entry, no key twice, and
// the right number of entries. It also fails tb if the references disagree,
// which would be a bug of this kit.
func CheckMapOps(tb testing.TB, newMap func() SyncMap[int, int], ops []MapOp) {
	tb.Helper()
	checkMapOps(tb, newMap, ops, "given ops")
}

func checkMapOps(tb testing.TB, newMap func() SyncMap[int, int], ops []MapOp, origin string) {
	tb.Helper()
	ms := []SyncMap[int, int]{newMap(), new(MutexMap[int, int]), new(CopyOnWriteMap[int, int])}
	names := []string{"map", "MutexMap", "CopyOnWriteMap"}
	results := make([]string, len(ms))
	fail := func(i int, format string, args ...any) {
		tb.Helper()
		lo := max(0, i-8)
		var trace strings.Builder
		for j := lo; j <= i; j++ {
			fmt.Fprintf(&trace, "\n\t%d: %v", j, ops[j])
		}
		tb.Fatalf("%s, op %d of %d: %s\nlast ops:%s", origin, i, len(ops), fmt.Sprintf(format, args...), trace.String())
	}
	for i, op := range ops {
		// Contents before the op, from the first reference: Range results
		// are checked against it.
		var before map[int]int
		if op.Kind == OpRange || op.Kind == OpAll {
			before = Contents(ms[1])
		}
		for j, m := range ms {
			res, err := applyMapOp(m, op, before)
			if err != nil {
				fail(i, "%s: %v", names[j], err)
			}
			results[j] = res
		}
		if results[1] != results[2] {
			fail(i, "references disagree: MutexMap %s, CopyOnWriteMap %s", results[1], results[2])
		}
		if results[0] != results[1] {
			fail(i, "%v returned %s, want %s", op, results[0], results[1])
		}
		if (op.Kind == OpRange || op.Kind == OpAll) && op.Stop == 0 || i == len(ops)-1 {
			if err := sameContents(ms[0], ms[1]); err != nil {
				fail(i, "after %v: %v", op, err)
			}
		}
	}
	if len(ops) == 0 {
		if err := sameContents(ms[0], ms[1]); err != nil {
			tb.Fatalf("%s: new map: %v", origin, err)
		}
	}
}

// applyMapOp applies op to m and returns its results as text. For Range and
// All, which may visit any entries when stopped early, the text is the number
// of entries visited, and the entries are checked against before instead.
func applyMapOp(m SyncMap[int, int], op MapOp, before map[int]int) (string, error) {
	switch op.Kind {
	case OpLoad:
		v, ok := m.Load(op.Key)
		return pair(v, ok), nil
	case OpStore:
		m.Store(op.Key, op.Value)
		return "()", nil
	case OpLoadOrStore:
		v, loaded := m.LoadOrStore(op.Key, op.Value)
		return pair(v, loaded), nil
	case OpLoadAndDelete:
		v, loaded := m.LoadAndDelete(op.Key)
		return pair(v, loaded), nil
	case OpDelete:
		m.Delete(op.Key)
		return "()", nil
	case OpSwap:
		v, loaded := m.Swap(op.Key, op.Value)
		return pair(v, loaded), nil
	case OpCompareAndSwap:
		return fmt.Sprint(m.CompareAndSwap(op.Key, op.Old, op.Value)), nil
	case OpCompareAndDelete:
		return fmt.Sprint(m.CompareAndDelete(op.Key, op.Old)), nil
	case OpClear:
		m.Clear()
		return "()", nil
	case OpRange, OpAll:
		seq := iter.Seq2[int, int](m.Range)
		if a, ok := m.(interface{ All() iter.Seq2[int, int] }); ok && op.Kind == OpAll {
			seq = a.All()
		}
		seen := make(map[int]bool)
		for k, v := range seq {
			if seen[k] {
				return "", fmt.Errorf("%v visited key %d twice", op, k)
			}
			seen[k] = true
			if want, ok := before[k]; !ok || want != v {
				return "", fmt.Errorf("%v visited %d: %d, want %s", op, k, v, pair(want, ok))
			}
			if len(seen) == op.Stop {
				break
			}
		}
		return fmt.Sprintf("visited %d", len(seen)), nil
	}
	return "", fmt.Errorf("unknown op %v", op)
}

func pair(v int, ok bool) string {
	if !ok {
		return fmt.Sprintf("(%d, false)", v)
	}
	return fmt.Sprintf("(%d, true)", v)
}

// Contents returns what a full Range of m visits. It panics if Range visits a
// key twice.
func Contents[K comparable, V any](m SyncMap[K, V]) map[K]V {
	c := make(map[K]V)
	m.Range(func(k K, v V) bool {
		if _, dup := c[k]; dup {
			panic(fmt.Sprintf("Range visited key %v twice", k))
		}
		c[k] = v
		return true
	})
	return c
}

// sameContents compares the contents of got and want, both as a full Range
// sees them and as Load sees every key of the model's key space.
func sameContents(got, want SyncMap[int, int]) error {
	g, w := Contents(got), Contents(want)
	if !maps.Equal(g, w) {
		return fmt.Errorf("Range sees %v, want %v", sortedPairs(g), sortedPairs(w))
	}
	for k := range modelKeys {
		gv, gok := got.Load(k)
		wv, wok := want.Load(k)
		if gv != wv || gok != wok {
			return fmt.Errorf("Load(%d) = %s, want %s", k, pair(gv, gok), pair(wv, wok))
		}
	}
	return nil
}

func sortedPairs(m map[int]int) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d:%d", k, m[k])
	}
	return "{" + strings.Join(parts, " ") + "}"
}
