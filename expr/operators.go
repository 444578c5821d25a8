package expr

import (
	"errors"
	"reflect"

	"github.com/retortdb/retort/types"
)

// Op is a binary SQL operator.
type Op uint8

// The binary operators. Comparison operators yield booleans; arithmetic operators and
// OpConcat yield the type of their left operand.
const (
	OpEq       Op = iota + 1 // =
	OpNe                     // !=
	OpLt                     // <
	OpLe                     // <=
	OpGt                     // >
	OpGe                     // >=
	OpLike                   // LIKE
	OpNotLike                // NOT LIKE
	OpILike                  // ILIKE (case-insensitive LIKE; emulated where missing)
	OpNotILike               // NOT ILIKE
	OpIs                     // IS (right operand NULL, TRUE or FALSE)
	OpIsNot                  // IS NOT
	OpAdd                    // +
	OpSub                    // -
	OpMul                    // *
	OpDiv                    // /
	OpMod                    // %
	OpConcat                 // string concatenation (|| or concat())
	OpAnd                    // AND (only in BoolList)
	OpOr                     // OR (only in BoolList)
)

var opNames = [...]string{
	OpEq: "=", OpNe: "!=", OpLt: "<", OpLe: "<=", OpGt: ">", OpGe: ">=", OpLike: "LIKE",
	OpNotLike: "NOT LIKE", OpILike: "ILIKE", OpNotILike: "NOT ILIKE", OpIs: "IS", OpIsNot: "IS NOT",
	OpAdd: "+", OpSub: "-", OpMul: "*", OpDiv: "/", OpMod: "%", OpConcat: "||", OpAnd: "AND", OpOr: "OR",
}

// String returns the operator's standard SQL spelling.
func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return "?op"
}

// IsComparison reports whether o yields a boolean from two values.
func (o Op) IsComparison() bool { return o >= OpEq && o <= OpIsNot }

// negated returns the operator that is the negation of o, or 0.
func (o Op) negated() Op {
	switch o {
	case OpEq:
		return OpNe
	case OpNe:
		return OpEq
	case OpLt:
		return OpGe
	case OpGe:
		return OpLt
	case OpGt:
		return OpLe
	case OpLe:
		return OpGt
	case OpLike:
		return OpNotLike
	case OpNotLike:
		return OpLike
	case OpILike:
		return OpNotILike
	case OpNotILike:
		return OpILike
	case OpIs:
		return OpIsNot
	case OpIsNot:
		return OpIs
	}
	return 0
}

// BinaryExpr is Left Op Right. Build it with the operator methods (c.Eq(v), c.Add(1), ...)
// or the free functions (Eq(a, b), ...).
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type BinaryExpr struct {
	Left, Right Expr
	Op          Op
	Type        types.Type
}

func (*BinaryExpr) exprNode() {}

// SQLType returns the result type: boolean for comparisons, else the operand type.
func (e *BinaryExpr) SQLType() types.Type { return e.Type }

// BoolList is a conjunction (OpAnd) or disjunction (OpOr) of conditions. Build it with
// And and Or.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type BoolList struct {
	Op    Op // OpAnd or OpOr
	Items []Expr
}

func (*BoolList) exprNode() {}

// SQLType returns boolean.
func (*BoolList) SQLType() types.Type { return types.Boolean() }

// NotExpr is NOT X. Not builds it only when X has no direct negated form.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type NotExpr struct{ X Expr }

func (*NotExpr) exprNode() {}

// SQLType returns boolean.
func (*NotExpr) SQLType() types.Type { return types.Boolean() }

// InExpr is X [NOT] IN (values...) or X [NOT] IN (subquery). An empty Values list (with
// no Select) is valid and renders an expression that is false (true for NOT IN).
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type InExpr struct {
	X      Expr
	Values []Expr
	Select SelectStatement // set for IN (SELECT ...)
	Negate bool
	// Err is set when InSelect was given no statement; compiling reports it.
	Err error
}

// ErrNilSubquery is the error of an InSelect or NotInSelect given a nil statement.
var ErrNilSubquery = errors.New("expr: IN (SELECT ...) with a nil select statement")

