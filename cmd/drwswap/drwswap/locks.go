package drwswap

import (
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// A lock is one candidate: the package-level sync.RWMutex values declared by
// one type expression (var a, b sync.RWMutex is one lock, since one edit
// changes both).
type lock struct {
	name      string       // as the report names it: "mu", "cache.mu", "cacheT.mu (in a, b)"
	pos       token.Pos    // the first declared name
	objs      []*types.Var // the package-level variables, or the struct fields
	typeExprs []ast.Expr   // every sync.RWMutex that the fix rewrites
	file      *ast.File    // the file holding typeExprs
	holders   []*types.Var // for a field lock, the package-level vars holding it
	structs   []ast.Node   // for a field lock, the struct type literals enclosing it, outermost first
	exported  bool         // reachable by name from other packages
	reads     []site
	writes    []site
	needs     []need // why the type must stay sync.RWMutex; the first is reported
}

// A site is a call of one of the lock's methods (or a method value).
type site struct {
	pos    token.Pos
	method string
}

// A need is a use that depends on the lock's type being sync.RWMutex.
type need struct {
	pos token.Pos
	why string
}

func (lk *lock) need(pos token.Pos, why string) {
	lk.needs = append(lk.needs, need{pos, why})
}

// pkg is what one pass knows about sync.RWMutex and the package's locks.
type pkg struct {
	pass   *analysis.Pass
	insp   *inspector.Inspector
	rwName *types.TypeName // sync.RWMutex
	rwType types.Type
	rwPtr  types.Type // *sync.RWMutex
}

// newPackage returns nil if the package does not import sync, in which case
// no declaration can spell sync.RWMutex.
func newPackage(pass *analysis.Pass) *pkg {
	for _, imp := range pass.Pkg.Imports() {
		if imp.Path() != "sync" {
			continue
		}
		tn, ok := imp.Scope().Lookup("RWMutex").(*types.TypeName)
		if !ok {
			return nil
		}
		return &pkg{
			pass:   pass,
			insp:   pass.ResultOf[inspect.Analyzer].(*inspector.Inspector),
			rwName: tn,
			rwType: tn.Type(),
			rwPtr:  types.NewPointer(tn.Type()),
		}
	}
	return nil
}

// isRWMutex reports whether t is sync.RWMutex.
func (p *pkg) isRWMutex(t types.Type) bool {
	return t != nil && types.Identical(t, p.rwType)
}

// spellsRWMutex reports whether the type expression e names sync.RWMutex
// directly (sync.RWMutex, s.RWMutex for an aliased import, or RWMutex after
// a dot import), so that rewriting e changes exactly that type.
func (p *pkg) spellsRWMutex(e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.SelectorExpr:
		if _, ok := p.pass.TypesInfo.Uses[identOf(e.X)].(*types.PkgName); !ok {
			return false
		}
		return p.pass.TypesInfo.Uses[e.Sel] == p.rwName
	case *ast.Ident:
		return p.pass.TypesInfo.Uses[e] == p.rwName
	}
	return false
}

func identOf(e ast.Expr) *ast.Ident {
	id, _ := ast.Unparen(e).(*ast.Ident)
	return id
}

// findLocks returns the package's candidates, each with its call sites and
// the uses that need its type.
func (p *pkg) findLocks() []*lock {
	var (
		locks []*lock
		named = make(map[*types.TypeName][]*ast.Ident) // struct types of package-level vars
	)
	for _, f := range p.pass.Files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				locks = append(locks, p.varLocks(f, spec.(*ast.ValueSpec), named)...)
			}
		}
	}
	locks = append(locks, p.namedStructLocks(named)...)
	if len(locks) > 0 {
		p.scanUses(locks)
	}
	return locks
}

