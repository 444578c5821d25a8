package expr

import (
	"github.com/retortdb/retort/types"
)

// FuncCall is a SQL function call name(args...), SQLAlchemy's func.name(...). The name is
// rendered as given, except that dialects may respell generic names (see Now).
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type FuncCall struct {
	Name     string
	Args     []Expr
	Type     types.Type
	Distinct bool // name(DISTINCT args...)
}

func (*FuncCall) exprNode() {}

// SQLType returns the function's result type (unknown for Fn unless set with WithType).
func (f *FuncCall) SQLType() types.Type { return f.Type }

// WithType returns f with result type t, so that its results are converted as t.
func (f *FuncCall) WithType(t types.Type) *FuncCall { n := *f; n.Type = t; return &n }

// DistinctArgs returns f applied to distinct values of its arguments: count(DISTINCT x).
func (f *FuncCall) DistinctArgs() *FuncCall { n := *f; n.Distinct = true; return &n }

// Over returns f as a window function: f OVER (...). Add PARTITION BY, ORDER BY and a
// frame with the methods of the result:
//
//	expr.RowNumber().Over().PartitionBy(t.C("dept")).OrderBy(t.C("salary").Desc())
func (f *FuncCall) Over() *OverExpr { return &OverExpr{Fn: f} }

// Fn returns the generic function call name(args...). Go values among args become bound
// parameters. The result type is unknown; set it with WithType.
func Fn(name string, args ...any) *FuncCall {
	return &FuncCall{Name: name, Args: toExprs(args, types.Unknown())}
}

func toExprs(args []any, t types.Type) []Expr {
	out := make([]Expr, len(args))
	for i, a := range args {
		out[i] = ToExpr(a, t)
	}
	return out
}

func fn1(name string, x any, t func(Expr) types.Type) *FuncCall {
	e := ToExpr(x, types.Unknown())
	return &FuncCall{Name: name, Args: []Expr{e}, Type: t(e)}
}

func sameType(e Expr) types.Type { return TypeOf(e) }

// Count returns count(x) (a bigint).
func Count(x any) *FuncCall {
	return fn1("count", x, func(Expr) types.Type { return types.BigInt() })
}

// CountStar returns count(*).
func CountStar() *FuncCall {
	return &FuncCall{Name: "count", Args: []Expr{starLit}, Type: types.BigInt()}
}

// Sum returns sum(x), typed as x.
func Sum(x any) *FuncCall { return fn1("sum", x, sameType) }

// Avg returns avg(x): typed as x for a numeric x, else as a double.
func Avg(x any) *FuncCall {
	return fn1("avg", x, func(e Expr) types.Type {
		if t := TypeOf(e); t.Kind == types.KindNumeric || t.Kind == types.KindDouble || t.Kind == types.KindFloat {
			return t
		}
		return types.Double()
	})
}

// Min returns min(x), typed as x.
func Min(x any) *FuncCall { return fn1("min", x, sameType) }

// Max returns max(x), typed as x.
func Max(x any) *FuncCall { return fn1("max", x, sameType) }

// Lower returns lower(x).
func Lower(x any) *FuncCall { return fn1("lower", x, stringType) }

// Upper returns upper(x).
func Upper(x any) *FuncCall { return fn1("upper", x, stringType) }

func stringType(e Expr) types.Type {
	if t := TypeOf(e); t.Kind == types.KindString || t.Kind == types.KindText {
		return t
	}
	return types.String(0)
}

// Coalesce returns coalesce(args...), typed as its first typed argument. Go values are
// bound with that type.
func Coalesce(args ...any) *FuncCall {
	var t types.Type
	for _, a := range args {
		if e, ok := a.(Expr); ok {
			if tt := TypeOf(Unwrap(e)); !tt.IsZero() {
				t = tt
				break
			}
		}
	}
	return &FuncCall{Name: "coalesce", Args: toExprs(args, t), Type: t}
}

// Now returns the current time, an instant of type timestamp with time zone, with
// microseconds: now() on PostgreSQL, now(6) on MySQL and MariaDB, and on SQLite the UTC
// time as text in the format every stored timestamp has, so that it compares correctly
// with them.
func Now() *FuncCall { return &FuncCall{Name: "now", Type: types.Timestamp(true)} }

// RowNumber returns row_number(), to be used with Over.
func RowNumber() *FuncCall { return &FuncCall{Name: "row_number", Type: types.BigInt()} }

// Rank returns rank(), to be used with Over.
func Rank() *FuncCall { return &FuncCall{Name: "rank", Type: types.BigInt()} }

// DenseRank returns dense_rank(), to be used with Over.
func DenseRank() *FuncCall { return &FuncCall{Name: "dense_rank", Type: types.BigInt()} }

// FrameKind is ROWS or RANGE.
type FrameKind uint8

// The window frame kinds.
const (
	FrameRows FrameKind = iota + 1
	FrameRange
)

// BoundKind is the kind of one end of a window frame.
type BoundKind uint8

// The frame bound kinds.
const (
	BoundUnboundedPreceding BoundKind = iota + 1
	BoundPreceding                    // N PRECEDING
	BoundCurrentRow
	BoundFollowing // N FOLLOWING
	BoundUnboundedFollowing
)

// FrameBound is one end of a window frame.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type FrameBound struct {
	Kind   BoundKind
	Offset int // for BoundPreceding and BoundFollowing
}

