package asm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/readmostly/readmostly/internal/sched"
	"github.com/readmostly/readmostly/tests"
)

func TestMain(m *testing.M) { tests.VerifyMain(m) }

// useForTest makes s active for the rest of the test.
func useForTest(t *testing.T, s Strategy) {
	t.Helper()
	prev := Active()
	if err := Use(s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { active.Store(uint32(prev)) })
}

func validated(t *testing.T) []StrategyInfo {
	t.Helper()
	var out []StrategyInfo
	for _, info := range Report() {
		if info.Validated {
			out = append(out, info)
		}
	}
	return out
}

func TestEveryValidatedCPUStrategyAgreesWithGetcpuOnEveryCPU(t *testing.T) {
	cpus := tests.AllowedCPUs(t)
	for _, info := range validated(t) {
		if info.Strategy == PID {
			continue // a P index, not a CPU number
		}
		t.Run(info.Strategy.String(), func(t *testing.T) {
			useForTest(t, info.Strategy)
			for _, cpu := range cpus {
				restore := tests.Pin(t, cpu)
				got, kernel := Current(), tests.Getcpu(t)
				restore()
				if got != cpu || kernel != cpu {
					t.Errorf("pinned to CPU %d: Current() = %d, getcpu = %d", cpu, got, kernel)
				}
			}
		})
	}
}

func TestPIDIsBelowGOMAXPROCS(t *testing.T) {
	useForTest(t, PID)
	procs := runtime.GOMAXPROCS(0)
	counts := tests.Hammer(t, tests.StressTime(50e6), procs, func(_, _ int) bool {
		p := Current()
		if p < 0 || p >= procs {
			t.Errorf("Current() = %d under PID, want [0, %d)", p, procs)
			return false
		}
		return true
	})
	if counts[0] == 0 {
		t.Fatal("no call was made")
	}
}

func TestDefaultIsTheCheapestValidatedStrategy(t *testing.T) {
	if os.Getenv(EnvVar) != "" {
		t.Skipf("%s is set", EnvVar)
	}
	report := Report()
	var chosen StrategyInfo
	for _, info := range report {
		if info.Active {
			chosen = info
		}
	}
	if !chosen.Validated {
		t.Fatalf("active strategy %v is not validated: %+v", chosen.Strategy, chosen)
	}
	for _, info := range report {
		if info.Validated && info.NsPerCall < chosen.NsPerCall {
			t.Errorf("%v (%.1f ns) is validated and cheaper than the chosen %v (%.1f ns)",
				info.Strategy, info.NsPerCall, chosen.Strategy, chosen.NsPerCall)
		}
		if info.Supported && info.NsPerCall <= 0 {
			t.Errorf("%v is supported but has no measured cost", info.Strategy)
		}
	}
}

// TestReportedFeatures checks detection against what the caller knows of the
// machine: READMOSTLY_TEST_EXPECT lists strategy=state pairs, state being
// validated, rejected or unsupported. CI sets it for each qemu CPU model so
// that a path that should run there cannot silently be skipped.
func TestReportedFeatures(t *testing.T) {
	expect := os.Getenv("READMOSTLY_TEST_EXPECT")
	if expect == "" {
		t.Skip("READMOSTLY_TEST_EXPECT is not set")
	}
	report := Report()
	for _, pair := range strings.Split(expect, ",") {
		name, want, _ := strings.Cut(pair, "=")
		s, err := parseStrategy(name)
		if err != nil {
			t.Fatal(err)
		}
		info := report[s]
		got := "unsupported"
		switch {
		case info.Validated:
			got = "validated"
		case info.Supported:
			got = "rejected"
		}
		if got != want {
			t.Errorf("%v is %s, want %s (%s)", s, got, want, info.Note)
		}
	}
}

func TestUseRefusesAStrategyThatDidNotValidate(t *testing.T) {
	before := Active()
	for _, info := range Report() {
		if info.Validated {
			continue
		}
		if err := Use(info.Strategy); err == nil {
			t.Errorf("Use(%v) succeeded for a strategy that did not validate (%s)", info.Strategy, info.Note)
		}
	}
	if err := Use(numStrategies); err == nil {
		t.Error("Use of an unknown strategy succeeded")
	}
	if after := Active(); after != before {
		t.Fatalf("a refused Use changed the active strategy from %v to %v", before, after)
	}
}