// inSelect builds x [NOT] IN (sel), recording an error for a nil sel (an untyped nil, or
// a nil *SelectStmt or *CompoundSelect) instead of rendering an empty IN list.
func inSelect(x Expr, sel SelectStatement, negate bool) *InExpr {
	in := &InExpr{X: Unwrap(x), Select: sel, Negate: negate}
	switch s := sel.(type) {
	case nil:
		in.Err = ErrNilSubquery
	case *SelectStmt:
		if s == nil {
			in.Err = ErrNilSubquery
		}
	case *CompoundSelect:
		if s == nil {
			in.Err = ErrNilSubquery
		}
	}
	if in.Err != nil {
		in.Select = nil
	}
	return in
}

func (*InExpr) exprNode() {}

// SQLType returns boolean.
func (*InExpr) SQLType() types.Type { return types.Boolean() }

// BetweenExpr is X [NOT] BETWEEN Lo AND Hi.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type BetweenExpr struct {
	X, Lo, Hi Expr
	Negate    bool
}

func (*BetweenExpr) exprNode() {}

// SQLType returns boolean.
func (*BetweenExpr) SQLType() types.Type { return types.Boolean() }

// Keyword is a SQL literal keyword.
type Keyword uint8

// The literal keywords.
const (
	KwNull  Keyword = iota + 1 // NULL
	KwTrue                     // TRUE (1 where the dialect has no boolean literals)
	KwFalse                    // FALSE (0 where the dialect has no boolean literals)
	KwStar                     // * (as in SELECT * or count(*))
)

// LiteralExpr is a keyword literal: NULL, TRUE, FALSE or *. Use Null, True, False, Star.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type LiteralExpr struct{ Kind Keyword }

func (*LiteralExpr) exprNode() {}

// SQLType returns boolean for TRUE and FALSE, else the unknown type.
func (l *LiteralExpr) SQLType() types.Type {
	if l.Kind == KwTrue || l.Kind == KwFalse {
		return types.Boolean()
	}
	return types.Unknown()
}

var (
	nullLit  = &LiteralExpr{Kind: KwNull}
	trueLit  = &LiteralExpr{Kind: KwTrue}
	falseLit = &LiteralExpr{Kind: KwFalse}
	starLit  = &LiteralExpr{Kind: KwStar}
)

// Null returns the NULL literal.
func Null() *LiteralExpr { return nullLit }

// True returns the TRUE literal.
func True() *LiteralExpr { return trueLit }

// False returns the FALSE literal.
func False() *LiteralExpr { return falseLit }

// Star returns *, for Select(Star()) and Count(Star()).
func Star() *LiteralExpr { return starLit }

// LabelExpr is X AS Name: a named result column. Use Label or the Label method.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type LabelExpr struct {
	X    Expr
	Name string
}

func (*LabelExpr) exprNode() {}

// SQLType returns the labelled expression's type.
func (l *LabelExpr) SQLType() types.Type { return TypeOf(l.X) }

// Asc orders by the label, ascending.
func (l *LabelExpr) Asc() *Ordering { return &Ordering{X: l} }

// Desc orders by the label, descending.
func (l *LabelExpr) Desc() *Ordering { return &Ordering{X: l, Desc: true} }

// Label returns x AS name. A Go value x becomes a bound parameter.
func Label(x any, name string) *LabelExpr {
	return &LabelExpr{X: ToExpr(x, types.Unknown()), Name: name}
}

// CastExpr is CAST(X AS Type).
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type CastExpr struct {
	X    Expr
	Type types.Type
}

func (*CastExpr) exprNode() {}

// SQLType returns the target type.
func (c *CastExpr) SQLType() types.Type { return c.Type }

// Cast returns CAST(x AS t). A Go value x becomes a bound parameter.
func Cast(x any, t types.Type) *CastExpr { return &CastExpr{X: ToExpr(x, types.Unknown()), Type: t} }

// NullsOrder says where NULLs sort in an Ordering.
type NullsOrder uint8

// The NULL placements.
const (
	NullsDefault NullsOrder = iota // the database's default
	NullsFirst                     // NULLS FIRST
	NullsLast                      // NULLS LAST
)

// Ordering is an ORDER BY item: X ASC|DESC [NULLS FIRST|LAST]. It is only valid in
// OrderBy lists (and window ORDER BY).
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type Ordering struct {
	X     Expr
	Desc  bool
	Nulls NullsOrder
}

