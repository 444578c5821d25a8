package orm

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// ShardScalars runs q on each shard that QueryChooser names (every shard without one)
// and merges the objects: in q's ORDER BY when it has one (each item a column of the
// model, ascending or descending; NULLs last when ascending and first when descending,
// as PostgreSQL does, unless NullsFirst or NullsLast says otherwise; strings compared by
// their bytes), else shard after shard in shard order; then q's OFFSET and LIMIT apply to
// the merged list. Each shard is sent q with LIMIT raised by the OFFSET and no OFFSET, so
// no shard sends more rows than the merge may keep. Loader options (SelectIn) run on each
// shard for its own objects.
func ShardScalars[A any](ctx context.Context, ss *ShardedSession, q *SelectStmt[A]) (*ScalarResult[*A], error) {
	if q.err != nil {
		return nil, q.err
	}
	var names []string
	if ch := ss.sm.cfg.QueryChooser; ch != nil {
		names = ch(q.core)
	}
	ids, sessions, err := ss.chosen(names)
	if err != nil {
		return nil, fmt.Errorf("orm: query chooser: %w", err)
	}
	keys, err := orderKeys(q.m, q.core.OrderBys)
	if err != nil {
		return nil, err
	}
	limit, hasLimit, err := rowCount(q.core.LimitExpr, "LIMIT")
	if err != nil {
		return nil, err
	}
	offset, _, err := rowCount(q.core.OffsetExpr, "OFFSET")
	if err != nil {
		return nil, err
	}
	per := *q
	per.core = q.core.Offset(0)
	per.core.OffsetExpr = nil
	if hasLimit {
		per.core = per.core.Limit(int(limit + offset))
	}
	var all []*A
	var from []int // the shard of each object, for a stable merge
	for i, s := range sessions {
		res, err := Scalars(ctx, s, &per)
		if err != nil {
			return nil, fmt.Errorf("orm: shard %q: %w", ids[i], err)
		}
		for _, o := range res.All() {
			all = append(all, o)
			from = append(from, i)
		}
	}
	if len(keys) > 0 {
		idx := make([]int, len(all))
		for i := range idx {
			idx[i] = i
		}
		var sortErr error
		slices.SortStableFunc(idx, func(a, b int) int {
			c, err := compareByKeys(keys, unsafe.Pointer(all[a]), unsafe.Pointer(all[b]))
			if err != nil && sortErr == nil {
				sortErr = err
			}
			if c == 0 {
				return cmp.Compare(from[a], from[b])
			}
			return c
		})
		if sortErr != nil {
			return nil, sortErr
		}
		sorted := make([]*A, len(all))
		for i, j := range idx {
			sorted[i] = all[j]
		}
		all = sorted
	}
	all = all[min(int(offset), len(all)):]
	if hasLimit && int(limit) < len(all) {
		all = all[:limit]
	}
	return &ScalarResult[*A]{vals: all}, nil
}

// orderKey is one ORDER BY item of a sharded query: a field of the model.
type orderKey struct {
	f          *field
	desc       bool
	nullsFirst bool
}

// orderKeys resolves ORDER BY items to fields of m.
func orderKeys(m *mapper, items []expr.Expr) ([]orderKey, error) {
	var out []orderKey
	for _, it := range items {
		k := orderKey{}
		x := it
		if o, ok := it.(*expr.Ordering); ok {
			x, k.desc = o.X, o.Desc
			k.nullsFirst = o.Desc
			switch o.Nulls {
			case expr.NullsFirst:
				k.nullsFirst = true
			case expr.NullsLast:
				k.nullsFirst = false
			}
		}
		col := columnOf(x)
		for _, f := range m.fields {
			if col != nil && f.col.ColumnClause == col {
				k.f = f
			}
		}
		if k.f == nil {
			return nil, fmt.Errorf("orm: a sharded query is merged in Go: its ORDER BY items must be columns of %s, got %s", m.name, describeOrderItem(x))
		}
		out = append(out, k)
	}
	return out, nil
}

// describeOrderItem names an ORDER BY item for an error.
func describeOrderItem(x expr.Expr) string {
	if c := columnOf(x); c != nil {
		return "column " + c.Name + " of another table"
	}
	return fmt.Sprintf("%T", x)
}

