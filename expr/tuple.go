package expr

import (
	"fmt"

	"github.com/retortdb/retort/types"
)

// TupleExpr is a row value (a, b, ...), SQLAlchemy's tuple_(). Its comparison methods
// build the row-value comparisons of keyset pagination:
//
//	expr.Tuple(posts.C("created_at"), posts.C("id")).Lt(lastCreated, lastID)
//	// (posts.created_at, posts.id) < (?, ?)
//
// Row values compare element by element from the left, as ORDER BY a, b sorts, on
// PostgreSQL, MySQL, MariaDB and SQLite (3.15 and later). It is immutable once built and
// safe for concurrent use; it lives as long as the statements that hold it.
type TupleExpr struct {
	Items []Expr
	// Err is set when the tuple was built or compared wrongly (no items, or a number of
	// values other than its number of items); compiling reports it.
	Err error
}

func (*TupleExpr) exprNode() {}

// SQLType returns the unknown type: a row value has no single SQL type.
func (*TupleExpr) SQLType() types.Type { return types.Unknown() }

// Tuple returns the row value (items...). Go values among items are bound parameters.
func Tuple(items ...any) *TupleExpr {
	t := &TupleExpr{Items: toExprs(items, types.Unknown())}
	if len(items) == 0 {
		t.Err = fmt.Errorf("expr: Tuple needs at least one item")
	}
	return t
}

// Eq returns (items...) = (vs...). See Lt for vs.
func (t *TupleExpr) Eq(vs ...any) *BinaryExpr { return t.compare(OpEq, vs) }

// Ne returns (items...) != (vs...).
func (t *TupleExpr) Ne(vs ...any) *BinaryExpr { return t.compare(OpNe, vs) }

// Lt returns (items...) < (vs...). vs is either one value per item, each bound with the
// type of its item (a time.Time compared with a timestamp column is bound as a
// timestamp), or a single *TupleExpr.
func (t *TupleExpr) Lt(vs ...any) *BinaryExpr { return t.compare(OpLt, vs) }

// Le returns (items...) <= (vs...).
func (t *TupleExpr) Le(vs ...any) *BinaryExpr { return t.compare(OpLe, vs) }

// Gt returns (items...) > (vs...).
func (t *TupleExpr) Gt(vs ...any) *BinaryExpr { return t.compare(OpGt, vs) }

// Ge returns (items...) >= (vs...).
func (t *TupleExpr) Ge(vs ...any) *BinaryExpr { return t.compare(OpGe, vs) }

func (t *TupleExpr) compare(op Op, vs []any) *BinaryExpr {
	right := &TupleExpr{Err: t.Err}
	if len(vs) == 1 {
		if r, ok := vs[0].(*TupleExpr); ok {
			right = r
		}
	}
	if right.Items == nil && right.Err == nil {
		right.Items = make([]Expr, len(vs))
		for i, v := range vs {
			typ := types.Unknown()
			if i < len(t.Items) {
				typ = TypeOf(t.Items[i])
			}
			right.Items[i] = ToExpr(v, typ)
		}
	}
	if right.Err == nil && len(right.Items) != len(t.Items) {
		right = &TupleExpr{Items: right.Items, Err: fmt.Errorf("expr: row values of different lengths compared (%d items and %d)", len(t.Items), len(right.Items))}
	}
	return &BinaryExpr{Left: t, Op: op, Right: right, Type: types.Boolean()}
}
