package compile

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// A shape walker visits a statement once before it is compiled. It writes the statement's
// shape (its structure, identifiers and types, without bound values) into key, which
// keys the statement cache, and collects the bound parameters in visiting order. A cached
// compilation records, for each placeholder, the index of its parameter in that order, so
// a cache hit only needs this walk to produce fresh arguments.
//
// The walk must encode every property that changes the rendered SQL: when adding a field
// to a node, add it here too.
type walker struct {
	key   []byte
	binds []*expr.Bind
	err   error

	// anonymous derived tables in order of first appearance (identified by pointer)
	anon []expr.FromClause
	// CTEs whose body has been encoded
	ctes []*expr.CTE
	// insert: the effective columns and rows (client-side defaults filled in)
	insCols []*expr.ColumnClause
	insRows [][]expr.Expr
	// text statements: the bound parameter of each placeholder occurrence
	texts []textBinds
}

type textBinds struct {
	t     *expr.TextStmt
	binds []*expr.Bind
}

var walkerPool = sync.Pool{New: func() any { return &walker{key: make([]byte, 0, 256)} }}

func getWalker() *walker { return walkerPool.Get().(*walker) }

func putWalker(w *walker) {
	if cap(w.key) > 64<<10 {
		return
	}
	w.key = w.key[:0]
	clear(w.binds)
	w.binds = w.binds[:0]
	w.err = nil
	clear(w.anon)
	w.anon = w.anon[:0]
	clear(w.ctes)
	w.ctes = w.ctes[:0]
	w.insCols, w.insRows = nil, nil
	clear(w.texts)
	w.texts = w.texts[:0]
	walkerPool.Put(w)
}

// Node tags of the shape encoding.
const (
	tNil byte = iota + 1
	tSelect
	tCompound
	tInsert
	tUpdate
	tDelete
	tText
	tColumn
	tBind
	tBinary
	tBoolList
	tNot
	tIn
	tBetween
	tLiteral
	tLabel
	tCast
	tFunc
	tOver
	tCase
	tOrdering
	tExists
	tScalar
	tExcluded
	tTable
	tAlias
	tSubquery
	tCTE
	tCTERef
	tJoin
	tSchemaTable
	tUnknown
	tTuple
)

func (w *walker) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *walker) tag(t byte) { w.key = append(w.key, t) }

func (w *walker) num(n int) { w.key = binary.AppendUvarint(w.key, uint64(n)) }

func (w *walker) str(s string) {
	w.key = binary.AppendUvarint(w.key, uint64(len(s)))
	w.key = append(w.key, s...)
}

func (w *walker) flag(b bool) {
	if b {
		w.key = append(w.key, 1)
	} else {
		w.key = append(w.key, 0)
	}
}

func (w *walker) typ(t types.Type) {
	w.key = append(w.key, byte(t.Kind))
	if t.Length != 0 || t.Precision != 0 || t.Scale != 0 || t.Timezone || t.EnumName != "" || len(t.EnumValues) > 0 {
		w.key = append(w.key, 0xff)
		w.num(t.Length)
		w.num(t.Precision)
		w.num(t.Scale)
		w.flag(t.Timezone)
		w.str(t.EnumName)
		w.num(len(t.EnumValues))
		for _, v := range t.EnumValues {
			w.str(v)
		}
	}
}

func (w *walker) statement(s expr.Statement) {
	switch x := s.(type) {
	case *expr.SelectStmt:
		w.selectStmt(x)
	case *expr.CompoundSelect:
		w.compound(x)
	case *expr.InsertStmt:
		w.insert(x)
	case *expr.UpdateStmt:
		w.update(x)
	case *expr.DeleteStmt:
		w.delete(x)
	case *expr.TextStmt:
		w.text(x)
	case nil:
		w.fail(errorf("statement is nil"))
	default:
		w.fail(errorf("cannot compile statement of type %T", s))
	}
}

func (w *walker) query(s expr.SelectStatement) {
	switch x := s.(type) {
	case *expr.SelectStmt:
		w.selectStmt(x)
	case *expr.CompoundSelect:
		w.compound(x)
	default:
		w.tag(tNil)
		w.fail(errorf("subquery is nil"))
	}
}

func (w *walker) exprs(list []expr.Expr) {
	w.num(len(list))
	for _, e := range list {
		w.expr(e)
	}
}

func (w *walker) optExpr(e expr.Expr) {
	if e == nil {
		w.tag(tNil)
		return
	}
	w.expr(e)
}