func TestSlotCountCoversEveryAnswer(t *testing.T) {
	n := SlotCount()
	if n <= 0 || n&(n-1) != 0 {
		t.Fatalf("SlotCount() = %d, want a power of two", n)
	}
	if n < runtime.GOMAXPROCS(0) {
		t.Fatalf("SlotCount() = %d < GOMAXPROCS %d", n, runtime.GOMAXPROCS(0))
	}
	if cpus, err := sched.AllowedCPUs(); err == nil && cpus[len(cpus)-1] >= n {
		t.Fatalf("SlotCount() = %d but CPU %d is allowed", n, cpus[len(cpus)-1])
	}
}

func TestStrategyNamesRoundTrip(t *testing.T) {
	for s := range Strategy(numStrategies) {
		got, err := parseStrategy(s.String())
		if err != nil || got != s {
			t.Errorf("parseStrategy(%q) = %v, %v; want %v", s.String(), got, err, s)
		}
	}
	if _, err := parseStrategy("rdrand"); err == nil || !strings.Contains(err.Error(), "pid, rdpid") {
		t.Errorf("parseStrategy(rdrand) error = %v, want one listing the valid names", err)
	}
}

// TestOfferedFollowsTheFeatures checks the rows detection starts from, for
// machines this one is not: no assembly, no getcpu, no Linux, no bits.
func TestOfferedFollowsTheFeatures(t *testing.T) {
	all := features{getcpu: true, assembly: true, rdpid: true, rdtscp: true, gdtCPU: true}
	for _, c := range []struct {
		name        string
		f           features
		unsupported map[Strategy]string // strategy: what its note says
	}{
		{"everything", all, nil},
		{"no assembly", features{getcpu: true}, map[Strategy]string{
			RDPID: "no assembly", RDTSCP: "no assembly", LSL: "no assembly", CPUID: "no assembly"}},
		{"no getcpu", features{assembly: true, gdtCPU: true}, map[Strategy]string{
			Getcpu: "no getcpu system call", RDPID: "leaf 7 ECX bit 22", RDTSCP: "leaf 0x80000001 EDX bit 27"}},
		{"not Linux", features{assembly: true, rdpid: true, rdtscp: true}, map[Strategy]string{
			Getcpu: "no getcpu system call", LSL: "GDT segment is Linux's"}},
	} {
		info := offered(c.f)
		for s := range Strategy(numStrategies) {
			row := info[s]
			why, unsupported := c.unsupported[s]
			switch {
			case row.Strategy != s:
				t.Errorf("%s: row %d is for %v", c.name, s, row.Strategy)
			case row.Supported == unsupported:
				t.Errorf("%s: %v supported = %v (%s)", c.name, s, row.Supported, row.Note)
			case unsupported && !strings.Contains(row.Note, why):
				t.Errorf("%s: %v's note %q does not say %q", c.name, s, row.Note, why)
			case row.Validated != (row.Supported && (s == PID || s == Getcpu)):
				t.Errorf("%s: %v validated = %v before validation", c.name, s, row.Validated)
			}
		}
	}
}

// fakeMachine pretends to pin to CPUs, so that samplers can answer as a
// correct or a broken instruction would.
type fakeMachine struct{ on int }

func (f *fakeMachine) pin(cpu int) (func(), error) { f.on = cpu; return func() {}, nil }

func TestValidationRejectsWrongAnswersAndAcceptsRightOnes(t *testing.T) {
	cpus := []int{0, 1, 2, 3}
	f := &fakeMachine{}
	d := &detection{}
	for _, s := range hardwareStrategies {
		d.info[s] = StrategyInfo{Strategy: s, Supported: true}
	}
	d.validate(cpus, f.pin, map[Strategy]func() reading{
		// The host's CPU, as RDTSCP answers on a VM that runs it without its feature bit.
		RDTSCP: func() reading { return reading{raw: 59, ok: true} },
		// node 1, right CPU: the node bits must be masked off.
		RDPID: func() reading { return reading{raw: 1<<12 | uint32(f.on), ok: true} },
		// ZF clear: the segment does not exist.
		LSL: func() reading { return reading{} },
		// qemu-user: APIC id 0 everywhere.
		CPUID: func() reading { return reading{raw: 0, ok: true} },
	}, nil)
	for _, c := range []struct {
		s         Strategy
		validated bool
		note      string
	}{
		{RDTSCP, false, "on CPU 0 it answered 59"},
		{RDPID, true, ""},
		{LSL, false, "no answer on CPU 0"},
		{CPUID, false, "CPUs 0 and 1 report the same APIC id 0"},
	} {
		info := d.info[c.s]
		if info.Validated != c.validated || !strings.Contains(info.Note, c.note) {
			t.Errorf("%v: validated=%v note=%q; want validated=%v, note containing %q",
				c.s, info.Validated, info.Note, c.validated, c.note)
		}
	}
}

