package drwswap

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"
)

// reads and writes are the methods of sync.RWMutex, by the kind of call
// site they make.
var (
	reads  = []string{"RLock", "RUnlock", "TryRLock", "RLocker"}
	writes = []string{"Lock", "Unlock", "TryLock"}
)

// A ref says which lock a variable stands for.
type ref struct {
	lk  *lock
	ptr bool // the variable holds the lock's address: l := &mu
}

// A scan follows every use of the package's locks.
type scan struct {
	p          *pkg
	vars       map[types.Object]ref     // lock vars and the variables holding their addresses
	fields     map[types.Object]*lock   // field locks
	containers map[types.Object][]*lock // package-level vars holding field locks
	structs    map[*ast.StructType]bool // struct type literals declaring field locks
	record     bool                     // record sites and needs (the last round)
	grew       bool                     // this round found a new address-holding variable
}

// scanUses records, for each lock, its call sites and the uses that need its
// type. Variables declared from a lock's address (l := &mu) stand for the
// lock, so the walk repeats until no round finds a new one.
func (p *pkg) scanUses(locks []*lock) {
	s := &scan{
		p:          p,
		vars:       make(map[types.Object]ref),
		fields:     make(map[types.Object]*lock),
		containers: make(map[types.Object][]*lock),
		structs:    make(map[*ast.StructType]bool),
	}
	for _, lk := range locks {
		for _, v := range lk.objs {
			if lk.holders == nil {
				s.vars[v] = ref{lk: lk}
			} else {
				s.fields[v] = lk
			}
		}
		for _, h := range lk.holders {
			if !slices.Contains(s.containers[h], lk) {
				s.containers[h] = append(s.containers[h], lk)
			}
		}
		for _, st := range lk.structs {
			s.structs[st.(*ast.StructType)] = true
		}
	}
	for s.grew = true; s.grew; {
		s.grew = false
		s.walk()
	}
	s.record = true
	s.walk()
}

func (s *scan) walk() {
	info := s.p.pass.TypesInfo
	filter := []ast.Node{(*ast.Ident)(nil), (*ast.SelectorExpr)(nil), (*ast.StructType)(nil)}
	s.p.insp.WithStack(filter, func(n ast.Node, push bool, stack []ast.Node) bool {
		if !push {
			return true
		}
		switch n := n.(type) {
		case *ast.Ident:
			obj := info.Uses[n]
			if r, ok := s.vars[obj]; ok {
				s.lockExpr(r, stack)
			}
			if lks, ok := s.containers[obj]; ok {
				s.containerExpr(lks, stack)
			}
			if kv, ok := stack[len(stack)-2].(*ast.KeyValueExpr); ok && kv.Key == n && s.fields[obj] != nil {
				// T{mu: sync.RWMutex{}}
				s.need(s.fields[obj], n.Pos(), "it is set in a composite literal")
			}
		case *ast.SelectorExpr:
			sel := info.Selections[n]
			if sel == nil {
				break // a qualified identifier
			}
			switch sel.Kind() {
			case types.FieldVal:
				if lk := s.fields[sel.Obj()]; lk != nil {
					s.lockExpr(ref{lk: lk}, stack)
				}
			case types.MethodVal:
				// mu.RLock is seen from mu; cache.RLock, promoted from an
				// embedded lock, only here.
				if lk := s.embeddedLock(sel); lk != nil {
					if m := s.rwMethod(n); m != "" {
						s.site(lk, n.Sel.Pos(), m)
					}
				}
			}
		case *ast.StructType:
			s.structType(n)
		}
		return true
	})
}

// embeddedLock returns the field lock through which the method selection
// sel is promoted, if any.
func (s *scan) embeddedLock(sel *types.Selection) *lock {
	path := sel.Index()
	t := sel.Recv()
	for _, i := range path[:len(path)-1] {
		if ptr, ok := t.Underlying().(*types.Pointer); ok {
			t = ptr.Elem()
		}
		st, ok := t.Underlying().(*types.Struct)
		if !ok {
			return nil
		}
		f := st.Field(i)
		if lk := s.fields[f]; lk != nil {
			return lk
		}
		t = f.Type()
	}
	return nil
}

