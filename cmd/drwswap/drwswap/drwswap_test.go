package drwswap_test

import (
	"bytes"
	"encoding/json"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/readmostly/readmostly/cmd/drwswap/drwswap"
	"github.com/readmostly/readmostly/drwmutex"
	"github.com/readmostly/readmostly/tests"
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
)

// The testdata directory is a module that requires this repository's root
// module, so that fixed files import the real drwmutex.

// fixed lists the testdata packages analyzed with the default flags; each
// one that gets a fix has .golden files.
var fixed = []string{
	"./plainvar", "./field", "./embedded", "./writeheavy", "./exported",
	"./needsparam", "./needsfield", "./needsreturn", "./needs",
	"./locker", "./aliased", "./hasdrw", "./notcandidates",
}

// TestMain runs the tests under goleak, as every package of the project does.
func TestMain(m *testing.M) { tests.VerifyMain(m) }

func TestVerdictsAndFixes(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, testdata(t), drwswap.Analyzer, fixed...)
}

func TestRatio(t *testing.T) {
	withFlag(t, "ratio", "3")
	analysistest.Run(t, testdata(t), drwswap.Analyzer, "./ratio")
}

func TestExported(t *testing.T) {
	withFlag(t, "exported", "true")
	analysistest.RunWithSuggestedFixes(t, testdata(t), drwswap.Analyzer, "./exportedfix")
}

func TestBadRatio(t *testing.T) {
	withFlag(t, "ratio", "-1")
	var rec recorder
	analysistest.Run(&rec, testdata(t), drwswap.Analyzer, "./plainvar")
	if !slices.ContainsFunc(rec.errors, func(e string) bool { return strings.Contains(e, "-ratio must be a number >= 0") }) {
		t.Errorf("-ratio -1: want the error %q, got %q", "-ratio must be a number >= 0", rec.errors)
	}
}

// A recorder is an analysistest.Testing that keeps the errors it is given.
type recorder struct{ errors []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, strings.TrimSpace(strings.ReplaceAll(format, "%v", "")))
	for _, a := range args {
		if err, ok := a.(error); ok {
			r.errors = append(r.errors, err.Error())
		}
	}
}

// TestFixesAlone applies each file's fixes as an editor applies them, with
// no import clean-up afterwards: where a file gets exactly one fix, the
// result after gofmt must be its .golden file byte for byte, so the fix itself
// adds the import in its place and drops an unused sync import. (gofmt is
// needed where a longer type name shifts the alignment of a struct's columns;
// the -fix command formats the files it writes.)
func TestFixesAlone(t *testing.T) {
	results := analysistest.Run(t, testdata(t), drwswap.Analyzer, fixed...)
	checked := 0
	for _, r := range results {
		byFile := make(map[string][]analysis.SuggestedFix)
		for _, d := range r.Diagnostics {
			for _, fix := range d.SuggestedFixes {
				name := r.Pass.Fset.File(fix.TextEdits[0].Pos).Name()
				byFile[name] = append(byFile[name], fix)
			}
		}
		for name, fixes := range byFile {
			if len(fixes) != 1 {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(name + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			got, err := format.Source(apply(t, r.Pass, src, fixes[0].TextEdits))
			if err != nil {
				t.Errorf("%s: the fix alone does not parse: %v", name, err)
			} else if !bytes.Equal(got, want) {
				t.Errorf("%s: the fix alone gives\n%s\nwant (%s.golden)\n%s", name, got, filepath.Base(name), want)
			}
			checked++
		}
	}
	if checked < 5 {
		t.Errorf("checked %d single-fix files, want at least 5 (plainvar, embedded, locker, aliased, hasdrw...)", checked)
	}
}

func apply(t *testing.T, pass *analysis.Pass, src []byte, edits []analysis.TextEdit) []byte {
	t.Helper()
	edits = slices.Clone(edits)
	slices.SortStableFunc(edits, func(a, b analysis.TextEdit) int { return int(a.Pos - b.Pos) })
	var out []byte
	last := 0
	for _, e := range edits {
		tf := pass.Fset.File(e.Pos)
		start, end := tf.Offset(e.Pos), tf.Offset(e.End)
		if start < last {
			t.Fatalf("overlapping edits at offset %d", start)
		}
		out = append(append(out, src[last:start]...), e.NewText...)
		last = end
	}
	return append(out, src[last:]...)
}

// TestGoldenFilesBuild vets the packages with their .golden files in place
// of their sources, and checks that the golden files are gofmt-formatted.
func TestGoldenFilesBuild(t *testing.T) {
	dir := testdata(t)
	goldens, err := filepath.Glob(filepath.Join(dir, "*", "*.go.golden"))
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden files in %s (%v)", dir, err)
	}
	overlay := map[string]map[string]string{"Replace": {}}
	var pkgs []string
	for _, g := range goldens {
		content, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		if formatted, err := format.Source(content); err != nil || !bytes.Equal(formatted, content) {
			t.Errorf("%s is not gofmt-formatted (%v)", g, err)
		}
		overlay["Replace"][strings.TrimSuffix(g, ".golden")] = g
		if pkg := "./" + filepath.Base(filepath.Dir(g)); !slices.Contains(pkgs, pkg) {
			pkgs = append(pkgs, pkg)
		}
	}
	js, err := json.Marshal(overlay)
	if err != nil {
		t.Fatal(err)
	}
	overlayFile := filepath.Join(t.TempDir(), "overlay.json")
	if err := os.WriteFile(overlayFile, js, 0o666); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", append([]string{"vet", "-overlay=" + overlayFile}, pkgs...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("go vet %s with the golden files: %v\n%s", pkgs, err, out)
	}
}

// TestSameMethods checks the premise of every swap: *drwmutex.RWMutex has
// exactly the methods of *sync.RWMutex, with the same signatures.
func TestSameMethods(t *testing.T) {
	syncT := reflect.TypeFor[*sync.RWMutex]()
	drwT := reflect.TypeFor[*drwmutex.RWMutex]()
	if syncT.NumMethod() != drwT.NumMethod() {
		t.Errorf("*sync.RWMutex has %d methods, *drwmutex.RWMutex %d", syncT.NumMethod(), drwT.NumMethod())
	}
	for i := range syncT.NumMethod() {
		m := syncT.Method(i)
		d, ok := drwT.MethodByName(m.Name)
		if !ok {
			t.Errorf("*drwmutex.RWMutex has no method %s", m.Name)
			continue
		}
		// Compare without the receiver, the first parameter.
		if !sameSignature(m.Type, d.Type) {
			t.Errorf("%s: *sync.RWMutex's is %v, *drwmutex.RWMutex's is %v", m.Name, m.Type, d.Type)
		}
	}
}

func sameSignature(a, b reflect.Type) bool {
	if a.NumIn() != b.NumIn() || a.NumOut() != b.NumOut() {
		return false
	}
	for i := 1; i < a.NumIn(); i++ {
		if a.In(i) != b.In(i) {
			return false
		}
	}
	for i := range a.NumOut() {
		if a.Out(i) != b.Out(i) {
			return false
		}
	}
	return true
}

func testdata(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// withFlag sets one of the analyzer's flags for the test.
func withFlag(t *testing.T, name, value string) {
	t.Helper()
	f := drwswap.Analyzer.Flags.Lookup(name)
	old := f.Value.String()
	if err := f.Value.Set(value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Value.Set(old) })
}
