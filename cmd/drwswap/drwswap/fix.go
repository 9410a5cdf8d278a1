package drwswap

import (
	"go/ast"
	"go/token"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// swapFix returns the fix for a swap verdict: the lock's type expressions
// become drwmutex.RWMutex, the file imports drwmutex, and its sync import
// goes if nothing else in the file uses it. The edits leave the file
// gofmt-formatted.
func (p *pkg) swapFix(lk *lock) []analysis.SuggestedFix {
	tf := p.pass.Fset.File(lk.file.FileStart)
	content, err := p.pass.ReadFile(tf.Name())
	if err != nil || len(content) != tf.Size() {
		return nil // no fix is better than one computed from other bytes
	}
	src := source{tf, content}
	qual, spec := p.drwmutexName(lk.file)
	var edits []analysis.TextEdit
	for _, e := range lk.typeExprs {
		edits = append(edits, analysis.TextEdit{Pos: e.Pos(), End: e.End(), NewText: []byte(qual + "RWMutex")})
	}
	edits = append(edits, src.importEdits(lk.file, p.unusedSync(lk), spec)...)
	return []analysis.SuggestedFix{{
		Message:   "Use drwmutex.RWMutex for " + lk.name,
		TextEdits: edits,
	}}
}

// drwmutexName returns the qualifier under which the file refers to
// drwmutex ("drwmutex.", or "" after a dot import) and, if the file does not
// import it yet, the import spec to add.
func (p *pkg) drwmutexName(f *ast.File) (qual, spec string) {
	taken := p.pass.Pkg.Scope().Lookup("drwmutex") != nil
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		pn := p.pass.TypesInfo.PkgNameOf(imp)
		switch {
		case path == DrwmutexPath && imp.Name == nil:
			return pn.Name() + ".", ""
		case path == DrwmutexPath && imp.Name.Name == ".":
			return "", ""
		case path == DrwmutexPath && imp.Name.Name != "_":
			return imp.Name.Name + ".", ""
		case pn != nil && pn.Name() == "drwmutex":
			taken = true
		}
	}
	if taken {
		return "readmostlydrwmutex.", "readmostlydrwmutex " + strconv.Quote(DrwmutexPath)
	}
	return "drwmutex.", strconv.Quote(DrwmutexPath)
}

// unusedSync returns the file's import of sync if the lock's type
// expressions are its only uses, so that the fix must remove it.
func (p *pkg) unusedSync(lk *lock) *ast.ImportSpec {
	info := p.pass.TypesInfo
	for _, imp := range lk.file.Imports {
		if imp.Path.Value != `"sync"` || imp.Name != nil && imp.Name.Name == "_" {
			continue
		}
		pn := info.PkgNameOf(imp)
		if pn == nil {
			continue
		}
		dot := imp.Name != nil && imp.Name.Name == "."
		inside, outside := 0, 0
		ast.Inspect(lk.file, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			obj := info.Uses[id]
			if obj == nil || !(obj == pn || dot && obj.Pkg() == pn.Imported() && obj.Parent() == pn.Imported().Scope()) {
				return true
			}
			if slices.ContainsFunc(lk.typeExprs, func(e ast.Expr) bool { return nodeWithin(id, e) }) {
				inside++
			} else {
				outside++
			}
			return true
		})
		if inside > 0 && outside == 0 {
			return imp
		}
	}
	return nil
}

// source is a file's content, addressed by line.
type source struct {
	tf      *token.File
	content []byte
}

func (s source) line(pos token.Pos) int { return s.tf.Line(pos) }

func (s source) start(line int) token.Pos { return s.tf.LineStart(line) }

// end is the position after line's newline.
func (s source) end(line int) token.Pos {
	if line < s.tf.LineCount() {
		return s.tf.LineStart(line + 1)
	}
	return token.Pos(s.tf.Base() + s.tf.Size())
}

// text is line's content, "" for lines outside the file.
func (s source) text(line int) string {
	if line < 1 || line > s.tf.LineCount() {
		return ""
	}
	return strings.TrimSpace(string(s.content[s.tf.Offset(s.start(line)):s.tf.Offset(s.end(line))]))
}

func (s source) blank(line int) bool {
	return line >= 1 && line <= s.tf.LineCount() && s.text(line) == ""
}