// rwMethod returns the name of the sync.RWMutex method that sel selects,
// or "".
func (s *scan) rwMethod(sel *ast.SelectorExpr) string {
	selection := s.p.pass.TypesInfo.Selections[sel]
	if selection == nil || selection.Kind() != types.MethodVal {
		return ""
	}
	fn, ok := selection.Obj().(*types.Func)
	if !ok {
		return ""
	}
	recv := fn.Signature().Recv()
	if recv == nil {
		return ""
	}
	t := recv.Type()
	if ptr, ok := t.(*types.Pointer); ok {
		t = ptr.Elem()
	}
	if !s.p.isRWMutex(t) {
		return ""
	}
	return fn.Name()
}

func (s *scan) site(lk *lock, pos token.Pos, method string) {
	if !s.record || s.inTest(pos) {
		return
	}
	switch {
	case slices.Contains(reads, method):
		lk.reads = append(lk.reads, site{pos, method})
	case slices.Contains(writes, method):
		lk.writes = append(lk.writes, site{pos, method})
	}
}

func (s *scan) need(lk *lock, pos token.Pos, why string) {
	if s.record {
		lk.need(pos, why)
	}
}

func (s *scan) inTest(pos token.Pos) bool {
	return strings.HasSuffix(s.p.pass.Fset.File(pos).Name(), "_test.go")
}

// lockExpr follows one use of a lock: the top of stack is an expression
// that denotes the lock (mu, cache.mu), or holds its address if r.ptr.
func (s *scan) lockExpr(r ref, stack []ast.Node) {
	stack = unparen(stack)
	e, parent := stack[len(stack)-1], stack[len(stack)-2]
	if sel, ok := parent.(*ast.SelectorExpr); ok && sel.X == e {
		if m := s.rwMethod(sel); m != "" {
			s.site(r.lk, sel.Sel.Pos(), m)
		}
		return
	}
	if u, ok := parent.(*ast.UnaryExpr); ok && u.Op == token.AND && !r.ptr {
		s.flow(r.lk, stack[:len(stack)-1], true)
		return
	}
	s.flow(r.lk, stack, r.ptr)
}

// flow judges where the value at the top of stack goes: the lock's address
// if ptr, else the lock itself.
func (s *scan) flow(lk *lock, stack []ast.Node, ptr bool) {
	stack = unparen(stack)
	pos := stack[len(stack)-1].Pos()
	d := s.dest(stack)
	switch {
	case d.why != "":
		s.need(lk, pos, d.why)
	case d.alias != nil:
		// A copy (x := mu) changes type with the lock, and copies are
		// copylocks' business; an address is followed further.
		if _, seen := s.vars[d.alias]; ptr && !seen {
			s.vars[d.alias] = ref{lk: lk, ptr: true}
			s.grew = true
		}
	case d.t == nil:
		// discarded: _ = &mu
	case isEmptyInterface(d.t):
		s.need(lk, pos, "it reaches reflection-typed code drwswap cannot follow: the "+s.typeString(d.t)+" "+d.what)
	case types.IsInterface(d.t) && ptr:
		// sync.Locker and the like: drwmutex.RWMutex has the same methods.
	case ptr:
		s.need(lk, pos, "its address flows into the "+s.typeString(d.t)+" "+d.what)
	default:
		s.need(lk, pos, "it is copied into the "+s.typeString(d.t)+" "+d.what)
	}
}