// varLocks returns the locks that one package-level var spec declares, and
// records in named the vars whose type is a struct type of this package.
func (p *pkg) varLocks(f *ast.File, vs *ast.ValueSpec, named map[*types.TypeName][]*ast.Ident) []*lock {
	var locks []*lock
	if vs.Type != nil && p.spellsRWMutex(vs.Type) {
		lk := &lock{pos: vs.Names[0].Pos(), typeExprs: []ast.Expr{vs.Type}, file: f}
		var names []string
		for i, id := range vs.Names {
			v := p.pass.TypesInfo.Defs[id].(*types.Var)
			lk.objs = append(lk.objs, v)
			names = append(names, id.Name)
			lk.exported = lk.exported || id.IsExported()
			if i < len(vs.Values) {
				p.initializer(lk, vs.Values[i])
			}
		}
		lk.name = strings.Join(names, ", ")
		return append(locks, lk)
	}
	walked := make(map[*ast.StructType]bool)
	for i, id := range vs.Names {
		if id.Name == "_" {
			continue
		}
		v := p.pass.TypesInfo.Defs[id].(*types.Var)
		var value ast.Expr
		if i < len(vs.Values) {
			value = vs.Values[i]
		}
		structExpr, _ := vs.Type.(*ast.StructType)
		if lit, ok := value.(*ast.CompositeLit); ok && vs.Type == nil {
			if p.spellsRWMutex(lit.Type) {
				lk := &lock{name: id.Name, pos: id.Pos(), objs: []*types.Var{v}, file: f, exported: id.IsExported()}
				p.initializer(lk, lit)
				locks = append(locks, lk)
				continue
			}
			structExpr, _ = lit.Type.(*ast.StructType)
		}
		if p.isRWMutex(v.Type()) {
			// var mu = f(), or var mu rw with type rw = sync.RWMutex.
			lk := &lock{name: id.Name, pos: id.Pos(), objs: []*types.Var{v}, file: f, exported: id.IsExported()}
			if value != nil {
				p.initializer(lk, value)
			} else {
				lk.need(id.Pos(), "its declaration does not spell sync.RWMutex, so rewriting it cannot change the type")
			}
			locks = append(locks, lk)
			continue
		}
		switch t := types.Unalias(v.Type()).(type) {
		case *types.Struct:
			if structExpr == nil || walked[structExpr] {
				break
			}
			// A struct type literal in vs.Type declares the fields of all
			// the spec's vars: walk it once, naming them all.
			walked[structExpr] = true
			holders := []*ast.Ident{id}
			if vs.Type != nil {
				holders = vs.Names
			}
			c := container{file: f}
			for _, h := range holders {
				if h.Name != "_" {
					c.vars = append(c.vars, p.pass.TypesInfo.Defs[h].(*types.Var))
					c.names = append(c.names, h.Name)
					c.reachable = c.reachable || h.IsExported()
				}
			}
			locks = append(locks, p.fieldLocks(c, structExpr, t, nil, nil)...)
		case *types.Named:
			tn := t.Obj()
			if _, ok := t.Underlying().(*types.Struct); ok && tn.Pkg() == p.pass.Pkg && tn.Parent() == p.pass.Pkg.Scope() && t.TypeParams() == nil {
				named[tn] = append(named[tn], id)
			}
		}
	}
	return locks
}

// initializer adds the composite literal value of a lock to what the fix
// rewrites, or, for any other value, records that the value fixes the type.
func (p *pkg) initializer(lk *lock, value ast.Expr) {
	if lit, ok := ast.Unparen(value).(*ast.CompositeLit); ok && len(lit.Elts) == 0 && p.spellsRWMutex(lit.Type) {
		lk.typeExprs = append(lk.typeExprs, lit.Type)
		return
	}
	lk.need(value.Pos(), "it is initialized from a sync.RWMutex value")
}

// A container describes the package-level vars whose struct type holds
// field locks.
type container struct {
	vars      []*types.Var // the package-level vars
	names     []string     // their names
	typeName  string       // the named struct type, if any
	reachable bool         // other packages can name the vars (or the type)
	file      *ast.File    // where the struct type literal is
}

// fieldLocks returns the locks among the fields of the struct type literal
// st (of type t), reached from the container through the field names in
// path, descending into fields of anonymous struct type.
func (p *pkg) fieldLocks(c container, st *ast.StructType, t *types.Struct, path []string, structs []ast.Node) []*lock {
	structs = append(structs[:len(structs):len(structs)], st)
	var locks []*lock
	i := 0 // index of the next field of t
	for _, field := range st.Fields.List {
		n := max(len(field.Names), 1) // an embedded field has no names
		fields := make([]*types.Var, n)
		for j := range fields {
			fields[j] = t.Field(i + j)
		}
		i += n
		switch {
		case p.spellsRWMutex(field.Type):
			lk := &lock{pos: field.Pos(), objs: fields, typeExprs: []ast.Expr{field.Type}, file: c.file, holders: c.vars, structs: structs}
			var names []string
			for _, fv := range fields {
				fieldPath := append(path[:len(path):len(path)], fv.Name())
				names = append(names, c.describe(fieldPath))
				lk.exported = lk.exported || c.reachable && allExported(fieldPath)
			}
			lk.name = strings.Join(names, ", ")
			lk.exported = lk.exported || c.typeName != "" && token.IsExported(c.typeName)
			locks = append(locks, lk)
		case p.isRWMutex(fields[0].Type()):
			lk := &lock{pos: field.Pos(), objs: fields, file: c.file, holders: c.vars, structs: structs}
			lk.name = c.describe(append(path[:len(path):len(path)], fields[0].Name()))
			lk.need(field.Type.Pos(), "its declaration does not spell sync.RWMutex, so rewriting it cannot change the type")
			locks = append(locks, lk)
		default:
			inner, ok := field.Type.(*ast.StructType)
			if !ok {
				continue
			}
			innerType := fields[0].Type().Underlying().(*types.Struct)
			for _, fv := range fields {
				locks = append(locks, p.fieldLocks(c, inner, innerType, append(path[:len(path):len(path)], fv.Name()), structs)...)
			}
		}
	}
	return locks
}