// columnOf returns the column clause behind an ORDER BY expression: a *expr.ColumnClause
// or a column handle (Column[T]), else nil.
func columnOf(x expr.Expr) *expr.ColumnClause {
	if h, ok := x.(interface{ clause() *expr.ColumnClause }); ok {
		return h.clause()
	}
	c, _ := expr.Unwrap(x).(*expr.ColumnClause)
	return c
}

// rowCount reads a LIMIT or OFFSET bound by SelectStmt.Limit or Offset (nil: none).
func rowCount(x expr.Expr, what string) (int64, bool, error) {
	if x == nil {
		return 0, false, nil
	}
	if b, ok := x.(*expr.Bind); ok {
		if n, ok := b.Value.(int64); ok {
			return n, true, nil
		}
	}
	return 0, false, fmt.Errorf("orm: sharded query: %s must be a number given to Limit or Offset, got %T", what, x)
}

// compareByKeys compares the objects at a and b by the ORDER BY keys.
func compareByKeys(keys []orderKey, a, b unsafe.Pointer) (int, error) {
	for _, k := range keys {
		va, err := k.f.get(a)
		if err != nil {
			return 0, err
		}
		vb, err := k.f.get(b)
		if err != nil {
			return 0, err
		}
		var c int
		switch {
		case va == nil && vb == nil:
			c = 0
		case va == nil || vb == nil:
			c = 1 // the NULL last
			if va != nil {
				c = -1
			}
			if k.nullsFirst {
				c = -c
			}
			if c != 0 {
				return c, nil
			}
		default:
			if c, err = compareOrdered(va, vb); err != nil {
				return 0, fmt.Errorf("orm: sharded query: ORDER BY %s: %w", k.f.col.Name, err)
			}
			if k.desc {
				c = -c
			}
		}
		if c != 0 {
			return c, nil
		}
	}
	return 0, nil
}

// compareOrdered compares two canonical values of one column.
func compareOrdered(a, b any) (int, error) {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmp.Compare(x, y), nil
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y), nil
		}
	case string:
		if y, ok := b.(string); ok {
			return cmp.Compare(x, y), nil
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, nil
			case !x:
				return -1, nil
			}
			return 1, nil
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), nil
		}
	case time.Duration:
		if y, ok := b.(time.Duration); ok {
			return cmp.Compare(x, y), nil
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return bytes.Compare(x, y), nil
		}
	case types.UUID:
		if y, ok := b.(types.UUID); ok {
			return bytes.Compare(x[:], y[:]), nil
		}
	}
	return 0, fmt.Errorf("cannot order values of type %T and %T in Go", a, b)
}

// ShardKeys returns the values that q's WHERE clause gives col, for a QueryChooser: from
// its top-level conditions (ANDed) of the form col = value, value = col, and col IN
// (values). ok is false when no such condition constrains col (the query may then touch
// every shard).
func ShardKeys(q *expr.SelectStmt, col expr.Expr) (vals []any, ok bool) {
	want := columnOf(col)
	if want == nil || q == nil {
		return nil, false
	}
	same := func(x expr.Expr) bool {
		c := columnOf(x)
		return c != nil && c.Name == want.Name && c.Table == want.Table
	}
	bound := func(x expr.Expr) (any, bool) {
		b, ok := x.(*expr.Bind)
		if !ok {
			return nil, false
		}
		return b.Value, true
	}
	var conds []expr.Expr
	for _, w := range q.Wheres {
		if bl, isList := w.(*expr.BoolList); isList && bl.Op == expr.OpAnd {
			conds = append(conds, bl.Items...)
			continue
		}
		conds = append(conds, w)
	}
	for _, w := range conds {
		switch c := w.(type) {
		case *expr.BinaryExpr:
			if c.Op != expr.OpEq {
				continue
			}
			if v, isBound := bound(c.Right); isBound && same(c.Left) {
				return []any{v}, true
			}
			if v, isBound := bound(c.Left); isBound && same(c.Right) {
				return []any{v}, true
			}
		case *expr.InExpr:
			if c.Negate || c.Select != nil || !same(c.X) {
				continue
			}
			out := make([]any, 0, len(c.Values))
			for _, x := range c.Values {
				v, isBound := bound(x)
				if !isBound {
					return nil, false
				}
				out = append(out, v)
			}
			return out, true
		}
	}
	return nil, false
}