// containerExpr follows one use of a package-level var that holds field
// locks: only the empty interface (reflection) and comparisons matter,
// since the var's struct type changes along with its fields.
func (s *scan) containerExpr(lks []*lock, stack []ast.Node) {
	stack = unparen(stack)
	e, parent := stack[len(stack)-1], stack[len(stack)-2]
	if sel, ok := parent.(*ast.SelectorExpr); ok && sel.X == e {
		return
	}
	if u, ok := parent.(*ast.UnaryExpr); ok && u.Op == token.AND {
		stack = unparen(stack[:len(stack)-1])
	}
	pos := e.Pos()
	var why string
	d := s.dest(stack)
	switch {
	case d.t != nil && isEmptyInterface(d.t):
		why = "the struct that holds it reaches reflection-typed code drwswap cannot follow: the " + s.typeString(d.t) + " " + d.what
	case strings.HasPrefix(d.why, "it is compared"):
		why = "the struct that holds it is compared, and drwmutex.RWMutex need not be comparable"
	default:
		return
	}
	for _, lk := range lks {
		s.need(lk, pos, why)
	}
}

// structType records a need for every field lock whose struct type literal
// is identical to st, written elsewhere: values of the two would stop being
// assignable and convertible to each other.
func (s *scan) structType(st *ast.StructType) {
	if !s.record || s.structs[st] {
		return
	}
	t := s.p.pass.TypesInfo.TypeOf(st)
	if t == nil {
		return
	}
	for own := range s.structs {
		if !types.Identical(t, s.p.pass.TypesInfo.TypeOf(own)) {
			continue
		}
		for _, lk := range s.locksIn(own) {
			s.need(lk, st.Pos(), "its struct type is written again here, and that one would keep sync.RWMutex")
		}
	}
}

func (s *scan) locksIn(st *ast.StructType) []*lock {
	var lks []*lock
	for _, lk := range s.fields {
		if slices.Contains(lk.structs, ast.Node(st)) && !slices.Contains(lks, lk) {
			lks = append(lks, lk)
		}
	}
	return lks
}

// A dest is where a value goes.
type dest struct {
	t     types.Type // the type it must have there; nil if discarded or inferred
	what  string     // the parameter, variable, field... of that type
	alias *types.Var // a variable declared with the value's own type
	why   string     // set if the use itself needs the type
}

// dest says where the value of the expression at the top of stack goes.
func (s *scan) dest(stack []ast.Node) dest {
	info := s.p.pass.TypesInfo
	e, parent := stack[len(stack)-1].(ast.Expr), stack[len(stack)-2]
	switch parent := parent.(type) {
	case *ast.CallExpr:
		i := slices.Index(parent.Args, e)
		if i < 0 {
			break
		}
		tv := info.Types[parent.Fun]
		if tv.IsType() {
			return dest{why: "it is converted to " + types.ExprString(parent.Fun)}
		}
		if _, ok := info.Uses[identOf(parent.Fun)].(*types.Builtin); ok || tv.Type == nil {
			return dest{why: "it is passed to the builtin " + types.ExprString(parent.Fun)}
		}
		sig, ok := tv.Type.Underlying().(*types.Signature)
		if !ok {
			break
		}
		return dest{t: paramType(sig, i, parent.Ellipsis.IsValid()), what: "parameter of " + types.ExprString(parent.Fun)}
	case *ast.AssignStmt:
		i := slices.Index(parent.Rhs, e)
		if i < 0 || len(parent.Lhs) != len(parent.Rhs) {
			break
		}
		lhs := parent.Lhs[i]
		if id := identOf(lhs); id != nil && id.Name == "_" {
			return dest{}
		}
		switch parent.Tok {
		case token.DEFINE:
			if v, ok := info.Defs[identOf(lhs)].(*types.Var); ok {
				return dest{alias: v}
			}
			fallthrough // redeclared: an assignment
		case token.ASSIGN:
			return dest{t: info.TypeOf(lhs), what: "variable " + types.ExprString(lhs)}
		}
	case *ast.ValueSpec:
		i := slices.Index(parent.Values, e)
		if i < 0 || len(parent.Names) != len(parent.Values) || parent.Names[i].Name == "_" {
			break
		}
		if parent.Type != nil {
			return dest{t: info.TypeOf(parent.Type), what: "variable " + parent.Names[i].Name}
		}
		if v, ok := info.Defs[parent.Names[i]].(*types.Var); ok {
			return dest{alias: v}
		}
	case *ast.ReturnStmt:
		i := slices.Index(parent.Results, e)
		sig, name := s.enclosingFunc(stack)
		if i < 0 || sig == nil || sig.Results().Len() != len(parent.Results) {
			break
		}
		return dest{t: sig.Results().At(i).Type(), what: "result of " + name}
	case *ast.CompositeLit:
		i := slices.Index(parent.Elts, e)
		if i < 0 {
			break
		}
		switch t := info.TypeOf(parent).Underlying().(type) {
		case *types.Struct:
			return dest{t: t.Field(i).Type(), what: "field " + t.Field(i).Name()}
		case *types.Slice, *types.Array:
			return dest{t: t.(interface{ Elem() types.Type }).Elem(), what: "element of " + s.typeString(t)}
		}
	case *ast.KeyValueExpr:
		lit, ok := stack[len(stack)-3].(*ast.CompositeLit)
		if !ok {
			break
		}
		switch t := info.TypeOf(lit).Underlying().(type) {
		case *types.Struct:
			if id := identOf(parent.Key); id != nil && e == parent.Value {
				if f, ok := info.Uses[id].(*types.Var); ok {
					return dest{t: f.Type(), what: "field " + f.Name()}
				}
			}
		case *types.Map:
			if e == parent.Key {
				return dest{t: t.Key(), what: "key of " + s.typeString(t)}
			}
			return dest{t: t.Elem(), what: "element of " + s.typeString(t)}
		case *types.Slice, *types.Array:
			return dest{t: t.(interface{ Elem() types.Type }).Elem(), what: "element of " + s.typeString(t)}
		}
	case *ast.SendStmt:
		if ch, ok := info.TypeOf(parent.Chan).Underlying().(*types.Chan); ok && e == parent.Value {
			return dest{t: ch.Elem(), what: "channel " + types.ExprString(parent.Chan)}
		}
	case *ast.BinaryExpr:
		if parent.Op == token.EQL || parent.Op == token.NEQ {
			return dest{why: "it is compared: " + types.ExprString(parent)}
		}
	}
	return dest{why: "it is used in " + describe(parent) + ", which drwswap does not follow"}
}

