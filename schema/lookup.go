package schema

import (
	"sync"

	"github.com/retortdb/retort/expr"
)

// registry maps the TableClause embedded in each Table made by MetaData.Table back to
// that Table, so that code holding only expression nodes (an INSERT's target table, a
// column in a WHERE clause) can reach DDL properties such as client-side defaults.
var registry sync.Map // *expr.TableClause -> *Table

// TableOf returns the Table whose embedded TableClause is tc, when tc was made by
// MetaData.Table. Safe for concurrent use.
func TableOf(tc *expr.TableClause) (*Table, bool) {
	if tc == nil {
		return nil, false
	}
	t, ok := registry.Load(tc)
	if !ok {
		return nil, false
	}
	return t.(*Table), true
}

// ColumnOf returns the Column whose embedded ColumnClause is c, when c is a column of a
// Table made by MetaData.Table. Safe for concurrent use.
func ColumnOf(c *expr.ColumnClause) (*Column, bool) {
	if c == nil {
		return nil, false
	}
	tc, ok := c.Table.(*expr.TableClause)
	if !ok {
		return nil, false
	}
	t, ok := TableOf(tc)
	if !ok {
		return nil, false
	}
	col, ok := t.byName[c.Name]
	if !ok || col.ColumnClause != c {
		return nil, false
	}
	return col, true
}
