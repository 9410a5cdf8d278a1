package syncmap

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/readmostly/readmostly/tests"
)

// The linearizability check records concurrent histories of all the
// operations and asks porcupine whether some order of them, consistent with
// real time, is legal for a sequential map. A map is linearizable per key,
// and Range promises no snapshot, only that each key reflects its mapping at
// some point during the call, so histories are partitioned by key: Range
// becomes one Load-like observation per key, Clear one Delete per key, each
// with the interval of the whole call.

// linOp is the input of one operation on one key.
type linOp struct {
	kind       tests.MapOpKind
	key        int
	value, old int
}

// linResult is what an operation returned: a value and a flag (ok, loaded,
// swapped or deleted), or nothing for Store, Delete and Clear.
type linResult struct {
	value int
	flag  bool
}

// linState is the model's state for one key.
type linState struct {
	value   int
	present bool
}

var linModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := make(map[int][]porcupine.Operation)
		for _, op := range history {
			k := op.Input.(linOp).key
			byKey[k] = append(byKey[k], op)
		}
		parts := make([][]porcupine.Operation, 0, len(byKey))
		for _, p := range byKey {
			parts = append(parts, p)
		}
		return parts
	},
	Init: func() any { return linState{} },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(linState), input.(linOp), output.(linResult)
		current := linResult{s.value, s.present}
		if !s.present {
			current.value = 0
		}
		absent := linState{}
		switch in.kind {
		case tests.OpLoad, tests.OpRange:
			return out == current, s
		case tests.OpStore:
			return true, linState{in.value, true}
		case tests.OpLoadOrStore:
			if s.present {
				return out == current, s
			}
			return out == linResult{in.value, false}, linState{in.value, true}
		case tests.OpLoadAndDelete:
			return out == current, absent
		case tests.OpDelete, tests.OpClear:
			return true, absent
		case tests.OpSwap:
			return out == current, linState{in.value, true}
		case tests.OpCompareAndSwap:
			if s.present && s.value == in.old {
				return out.flag, linState{in.value, true}
			}
			return !out.flag, s
		case tests.OpCompareAndDelete:
			if s.present && s.value == in.old {
				return out.flag, absent
			}
			return !out.flag, s
		}
		panic(fmt.Sprintf("linModel: unknown op %v", in.kind))
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linOp), output.(linResult)
		return fmt.Sprintf("%v(key %d, value %d, old %d) -> (%d, %v)", in.kind, in.key, in.value, in.old, out.value, out.flag)
	},
}

// linKeys is the key space of a history: small, so that operations collide.
const linKeys = 3

// recordHistory runs ops operations from each of workers goroutines on m and
// returns the history. Values are unique per write, so that two writes that
// both claim to have replaced the same value cannot both be legal; the old
// value of a comparison is the last value its goroutine saw for the key, so
// that comparisons often succeed.
func recordHistory(m tests.SyncMap[int, int], workers, ops int, seed uint64) []porcupine.Operation {
	var clock, ready atomic.Int64
	start := time.Now().Add(200 * time.Microsecond)
	histories := make([][]porcupine.Operation, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			// Start together, and only once every P has had time to wake
			// up and take a worker: a history written by one P alone would
			// be almost sequential.
			ready.Add(1)
			for ready.Load() < int64(workers) || time.Now().Before(start) {
				runtime.Gosched()
			}
			var lastSeen [linKeys]int
			for i := range ops {
				in := linOp{
					kind:  tests.MapOpKind(r.IntN(int(tests.OpClear) + 1)),
					key:   r.IntN(linKeys),
					value: (w+1)<<16 | i,
				}
				if in.kind == tests.OpClear && r.IntN(4) != 0 {
					in.kind = tests.OpCompareAndSwap // Clears erase too much history
				}
				in.old = lastSeen[in.key]
				call := clock.Add(1)
				if r.IntN(2) == 0 {
					// Let other goroutines run inside this op's interval:
					// where no other P is free to run them in parallel,
					// this is what makes intervals overlap.
					runtime.Gosched()
				}
				outs := applyLinOp(m, in)
				ret := clock.Add(1)
				for k, out := range outs {
					in := in
					in.key = k
					lastSeen[k] = latestValue(in, out, lastSeen[k])
					histories[w] = append(histories[w], porcupine.Operation{
						ClientId: w, Input: in, Call: call, Output: out, Return: ret,
					})
				}
			}
		}()
	}
	wg.Wait()
	var all []porcupine.Operation
	for _, h := range histories {
		all = append(all, h...)
	}
	return all
}

// latestValue returns the value an operation saw or left for its key, or
// prev if it tells nothing new.
func latestValue(in linOp, out linResult, prev int) int {
	switch {
	case in.kind == tests.OpStore, in.kind == tests.OpSwap,
		in.kind == tests.OpCompareAndSwap && out.flag,
		in.kind == tests.OpLoadOrStore && !out.flag:
		return in.value
	case in.kind == tests.OpLoad, in.kind == tests.OpRange, in.kind == tests.OpLoadOrStore:
		if out.flag {
			return out.value
		}
	}
	return prev
}

