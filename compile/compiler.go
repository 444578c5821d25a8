package compile

import (
	"strconv"
	"sync"
	"time"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// Operator precedence levels, lowest first. An operand whose precedence is below what its
// position requires is parenthesised.
const (
	precText   = 0 // raw SQL text: always parenthesised inside an operator
	precOr     = 1
	precAnd    = 2
	precNot    = 3
	precCmp    = 4 // = != < > <= >= LIKE IN BETWEEN IS
	precConcat = 5
	precAdd    = 6
	precMul    = 7
	precAtom   = 10
)

// compiler renders one statement for one dialect. It is used by one goroutine.
type compiler struct {
	d      Dialect
	syn    *Syntax
	feats  Features
	b      []byte
	inline bool // write values as literals (DDL); no placeholders
	w      *walker

	bindIdx  map[*expr.Bind]int
	slots    []int
	argTypes []types.Type
	argCols  []string // the column each placeholder's value is written to, "" if none
	argCol   string   // the column whose value is being written (INSERT VALUES, SET)

	scopes    [][]fromKey // FROM items of the enclosing SELECTs, for correlation
	noQual    int         // > 0: columns are written without their table
	anonNames map[expr.FromClause]string
	nAnon     int
	cteDone   bool // the WITH clause has been written
	// orderLabels are the select-list items an ORDER BY being written may refer to by name
	orderLabels []expr.Expr
	err         error
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (c *compiler) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func (c *compiler) put(s string) { c.b = append(c.b, s...) }

// ident appends a quoted-as-needed identifier; an empty one is an error (no database
// accepts it).
func (c *compiler) ident(s string) {
	if s == "" {
		c.fail(errorf("a table or column name is empty"))
	}
	c.b = c.d.AppendIdent(c.b, s)
}

// named appends the name of what (a label, an alias, ...), which must not be empty.
func (c *compiler) named(what, name string) {
	if name == "" {
		c.fail(errorf("%s has an empty name", what))
	}
	c.b = c.d.AppendIdent(c.b, name)
}

// entry is a compiled statement as cached: everything but the argument values.
type entry struct {
	sql      string
	argTypes []types.Type
	argCols  []string
	cols     []ResultColumn
	returns  bool
	slots    []int // placeholder k takes the value of the walker's bind slots[k]
}

func (e *entry) instantiate(w *walker) *Compiled {
	var c *Compiled
	var args []any
	if n := len(e.slots); n <= len(compiledSmall{}.buf) {
		// A statement of few arguments holds them in the same allocation.
		cs := &compiledSmall{}
		c, args = &cs.Compiled, cs.buf[:n:n]
	} else {
		c, args = &Compiled{}, make([]any, n)
	}
	for k, i := range e.slots {
		args[k] = w.binds[i].Value
	}
	*c = Compiled{SQL: e.sql, Args: args, ArgTypes: e.argTypes, ArgColumns: e.argCols, Columns: e.cols, Returns: e.returns}
	return c
}

// compiledSmall is a Compiled with room for its arguments.
type compiledSmall struct {
	Compiled
	buf [4]any
}

// compileStatement compiles stmt, through the statement cache.
func compileStatement(d Dialect, stmt expr.Statement) (*Compiled, error) {
	return compileWith(d, stmt, true)
}

// CompileUncached renders stmt for d without consulting or filling the statement cache.
// It is meant for benchmarks and tests; use Compile otherwise.
func CompileUncached(d Dialect, stmt expr.Statement) (*Compiled, error) {
	return compileWith(d, stmt, false)
}

func compileWith(d Dialect, stmt expr.Statement, useCache bool) (*Compiled, error) {
	if d == nil {
		return nil, errorf("dialect is nil")
	}
	if IsDDL(stmt) {
		return CompileDDL(d, stmt)
	}
	w := getWalker()
	defer putWalker(w)
	if useCache {
		w.key = appendDialectID(w.key, d)
	}
	w.statement(stmt)
	if w.err != nil {
		return nil, w.err
	}
	if useCache {
		if e := stmtCache.get(w.key); e != nil {
			return withTarget(e.instantiate(w), stmt), nil
		}
	}
	e, err := render(d, stmt, w)
	if err != nil {
		return nil, err
	}
	if useCache {
		stmtCache.put(string(w.key), e)
	}
	return withTarget(e.instantiate(w), stmt), nil
}

// withTarget sets c.Table to the schema table stmt writes, if any. It is taken from the
// statement, not the cache, since tables of one shape may differ in their constraints.
func withTarget(c *Compiled, stmt expr.Statement) *Compiled {
	var target expr.TableLike
	switch x := stmt.(type) {
	case *expr.InsertStmt:
		target = x.Table
	case *expr.UpdateStmt:
		target = x.Table
	case *expr.DeleteStmt:
		target = x.Table
	default:
		return c
	}
	if target != nil {
		c.Table = schemaTableOf(target)
	}
	return c
}

func render(d Dialect, stmt expr.Statement, w *walker) (*entry, error) {
	bp := bufPool.Get().(*[]byte)
	c := &compiler{d: d, syn: d.Syntax(), feats: d.Features(), b: (*bp)[:0], w: w}
	c.bindIdx = make(map[*expr.Bind]int, len(w.binds))
	for i := len(w.binds) - 1; i >= 0; i-- {
		c.bindIdx[w.binds[i]] = i
	}
	e := &entry{}
	switch x := stmt.(type) {
	case *expr.SelectStmt, *expr.CompoundSelect:
		q := x.(expr.SelectStatement)
		c.with()
		c.query(q)
		e.cols = resultColumns(expr.ResultColumnsOf(q))
		e.returns = true
	case *expr.InsertStmt:
		c.insert(x)
		e.cols, e.returns = returningColumns(x.Returns)
	case *expr.UpdateStmt:
		c.update(x)
		e.cols, e.returns = returningColumns(x.Returns)
	case *expr.DeleteStmt:
		c.delete(x)
		e.cols, e.returns = returningColumns(x.Returns)
	case *expr.TextStmt:
		c.text(x)
		e.returns = textReturnsRows(x)
		if len(x.Cols) > 0 {
			e.cols = make([]ResultColumn, len(x.Cols))
			for i, col := range x.Cols {
				e.cols[i] = ResultColumn{Name: col.Name, Type: col.Type}
			}
		}
	default:
		c.fail(errorf("cannot compile statement of type %T", stmt))
	}
	err := c.err
	if err == nil {
		e.sql = string(c.b)
		e.argTypes = c.argTypes
		e.argCols = c.argCols
		e.slots = c.slots
	}
	if cap(c.b) <= 64<<10 {
		*bp = c.b[:0]
		bufPool.Put(bp)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

func resultColumns(rc []expr.ResultColumn) []ResultColumn {
	out := make([]ResultColumn, 0, len(rc))
	for _, r := range rc {
		if r.Name == "*" {
			return nil // not known without the table's definition
		}
		out = append(out, ResultColumn{Name: r.Name, Type: r.Type})
	}
	return out
}

func returningColumns(items []expr.Expr) ([]ResultColumn, bool) {
	if len(items) == 0 {
		return nil, false
	}
	return resultColumns((&expr.SelectStmt{Cols: items}).ResultColumns()), true
}

// textReturnsRows guesses whether raw SQL yields rows: it does when result columns were
// given, when it starts with a query keyword, or when it has a RETURNING clause.
func textReturnsRows(t *expr.TextStmt) bool {
	if len(t.Cols) > 0 {
		return true
	}
	s := t.SQL
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '(') {
		i++
	}
	j := i
	for j < len(s) && isLetter(s[j]) {
		j++
	}
	switch lower(s[i:j]) {
	case "select", "with", "values", "show", "pragma", "explain", "describe", "table":
		return true
	}
	for _, seg := range t.Segments {
		if seg.Param == "" && containsWord(lower(seg.SQL), "returning") {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' }

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func containsWord(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i:i+len(w)] == w && (i == 0 || !isLetter(s[i-1])) && (i+len(w) == len(s) || !isLetter(s[i+len(w)])) {
			return true
		}
	}
	return false
}

// ---- identity of FROM items ----

// fromKey identifies a FROM item within a statement: tables by schema and name, aliases,
// CTEs and named subqueries by name, anonymous subqueries and joins by pointer.
type fromKey struct {
	kind   byte
	schema string
	name   string
	ptr    expr.FromClause
}

func keyOf(f expr.FromClause) fromKey {
	f = expr.UnwrapFrom(f)
	switch x := f.(type) {
	case *expr.TableClause:
		return fromKey{kind: tTable, schema: x.Schema, name: x.Name}
	case *expr.AliasClause:
		return fromKey{kind: tAlias, name: x.Name}
	case *expr.CTE:
		return fromKey{kind: tCTERef, name: x.Name}
	case *expr.Subquery:
		if x.Name != "" {
			return fromKey{kind: tSubquery, name: x.Name}
		}
	}
	return fromKey{ptr: f}
}

func hasKey(keys []fromKey, k fromKey) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// leaves appends the keys of the tables inside f (f itself unless it is a join).
func leaves(dst []fromKey, f expr.FromClause) []fromKey {
	if j, ok := expr.UnwrapFrom(f).(*expr.JoinClause); ok {
		return leaves(leaves(dst, j.Left), j.Right)
	}
	return append(dst, keyOf(f))
}

func leafFroms(dst []expr.FromClause, f expr.FromClause) []expr.FromClause {
	if j, ok := expr.UnwrapFrom(f).(*expr.JoinClause); ok {
		return leafFroms(leafFroms(dst, j.Left), j.Right)
	}
	return append(dst, f)
}

// eachChild calls fn for each direct sub-expression of e, not descending into subqueries.
func eachChild(e expr.Expr, fn func(expr.Expr)) {
	switch x := e.(type) {
	case *expr.BinaryExpr:
		fn(x.Left)
		fn(x.Right)
	case *expr.BoolList:
		for _, i := range x.Items {
			fn(i)
		}
	case *expr.NotExpr:
		fn(x.X)
	case *expr.InExpr:
		fn(x.X)
		for _, v := range x.Values {
			fn(v)
		}
	case *expr.TupleExpr:
		for _, i := range x.Items {
			fn(i)
		}
	case *expr.BetweenExpr:
		fn(x.X)
		fn(x.Lo)
		fn(x.Hi)
	case *expr.LabelExpr:
		fn(x.X)
	case *expr.CastExpr:
		fn(x.X)
	case *expr.FuncCall:
		for _, a := range x.Args {
			fn(a)
		}
	case *expr.OverExpr:
		fn(x.Fn)
		for _, a := range x.PartitionBys {
			fn(a)
		}
		for _, a := range x.OrderBys {
			fn(a)
		}
	case *expr.CaseExpr:
		if x.Value != nil {
			fn(x.Value)
		}
		for _, w := range x.Whens {
			fn(w.Cond)
			fn(w.Result)
		}
		if x.ElseExpr != nil {
			fn(x.ElseExpr)
		}
	case *expr.Ordering:
		fn(x.X)
	}
}

// collectTables appends the FROM items that the columns in e belong to.
func collectTables(dst []expr.FromClause, e expr.Expr) []expr.FromClause {
	if e == nil {
		return dst
	}
	if col, ok := e.(*expr.ColumnClause); ok {
		if col.Table != nil {
			return append(dst, col.Table)
		}
		return dst
	}
	eachChild(e, func(ch expr.Expr) { dst = collectTables(dst, ch) })
	return dst
}

// ---- expressions ----

func (c *compiler) prec(e expr.Expr) int {
	switch x := e.(type) {
	case *expr.BinaryExpr:
		return c.opPrec(x.Op)
	case *expr.BoolList:
		if x.Op == expr.OpOr {
			return precOr
		}
		return precAnd
	case *expr.NotExpr:
		return precNot
	case *expr.InExpr:
		if x.Select == nil && len(x.Values) == 0 && !c.inline {
			if x.Negate {
				return precOr
			}
			return precAnd
		}
		return precCmp
	case *expr.BetweenExpr:
		return precCmp
	case *expr.LabelExpr:
		return c.prec(x.X)
	case *expr.TextStmt:
		return precText
	}
	return precAtom
}

func (c *compiler) opPrec(op expr.Op) int {
	switch op {
	case expr.OpAdd, expr.OpSub:
		return precAdd
	case expr.OpMul, expr.OpDiv, expr.OpMod:
		return precMul
	case expr.OpConcat:
		if c.syn.ConcatFunc {
			return precAtom
		}
		return precConcat
	case expr.OpAnd:
		return precAnd
	case expr.OpOr:
		return precOr
	}
	return precCmp
}

// expr renders e, in parentheses when its precedence is below outer.
func (c *compiler) expr(e expr.Expr, outer int) {
	if c.prec(e) < outer {
		c.b = append(c.b, '(')
		c.exprNoParen(e)
		c.b = append(c.b, ')')
		return
	}
	c.exprNoParen(e)
}

func (c *compiler) exprList(list []expr.Expr) {
	for i, e := range list {
		if i > 0 {
			c.put(", ")
		}
		c.expr(e, 0)
	}
}

func (c *compiler) exprNoParen(e expr.Expr) {
	switch x := e.(type) {
	case nil:
		c.fail(errorf("expression is nil"))
	case *expr.ColumnClause:
		c.column(x)
	case *expr.Bind:
		c.bind(x)
	case *expr.BinaryExpr:
		c.binary(x)
	case *expr.BoolList:
		p := c.prec(x)
		sep := " AND "
		if x.Op == expr.OpOr {
			sep = " OR "
		}
		for i, it := range x.Items {
			if i > 0 {
				c.put(sep)
			}
			c.expr(it, p)
		}
	case *expr.NotExpr:
		c.put("NOT ")
		c.expr(x.X, precAtom)
	case *expr.InExpr:
		c.in(x)
	case *expr.TupleExpr:
		if x.Err != nil {
			c.fail(exprError(x.Err))
			return
		}
		c.b = append(c.b, '(')
		c.exprList(x.Items)
		c.b = append(c.b, ')')
	case *expr.BetweenExpr:
		c.expr(x.X, precCmp+1)
		if x.Negate {
			c.put(" NOT BETWEEN ")
		} else {
			c.put(" BETWEEN ")
		}
		c.expr(x.Lo, precCmp+1)
		c.put(" AND ")
		c.expr(x.Hi, precCmp+1)
	case *expr.LiteralExpr:
		c.keyword(x.Kind)
	case *expr.LabelExpr:
		c.exprNoParen(x.X)
	case *expr.CastExpr:
		c.put("CAST(")
		c.expr(x.X, 0)
		c.put(" AS ")
		b, err := c.d.AppendCastType(c.b, x.Type)
		if err != nil {
			c.fail(&Error{Msg: trimPrefix(err.Error()), Unsupported: true, Cause: err})
			return
		}
		c.b = b
		c.put(")")
	case *expr.FuncCall:
		c.funcCall(x)
	case *expr.OverExpr:
		c.over(x)
	case *expr.CaseExpr:
		c.caseExpr(x)
	case *expr.Ordering:
		c.fail(errorf("an ORDER BY item (%s) cannot be used as a value", orderingWord(x)))
	case *expr.ExistsExpr:
		c.put("EXISTS (")
		c.subquery(x.Select)
		c.put(")")
	case *expr.ScalarSubquery:
		c.put("(")
		c.subquery(x.Select)
		c.put(")")
	case *expr.ExcludedExpr:
		c.excluded(x)
	case *expr.TextStmt:
		c.text(x)
	default:
		if u := expr.Unwrap(e); u != e {
			c.exprNoParen(u)
			return
		}
		c.fail(errorf("cannot compile expression of type %T", e))
	}
}

func orderingWord(o *expr.Ordering) string {
	if o.Desc {
		return "DESC"
	}
	return "ASC"
}

func (c *compiler) keyword(k expr.Keyword) {
	switch k {
	case expr.KwNull:
		c.put("NULL")
	case expr.KwTrue:
		if c.feats.Has(BooleanLiterals) {
			c.put("true")
		} else {
			c.put("1")
		}
	case expr.KwFalse:
		if c.feats.Has(BooleanLiterals) {
			c.put("false")
		} else {
			c.put("0")
		}
	case expr.KwStar:
		c.put("*")
	default:
		c.fail(errorf("unknown keyword literal %d", k))
	}
}

func (c *compiler) column(col *expr.ColumnClause) {
	if col.Err != nil {
		c.fail(columnError(col))
		return
	}
	if c.noQual == 0 && col.Table != nil {
		c.qualifier(col.Table)
		c.b = append(c.b, '.')
	}
	c.ident(col.Name)
}

// qualifier writes the name by which columns of f are qualified.
func (c *compiler) qualifier(f expr.FromClause) {
	f = expr.UnwrapFrom(f)
	switch x := f.(type) {
	case *expr.TableClause:
		c.tableName(x)
	case *expr.Subquery:
		c.ident(c.subqueryName(x))
	case *expr.AliasClause:
		c.named("an alias", x.Name)
	case *expr.CTE:
		c.named("a common table expression", x.Name)
	case expr.TableLike:
		c.ident(x.TableName())
	default:
		c.fail(errorf("column qualified by a %T", f))
	}
}

func (c *compiler) tableName(t *expr.TableClause) {
	if t.Schema != "" {
		c.ident(t.Schema)
		c.b = append(c.b, '.')
	}
	c.ident(t.Name)
}

func (c *compiler) subqueryName(s *expr.Subquery) string {
	if s.Name != "" {
		return s.Name
	}
	if n, ok := c.anonNames[s]; ok {
		return n
	}
	if c.anonNames == nil {
		c.anonNames = make(map[expr.FromClause]string)
	}
	c.nAnon++
	n := "anon_" + strconv.Itoa(c.nAnon)
	c.anonNames[s] = n
	return n
}

func (c *compiler) bind(b *expr.Bind) {
	if c.inline {
		c.literal(b.Value, b.Type)
		return
	}
	i, ok := c.bindIdx[b]
	if !ok {
		c.fail(errorf("internal error: a bound value was not seen by the shape walk"))
		return
	}
	c.slots = append(c.slots, i)
	c.argTypes = append(c.argTypes, b.Type)
	c.argCols = append(c.argCols, c.argCol)
	c.b = c.d.AppendPlaceholder(c.b, len(c.slots))
}

func (c *compiler) binary(x *expr.BinaryExpr) {
	op := x.Op
	switch {
	case op == expr.OpConcat && c.syn.ConcatFunc:
		c.put("concat(")
		c.concatArgs(x)
		c.put(")")
		return
	case (op == expr.OpILike || op == expr.OpNotILike) && !c.feats.Has(ILike):
		c.put("lower(")
		c.expr(x.Left, 0)
		if op == expr.OpILike {
			c.put(") LIKE lower(")
		} else {
			c.put(") NOT LIKE lower(")
		}
		c.expr(x.Right, 0)
		c.put(")")
		return
	}
	p := c.opPrec(op)
	lo, ro := p, p+1
	if op.IsComparison() {
		lo = p + 1
	}
	if op == expr.OpConcat {
		lo, ro = precMul+1, precMul+1
		if l, ok := x.Left.(*expr.BinaryExpr); ok && l.Op == expr.OpConcat {
			lo = p
		}
	}
	cast := untyped(x.Left) && untyped(x.Right)
	c.maybeCast(x.Left, lo, cast)
	c.b = append(c.b, ' ')
	if op == expr.OpDiv && c.syn.IntDivision != "" && isInteger(expr.TypeOf(x.Left)) && isInteger(expr.TypeOf(x.Right)) {
		c.put(c.syn.IntDivision)
	} else {
		c.put(op.String())
	}
	c.b = append(c.b, ' ')
	c.maybeCast(x.Right, ro, cast)
}

// untyped reports whether the database cannot infer the type of e from e itself: a bound
// value or NULL (possibly labelled).
func untyped(e expr.Expr) bool {
	switch x := e.(type) {
	case *expr.Bind:
		return true
	case *expr.LiteralExpr:
		return x.Kind == expr.KwNull
	case *expr.LabelExpr:
		return untyped(x.X)
	}
	return false
}

// maybeCast renders e; when cast is true, e is a bound value and the dialect asks for it,
// the placeholder is wrapped in CAST(... AS type).
func (c *compiler) maybeCast(e expr.Expr, outer int, cast bool) {
	if l, ok := e.(*expr.LabelExpr); ok {
		e = l.X
	}
	b, ok := e.(*expr.Bind)
	if !cast || !ok || c.inline || !c.syn.CastUntypedBinds {
		c.expr(e, outer)
		return
	}
	t, ok := castTypeOf(b)
	if !ok {
		c.expr(e, outer)
		return
	}
	c.put("CAST(")
	c.bind(b)
	c.put(" AS ")
	nb, err := c.d.AppendCastType(c.b, t)
	if err != nil {
		c.fail(&Error{Msg: trimPrefix(err.Error()), Unsupported: true, Cause: err})
		return
	}
	c.b = nb
	c.put(")")
}

// castTypeOf returns the type to cast a bound value to: its own type without a length or
// precision (which would truncate or round), or for an untyped value one chosen from its
// Go type. ok is false when no cast applies.
func castTypeOf(b *expr.Bind) (types.Type, bool) {
	t := b.Type
	switch t.Kind {
	case types.KindString:
		return types.Text(), true
	case types.KindNumeric:
		return types.Type{Kind: types.KindNumeric}, true
	case types.KindUnknown:
		k := goKind(b.Value)
		switch k {
		case gkInt:
			return types.BigInt(), true
		case gkString:
			return types.Text(), true
		case gkBool:
			return types.Boolean(), true
		case gkFloat:
			return types.Double(), true
		case gkTime:
			return types.Timestamp(true), true
		case gkBytes:
			return types.Bytes(), true
		}
		return t, false
	}
	return t, true
}

// Go value kinds that decide the cast of an untyped bound value (part of the shape).
const (
	gkOther byte = iota
	gkInt
	gkString
	gkBool
	gkFloat
	gkTime
	gkBytes
	gkNil
)

func goKind(v any) byte {
	switch v.(type) {
	case nil:
		return gkNil
	case int, int8, int16, int32, int64, uint8, uint16, uint32:
		return gkInt
	case string:
		return gkString
	case bool:
		return gkBool
	case float32, float64:
		return gkFloat
	case time.Time:
		return gkTime
	case []byte:
		return gkBytes
	}
	return gkOther
}

func isInteger(t types.Type) bool {
	return t.Kind == types.KindInteger || t.Kind == types.KindBigInt || t.Kind == types.KindSmallInt
}

func (c *compiler) concatArgs(x *expr.BinaryExpr) {
	if l, ok := x.Left.(*expr.BinaryExpr); ok && l.Op == expr.OpConcat {
		c.concatArgs(l)
	} else {
		c.expr(x.Left, 0)
	}
	c.put(", ")
	c.expr(x.Right, 0)
}

func (c *compiler) in(x *expr.InExpr) {
	if x.Err != nil {
		c.fail(exprError(x.Err))
		return
	}
	if x.Select == nil && len(x.Values) == 0 {
		// No value can be in an empty set; NOT IN an empty set is always true. The
		// operand is kept so that the expression's NULL behaviour stays that of IN.
		c.expr(x.X, precCmp+1)
		if x.Negate {
			c.put(" NOT IN (NULL) OR (1 = 1)")
		} else {
			c.put(" IN (NULL) AND (1 != 1)")
		}
		return
	}
	c.expr(x.X, precCmp+1)
	if x.Negate {
		c.put(" NOT IN (")
	} else {
		c.put(" IN (")
	}
	if x.Select != nil {
		c.subquery(x.Select)
	} else {
		c.exprList(x.Values)
	}
	c.put(")")
}

func validFuncName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		ch := n[i]
		if !(isLetter(ch) || (ch >= '0' && ch <= '9' && i > 0) || (ch == '.' && i > 0)) {
			return false
		}
	}
	return true
}

func (c *compiler) funcCall(f *expr.FuncCall) {
	if !validFuncName(f.Name) {
		c.fail(errorf("invalid function name %q", f.Name))
		return
	}
	name, bare := c.d.FuncName(f.Name)
	if bare && len(f.Args) > 0 {
		name = f.Name // a bare spelling stands for the call without arguments only
	}
	c.put(name)
	if bare && len(f.Args) == 0 {
		return
	}
	c.b = append(c.b, '(')
	if f.Distinct {
		c.put("DISTINCT ")
	}
	cast := len(f.Args) > 0
	for _, a := range f.Args {
		cast = cast && untyped(a)
	}
	for i, a := range f.Args {
		if i > 0 {
			c.put(", ")
		}
		c.maybeCast(a, 0, cast)
	}
	c.b = append(c.b, ')')
}

func (c *compiler) over(o *expr.OverExpr) {
	if !c.feats.Has(WindowFunctions) {
		c.fail(unsupported(c.d, "OVER (window functions)"))
		return
	}
	c.expr(o.Fn, precAtom)
	c.put(" OVER (")
	sp := false
	if len(o.PartitionBys) > 0 {
		c.put("PARTITION BY ")
		c.exprList(o.PartitionBys)
		sp = true
	}
	if len(o.OrderBys) > 0 {
		if sp {
			c.b = append(c.b, ' ')
		}
		c.put("ORDER BY ")
		saved := c.orderLabels
		c.orderLabels = nil
		c.orderList(o.OrderBys)
		c.orderLabels = saved
		sp = true
	}
	if f := o.Frame; f != nil {
		if sp {
			c.b = append(c.b, ' ')
		}
		if f.Kind == expr.FrameRange {
			c.put("RANGE BETWEEN ")
		} else {
			c.put("ROWS BETWEEN ")
		}
		c.frameBound(f.Start)
		c.put(" AND ")
		c.frameBound(f.End)
	}
	c.b = append(c.b, ')')
}

func (c *compiler) frameBound(b expr.FrameBound) {
	switch b.Kind {
	case expr.BoundUnboundedPreceding:
		c.put("UNBOUNDED PRECEDING")
	case expr.BoundPreceding:
		c.b = strconv.AppendInt(c.b, int64(b.Offset), 10)
		c.put(" PRECEDING")
	case expr.BoundCurrentRow:
		c.put("CURRENT ROW")
	case expr.BoundFollowing:
		c.b = strconv.AppendInt(c.b, int64(b.Offset), 10)
		c.put(" FOLLOWING")
	case expr.BoundUnboundedFollowing:
		c.put("UNBOUNDED FOLLOWING")
	default:
		c.fail(errorf("window frame bound is not set"))
	}
	if b.Offset < 0 {
		c.fail(errorf("window frame offset %d is negative", b.Offset))
	}
}

func (c *compiler) caseExpr(x *expr.CaseExpr) {
	if len(x.Whens) == 0 {
		c.fail(errorf("CASE has no WHEN"))
		return
	}
	c.put("CASE")
	if x.Value != nil {
		c.b = append(c.b, ' ')
		c.expr(x.Value, 0)
	}
	cast := x.ElseExpr == nil || untyped(x.ElseExpr)
	for _, w := range x.Whens {
		cast = cast && untyped(w.Result)
	}
	for _, w := range x.Whens {
		c.put(" WHEN ")
		c.expr(w.Cond, 0)
		c.put(" THEN ")
		c.maybeCast(w.Result, 0, cast)
	}
	if x.ElseExpr != nil {
		c.put(" ELSE ")
		c.maybeCast(x.ElseExpr, 0, cast)
	}
	c.put(" END")
}

func (c *compiler) excluded(x *expr.ExcludedExpr) {
	if x.Col == nil {
		c.fail(errorf("excluded column is nil"))
		return
	}
	switch {
	case c.feats.Has(OnConflict):
		c.put("excluded.")
		c.ident(x.Col.Name)
	case c.feats.Has(OnDuplicateKey):
		c.put("VALUES(")
		c.ident(x.Col.Name)
		c.put(")")
	default:
		c.fail(unsupported(c.d, "excluded/inserted values (upsert)"))
	}
}

func (c *compiler) text(t *expr.TextStmt) {
	var binds []*expr.Bind
	if c.w != nil {
		for _, tb := range c.w.texts {
			if tb.t == t {
				binds = tb.binds
				break
			}
		}
	}
	n := 0
	for _, seg := range t.Segments {
		if seg.Param == "" {
			c.put(seg.SQL)
			continue
		}
		if n >= len(binds) {
			c.fail(errorf("text: no value for parameter :%s", seg.Param))
			return
		}
		c.bind(binds[n])
		n++
	}
}

// orderList renders ORDER BY items (Exprs or Orderings).
func (c *compiler) orderList(items []expr.Expr) {
	for i, it := range items {
		if i > 0 {
			c.put(", ")
		}
		o, ok := it.(*expr.Ordering)
		if !ok {
			o = &expr.Ordering{X: it}
		}
		if o.Nulls != expr.NullsDefault && !c.feats.Has(NullsOrdering) {
			// Emulate NULLS FIRST/LAST: sort on "x IS [NOT] NULL" (false sorts first) first.
			c.orderValue(o.X, precCmp+1)
			if o.Nulls == expr.NullsLast {
				c.put(" IS NULL, ")
			} else {
				c.put(" IS NOT NULL, ")
			}
		}
		c.orderValue(o.X, 0)
		if o.Desc {
			c.put(" DESC")
		}
		if o.Nulls != expr.NullsDefault && c.feats.Has(NullsOrdering) {
			if o.Nulls == expr.NullsFirst {
				c.put(" NULLS FIRST")
			} else {
				c.put(" NULLS LAST")
			}
		}
	}
}

func (c *compiler) orderValue(e expr.Expr, outer int) {
	if l, ok := e.(*expr.LabelExpr); ok {
		// A label of the select list is referred to by name; any other label stands for
		// its expression.
		for _, col := range c.orderLabels {
			if col == e {
				c.ident(l.Name)
				return
			}
		}
		c.expr(l.X, outer)
		return
	}
	if _, ok := e.(*expr.Ordering); ok {
		c.fail(errorf("nested ORDER BY item"))
		return
	}
	c.expr(e, outer)
}

// ---- queries ----

// with writes the WITH clause for all CTEs of the statement, once.
func (c *compiler) with() {
	if c.cteDone || c.w == nil || len(c.w.ctes) == 0 {
		return
	}
	c.cteDone = true
	ctes, err := orderCTEs(c.w.ctes)
	if err != nil {
		c.fail(err)
		return
	}
	if !c.feats.Has(CTEs) {
		c.fail(unsupported(c.d, "WITH (common table expressions)"))
		return
	}
	c.put("WITH ")
	for _, x := range ctes {
		if x.Recursive {
			c.put("RECURSIVE ")
			break
		}
	}
	saved := c.scopes
	c.scopes = nil
	for i, x := range ctes {
		if i > 0 {
			c.put(", ")
		}
		c.named("a common table expression", x.Name)
		if x.Recursive {
			c.b = append(c.b, '(')
			for j, col := range x.ColumnList() {
				if j > 0 {
					c.put(", ")
				}
				c.ident(col.Name)
			}
			c.b = append(c.b, ')')
		}
		c.put(" AS (")
		c.query(x.Select)
		c.b = append(c.b, ')')
	}
	c.scopes = saved
	c.b = append(c.b, ' ')
}

// orderCTEs returns the CTEs to write, one per name, dependencies first. The walker lists
// CTEs after their bodies' own CTEs. When a name has several versions (a recursive CTE and
// the same CTE with its recursive part added), the extended version is written.
func orderCTEs(all []*expr.CTE) ([]*expr.CTE, error) {
	// The walker appended each CTE before walking its body; reverse dependency order is
	// recovered by writing a CTE after every CTE found later in its body.
	out := make([]*expr.CTE, 0, len(all))
	for _, x := range all {
		found := -1
		for i, y := range out {
			if y.Name == x.Name {
				found = i
				break
			}
		}
		if found < 0 {
			out = append(out, x)
			continue
		}
		y := out[found]
		switch {
		case extends(x, y):
			out[found] = x
		case extends(y, x), x == y:
		default:
			return nil, errorf("two different common table expressions are named %s", x.Name)
		}
	}
	// Dependencies first: a CTE whose body refers to another CTE goes after it.
	sorted := make([]*expr.CTE, 0, len(out))
	state := make(map[string]int, len(out))
	var visit func(x *expr.CTE)
	visit = func(x *expr.CTE) {
		if state[x.Name] != 0 {
			return
		}
		state[x.Name] = 1
		for _, dep := range cteRefs(x.Select, nil) {
			for _, y := range out {
				if y.Name == dep && y.Name != x.Name {
					visit(y)
				}
			}
		}
		state[x.Name] = 2
		sorted = append(sorted, x)
	}
	for _, x := range out {
		visit(x)
	}
	return sorted, nil
}

// extends reports whether a's body is b's body with more members set-combined.
func extends(a, b *expr.CTE) bool {
	cs, ok := a.Select.(*expr.CompoundSelect)
	for ok && len(cs.Selects) > 0 {
		if cs.Selects[0] == b.Select {
			return true
		}
		cs, ok = cs.Selects[0].(*expr.CompoundSelect)
	}
	return false
}

// cteRefs appends the names of the CTEs that q refers to (anywhere inside it).
func cteRefs(q expr.SelectStatement, dst []string) []string {
	var visitFrom func(f expr.FromClause)
	var visitQuery func(q expr.SelectStatement)
	var visitExpr func(e expr.Expr)
	visitExpr = func(e expr.Expr) {
		switch x := e.(type) {
		case nil:
			return
		case *expr.ColumnClause:
			if x.Table != nil {
				visitFrom(x.Table)
			}
			return
		case *expr.InExpr:
			if x.Select != nil {
				visitQuery(x.Select)
			}
		case *expr.ExistsExpr:
			visitQuery(x.Select)
		case *expr.ScalarSubquery:
			visitQuery(x.Select)
		}
		eachChild(e, visitExpr)
	}
	visitFrom = func(f expr.FromClause) {
		switch x := expr.UnwrapFrom(f).(type) {
		case *expr.CTE:
			for _, n := range dst {
				if n == x.Name {
					return
				}
			}
			dst = append(dst, x.Name)
		case *expr.Subquery:
			visitQuery(x.Select)
		case *expr.AliasClause:
			visitFrom(x.Of)
		case *expr.JoinClause:
			visitFrom(x.Left)
			visitFrom(x.Right)
			visitExpr(x.On)
		}
	}
	visitQuery = func(q expr.SelectStatement) {
		switch x := q.(type) {
		case *expr.SelectStmt:
			for _, e := range x.Cols {
				visitExpr(e)
			}
			for _, f := range x.Froms {
				visitFrom(f)
			}
			for _, j := range x.Joins {
				visitFrom(j.Right)
				visitExpr(j.On)
			}
			for _, list := range [][]expr.Expr{x.Wheres, x.GroupBys, x.Havings, x.OrderBys} {
				for _, e := range list {
					visitExpr(e)
				}
			}
		case *expr.CompoundSelect:
			for _, s := range x.Selects {
				visitQuery(s)
			}
		}
	}
	visitQuery(q)
	return dst
}

func (c *compiler) query(q expr.SelectStatement) {
	switch x := q.(type) {
	case *expr.SelectStmt:
		c.selectStmt(x)
	case *expr.CompoundSelect:
		c.compound(x)
	default:
		c.fail(errorf("query is nil"))
	}
}

// subquery renders q inside an expression (scalar, EXISTS, IN): it is correlated with the
// enclosing SELECTs.
func (c *compiler) subquery(q expr.SelectStatement) { c.query(q) }

// derived renders q as a derived table (FROM (SELECT ...)): not correlated.
func (c *compiler) derived(q expr.SelectStatement) {
	saved := c.scopes
	c.scopes = nil
	c.query(q)
	c.scopes = saved
}

func (c *compiler) selectStmt(s *expr.SelectStmt) {
	if s.Err != nil {
		c.fail(exprError(s.Err))
		return
	}
	if len(s.Cols) == 0 {
		c.fail(errorf("select has no columns"))
		return
	}
	froms := c.froms(s)
	var scope []fromKey
	for _, f := range froms {
		scope = leaves(scope, f)
	}
	c.scopes = append(c.scopes, scope)
	defer func() { c.scopes = c.scopes[:len(c.scopes)-1] }()

	c.put("SELECT ")
	if s.IsDistinct {
		c.put("DISTINCT ")
	}
	for i, rc := range s.ResultColumns() {
		if i > 0 {
			c.put(", ")
		}
		c.maybeCast(rc.Expr, 0, true)
		if _, ok := rc.Expr.(*expr.LabelExpr); ok || rc.Generated {
			c.put(" AS ")
			c.named("a label", rc.Name)
		}
	}
	if len(froms) > 0 {
		c.put(" FROM ")
		for i, f := range froms {
			if i > 0 {
				c.put(", ")
			}
			c.fromItem(f)
		}
	}
	c.conditions("WHERE", s.Wheres)
	if len(s.GroupBys) > 0 {
		c.put(" GROUP BY ")
		c.exprList(s.GroupBys)
	}
	c.conditions("HAVING", s.Havings)
	if len(s.OrderBys) > 0 {
		c.put(" ORDER BY ")
		saved := c.orderLabels
		c.orderLabels = s.Cols
		c.orderList(s.OrderBys)
		c.orderLabels = saved
	}
	c.limitOffset(s.LimitExpr, s.OffsetExpr)
	if l := s.Lock; l != nil {
		c.lock(l)
	}
}

func (c *compiler) limitOffset(limit, offset expr.Expr) {
	if limit != nil {
		c.put(" LIMIT ")
		c.expr(limit, precAtom)
	}
	if offset != nil {
		if limit == nil && c.syn.LimitAll != "" {
			c.put(" LIMIT ")
			c.put(c.syn.LimitAll)
		}
		c.put(" OFFSET ")
		c.expr(offset, precAtom)
	}
}

func (c *compiler) lock(l *expr.LockClause) {
	if !c.feats.Has(ForUpdate) {
		// No row locks (SQLite): the whole database is locked by the transaction, so
		// the clause is left out; waiting options cannot be honoured.
		if l.Wait != expr.LockWaitDefault {
			c.fail(unsupported(c.d, "FOR UPDATE NOWAIT/SKIP LOCKED"))
		}
		return
	}
	if l.Strength == expr.LockShare {
		if c.syn.ShareLock == "" {
			c.fail(unsupported(c.d, "FOR SHARE"))
			return
		}
		c.b = append(c.b, ' ')
		c.put(c.syn.ShareLock)
	} else {
		c.put(" FOR UPDATE")
	}
	switch l.Wait {
	case expr.LockNoWait:
		if !c.feats.Has(SkipLocked) {
			c.fail(unsupported(c.d, "FOR UPDATE NOWAIT"))
			return
		}
		c.put(" NOWAIT")
	case expr.LockSkipLocked:
		if !c.feats.Has(SkipLocked) {
			c.fail(unsupported(c.d, "FOR UPDATE SKIP LOCKED"))
			return
		}
		c.put(" SKIP LOCKED")
	}
}

func (c *compiler) compound(s *expr.CompoundSelect) {
	if s.Err != nil {
		c.fail(exprError(s.Err))
		return
	}
	if len(s.Selects) < 2 {
		c.fail(errorf("%s needs at least two selects, has %d", s.Op, len(s.Selects)))
		return
	}
	switch s.Op {
	case expr.SetIntersect, expr.SetIntersectAll, expr.SetExcept, expr.SetExceptAll:
		if !c.feats.Has(IntersectExcept) {
			c.fail(unsupported(c.d, s.Op.String()))
			return
		}
	}
	for i, q := range s.Selects {
		if i > 0 {
			c.b = append(c.b, ' ')
			c.put(s.Op.String())
			c.b = append(c.b, ' ')
		}
		if needsWrapping(q) {
			// SQLite cannot parenthesise compound members; a derived table works everywhere.
			c.put("SELECT * FROM (")
			c.query(q)
			c.put(") AS ")
			c.nAnon++
			c.put("anon_")
			c.b = strconv.AppendInt(c.b, int64(c.nAnon), 10)
			continue
		}
		c.query(q)
	}
	if len(s.OrderBys) > 0 {
		c.put(" ORDER BY ")
		c.noQual++
		saved := c.orderLabels
		c.orderLabels = nil
		for _, rc := range expr.ResultColumnsOf(s) {
			c.orderLabels = append(c.orderLabels, rc.Expr)
		}
		c.orderList(s.OrderBys)
		c.orderLabels = saved
		c.noQual--
	}
	c.limitOffset(s.LimitExpr, s.OffsetExpr)
}

// needsWrapping reports whether a member of a compound select has clauses that would
// apply to the whole compound if written inline (ORDER BY, LIMIT, OFFSET, locks), or is
// itself a compound.
func needsWrapping(q expr.SelectStatement) bool {
	switch x := q.(type) {
	case *expr.SelectStmt:
		return len(x.OrderBys) > 0 || x.LimitExpr != nil || x.OffsetExpr != nil || x.Lock != nil
	case *expr.CompoundSelect:
		return true
	}
	return false
}

// froms computes the FROM list of s: the explicit items, then the tables its columns and
// WHERE clause use (first seen first), minus those joined or correlated, with the join
// steps applied.
func (c *compiler) froms(s *expr.SelectStmt) []expr.FromClause {
	var list []expr.FromClause
	var keys, covered []fromKey
	for _, f := range s.Froms {
		if f == nil {
			c.fail(errorf("FROM item is nil"))
			return nil
		}
		k := keyOf(f)
		if hasKey(keys, k) {
			continue
		}
		if _, ok := expr.UnwrapFrom(f).(*expr.JoinClause); ok {
			covered = leaves(covered, f)
		}
		list = append(list, f)
		keys = append(keys, k)
	}
	for _, j := range s.Joins {
		if j.Right == nil {
			c.fail(errorf("join to a nil table"))
			return nil
		}
		covered = leaves(covered, j.Right)
	}
	var tables []expr.FromClause
	for _, e := range s.Cols {
		tables = collectTables(tables, e)
	}
	for _, e := range s.Wheres {
		tables = collectTables(tables, e)
	}
	for _, t := range tables {
		k := keyOf(t)
		if hasKey(keys, k) || hasKey(covered, k) {
			continue
		}
		list = append(list, t)
		keys = append(keys, k)
	}
	// Explicit FROM items that are also inside an explicit join are written once, in the join.
	if len(covered) > 0 {
		out := list[:0:0]
		for _, f := range list {
			if _, ok := expr.UnwrapFrom(f).(*expr.JoinClause); !ok && hasKey(covered, keyOf(f)) {
				continue
			}
			out = append(out, f)
		}
		list = out
	}
	// Correlate: drop items an enclosing query reads from, unless nothing would be left.
	if len(c.scopes) > 0 && len(list) > 0 {
		keep := make([]expr.FromClause, 0, len(list))
		for _, f := range list {
			if !c.inScopes(keyOf(f)) {
				keep = append(keep, f)
			}
		}
		if len(keep) > 0 || len(s.Joins) > 0 {
			list = keep
		}
	}
	for _, j := range s.Joins {
		list = c.applyJoin(list, j)
	}
	return list
}

func (c *compiler) inScopes(k fromKey) bool {
	for _, sc := range c.scopes {
		if hasKey(sc, k) {
			return true
		}
	}
	return false
}

// applyJoin joins j.Right onto the item of list that j's condition refers to (or that a
// foreign key links to j.Right), else onto the first item.
func (c *compiler) applyJoin(list []expr.FromClause, j expr.JoinStep) []expr.FromClause {
	if len(list) == 0 {
		c.fail(errorf("join to %s has no left side: the statement selects from no table", fromName(j.Right)))
		return list
	}
	rightKeys := leaves(nil, j.Right)
	idx := -1
	on := j.On
	if on != nil {
		refs := collectTables(nil, on)
	find:
		for i, f := range list {
			lk := leaves(nil, f)
			for _, r := range refs {
				if k := keyOf(r); !hasKey(rightKeys, k) && hasKey(lk, k) {
					idx = i
					break find
				}
			}
		}
	} else {
		for i, f := range list {
			if n := len(fkConditions(f, j.Right)); n > 0 {
				idx = i
				break
			}
		}
		if idx < 0 {
			idx = 0
		}
		var err error
		on, err = inferOn(list[idx], j.Right)
		if err != nil {
			c.fail(err)
			return list
		}
	}
	if idx < 0 {
		idx = 0
	}
	out := make([]expr.FromClause, len(list))
	copy(out, list)
	out[idx] = &expr.JoinClause{Left: list[idx], Right: j.Right, On: on, Kind: j.Kind}
	return out
}

func fromName(f expr.FromClause) string {
	if t, ok := expr.UnwrapFrom(f).(expr.TableLike); ok {
		return t.TableName()
	}
	return "(join)"
}

// inferOn builds the join condition between left and right from the single foreign key
// that links them.
func inferOn(left, right expr.FromClause) (expr.Expr, error) {
	conds := fkConditions(left, right)
	switch len(conds) {
	case 1:
		return conds[0], nil
	case 0:
		return nil, errorf("cannot join %s to %s: no foreign key links them; give the ON condition",
			fromNames(left), fromName(right))
	}
	return nil, errorf("cannot join %s to %s: %d foreign keys link them; give the ON condition",
		fromNames(left), fromName(right), len(conds))
}

func fromNames(f expr.FromClause) string {
	var s string
	for i, l := range leafFroms(nil, f) {
		if i > 0 {
			s += ", "
		}
		s += fromName(l)
	}
	return s
}

// fkConditions returns one join condition per foreign key between a table inside left
// and right (in either direction). As in SQLAlchemy, each condition compares the
// referenced column with the referencing one: users.id = posts.user_id.
func fkConditions(left, right expr.FromClause) []expr.Expr {
	rt := schemaTableOf(right)
	var out []expr.Expr
	for _, l := range leafFroms(nil, left) {
		lt := schemaTableOf(l)
		md := (*schema.MetaData)(nil)
		if rt != nil {
			md = rt.MetaData
		} else if lt != nil {
			md = lt.MetaData
		}
		lrt, rrt := lt, rt
		if lrt == nil {
			lrt = lookupTable(md, l)
		}
		if rrt == nil {
			rrt = lookupTable(md, right)
		}
		ll, lok := expr.UnwrapFrom(l).(expr.TableLike)
		rl, rok := expr.UnwrapFrom(right).(expr.TableLike)
		if lrt == nil || rrt == nil || !lok || !rok {
			continue
		}
		// right's keys referencing left
		for _, fk := range rrt.ForeignKeys {
			if fk.RefTable == lrt.Key() {
				out = append(out, fkCond(ll, fk.RefCols, rl, fk.Columns))
			}
		}
		if lrt == rrt {
			continue
		}
		for _, fk := range lrt.ForeignKeys {
			if fk.RefTable == rrt.Key() {
				out = append(out, fkCond(rl, fk.RefCols, ll, fk.Columns))
			}
		}
	}
	return out
}

func lookupTable(md *schema.MetaData, f expr.FromClause) *schema.Table {
	if md == nil {
		return nil
	}
	if st := schemaTableOf(f); st != nil {
		return st
	}
	if t, ok := expr.UnwrapFrom(f).(*expr.TableClause); ok {
		key := t.Name
		if t.Schema != "" {
			key = t.Schema + "." + t.Name
		}
		if st, ok := md.TableByName(key); ok {
			return st
		}
	}
	return nil
}

func fkCond(a expr.TableLike, acols []string, b expr.TableLike, bcols []string) expr.Expr {
	conds := make([]expr.Expr, 0, len(acols))
	for i := range acols {
		if i >= len(bcols) {
			break
		}
		conds = append(conds, a.C(acols[i]).Eq(b.C(bcols[i])))
	}
	return expr.And(conds...)
}

func (c *compiler) fromItem(f expr.FromClause) {
	switch x := expr.UnwrapFrom(f).(type) {
	case *expr.TableClause:
		c.tableName(x)
	case *expr.AliasClause:
		switch in := expr.UnwrapFrom(x.Of).(type) {
		case *expr.TableClause:
			c.tableName(in)
		case *expr.Subquery:
			c.b = append(c.b, '(')
			c.derived(in.Select)
			c.b = append(c.b, ')')
		case *expr.CTE:
			c.ident(in.Name)
		default:
			c.fail(errorf("cannot alias a %T", x.Of))
			return
		}
		c.put(" AS ")
		c.named("an alias", x.Name)
	case *expr.Subquery:
		c.b = append(c.b, '(')
		c.derived(x.Select)
		c.put(") AS ")
		c.ident(c.subqueryName(x))
	case *expr.CTE:
		c.named("a common table expression", x.Name)
	case *expr.JoinClause:
		c.join(x)
	default:
		c.fail(errorf("cannot select from a %T", f))
	}
}

func (c *compiler) join(j *expr.JoinClause) {
	c.fromItem(j.Left)
	switch j.Kind {
	case expr.LeftJoin:
		c.put(" LEFT OUTER JOIN ")
	case expr.FullJoin:
		if !c.feats.Has(FullOuterJoin) {
			c.fail(unsupported(c.d, "FULL OUTER JOIN"))
			return
		}
		c.put(" FULL OUTER JOIN ")
	default:
		c.put(" JOIN ")
	}
	if _, ok := expr.UnwrapFrom(j.Right).(*expr.JoinClause); ok {
		c.b = append(c.b, '(')
		c.fromItem(j.Right)
		c.b = append(c.b, ')')
	} else {
		c.fromItem(j.Right)
	}
	on := j.On
	if on == nil {
		var err error
		if on, err = inferOn(j.Left, j.Right); err != nil {
			c.fail(err)
			return
		}
	}
	c.put(" ON ")
	c.expr(on, 0)
}

// ---- INSERT / UPDATE / DELETE ----

func (c *compiler) targetTable(t expr.TableLike, verb string) *expr.TableClause {
	if t == nil {
		c.fail(errorf("%s has no table", verb))
		return nil
	}
	tc, ok := expr.UnwrapFrom(t).(*expr.TableClause)
	if !ok {
		c.fail(errorf("%s target must be a table, not %T", verb, t))
		return nil
	}
	return tc
}

func (c *compiler) assignments(list []expr.Assignment) {
	for i, a := range list {
		if i > 0 {
			c.put(", ")
		}
		if a.Col == nil {
			c.fail(errorf("assignment to a nil column"))
			return
		}
		if a.Col.Err != nil {
			c.fail(columnError(a.Col))
			return
		}
		c.ident(a.Col.Name)
		c.put(" = ")
		c.argCol = a.Col.Name
		c.expr(a.Value, 0)
		c.argCol = ""
	}
}

func (c *compiler) returning(items []expr.Expr, f Feature, what string) {
	if len(items) == 0 {
		return
	}
	if !c.feats.Has(f) {
		c.fail(unsupported(c.d, what+" ... RETURNING"))
		return
	}
	c.put(" RETURNING ")
	c.noQual++
	for i, rc := range (&expr.SelectStmt{Cols: items}).ResultColumns() {
		if i > 0 {
			c.put(", ")
		}
		c.expr(rc.Expr, 0)
		if _, ok := rc.Expr.(*expr.LabelExpr); ok || rc.Generated {
			c.put(" AS ")
			c.named("a label", rc.Name)
		}
	}
	c.noQual--
}

func (c *compiler) insert(s *expr.InsertStmt) {
	t := c.targetTable(s.Table, "insert")
	if t == nil {
		return
	}
	cols, rows := s.Cols, s.Rows
	if c.w != nil {
		cols, rows = c.w.insCols, c.w.insRows
	}
	if s.Conflict != nil && !c.feats.Has(OnConflict) {
		c.fail(unsupported(c.d, "INSERT ... ON CONFLICT"))
		return
	}
	if len(s.DupUpdate) > 0 && !c.feats.Has(OnDuplicateKey) {
		c.fail(unsupported(c.d, "INSERT ... ON DUPLICATE KEY UPDATE"))
		return
	}
	if len(rows) > 1 && !c.feats.Has(MultiValuesInsert) {
		c.fail(unsupported(c.d, "multi-row INSERT ... VALUES"))
		return
	}
	if s.Select == nil {
		c.with()
	}
	c.put("INSERT INTO ")
	c.tableName(t)
	scope := []fromKey{keyOf(t)}
	c.scopes = append(c.scopes, scope)
	defer func() { c.scopes = c.scopes[:len(c.scopes)-1] }()
	c.noQual++
	if len(cols) > 0 {
		c.put(" (")
		for i, col := range cols {
			if i > 0 {
				c.put(", ")
			}
			if col.Err != nil {
				c.fail(columnError(col))
				return
			}
			c.ident(col.Name)
		}
		c.b = append(c.b, ')')
	}
	c.noQual--
	switch {
	case s.Select != nil:
		if len(cols) == 0 {
			c.fail(errorf("insert into %s from select names no columns", t.Name))
			return
		}
		c.b = append(c.b, ' ')
		saved := c.scopes
		c.scopes = nil
		c.with()
		q := s.Select
		if sel, ok := q.(*expr.SelectStmt); ok && s.Conflict != nil && len(sel.Wheres) == 0 {
			// SQLite needs a WHERE before ON CONFLICT to parse INSERT ... SELECT ... ON
			// CONFLICT (ON could otherwise belong to a join); WHERE true is harmless elsewhere.
			q = sel.Where(expr.True())
		}
		c.query(q)
		c.scopes = saved
	case len(cols) == 0:
		if len(rows) > 1 {
			c.fail(errorf("insert into %s: %d rows with no values", t.Name, len(rows)))
			return
		}
		c.b = append(c.b, ' ')
		c.put(c.syn.DefaultValues)
	default:
		c.put(" VALUES ")
		for i, r := range rows {
			if i > 0 {
				c.put(", ")
			}
			if len(r) != len(cols) {
				c.fail(errorf("insert into %s: row %d has %d values for %d columns", t.Name, i+1, len(r), len(cols)))
				return
			}
			c.b = append(c.b, '(')
			for j, v := range r {
				if j > 0 {
					c.put(", ")
				}
				c.argCol = cols[j].Name
				c.expr(v, 0)
			}
			c.argCol = ""
			c.b = append(c.b, ')')
		}
	}
	if cf := s.Conflict; cf != nil {
		c.put(" ON CONFLICT")
		if len(cf.Target) > 0 {
			c.put(" (")
			for i, col := range cf.Target {
				if i > 0 {
					c.put(", ")
				}
				c.ident(col.Name)
			}
			c.b = append(c.b, ')')
		}
		switch cf.Action {
		case expr.ConflictDoNothing:
			c.put(" DO NOTHING")
		case expr.ConflictDoUpdate:
			if len(cf.Target) == 0 {
				c.fail(errorf("insert into %s: ON CONFLICT DO UPDATE needs conflict target columns", t.Name))
				return
			}
			if len(cf.Set) == 0 {
				c.fail(errorf("insert into %s: ON CONFLICT DO UPDATE has no SET values", t.Name))
				return
			}
			c.put(" DO UPDATE SET ")
			c.assignments(cf.Set)
			if cf.Where != nil {
				c.put(" WHERE ")
				c.expr(cf.Where, 0)
			}
		default:
			c.fail(errorf("insert into %s: ON CONFLICT has no action", t.Name))
			return
		}
	}
	if len(s.DupUpdate) > 0 {
		c.put(" ON DUPLICATE KEY UPDATE ")
		c.assignments(s.DupUpdate)
	}
	c.returning(s.Returns, InsertReturning, "INSERT")
}

func (c *compiler) update(s *expr.UpdateStmt) {
	t := c.targetTable(s.Table, "update")
	if t == nil {
		return
	}
	if len(s.Sets) == 0 {
		c.fail(errorf("update of %s has no SET values", t.Name))
		return
	}
	c.with()
	c.put("UPDATE ")
	c.tableName(t)
	c.scopes = append(c.scopes, []fromKey{keyOf(t)})
	defer func() { c.scopes = c.scopes[:len(c.scopes)-1] }()
	c.put(" SET ")
	c.assignments(s.Sets)
	c.conditions("WHERE", s.Wheres)
	c.returning(s.Returns, UpdateReturning, "UPDATE")
}

// conditions renders " WHERE a AND b ..." (or HAVING) for conds, if any. A nil condition
// is an error rather than skipped: dropping it would widen the statement, and a DELETE
// whose only condition was nil would delete every row.
func (c *compiler) conditions(keyword string, conds []expr.Expr) {
	if len(conds) == 0 {
		return
	}
	for i, e := range conds {
		if e == nil {
			c.fail(errorf("%s condition %d is nil", keyword, i+1))
			return
		}
	}
	c.put(" " + keyword + " ")
	c.expr(expr.And(conds...), 0)
}

func (c *compiler) delete(s *expr.DeleteStmt) {
	t := c.targetTable(s.Table, "delete")
	if t == nil {
		return
	}
	c.with()
	c.put("DELETE FROM ")
	c.tableName(t)
	c.scopes = append(c.scopes, []fromKey{keyOf(t)})
	defer func() { c.scopes = c.scopes[:len(c.scopes)-1] }()
	c.conditions("WHERE", s.Wheres)
	c.returning(s.Returns, DeleteReturning, "DELETE")
}
