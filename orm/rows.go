package orm

import (
	"context"
	"fmt"
	"iter"
	"reflect"

	"github.com/retortdb/retort/expr"
)

// RowsStmt is a query whose rows hold several items: objects of models (given by their
// handles) and column expressions, as SQLAlchemy's select(A, B.data). Build it with
// SelectRows; it is immutable like SelectStmt: every method returns a new statement, so
// it is safe for concurrent use. Run it with Session.Rows. It holds no connection or
// session and lives as long as the caller keeps it; it may be run in any number of
// sessions.
type RowsStmt struct {
	items []rowItem
	core  *expr.SelectStmt
	err   error
}

type rowItem struct {
	m     *mapper // nil for a column expression
	width int     // number of result columns
}

// SelectRows returns a query of rows made of items: handles (each contributing an object
// of its model) and expressions (each a value), such as
//
//	orm.SelectRows(AT, BT.Data).Join(BT.Core()).OrderBy(BT.ID.Asc())
func SelectRows(items ...any) *RowsStmt {
	q := &RowsStmt{}
	var coreItems []any
	for i, it := range items {
		switch x := it.(type) {
		case entityRef:
			m := x.entityMapper()
			if m == nil {
				q.err = fmt.Errorf("%w: SelectRows item %d", ErrUnboundHandle, i)
				continue
			}
			q.items = append(q.items, rowItem{m: m, width: len(m.fields)})
			coreItems = append(coreItems, m.table)
		case expr.Expr:
			q.items = append(q.items, rowItem{width: 1})
			coreItems = append(coreItems, x)
		default:
			if q.err == nil {
				q.err = fmt.Errorf("orm: SelectRows item %d (%T) is neither a model handle nor an expression", i, it)
			}
		}
	}
	q.core = expr.Select(coreItems...)
	return q
}

func (q *RowsStmt) with(core *expr.SelectStmt) *RowsStmt {
	n := *q
	n.core = core
	return &n
}

// Where adds conditions (ANDed).
func (q *RowsStmt) Where(conds ...expr.Expr) *RowsStmt { return q.with(q.core.Where(conds...)) }

// OrderBy adds ORDER BY items.
func (q *RowsStmt) OrderBy(items ...expr.Expr) *RowsStmt { return q.with(q.core.OrderBy(items...)) }

// GroupBy adds GROUP BY items.
func (q *RowsStmt) GroupBy(items ...expr.Expr) *RowsStmt { return q.with(q.core.GroupBy(items...)) }

// Having adds HAVING conditions (ANDed).
func (q *RowsStmt) Having(conds ...expr.Expr) *RowsStmt { return q.with(q.core.Having(conds...)) }

// Distinct makes the query SELECT DISTINCT.
func (q *RowsStmt) Distinct() *RowsStmt { return q.with(q.core.Distinct()) }

// Limit sets LIMIT n.
func (q *RowsStmt) Limit(n int) *RowsStmt { return q.with(q.core.Limit(n)) }

// Offset sets OFFSET n.
func (q *RowsStmt) Offset(n int) *RowsStmt { return q.with(q.core.Offset(n)) }

// Join adds an inner join to right (condition inferred from foreign keys when on is empty).
func (q *RowsStmt) Join(right expr.FromClause, on ...expr.Expr) *RowsStmt {
	return q.with(q.core.Join(right, on...))
}

// OuterJoin adds a LEFT OUTER JOIN; an object whose columns are all NULL is nil.
func (q *RowsStmt) OuterJoin(right expr.FromClause, on ...expr.Expr) *RowsStmt {
	return q.with(q.core.OuterJoin(right, on...))
}

// Statement returns the Core statement.
func (q *RowsStmt) Statement() *expr.SelectStmt { return q.core }

// Row is one row of a RowsStmt: per item, an object pointer (such as *A, nil when an
// outer join found none) or a canonical column value (nil for NULL). It is a small
// immutable value, safe for concurrent reads; the objects it holds belong to the session
// that loaded them (see ScalarResult). It holds no connection and lives as long as the
// caller keeps it, after its session is closed too.
type Row struct {
	vals []any
}

// Len returns the number of items.
func (r Row) Len() int { return len(r.vals) }

// Get returns item i (nil when out of range).
func (r Row) Get(i int) any {
	if i < 0 || i >= len(r.vals) {
		return nil
	}
	return r.vals[i]
}

// Scan copies the items into dest, one pointer per item: **A for an object, and for a
// value a pointer to its Go type (or to a type it converts to: *int for an integer), to
// a pointer for a nullable value (**string), or *any.
func (r Row) Scan(dest ...any) error {
	if len(dest) != len(r.vals) {
		return fmt.Errorf("orm: Row.Scan got %d destinations for %d items", len(dest), len(r.vals))
	}
	for i, d := range dest {
		if err := scanValue(d, r.vals[i]); err != nil {
			return fmt.Errorf("orm: Row.Scan item %d: %w", i, err)
		}
	}
	return nil
}