// applyLinOp applies in to m and returns its result per key: one key for most
// operations, every key for Range and Clear.
func applyLinOp(m tests.SyncMap[int, int], in linOp) map[int]linResult {
	one := func(v int, flag bool) map[int]linResult { return map[int]linResult{in.key: {v, flag}} }
	switch in.kind {
	case tests.OpLoad:
		return one(m.Load(in.key))
	case tests.OpStore:
		m.Store(in.key, in.value)
		return one(0, false)
	case tests.OpLoadOrStore:
		return one(m.LoadOrStore(in.key, in.value))
	case tests.OpLoadAndDelete:
		return one(m.LoadAndDelete(in.key))
	case tests.OpDelete:
		m.Delete(in.key)
		return one(0, false)
	case tests.OpSwap:
		return one(m.Swap(in.key, in.value))
	case tests.OpCompareAndSwap:
		return one(0, m.CompareAndSwap(in.key, in.old, in.value))
	case tests.OpCompareAndDelete:
		return one(0, m.CompareAndDelete(in.key, in.old))
	case tests.OpRange:
		outs := make(map[int]linResult, linKeys)
		for k := range linKeys {
			outs[k] = linResult{}
		}
		m.Range(func(k, v int) bool {
			outs[k] = linResult{v, true}
			return true
		})
		return outs
	case tests.OpClear:
		m.Clear()
		outs := make(map[int]linResult, linKeys)
		for k := range linKeys {
			outs[k] = linResult{}
		}
		return outs
	}
	panic(fmt.Sprintf("applyLinOp: unknown op %v", in.kind))
}

// overlapping counts the operations of a history whose interval overlaps an
// operation of another goroutine: those that leave the checker a choice.
func overlapping(history []porcupine.Operation) int {
	n := 0
	for i, a := range history {
		for j, b := range history {
			if i != j && a.ClientId != b.ClientId && a.Call < b.Return && b.Call < a.Return {
				n++
				break
			}
		}
	}
	return n
}

// checkHistory records a history of m from four goroutines and returns
// porcupine's verdict on it, and how many of its operations overlap another
// goroutine's.
func checkHistory(t *testing.T, m tests.SyncMap[int, int], seed uint64) (res porcupine.CheckResult, ops, overlaps int) {
	t.Helper()
	// Start from a promoted map holding one key, so that histories exercise
	// the lock-free paths on read entries as well as dirty-only keys.
	m.Store(0, 1<<30)
	m.Range(func(int, int) bool { return true })
	history := recordHistory(m, 4, 40, seed)
	history = append(history, porcupine.Operation{
		ClientId: 4, Input: linOp{kind: tests.OpStore, key: 0, value: 1 << 30},
		Call: -2, Output: linResult{}, Return: -1,
	})
	res = porcupine.CheckOperationsTimeout(linModel, history, 10*time.Second)
	return res, len(history), overlapping(history)
}

func TestLinearizable(t *testing.T) {
	histories := 500
	if testing.Short() {
		histories = 30
	}
	ops, overlaps := 0, 0
	for seed := range uint64(histories) {
		// Every key type in turn, each with its own hash in the read index.
		tc := keyedMaps[seed%uint64(len(keyedMaps))]
		res, n, o := checkHistory(t, tc.newMap(), seed)
		switch res {
		case porcupine.Ok:
		case porcupine.Illegal:
			t.Fatalf("history %d (%s) is not linearizable", seed, tc.name)
		default:
			t.Fatalf("history %d (%s): porcupine could not decide in time (%v)", seed, tc.name, res)
		}
		ops += n
		overlaps += o
	}
	// A check of sequential histories proves little: make sure these were not.
	if overlaps < ops/4 {
		t.Fatalf("only %d of %d operations overlapped another goroutine's", overlaps, ops)
	}
	t.Logf("%d histories, %d operations (per key), %d overlapping another goroutine's", histories, ops, overlaps)
}

// casNotAtomic is the bug the checker must catch: a CompareAndSwap that loads,
// compares and stores as three steps, so that two callers can both replace
// the same value.
type casNotAtomic struct{ Map[int, int] }

func (m *casNotAtomic) CompareAndSwap(key, old, new int) bool {
	if v, ok := m.Load(key); !ok || v != old {
		return false
	}
	runtime.Gosched() // widen the window another caller can slip into
	m.Store(key, new)
	return true
}

func TestLinearizabilityCheckCatchesNonAtomicCompareAndSwap(t *testing.T) {
	for seed := range uint64(200) {
		switch res, _, _ := checkHistory(t, new(casNotAtomic), seed); res {
		case porcupine.Illegal:
			return
		case porcupine.Ok:
		default:
			t.Fatalf("history %d: porcupine could not decide in time (%v)", seed, res)
		}
	}
	t.Fatal("200 histories of a map with a non-atomic CompareAndSwap all passed as linearizable")
}