func (w *walker) selectStmt(s *expr.SelectStmt) {
	if s == nil {
		w.tag(tNil)
		w.fail(errorf("select is nil"))
		return
	}
	if s.Err != nil {
		w.fail(exprError(s.Err))
	}
	w.tag(tSelect)
	w.exprs(s.Cols)
	w.num(len(s.Froms))
	for _, f := range s.Froms {
		w.from(f)
	}
	w.num(len(s.Joins))
	for _, j := range s.Joins {
		w.key = append(w.key, byte(j.Kind))
		w.from(j.Right)
		w.optExpr(j.On)
	}
	w.exprs(s.Wheres)
	w.exprs(s.GroupBys)
	w.exprs(s.Havings)
	w.exprs(s.OrderBys)
	w.optExpr(s.LimitExpr)
	w.optExpr(s.OffsetExpr)
	w.flag(s.IsDistinct)
	if s.Lock == nil {
		w.tag(tNil)
	} else {
		w.key = append(w.key, 2, byte(s.Lock.Strength), byte(s.Lock.Wait))
	}
}

func (w *walker) compound(s *expr.CompoundSelect) {
	if s == nil {
		w.tag(tNil)
		w.fail(errorf("compound select is nil"))
		return
	}
	if s.Err != nil {
		w.fail(exprError(s.Err))
	}
	w.tag(tCompound)
	w.key = append(w.key, byte(s.Op))
	w.num(len(s.Selects))
	for _, q := range s.Selects {
		w.query(q)
	}
	w.exprs(s.OrderBys)
	w.optExpr(s.LimitExpr)
	w.optExpr(s.OffsetExpr)
}

func (w *walker) assignments(list []expr.Assignment) {
	w.num(len(list))
	for _, a := range list {
		if a.Col == nil {
			w.fail(errorf("assignment to a nil column"))
			w.tag(tNil)
		} else {
			w.column(a.Col)
		}
		w.optExpr(a.Value)
	}
}

// dmlTarget encodes the start of an INSERT, UPDATE or DELETE: the statement's build error,
// its tag and its target table. It reports false when there is no table to go on with.
func (w *walker) dmlTarget(err error, tag byte, table expr.TableLike, verb string) bool {
	if err != nil {
		w.fail(exprError(err))
	}
	w.tag(tag)
	if table == nil {
		w.fail(errorf("%s has no table", verb))
		return false
	}
	w.from(table)
	return true
}

func (w *walker) insert(s *expr.InsertStmt) {
	if !w.dmlTarget(s.Err, tInsert, s.Table, "insert") {
		return
	}
	cols, rows := s.Cols, s.Rows
	if st := schemaTableOf(s.Table); st != nil && s.Select == nil {
		cols, rows = fillDefaults(st, cols, rows)
	}
	w.insCols, w.insRows = cols, rows
	w.num(len(cols))
	for _, c := range cols {
		w.column(c)
	}
	w.num(len(rows))
	for _, r := range rows {
		w.exprs(r)
	}
	if s.Select != nil {
		w.flag(true)
		w.query(s.Select)
	} else {
		w.flag(false)
	}
	w.exprs(s.Returns)
	if c := s.Conflict; c != nil {
		w.key = append(w.key, 2, byte(c.Action))
		w.num(len(c.Target))
		for _, t := range c.Target {
			w.column(t)
		}
		w.assignments(c.Set)
		w.optExpr(c.Where)
	} else {
		w.tag(tNil)
	}
	w.assignments(s.DupUpdate)
}

// fillDefaults returns the columns and rows of an insert into t with the client-side
// defaults of the columns not given added (one value per row, a func() any called for
// each row). With no rows and some defaults, it makes one row of defaults.
func fillDefaults(t *schema.Table, cols []*expr.ColumnClause, rows [][]expr.Expr) ([]*expr.ColumnClause, [][]expr.Expr) {
	var add []*schema.Column
	for _, sc := range t.Cols {
		if sc.Default == nil {
			continue
		}
		given := false
		for _, c := range cols {
			if c.Name == sc.Name {
				given = true
				break
			}
		}
		if !given {
			add = append(add, sc)
		}
	}
	if len(add) == 0 {
		return cols, rows
	}
	if len(rows) == 0 {
		rows = [][]expr.Expr{nil}
	}
	nc := make([]*expr.ColumnClause, 0, len(cols)+len(add))
	nc = append(nc, cols...)
	for _, sc := range add {
		nc = append(nc, sc.ColumnClause)
	}
	nr := make([][]expr.Expr, len(rows))
	for i, r := range rows {
		row := make([]expr.Expr, 0, len(nc))
		row = append(row, r...)
		for _, sc := range add {
			v, _ := sc.DefaultValue()
			row = append(row, expr.ToExpr(v, sc.Type))
		}
		nr[i] = row
	}
	return nc, nr
}