func (*Ordering) exprNode() {}

// NullsFirst returns o with NULLs sorted first.
func (o *Ordering) NullsFirst() *Ordering { n := *o; n.Nulls = NullsFirst; return &n }

// NullsLast returns o with NULLs sorted last.
func (o *Ordering) NullsLast() *Ordering { n := *o; n.Nulls = NullsLast; return &n }

// Asc returns x ASC.
func Asc(x Expr) *Ordering { return &Ordering{X: Unwrap(x)} }

// Desc returns x DESC.
func Desc(x Expr) *Ordering { return &Ordering{X: Unwrap(x), Desc: true} }

// ExcludedExpr is the value proposed for insertion into column Col, inside an upsert's
// update clause: excluded.col (PostgreSQL, SQLite) or VALUES(col) (MySQL, MariaDB).
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type ExcludedExpr struct{ Col *ColumnClause }

func (*ExcludedExpr) exprNode() {}

// SQLType returns the column's type.
func (e *ExcludedExpr) SQLType() types.Type { return e.Col.Type }

// Excluded refers to the value that the conflicting INSERT proposed for col, in
// OnConflict(...).DoUpdateSet (excluded.col). It renders as VALUES(col) on MySQL, so it
// is interchangeable with Inserted.
func Excluded(col *ColumnClause) *ExcludedExpr { return &ExcludedExpr{Col: col} }

// Inserted refers to the value that the INSERT proposed for col, in OnDuplicateKeyUpdate.
// It renders as VALUES(col), which both MariaDB and MySQL (including 8.0.20+, where it is
// deprecated but accepted) understand; the row-alias form of newer MySQL is not used
// because MariaDB does not have it. On PostgreSQL/SQLite it renders as excluded.col.
func Inserted(col *ColumnClause) *ExcludedExpr { return &ExcludedExpr{Col: col} }

// Unwrap returns the expr node that e stands for: a *schema.Column (which embeds a
// *ColumnClause) becomes its *ColumnClause. Other expressions are returned unchanged.
func Unwrap(e Expr) Expr {
	switch x := e.(type) {
	case nil:
		return nil
	case *ColumnClause:
		return x
	case interface{ Clause() *ColumnClause }:
		return x.Clause()
	}
	return e
}

// UnwrapFrom returns the FromClause f stands for: a *schema.Table (which embeds a
// *TableClause) becomes its *TableClause.
func UnwrapFrom(f FromClause) FromClause {
	switch x := f.(type) {
	case *TableClause:
		return x
	case interface{ Clause() *TableClause }:
		return x.Clause()
	}
	return f
}

// TypeOf returns the SQL type of e, or the unknown type.
func TypeOf(e Expr) types.Type {
	if t, ok := e.(Typed); ok {
		return t.SQLType()
	}
	return types.Unknown()
}

// ToExpr turns v into an expression: an Expr is used as it is, a SELECT becomes a scalar
// subquery, and any other Go value (nil included) becomes a bound parameter of type t.
func ToExpr(v any, t types.Type) Expr {
	switch x := v.(type) {
	case Expr:
		if x == nil {
			return &Bind{Type: t}
		}
		return Unwrap(x)
	case SelectStatement:
		return &ScalarSubquery{Select: x}
	}
	return &Bind{Value: v, Type: t}
}

// operand turns v into the right operand of an operator whose left operand is left.
func operand(left Expr, v any) Expr { return ToExpr(v, TypeOf(left)) }

func isNilValue(v any) bool {
	if v == nil {
		return true
	}
	if l, ok := v.(*LiteralExpr); ok && l.Kind == KwNull {
		return true
	}
	return false
}

func compare(left Expr, op Op, v any) *BinaryExpr {
	left = Unwrap(left)
	if isNilValue(v) {
		switch op {
		case OpEq:
			return &BinaryExpr{Left: left, Op: OpIs, Right: nullLit, Type: types.Boolean()}
		case OpNe:
			return &BinaryExpr{Left: left, Op: OpIsNot, Right: nullLit, Type: types.Boolean()}
		}
	}
	return &BinaryExpr{Left: left, Op: op, Right: operand(left, v), Type: types.Boolean()}
}

