package tests

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// measured matches a timing or a speed-up in prose: "4.5 ns", "1.2-2.6 ns",
// "about 1 ms", "3.0x". Durations that are part of an API's contract
// (a timeout, a sleep) are written as Go expressions, not in prose, and
// a comment that must quote one can say it in words.
var measured = regexp.MustCompile(`\b\d+(\.\d+)?(-\d+(\.\d+)?)? ?(ns|µs|us|ms)\b|\b\d+\.\d+x\b`)

// TestNoFiguresInDocComments keeps measured numbers out of the doc comments
// of the repository's non-test Go files: figures drift as code and machines
// change, so they live in docs/benchmarks.md, next to the command and the
// machine that produced them, and doc comments say in words what is cheap
// and what is not.
func TestNoFiguresInDocComments(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		checked++
		rel, _ := filepath.Rel(root, path)
		for _, doc := range docComments(f) {
			for _, line := range strings.Split(doc.Text(), "\n") {
				if m := measured.FindString(line); m != "" {
					t.Errorf("%s:%d: doc comment quotes a measured figure (%q); move it to docs/benchmarks.md: %s",
						rel, fset.Position(doc.Pos()).Line, m, strings.TrimSpace(line))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Fatalf("checked only %d files under %s: the walk is broken", checked, root)
	}
}

// docComments returns the doc comments of f: the package's and those of its
// top-level declarations, their fields and methods of interfaces included.
func docComments(f *ast.File) []*ast.CommentGroup {
	var docs []*ast.CommentGroup
	add := func(g *ast.CommentGroup) {
		if g != nil {
			docs = append(docs, g)
		}
	}
	add(f.Doc)
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			add(n.Doc)
			return false // comments inside bodies are not docs
		case *ast.GenDecl:
			add(n.Doc)
		case *ast.TypeSpec:
			add(n.Doc)
		case *ast.ValueSpec:
			add(n.Doc)
		case *ast.Field:
			add(n.Doc)
		}
		return true
	})
	return docs
}