// describe names a field lock: cache.mu, or a.mu, b.mu when one struct
// type literal declares several vars, or cacheT.mu (in a, b) for a named
// struct type.
func (c container) describe(path []string) string {
	fields := strings.Join(path, ".")
	if c.typeName != "" {
		if len(c.names) == 1 {
			return c.names[0] + "." + fields
		}
		return c.typeName + "." + fields + " (in " + strings.Join(c.names, ", ") + ")"
	}
	var names []string
	for _, n := range c.names {
		names = append(names, n+"."+fields)
	}
	return strings.Join(names, ", ")
}

func allExported(path []string) bool {
	for _, name := range path {
		if !token.IsExported(name) {
			return false
		}
	}
	return true
}

// namedStructLocks returns the field locks of the package's named struct
// types that are the types of package-level vars. Such a lock is a candidate
// only if every value of the type is a package-level var; if not, it is
// reported as kept with the first use that makes another value.
func (p *pkg) namedStructLocks(named map[*types.TypeName][]*ast.Ident) []*lock {
	if len(named) == 0 {
		return nil
	}
	specs := make(map[*types.TypeName]*ast.TypeSpec)
	files := make(map[*types.TypeName]*ast.File)
	for _, f := range p.pass.Files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if tn, ok := p.pass.TypesInfo.Defs[ts.Name].(*types.TypeName); ok && named[tn] != nil {
					specs[tn], files[tn] = ts, f
				}
			}
		}
	}
	var locks []*lock
	for _, tn := range slices.SortedFunc(maps.Keys(named), func(a, b *types.TypeName) int { return int(a.Pos() - b.Pos()) }) {
		ids := named[tn]
		ts := specs[tn]
		st, ok := ts.Type.(*ast.StructType)
		if !ok || ts.Assign.IsValid() {
			continue // type T otherT, or an alias
		}
		c := container{typeName: tn.Name(), file: files[tn], reachable: tn.Exported()}
		for _, id := range ids {
			c.vars = append(c.vars, p.pass.TypesInfo.Defs[id].(*types.Var))
			c.names = append(c.names, id.Name)
			c.reachable = c.reachable || id.IsExported()
		}
		found := p.fieldLocks(c, st, tn.Type().Underlying().(*types.Struct), nil, nil)
		if len(found) == 0 {
			continue
		}
		if pos, how := p.otherValue(tn); pos.IsValid() {
			for _, lk := range found {
				lk.need(pos, tn.Name()+" also makes values that are not package-level vars ("+how+"), so the lock would be in every one of them")
			}
		}
		locks = append(locks, found...)
	}
	return locks
}

// otherValue returns the first use of the struct type tn that can make a
// value other than a package-level var of type tn, and what it is. Allowed:
// the type of a package-level var spec or the type of its composite literal
// value, a method receiver, and *tn.
func (p *pkg) otherValue(tn *types.TypeName) (token.Pos, string) {
	var (
		pos token.Pos
		how string
	)
	p.insp.WithStack([]ast.Node{(*ast.Ident)(nil)}, func(n ast.Node, push bool, stack []ast.Node) bool {
		id := n.(*ast.Ident)
		if !push || pos.IsValid() || p.pass.TypesInfo.Uses[id] != tn {
			return true
		}
		if ok, what := valueFreeUse(stack); !ok {
			pos, how = id.Pos(), what
		}
		return true
	})
	return pos, how
}

// valueFreeUse reports whether the type name at the top of stack is used in
// a way that makes no value besides a package-level var; if not, it says how
// it is used.
func valueFreeUse(stack []ast.Node) (bool, string) {
	id := stack[len(stack)-1]
	parent := stack[len(stack)-2]
	for _, n := range stack {
		if fd, ok := n.(*ast.FuncDecl); ok && fd.Recv != nil && nodeWithin(id, fd.Recv) {
			return true, ""
		}
	}
	switch parent := parent.(type) {
	case *ast.StarExpr:
		return true, ""
	case *ast.ValueSpec:
		if parent.Type == id && len(stack) == 4 { // File, GenDecl, ValueSpec, Ident
			return true, ""
		}
		return false, "a local variable"
	case *ast.CompositeLit:
		if spec, ok := stack[len(stack)-3].(*ast.ValueSpec); ok && len(stack) == 5 {
			for _, v := range spec.Values {
				if v == parent {
					return true, ""
				}
			}
		}
		return false, "a composite literal"
	case *ast.CallExpr:
		if fn, ok := parent.Fun.(*ast.Ident); ok && fn.Name == "new" {
			return false, "new"
		}
		return false, "a conversion or call"
	case *ast.Field:
		return false, "a field, parameter or result"
	case ast.Expr:
		return false, types.ExprString(parent)
	}
	return false, "a declaration"
}

func nodeWithin(n, outer ast.Node) bool {
	return outer.Pos() <= n.Pos() && n.End() <= outer.End()
}