func arith(left Expr, op Op, v any) *BinaryExpr {
	left = Unwrap(left)
	right := operand(left, v)
	t := TypeOf(left)
	if t.IsZero() {
		t = TypeOf(right)
	}
	if op == OpConcat && t.Kind != types.KindText {
		t = types.String(0)
	}
	return &BinaryExpr{Left: left, Op: op, Right: right, Type: t}
}

func inList(left Expr, negate bool, values []any) *InExpr {
	left = Unwrap(left)
	if len(values) == 1 {
		if rv := reflect.ValueOf(values[0]); rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() != reflect.Uint8 {
			n := rv.Len()
			exprs := make([]Expr, n)
			for i := 0; i < n; i++ {
				exprs[i] = operand(left, rv.Index(i).Interface())
			}
			return &InExpr{X: left, Values: exprs, Negate: negate}
		}
	}
	exprs := make([]Expr, len(values))
	for i, v := range values {
		exprs[i] = operand(left, v)
	}
	return &InExpr{X: left, Values: exprs, Negate: negate}
}

// Eq returns a = b. Either side may be a Go value (bound with the other side's type);
// comparing with nil gives IS NULL.
func Eq(a, b any) Expr { return binaryAny(a, OpEq, b) }

// Ne returns a != b (IS NOT NULL when one side is nil).
func Ne(a, b any) Expr { return binaryAny(a, OpNe, b) }

// Lt returns a < b.
func Lt(a, b any) Expr { return binaryAny(a, OpLt, b) }

// Le returns a <= b.
func Le(a, b any) Expr { return binaryAny(a, OpLe, b) }

// Gt returns a > b.
func Gt(a, b any) Expr { return binaryAny(a, OpGt, b) }

// Ge returns a >= b.
func Ge(a, b any) Expr { return binaryAny(a, OpGe, b) }

// Binary returns a op b for any operator. Either side may be a Go value.
func Binary(a any, op Op, b any) Expr { return binaryAny(a, op, b) }

func binaryAny(a any, op Op, b any) Expr {
	var left Expr
	if e, ok := a.(Expr); ok && e != nil {
		left = Unwrap(e)
	} else if s, ok := a.(SelectStatement); ok {
		left = &ScalarSubquery{Select: s}
	} else {
		var t types.Type
		if e, ok := b.(Expr); ok {
			t = TypeOf(Unwrap(e))
		}
		left = &Bind{Value: a, Type: t}
	}
	if op.IsComparison() {
		return compare(left, op, b)
	}
	return arith(left, op, b)
}

// And returns the conjunction of conds; nil conditions are skipped, and nested And lists
// are flattened. And() with no conditions is TRUE.
func And(conds ...Expr) Expr { return boolList(OpAnd, conds) }

// Or returns the disjunction of conds; nil conditions are skipped. Or() with no
// conditions is FALSE.
func Or(conds ...Expr) Expr { return boolList(OpOr, conds) }

func boolList(op Op, conds []Expr) Expr {
	items := make([]Expr, 0, len(conds))
	for _, c := range conds {
		if c == nil {
			continue
		}
		c = Unwrap(c)
		if l, ok := c.(*BoolList); ok && l.Op == op {
			items = append(items, l.Items...)
			continue
		}
		items = append(items, c)
	}
	switch len(items) {
	case 0:
		if op == OpAnd {
			return trueLit
		}
		return falseLit
	case 1:
		return items[0]
	}
	return &BoolList{Op: op, Items: items}
}

// Not returns the negation of x. Comparisons, IN, BETWEEN, LIKE and IS are negated
// directly (a = b becomes a != b); other conditions become NOT (x).
func Not(x Expr) Expr {
	x = Unwrap(x)
	switch e := x.(type) {
	case *BinaryExpr:
		if n := e.Op.negated(); n != 0 {
			c := *e
			c.Op = n
			return &c
		}
	case *InExpr:
		c := *e
		c.Negate = !c.Negate
		return &c
	case *BetweenExpr:
		c := *e
		c.Negate = !c.Negate
		return &c
	case *NotExpr:
		return e.X
	case *LiteralExpr:
		switch e.Kind {
		case KwTrue:
			return falseLit
		case KwFalse:
			return trueLit
		}
	}
	return &NotExpr{X: x}
}
