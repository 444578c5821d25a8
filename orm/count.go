package orm

import (
	"context"
	"fmt"

	"github.com/retortdb/retort/expr"
)

// Query is what Count and Exists accept: an ORM select (*SelectStmt[A]) or a row select
// (*RowsStmt). Both are immutable, so a Query is safe for concurrent use and lives as
// long as the caller keeps it.
type Query interface {
	// Statement returns the Core SELECT the query runs.
	Statement() *expr.SelectStmt
}

// queryError is implemented by queries that carry a construction error (an unbound
// handle, say).
type queryError interface{ queryErr() error }

func (q *SelectStmt[A]) queryErr() error { return q.err }
func (q *RowsStmt) queryErr() error      { return q.err }

// Count returns the number of rows q would return, in one statement, after an autoflush
// (so that pending objects are counted): SQLAlchemy's
// session.scalar(select(func.count()).select_from(q.subquery())).
//
// A plain query is rewritten to SELECT count(*) with the same FROM, joins and WHERE, and
// without ORDER BY; a query with DISTINCT, GROUP BY, LIMIT or OFFSET is counted as a
// subquery, SELECT count(*) FROM (q) AS counted, so that the count is that of the rows
// q returns (a page of at most LIMIT rows, the distinct rows, the groups).
func Count(ctx context.Context, s *Session, q Query) (int64, error) {
	core, err := queryCore(q)
	if err != nil {
		return 0, err
	}
	stmt := countStatement(core)
	v, err := s.Scalar(ctx, stmt)
	if err != nil {
		return 0, err
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("orm: Count: the database returned %T, want int64", v)
	}
	return n, nil
}

// Exists reports whether q would return at least one row, in one statement, after an
// autoflush: SELECT EXISTS (q) with q's ORDER BY dropped (kept, with q's LIMIT and
// OFFSET, when it has them, since they decide which rows exist).
func Exists(ctx context.Context, s *Session, q Query) (bool, error) {
	core, err := queryCore(q)
	if err != nil {
		return false, err
	}
	inner := *core
	inner.Lock = nil
	if inner.LimitExpr == nil && inner.OffsetExpr == nil {
		inner.OrderBys = nil
	}
	v, err := s.Scalar(ctx, expr.Select(inner.Exists()))
	if err != nil {
		return false, err
	}
	switch x := v.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	}
	return false, fmt.Errorf("orm: Exists: the database returned %T, want a boolean", v)
}

func queryCore(q Query) (*expr.SelectStmt, error) {
	if q == nil {
		return nil, fmt.Errorf("orm: nil query")
	}
	if qe, ok := q.(queryError); ok {
		if err := qe.queryErr(); err != nil {
			return nil, err
		}
	}
	core := q.Statement()
	if core == nil {
		return nil, fmt.Errorf("orm: query %T has no statement", q)
	}
	return core, nil
}

// countStatement returns SELECT count(*) for the rows of core.
func countStatement(core *expr.SelectStmt) *expr.SelectStmt {
	froms, plain := columnTables(core.Cols)
	if !plain || core.IsDistinct || len(core.GroupBys) > 0 || len(core.Havings) > 0 || core.LimitExpr != nil || core.OffsetExpr != nil {
		inner := *core
		inner.Lock = nil
		if inner.LimitExpr == nil && inner.OffsetExpr == nil {
			inner.OrderBys = nil
		}
		return expr.Select(expr.CountStar()).From(inner.Subquery("counted"))
	}
	c := *core
	c.Cols = []expr.Expr{expr.CountStar()}
	c.OrderBys = nil
	c.Lock = nil
	// The FROM items the columns implied, first (the joins' left side is chosen among
	// them), then those given explicitly.
	for _, f := range core.Froms {
		if !containsFrom(froms, f) {
			froms = append(froms, f)
		}
	}
	c.Froms = froms
	return &c
}

// columnTables returns the tables of cols, in order, when every item is a column of a
// table (plain is false otherwise: an expression, whose FROM items only the compiler
// knows).
func columnTables(cols []expr.Expr) (froms []expr.FromClause, plain bool) {
	for _, e := range cols {
		c, ok := e.(*expr.ColumnClause)
		if !ok || c.Table == nil {
			return nil, false
		}
		if !containsFrom(froms, c.Table) {
			froms = append(froms, c.Table)
		}
	}
	return froms, len(froms) > 0
}

func containsFrom(froms []expr.FromClause, f expr.FromClause) bool {
	for _, x := range froms {
		if x == f {
			return true
		}
	}
	return false
}