// importEdits removes the import spec remove (if not nil) and adds the
// import spec add (if not "").
func (s source) importEdits(f *ast.File, remove *ast.ImportSpec, add string) []analysis.TextEdit {
	if remove != nil && add != "" && wholeDecl(importDecl(f, remove)) {
		// import "sync" becomes import "…/drwmutex" in place.
		return []analysis.TextEdit{{Pos: remove.Pos(), End: remove.Path.End(), NewText: []byte(add)}}
	}
	var edits []analysis.TextEdit
	if remove != nil {
		edits = append(edits, s.removeImport(f, remove))
	}
	if add != "" {
		edits = append(edits, s.addImport(f, remove, add))
	}
	return edits
}

// importDecl returns the import declaration holding spec.
func importDecl(f *ast.File, spec *ast.ImportSpec) *ast.GenDecl {
	for _, decl := range f.Decls {
		if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.IMPORT && slices.Contains(gd.Specs, ast.Spec(spec)) {
			return gd
		}
	}
	return nil
}

// wholeDecl reports whether removing spec removes its whole declaration.
func wholeDecl(gd *ast.GenDecl) bool {
	return !gd.Lparen.IsValid() || len(gd.Specs) == 1
}

// removeImport deletes spec's lines (or its declaration's, if it is the only
// spec), and one blank line too where two would meet.
func (s source) removeImport(f *ast.File, spec *ast.ImportSpec) analysis.TextEdit {
	gd := importDecl(f, spec)
	var node ast.Node = spec
	if wholeDecl(gd) {
		node = gd
	}
	first, last := s.line(node.Pos()), s.line(node.End())
	switch {
	case s.blank(last+1) && (s.blank(first-1) || strings.HasSuffix(s.text(first-1), "(")):
		last++
	case s.blank(first-1) && strings.HasPrefix(s.text(last+1), ")"):
		first--
	}
	return analysis.TextEdit{Pos: s.start(first), End: s.end(last)}
}

// addImport inserts spec: in sorted place in the last group of non-standard
// imports of the last parenthesized import declaration, or as a new group
// at its end; without such a declaration, it turns the last one into one.
func (s source) addImport(f *ast.File, removed *ast.ImportSpec, spec string) analysis.TextEdit {
	var decls []*ast.GenDecl
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT || removed != nil && importDecl(f, removed) == gd && wholeDecl(gd) {
			continue
		}
		decls = append(decls, gd)
	}
	var paren *ast.GenDecl
	for _, gd := range decls {
		if gd.Lparen.IsValid() {
			paren = gd
		}
	}
	if paren == nil {
		// import "sync" becomes a parenthesized declaration with two groups,
		// as goimports writes it.
		last := decls[len(decls)-1]
		only := last.Specs[0].(*ast.ImportSpec)
		text := "import (\n\t" + string(s.content[s.tf.Offset(only.Pos()):s.tf.Offset(only.End())]) + "\n\n\t" + spec + "\n)"
		return analysis.TextEdit{Pos: last.Pos(), End: last.End(), NewText: []byte(text)}
	}
	var specs []*ast.ImportSpec
	for _, sp := range paren.Specs {
		if sp != ast.Spec(removed) {
			specs = append(specs, sp.(*ast.ImportSpec))
		}
	}
	path, _ := strconv.Unquote(spec[strings.IndexByte(spec, '"'):])
	var groups [][]*ast.ImportSpec // runs of specs on consecutive lines
	for i, sp := range specs {
		if i == 0 || s.line(sp.Pos())-s.line(specs[i-1].End()) > 1 {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], sp)
	}
	var group []*ast.ImportSpec // the last group of non-standard imports
	for _, g := range groups {
		if !isStd(g[0]) {
			group = g
		}
	}
	if group == nil {
		after := s.end(s.line(specs[len(specs)-1].End()))
		return analysis.TextEdit{Pos: after, End: after, NewText: []byte("\n\t" + spec + "\n")}
	}
	for _, sp := range group {
		if p, _ := strconv.Unquote(sp.Path.Value); p > path {
			at := s.start(s.line(sp.Pos()))
			return analysis.TextEdit{Pos: at, End: at, NewText: []byte("\t" + spec + "\n")}
		}
	}
	after := s.end(s.line(group[len(group)-1].End()))
	return analysis.TextEdit{Pos: after, End: after, NewText: []byte("\t" + spec + "\n")}
}

// isStd reports whether spec imports a standard package, whose path's first
// element has no dot.
func isStd(spec *ast.ImportSpec) bool {
	path, _ := strconv.Unquote(spec.Path.Value)
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}