func scanValue(dest, v any) error {
	dv := reflect.ValueOf(dest)
	if dv.Kind() != reflect.Pointer || dv.IsNil() {
		return fmt.Errorf("destination %T is not a non-nil pointer", dest)
	}
	el := dv.Elem()
	if v == nil {
		switch el.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
			el.SetZero()
			return nil
		}
		return fmt.Errorf("cannot scan NULL into %s (use a pointer destination)", el.Type())
	}
	sv := reflect.ValueOf(v)
	switch {
	case sv.Type().AssignableTo(el.Type()):
		el.Set(sv)
	case el.Kind() == reflect.Pointer && sv.Type().AssignableTo(el.Type().Elem()):
		p := reflect.New(el.Type().Elem())
		p.Elem().Set(sv)
		el.Set(p)
	case sameFamily(sv.Kind(), el.Kind()) && sv.Type().ConvertibleTo(el.Type()):
		c := sv.Convert(el.Type())
		if !c.Convert(sv.Type()).Equal(sv) {
			return fmt.Errorf("value %v does not fit %s", v, el.Type())
		}
		el.Set(c)
	default:
		return fmt.Errorf("cannot scan %T into %s", v, el.Type())
	}
	return nil
}

// RowsResult holds the rows of a RowsStmt, buffered. Immutable, safe for concurrent reads;
// the objects in its rows belong to the session that loaded them (see ScalarResult). It
// holds no connection: it lives as long as the caller keeps it, and stays valid after
// its session is closed (its objects are then detached).
type RowsResult struct {
	rows  []Row
	names []string // per item: the column name of a value, "" for an object
}

// All returns every row. The slice must not be modified.
func (r *RowsResult) All() []Row { return r.rows }

// Len returns the number of rows.
func (r *RowsResult) Len() int { return len(r.rows) }

// First returns the first row, or ErrNoResult.
func (r *RowsResult) First() (Row, error) {
	if len(r.rows) == 0 {
		return Row{}, ErrNoResult
	}
	return r.rows[0], nil
}

// Partitions returns an iterator over the rows in slices of up to n rows (all in one slice
// when n <= 0), as engine.Result.Partitions. The slices must not be modified.
func (r *RowsResult) Partitions(n int) iter.Seq[[]Row] { return partitions(r.rows, n) }

// partitions returns an iterator over s in slices of up to n elements (all in one slice
// when n <= 0).
func partitions[T any](s []T, n int) iter.Seq[[]T] {
	return func(yield func([]T) bool) {
		if n <= 0 {
			n = max(len(s), 1)
		}
		for i := 0; i < len(s); i += n {
			end := min(i+n, len(s))
			if !yield(s[i:end:end]) {
				return
			}
		}
	}
}

// One returns the only row (ErrNoResult, ErrMultipleResults).
func (r *RowsResult) One() (Row, error) {
	switch len(r.rows) {
	case 0:
		return Row{}, ErrNoResult
	case 1:
		return r.rows[0], nil
	}
	return Row{}, ErrMultipleResults
}

// Rows runs q in the session (after an autoflush). Objects go through the identity map
// like those of Scalars.
func (s *Session) Rows(ctx context.Context, q *RowsStmt) (*RowsResult, error) {
	if q.err != nil {
		return nil, q.err
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := s.beforeQuery(ctx, "query", q.core); err != nil {
		return nil, err
	}
	res, err := s.conn.Execute(ctx, q.core)
	if err != nil {
		return nil, err
	}
	out := make([]Row, res.Len())
	flat := make([]any, res.Len()*len(q.items))
	names := make([]string, len(q.items))
	cols := res.Columns()
	for i, off := 0, 0; i < len(q.items); i++ {
		if q.items[i].m == nil && off < len(cols) {
			names[i] = cols[off]
		}
		off += q.items[i].width
	}
	for n, row := range res.All() {
		vals := row.Values()
		items := flat[n*len(q.items) : (n+1)*len(q.items)]
		off := 0
		for i, it := range q.items {
			if it.m == nil {
				items[i] = vals[off]
			} else if !allNil(vals[off : off+it.width]) {
				st, err := s.hydrate(it.m, vals, off, false, nil)
				if err != nil {
					return nil, err
				}
				items[i] = st.object()
			}
			off += it.width
		}
		out[n] = Row{vals: items}
	}
	if len(s.loadedNow) > 0 {
		if err := s.afterLoad(ctx); err != nil {
			return nil, err
		}
	}
	return &RowsResult{rows: out, names: names}, nil
}

func allNil(vals []any) bool {
	for _, v := range vals {
		if v != nil {
			return false
		}
	}
	return true
}
