package bench

import (
	"strings"
	"sync"

	"github.com/readmostly/readmostly/evolution"
)

// The evolution designs are registered under "evolution." and their own
// names. The designs that duplicate an implementation measured directly
// (evolution's entries for drwmutex, syncmap, sync.RWMutex and sync.Map) are
// left out; of the rest, the per-CPU lock and the sharded map are measured by
// default, the others only on request.
const evolutionPrefix = "evolution."

// evolutionDefaults are the evolution designs measured by default.
var evolutionDefaults = map[string]bool{"percpu": true, "sharded": true}

// measuredDirectly are the evolution designs that the registry already
// measures under their own names.
var measuredDirectly = map[string]bool{"drwmutex": true, "sync.RWMutex": true, "syncmap": true, "sync.Map": true}

// evolutionLockImpls reads the per-slot designs through their RLocker
// handles, the read path the designs were made for: their RWLocker adapter
// releases a read lock on any slot that holds one, a safety net that the
// designs themselves do not have and that costs a search on every RUnlock.
func evolutionLockImpls() []Impl {
	var impls []Impl
	for _, d := range evolution.LockDesigns() {
		if measuredDirectly[d.Name] {
			continue
		}
		// The design's Doc describes its RWLocker adapter, which is not
		// what is measured here.
		doc, _, _ := strings.Cut(d.Doc, " (RUnlock made safe")
		impls = append(impls, Impl{
			Name: evolutionPrefix + d.Name, Kind: LockKind, Doc: doc + ", read through RLocker handles",
			Extra: !evolutionDefaults[d.Name],
			newLock: func() lockUnderTest {
				mu := d.New()
				reader := func() sync.Locker { return evolutionRead{mu} }
				if handles, ok := mu.(evolution.ReadLockers); ok {
					reader = handles.RLocker
				}
				return lockUnderTest{writer: mu, reader: reader}
			},
		})
	}
	return impls
}

// evolutionRead is the read side of a design without RLocker handles.
type evolutionRead struct{ mu evolution.RWLocker }

func (r evolutionRead) Lock()   { r.mu.RLock() }
func (r evolutionRead) Unlock() { r.mu.RUnlock() }

// evolutionMapImpls registers the map designs. A design whose type has
// Store serves every map workload; the insert-only ones (dmap, two-map)
// serve map-load only.
func evolutionMapImpls() []Impl {
	var impls []Impl
	for _, d := range evolution.MapDesigns() {
		if measuredDirectly[d.Name] {
			continue
		}
		// Through any: staticcheck 2025.1 takes evolution.Map[int, int]'s
		// Load for a generic signature and calls the assertion impossible.
		_, canStore := any(d.New()).(mapUnderTest)
		impls = append(impls, Impl{
			Name: evolutionPrefix + d.Name, Kind: MapKind, Doc: d.Doc, Extra: !evolutionDefaults[d.Name],
			insertOnly: !canStore,
			newMap: func() mapUnderTest {
				m := d.New()
				if full, ok := any(m).(mapUnderTest); ok {
					return full
				}
				return insertOnlyMap{m}
			},
		})
	}
	return impls
}

// insertOnlyMap fills a map that has no Store through LoadOrStore, which is
// all a map-load workload needs: its keys are stored once, before the run.
type insertOnlyMap struct{ m evolution.Map[int, int] }

func (a insertOnlyMap) Load(key int) (int, bool) { return a.m.Load(key) }
func (a insertOnlyMap) Store(key, value int)     { a.m.LoadOrStore(key, value) }
