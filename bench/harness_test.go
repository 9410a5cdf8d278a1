package bench

import (
	"slices"
	"strings"
	"testing"

	"github.com/readmostly/readmostly/tests"
)

func TestMain(m *testing.M) { tests.VerifyMain(m) }

// nopTimer is a Timer for tests that do not time.
type nopTimer struct{}

func (nopTimer) StartTimer() {}
func (nopTimer) StopTimer()  {}

// recordingTimer remembers the order of its calls.
type recordingTimer struct{ calls []string }

func (r *recordingTimer) StartTimer() { r.calls = append(r.calls, "start") }
func (r *recordingTimer) StopTimer()  { r.calls = append(r.calls, "stop") }

// TestEveryImplServesItsWorkloads runs every implementation under every
// workload it serves, with few and many goroutines. Under -race it also
// checks that each lock excludes readers from writers, since readers read
// the word that writers increment.
func TestEveryImplServesItsWorkloads(t *testing.T) {
	for _, wl := range Workloads() {
		for _, impl := range Impls() {
			if !impl.Serves(wl) {
				continue
			}
			for _, g := range []int{1, 3, 16} {
				// 10 000 operations leave every worker of 16 several writes
				// at a write period of 100.
				if err := Run(nopTimer{}, impl, wl, g, 10_000); err != nil {
					t.Errorf("Run(%s, %s, %d goroutines) = %v, want nil", impl.Name, wl.Name, g, err)
				}
			}
		}
	}
}

func TestEveryWorkloadHasItsBaselineAndAnother(t *testing.T) {
	for _, wl := range Workloads() {
		base := BaselineFor(wl.Kind)
		if !base.Serves(wl) {
			t.Errorf("baseline %s does not serve %s", base.Name, wl.Name)
		}
		others := 0
		for _, impl := range Impls() {
			if impl.Serves(wl) && !impl.Baseline {
				others++
			}
		}
		if others == 0 {
			t.Errorf("workload %s: no implementation to compare with %s", wl.Name, base.Name)
		}
	}
}

// TestEvolutionMapsServeWhatTheyCan checks the registry's insertOnly marks:
// the designs that can overwrite a key must run map-mixed, the insert-only
// ones must not.
func TestEvolutionMapsServeWhatTheyCan(t *testing.T) {
	mixed, _ := WorkloadByName("map-mixed")
	for _, name := range []string{"evolution.cleandirty", "evolution.deltadirty", "evolution.sharded"} {
		impl, ok := ImplByName(name)
		if !ok || !impl.Serves(mixed) {
			t.Errorf("%s (registered: %v) does not serve map-mixed, but it can overwrite a key", name, ok)
		}
	}
	for _, name := range []string{"evolution.dmap", "evolution.twomap"} {
		if impl, ok := ImplByName(name); !ok || impl.Serves(mixed) {
			t.Errorf("%s (registered: %v) serves map-mixed, but it cannot overwrite a key", name, ok)
		}
	}
}

func TestNamesAreUniqueAndLookedUp(t *testing.T) {
	seen := map[string]bool{}
	for _, impl := range Impls() {
		if seen[impl.Name] {
			t.Errorf("two implementations named %q", impl.Name)
		}
		seen[impl.Name] = true
		if got, ok := ImplByName(impl.Name); !ok || got.Name != impl.Name {
			t.Errorf("ImplByName(%q) = %q, %v", impl.Name, got.Name, ok)
		}
	}
	for _, wl := range Workloads() {
		if seen[wl.Name] {
			t.Errorf("name %q is both an implementation and a workload", wl.Name)
		}
		seen[wl.Name] = true
		if got, ok := WorkloadByName(wl.Name); !ok || got != wl {
			t.Errorf("WorkloadByName(%q) = %+v, %v", wl.Name, got, ok)
		}
	}
	if _, ok := ImplByName("no-such-lock"); ok {
		t.Error("ImplByName found an implementation that does not exist")
	}
}

func TestRunTimesOnlyTheReleasedWork(t *testing.T) {
	wl, _ := WorkloadByName("read")
	var timer recordingTimer
	if err := Run(&timer, BaselineFor(LockKind), wl, 4, 100); err != nil {
		t.Fatal(err)
	}
	if want := []string{"stop", "start", "stop"}; !slices.Equal(timer.calls, want) {
		t.Errorf("timer calls = %v, want %v", timer.calls, want)
	}
}

func TestRunRejectsWhatItCannotRun(t *testing.T) {
	read, _ := WorkloadByName("read")
	mixed, _ := WorkloadByName("map-mixed")
	insertOnly := Impl{Name: "insert-only", Kind: MapKind, insertOnly: true, newMap: func() tests.Map[int, int] { return new(tests.IntSyncMap) }}
	for _, tc := range []struct {
		name       string
		impl       Impl
		wl         Workload
		goroutines int
		want       string
	}{
		{"map on a lock workload", BaselineFor(MapKind), read, 1, "does not serve"},
		{"insert-only map with writes", insertOnly, mixed, 1, "does not serve"},
		{"no goroutines", BaselineFor(LockKind), read, 0, "goroutines >= 1"},
	} {
		err := Run(nopTimer{}, tc.impl, tc.wl, tc.goroutines, 10)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Run = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// forgetfulMap loses every key whose low bit is set: the map workloads'
// check must notice.
type forgetfulMap struct{ tests.IntSyncMap }

func (f *forgetfulMap) Load(key int) (int, bool) {
	if key&1 == 1 {
		return 0, false
	}
	return f.IntSyncMap.Load(key)
}

// staleMap returns the value of the neighbouring key.
type staleMap struct{ tests.IntSyncMap }

func (s *staleMap) Load(key int) (int, bool) { return s.IntSyncMap.Load(key ^ 1) }

func TestRunCatchesWrongMaps(t *testing.T) {
	load, _ := WorkloadByName("map-load")
	for _, m := range []struct {
		name   string
		newMap func() tests.Map[int, int]
	}{
		{"forgetful", func() tests.Map[int, int] { return new(forgetfulMap) }},
		{"stale", func() tests.Map[int, int] { return new(staleMap) }},
	} {
		impl := Impl{Name: m.name, Kind: MapKind, newMap: m.newMap}
		err := Run(nopTimer{}, impl, load, 2, 1000)
		if err == nil || !strings.Contains(err.Error(), "loads missed") {
			t.Errorf("Run(%s map) = %v, want an error about loads that missed", m.name, err)
		}
	}
}
