package drwswap

import (
	"flag"
	"fmt"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// report reports one lock: its verdict, its counts, and as related
// information its call sites and the uses that need its type; a swap comes
// with its fix.
func (p *pkg) report(lk *lock) {
	counts := plural(len(lk.reads), "read call site") + ", " + plural(len(lk.writes), "write call site")
	var msg string
	var fixes []analysis.SuggestedFix
	switch {
	case len(lk.needs) > 0:
		n := lk.needs[0]
		msg = fmt.Sprintf("%s: keep, needs the type (%s): %s at %s", lk.name, counts, n.why, p.shortPos(n.pos))
	case lk.exported && !swapExports:
		msg = fmt.Sprintf("%s: keep, exported (%s): changing its type changes the package's API; -exported swaps it anyway", lk.name, counts)
	case float64(len(lk.reads)) < ratio*float64(len(lk.writes)):
		msg = fmt.Sprintf("%s: keep, write-heavy (%s): a swap needs at least %g times as many read call sites as write call sites (-ratio)", lk.name, counts, ratio)
	default:
		msg = fmt.Sprintf("%s: swap for drwmutex.RWMutex (%s)", lk.name, counts)
		fixes = p.swapFix(lk)
	}
	var related []analysis.RelatedInformation
	for _, s := range lk.reads {
		related = append(related, analysis.RelatedInformation{Pos: s.pos, Message: "read: " + s.method})
	}
	for _, s := range lk.writes {
		related = append(related, analysis.RelatedInformation{Pos: s.pos, Message: "write: " + s.method})
	}
	for _, n := range lk.needs {
		related = append(related, analysis.RelatedInformation{Pos: n.pos, Message: "needs the type: " + n.why})
	}
	p.pass.Report(analysis.Diagnostic{
		Pos:            lk.pos,
		Message:        msg,
		Related:        related,
		SuggestedFixes: fixes,
	})
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// shortPos is a position as file.go:line:col, without the directory.
func (p *pkg) shortPos(pos token.Pos) string {
	posn := p.pass.Fset.Position(pos)
	return fmt.Sprintf("%s:%d:%d", filepath.Base(posn.Filename), posn.Line, posn.Column)
}

// deferToTestVariant reports whether the pass analyzes a package without its
// in-package _test.go files, while another pass (the package's test variant,
// which go vet and drwswap analyze) includes them. Only that pass can tell
// whether the tests need a lock's type, so only it reports.
func deferToTestVariant(pass *analysis.Pass) bool {
	if len(pass.Files) == 0 || !includeTests() {
		return false
	}
	dir := ""
	for _, f := range pass.Files {
		name := pass.Fset.File(f.Pos()).Name()
		if strings.HasSuffix(name, "_test.go") {
			return false
		}
		dir = filepath.Dir(name)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, "_test.go") {
			continue
		}
		if ok, err := build.Default.MatchFile(dir, name); err != nil || !ok {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.PackageClauseOnly)
		if err == nil && f.Name.Name == pass.Pkg.Name() {
			return true
		}
	}
	return false
}

// includeTests reports whether the driver analyzes test variants: drwswap's
// -test flag says so, true by default; go vet always does.
func includeTests() bool {
	f := flag.Lookup("test")
	return f == nil || f.Value.String() != "false"
}