func (w *walker) update(s *expr.UpdateStmt) {
	if !w.dmlTarget(s.Err, tUpdate, s.Table, "update") {
		return
	}
	w.assignments(s.Sets)
	w.exprs(s.Wheres)
	w.exprs(s.Returns)
}

func (w *walker) delete(s *expr.DeleteStmt) {
	if !w.dmlTarget(s.Err, tDelete, s.Table, "delete") {
		return
	}
	w.exprs(s.Wheres)
	w.exprs(s.Returns)
}

func (w *walker) text(t *expr.TextStmt) {
	w.tag(tText)
	w.num(len(t.Segments))
	var binds []*expr.Bind
	for _, seg := range t.Segments {
		if seg.Param == "" {
			w.flag(false)
			w.str(seg.SQL)
			continue
		}
		w.flag(true)
		w.str(seg.Param)
		found := false
		// The last value given for a name wins.
		for i := len(t.Params) - 1; i >= 0; i-- {
			if p := t.Params[i]; p.Name == seg.Param {
				b := &expr.Bind{Value: p.Value, Type: p.Type, Name: p.Name}
				binds = append(binds, b)
				w.binds = append(w.binds, b)
				w.typ(p.Type)
				found = true
				break
			}
		}
		if !found {
			w.fail(errorf("text: no value for parameter :%s", seg.Param))
		}
	}
	w.texts = append(w.texts, textBinds{t: t, binds: binds})
	w.num(len(t.Cols))
	for _, c := range t.Cols {
		w.str(c.Name)
		w.typ(c.Type)
	}
}

func (w *walker) column(c *expr.ColumnClause) {
	if c == nil {
		w.tag(tNil)
		w.fail(errorf("column is nil"))
		return
	}
	if c.Err != nil {
		w.fail(columnError(c))
	}
	w.tag(tColumn)
	w.str(c.Name)
	w.typ(c.Type)
	if c.Table == nil {
		w.tag(tNil)
	} else {
		w.fromRef(c.Table)
	}
}

// fromRef encodes a reference to a FROM item (the qualifier of a column, a FROM list
// entry, a join side). Tables are encoded by name; an alias, subquery or CTE is encoded
// in full the first time it is seen and by its ordinal afterwards, so that identity
// (the same subquery twice, or two equal ones) is part of the shape.
func (w *walker) fromRef(f expr.FromClause) {
	f = expr.UnwrapFrom(f)
	switch x := f.(type) {
	case nil:
		w.tag(tNil)
		w.fail(errorf("FROM item is nil"))
	case *expr.TableClause:
		w.tag(tTable)
		w.str(x.Schema)
		w.str(x.Name)
	case *expr.AliasClause:
		w.tag(tAlias)
		w.str(x.Name)
		if w.seenBefore(x) {
			return
		}
		w.from(x.Of)
	case *expr.CTE:
		w.cte(x)
	case *expr.Subquery:
		w.tag(tSubquery)
		w.str(x.Name)
		if w.seenBefore(x) {
			return
		}
		w.query(x.Select)
	case *expr.JoinClause:
		w.tag(tJoin)
		w.key = append(w.key, byte(x.Kind))
		w.from(x.Left)
		w.from(x.Right)
		w.optExpr(x.On)
	default:
		w.tag(tUnknown)
		w.str(fmt.Sprintf("%T", f))
		w.fail(errorf("cannot select from a %T", f))
	}
}

// seenBefore encodes f's ordinal among the derived FROM items seen so far and reports
// whether it was seen before.
func (w *walker) seenBefore(f expr.FromClause) bool {
	for i, a := range w.anon {
		if a == f {
			w.num(i)
			w.flag(true)
			return true
		}
	}
	w.anon = append(w.anon, f)
	w.num(len(w.anon) - 1)
	w.flag(false)
	return false
}

// from encodes a FROM item given explicitly (From, Join, an insert target). A
// *schema.Table also contributes its foreign keys, which inferred join conditions use.
func (w *walker) from(f expr.FromClause) {
	if st, ok := f.(*schema.Table); ok {
		w.tag(tSchemaTable)
		w.num(len(st.ForeignKeys))
		for _, fk := range st.ForeignKeys {
			w.str(fk.RefTable)
			w.num(len(fk.Columns))
			for i := range fk.Columns {
				w.str(fk.Columns[i])
				if i < len(fk.RefCols) {
					w.str(fk.RefCols[i])
				}
			}
		}
	}
	w.fromRef(f)
}