func TestValidationBuildsTheAPICTableFromDistinctIDs(t *testing.T) {
	m, err := newAPICMap([]int{0, 1}, []reading{{raw: 59, ok: true}, {raw: 132, ok: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[uint32]int{59: 0, 132: 1} {
		if cpu, ok := m.lookup(id); !ok || cpu != want {
			t.Errorf("lookup(%d) = %d, %v; want %d", id, cpu, ok, want)
		}
	}
	if _, ok := (*apicMap)(nil).lookup(59); ok {
		t.Error("lookup in a nil table succeeded")
	}
}

// TestValidationChecksAPICIDsAgainstTheKernel replays a virtual machine whose
// CPUID answered with the host's x2APIC ids (distinct, but not the guest's 0
// and 1; docs/benchmarks.md, section asm), next to a machine whose ids the
// kernel agrees with.
func TestValidationChecksAPICIDsAgainstTheKernel(t *testing.T) {
	kernel := map[int][]uint32{0: {0, 0}, 1: {2, 2}}
	if _, err := newAPICMap([]int{0, 1}, []reading{{raw: 59, ok: true}, {raw: 235, ok: true}}, kernel); err == nil ||
		!strings.Contains(err.Error(), "CPU 0 reports APIC id 59 where the kernel has [0 0]") {
		t.Errorf("host ids against the kernel's: err = %v", err)
	}
	m, err := newAPICMap([]int{0, 1}, []reading{{raw: 0, ok: true}, {raw: 2, ok: true}}, kernel)
	if err != nil {
		t.Fatalf("the kernel's own ids: %v", err)
	}
	if cpu, ok := m.lookup(2); !ok || cpu != 1 {
		t.Errorf("lookup(2) = %d, %v; want 1", cpu, ok)
	}
	// A CPU the kernel says nothing about is not held against the table.
	if _, err := newAPICMap([]int{0, 3}, []reading{{raw: 0, ok: true}, {raw: 7, ok: true}}, kernel); err != nil {
		t.Errorf("a CPU missing from the kernel's list: %v", err)
	}
}

func TestParseCPUInfoAPICIDs(t *testing.T) {
	const cpuinfo = `processor	: 0
vendor_id	: AuthenticAMD
physical id	: 0
apicid		: 0
initial apicid	: 0
flags		: fpu vme de

processor	: 1
vendor_id	: AuthenticAMD
apicid		: 34
initial apicid	: 2
`
	got := parseCPUInfoAPICIDs(strings.NewReader(cpuinfo))
	want := map[int][]uint32{0: {0, 0}, 1: {34, 2}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parsed %v, want %v", got, want)
	}
	for _, bad := range []string{"", "flags : fpu\n", "processor : x\napicid : 1\n", "apicid : 1\n"} {
		if got := parseCPUInfoAPICIDs(strings.NewReader(bad)); got != nil {
			t.Errorf("parsed %q to %v, want nil", bad, got)
		}
	}
}

// TestKernelAPICIDsAgreeWithCPUIDWhereValidated runs on the machine itself:
// if the CPUID strategy validated, the ids it maps are the kernel's.
func TestKernelAPICIDsAgreeWithCPUIDWhereValidated(t *testing.T) {
	if !Report()[CPUID].Validated {
		t.Skipf("CPUID did not validate here: %s", Report()[CPUID].Note)
	}
	kernel := kernelAPICIDs()
	for id, cpu := range *apicTable.Load() {
		if known, ok := kernel[cpu]; ok && !slices.Contains(known, id) {
			t.Errorf("CPU %d maps from APIC id %d, the kernel has %v", cpu, id, known)
		}
	}
}

func TestValidationRejectsEverythingWhenPinningFails(t *testing.T) {
	d := &detection{}
	d.info[LSL] = StrategyInfo{Strategy: LSL, Supported: true}
	d.validate([]int{0}, func(int) (func(), error) { return nil, errors.New("EPERM") },
		map[Strategy]func() reading{LSL: func() reading { return reading{ok: true} }}, nil)
	if d.info[LSL].Validated || !strings.Contains(d.info[LSL].Note, "could not pin to CPU 0") {
		t.Fatalf("LSL after a failed pin: %+v", d.info[LSL])
	}
}

func TestChooseHonoursAndExplainsTheEnvironment(t *testing.T) {
	prev := active.Load()
	defer active.Store(prev)
	d := &detection{}
	d.info[PID] = StrategyInfo{Strategy: PID, Supported: true, Validated: true, NsPerCall: 2}
	d.info[LSL] = StrategyInfo{Strategy: LSL, Supported: true, Validated: true, NsPerCall: 15}
	d.info[RDPID] = StrategyInfo{Strategy: RDPID, Note: "CPUID leaf 7 ECX bit 22 is clear"}
	for _, c := range []struct {
		env, want, msg string
	}{
		{"", "pid", ""},
		{"lsl", "lsl", ""},
		{"rdpid", "pid", "READMOSTLY_CPU=rdpid is not usable here (CPUID leaf 7 ECX bit 22 is clear); using pid"},
		{"fastest", "pid", `READMOSTLY_CPU=fastest: asm: unknown CPU strategy "fastest"`},
	} {
		var w bytes.Buffer
		d.choose(c.env, &w)
		if got := Strategy(active.Load()).String(); got != c.want {
			t.Errorf("env %q: chose %s, want %s", c.env, got, c.want)
		}
		if msg := w.String(); (c.msg == "") != (msg == "") || !strings.Contains(msg, c.msg) || strings.Count(msg, "\n") > 1 {
			t.Errorf("env %q: message %q, want one line containing %q", c.env, msg, c.msg)
		}
	}
}

// TestEnvironmentOverrideInAFreshProcess runs the real path: the variable is
// read by detection in a new process.
func TestEnvironmentOverrideInAFreshProcess(t *testing.T) {
	if os.Getenv("READMOSTLY_ASM_CHILD") != "" {
		t.Logf("active=%v", Active())
		return
	}
	for _, c := range []struct{ env, out string }{
		{"getcpu", "active=getcpu"},
		{"bogus", `unknown CPU strategy "bogus"`},
	} {
		if c.env == "getcpu" && !sched.Supported {
			continue
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvironmentOverrideInAFreshProcess$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "READMOSTLY_ASM_CHILD=1", EnvVar+"="+c.env)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), c.out) {
			t.Errorf("%s=%s: err=%v, output lacks %q:\n%s", EnvVar, c.env, err, c.out, out)
		}
	}
}

func TestProcPinIsCurrentUnderPID(t *testing.T) {
	useForTest(t, PID)
	if !UsesPID() {
		t.Fatal("UsesPID() = false with PID active")
	}
	procs := runtime.GOMAXPROCS(0)
	for range 1000 {
		p := ProcPin()
		ProcUnpin()
		if p < 0 || p >= procs {
			t.Fatalf("ProcPin() = %d, want [0, %d)", p, procs)
		}
	}
	for _, info := range validated(t) {
		if info.Strategy != PID {
			useForTest(t, info.Strategy)
			if UsesPID() {
				t.Fatalf("UsesPID() = true with %v active", info.Strategy)
			}
			break
		}
	}
}

// TestDetectIdle runs detection on goroutines of their own, twice; it runs
// once, Report waits for it, and the goroutines and their threads are gone
// by the end of the package's tests (goleak).
func TestDetectIdle(t *testing.T) {
	go DetectIdle()
	go DetectIdle()
	if got := Report(); len(got) != int(numStrategies) {
		t.Fatalf("Report after DetectIdle has %d rows, want %d", len(got), numStrategies)
	}
	if n := SlotCount(); n < runtime.GOMAXPROCS(0) || n&(n-1) != 0 {
		t.Fatalf("SlotCount() = %d, want a power of two of at least GOMAXPROCS", n)
	}
}