// The fixed frame bounds.
var (
	UnboundedPreceding = FrameBound{Kind: BoundUnboundedPreceding}
	CurrentRow         = FrameBound{Kind: BoundCurrentRow}
	UnboundedFollowing = FrameBound{Kind: BoundUnboundedFollowing}
)

// Preceding returns the frame bound "n PRECEDING".
func Preceding(n int) FrameBound { return FrameBound{Kind: BoundPreceding, Offset: n} }

// Following returns the frame bound "n FOLLOWING".
func Following(n int) FrameBound { return FrameBound{Kind: BoundFollowing, Offset: n} }

// Frame is a window frame: ROWS|RANGE BETWEEN Start AND End.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type Frame struct {
	Kind       FrameKind
	Start, End FrameBound
}

// OverExpr is a window function call: Fn OVER (PARTITION BY ... ORDER BY ... frame).
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type OverExpr struct {
	Fn           Expr
	PartitionBys []Expr
	OrderBys     []Expr // Expr or *Ordering
	Frame        *Frame
}

func (*OverExpr) exprNode() {}

// SQLType returns the window function's type.
func (o *OverExpr) SQLType() types.Type { return TypeOf(o.Fn) }

// PartitionBy returns o with PARTITION BY items appended.
func (o *OverExpr) PartitionBy(items ...Expr) *OverExpr {
	n := *o
	n.PartitionBys = appendExprs(o.PartitionBys, items)
	return &n
}

// OrderBy returns o with ORDER BY items appended (Exprs or Orderings).
func (o *OverExpr) OrderBy(items ...Expr) *OverExpr {
	n := *o
	n.OrderBys = appendExprs(o.OrderBys, items)
	return &n
}

// Rows returns o with the frame ROWS BETWEEN start AND end.
func (o *OverExpr) Rows(start, end FrameBound) *OverExpr {
	n := *o
	n.Frame = &Frame{Kind: FrameRows, Start: start, End: end}
	return &n
}

// Range returns o with the frame RANGE BETWEEN start AND end.
func (o *OverExpr) Range(start, end FrameBound) *OverExpr {
	n := *o
	n.Frame = &Frame{Kind: FrameRange, Start: start, End: end}
	return &n
}

// appendExprs returns a new slice holding a then b (unwrapped); a is never modified.
func appendExprs(a []Expr, b []Expr) []Expr {
	out := make([]Expr, 0, len(a)+len(b))
	out = append(out, a...)
	for _, e := range b {
		out = append(out, Unwrap(e))
	}
	return out
}

// When is one WHEN ... THEN ... arm of a CaseExpr.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type When struct {
	Cond, Result Expr
}

// CaseExpr is CASE [Value] WHEN ... THEN ... [ELSE ...] END.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type CaseExpr struct {
	Value    Expr // nil for a searched CASE
	Whens    []When
	ElseExpr Expr // nil when absent
}

func (*CaseExpr) exprNode() {}

// SQLType returns the type of the first typed result.
func (c *CaseExpr) SQLType() types.Type {
	for _, w := range c.Whens {
		if t := TypeOf(w.Result); !t.IsZero() {
			return t
		}
	}
	if c.ElseExpr != nil {
		return TypeOf(c.ElseExpr)
	}
	return types.Unknown()
}

// Case starts a CASE expression. Case() is a searched CASE (When takes conditions);
// Case(x) is a simple CASE comparing x with each When value.
func Case(value ...any) *CaseExpr {
	c := &CaseExpr{}
	if len(value) > 0 {
		c.Value = ToExpr(value[0], types.Unknown())
	}
	return c
}

// When returns c with the arm WHEN cond THEN result. For a simple CASE, a Go value cond is
// bound with the compared expression's type; a Go value result is bound with the type of
// the earlier results.
func (c *CaseExpr) When(cond, result any) *CaseExpr {
	var ct types.Type
	if c.Value != nil {
		ct = TypeOf(c.Value)
	}
	n := *c
	n.Whens = make([]When, len(c.Whens), len(c.Whens)+1)
	copy(n.Whens, c.Whens)
	n.Whens = append(n.Whens, When{Cond: ToExpr(cond, ct), Result: ToExpr(result, c.SQLType())})
	return &n
}

// Else returns c with ELSE v.
func (c *CaseExpr) Else(v any) *CaseExpr {
	n := *c
	n.ElseExpr = ToExpr(v, c.SQLType())
	return &n
}

// ExistsExpr is EXISTS (subquery).
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type ExistsExpr struct{ Select SelectStatement }

func (*ExistsExpr) exprNode() {}

// SQLType returns boolean.
func (*ExistsExpr) SQLType() types.Type { return types.Boolean() }

// Exists returns EXISTS (sel). Tables of sel that the enclosing statement also reads
// from are correlated (not repeated in the subquery's FROM).
func Exists(sel SelectStatement) *ExistsExpr { return &ExistsExpr{Select: sel} }

// ScalarSubquery is a SELECT of one column used as a value: (SELECT ...).
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type ScalarSubquery struct{ Select SelectStatement }

func (*ScalarSubquery) exprNode() {}

// SQLType returns the type of the subquery's column.
func (s *ScalarSubquery) SQLType() types.Type {
	cols := ResultColumnsOf(s.Select)
	if len(cols) == 1 {
		return cols[0].Type
	}
	return types.Unknown()
}