func (w *walker) cte(x *expr.CTE) {
	w.tag(tCTE)
	w.str(x.Name)
	for i, c := range w.ctes {
		if c == x {
			w.num(i)
			return
		}
	}
	w.ctes = append(w.ctes, x)
	w.num(len(w.ctes) - 1)
	w.flag(x.Recursive)
	w.query(x.Select)
}

func (w *walker) expr(e expr.Expr) {
	switch x := e.(type) {
	case nil:
		w.tag(tNil)
	case *expr.ColumnClause:
		w.column(x)
	case *expr.Bind:
		w.tag(tBind)
		w.typ(x.Type)
		if x.Type.Kind == types.KindUnknown {
			// The Go type of an untyped value may decide a cast (CastUntypedBinds).
			w.key = append(w.key, goKind(x.Value))
		}
		w.binds = append(w.binds, x)
	case *expr.BinaryExpr:
		w.tag(tBinary)
		w.key = append(w.key, byte(x.Op))
		w.typ(x.Type)
		w.expr(x.Left)
		w.expr(x.Right)
	case *expr.BoolList:
		w.tag(tBoolList)
		w.key = append(w.key, byte(x.Op))
		w.exprs(x.Items)
	case *expr.NotExpr:
		w.tag(tNot)
		w.expr(x.X)
	case *expr.InExpr:
		if x.Err != nil {
			w.fail(exprError(x.Err))
			return
		}
		w.tag(tIn)
		w.flag(x.Negate)
		w.expr(x.X)
		w.exprs(x.Values)
		if x.Select != nil {
			w.flag(true)
			w.query(x.Select)
		} else {
			w.flag(false)
		}
	case *expr.TupleExpr:
		if x.Err != nil {
			w.fail(exprError(x.Err))
			return
		}
		w.tag(tTuple)
		w.exprs(x.Items)
	case *expr.BetweenExpr:
		w.tag(tBetween)
		w.flag(x.Negate)
		w.expr(x.X)
		w.expr(x.Lo)
		w.expr(x.Hi)
	case *expr.LiteralExpr:
		w.tag(tLiteral)
		w.key = append(w.key, byte(x.Kind))
	case *expr.LabelExpr:
		w.tag(tLabel)
		w.str(x.Name)
		w.expr(x.X)
	case *expr.CastExpr:
		w.tag(tCast)
		w.typ(x.Type)
		w.expr(x.X)
	case *expr.FuncCall:
		w.tag(tFunc)
		w.str(x.Name)
		w.typ(x.Type)
		w.flag(x.Distinct)
		w.exprs(x.Args)
	case *expr.OverExpr:
		w.tag(tOver)
		w.expr(x.Fn)
		w.exprs(x.PartitionBys)
		w.exprs(x.OrderBys)
		if f := x.Frame; f != nil {
			w.key = append(w.key, 2, byte(f.Kind), byte(f.Start.Kind), byte(f.End.Kind))
			w.num(f.Start.Offset)
			w.num(f.End.Offset)
		} else {
			w.tag(tNil)
		}
	case *expr.CaseExpr:
		w.tag(tCase)
		w.optExpr(x.Value)
		w.num(len(x.Whens))
		for _, wh := range x.Whens {
			w.expr(wh.Cond)
			w.expr(wh.Result)
		}
		w.optExpr(x.ElseExpr)
	case *expr.Ordering:
		w.tag(tOrdering)
		w.flag(x.Desc)
		w.key = append(w.key, byte(x.Nulls))
		w.expr(x.X)
	case *expr.ExistsExpr:
		w.tag(tExists)
		w.query(x.Select)
	case *expr.ScalarSubquery:
		w.tag(tScalar)
		w.query(x.Select)
	case *expr.ExcludedExpr:
		w.tag(tExcluded)
		w.column(x.Col)
	case *expr.TextStmt:
		w.text(x)
	default:
		if u := expr.Unwrap(e); u != e {
			w.expr(u)
			return
		}
		w.tag(tUnknown)
		w.fail(errorf("cannot compile expression of type %T", e))
	}
}

// schemaTableOf returns the *schema.Table behind f (directly or through an alias), or nil.
func schemaTableOf(f expr.FromClause) *schema.Table {
	switch x := f.(type) {
	case *schema.Table:
		return x
	case *expr.AliasClause:
		return schemaTableOf(x.Of)
	case *expr.TableClause:
		if t, ok := schema.TableOf(x); ok {
			return t
		}
	}
	return nil
}