func paramType(sig *types.Signature, i int, ellipsis bool) types.Type {
	params := sig.Params()
	if sig.Variadic() && i >= params.Len()-1 {
		last := params.At(params.Len() - 1).Type()
		if ellipsis {
			return last
		}
		return last.(*types.Slice).Elem()
	}
	return params.At(i).Type()
}

// enclosingFunc returns the signature and name of the innermost function
// around the top of stack.
func (s *scan) enclosingFunc(stack []ast.Node) (*types.Signature, string) {
	info := s.p.pass.TypesInfo
	for i := len(stack) - 1; i >= 0; i-- {
		switch fn := stack[i].(type) {
		case *ast.FuncLit:
			sig, _ := info.TypeOf(fn).(*types.Signature)
			return sig, "a function literal"
		case *ast.FuncDecl:
			f, _ := info.Defs[fn.Name].(*types.Func)
			if f == nil {
				return nil, ""
			}
			return f.Signature(), fn.Name.Name
		}
	}
	return nil, ""
}

func (s *scan) typeString(t types.Type) string {
	return types.TypeString(t, func(p *types.Package) string {
		if p == s.p.pass.Pkg {
			return ""
		}
		return p.Name()
	})
}

func isEmptyInterface(t types.Type) bool {
	iface, ok := t.Underlying().(*types.Interface)
	return ok && iface.NumMethods() == 0
}

// unparen pops the parentheses around the top of stack.
func unparen(stack []ast.Node) []ast.Node {
	for len(stack) > 2 {
		if _, ok := stack[len(stack)-2].(*ast.ParenExpr); !ok {
			break
		}
		stack = stack[:len(stack)-1]
	}
	return stack
}

func describe(n ast.Node) string {
	if e, ok := n.(ast.Expr); ok {
		return "`" + types.ExprString(e) + "`"
	}
	return fmt.Sprintf("a %T", n)
}
