package expr

import (
	"fmt"
	"sort"

	"github.com/retortdb/retort/types"
)

// Assignment is one column = value pair of an UPDATE SET list or an upsert's update.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type Assignment struct {
	Col   *ColumnClause
	Value Expr
}

// Set returns the assignment col = v; a Go value v is bound with col's type.
func Set(col *ColumnClause, v any) Assignment {
	if col == nil {
		// Reported when compiled ("assignment to a nil column").
		return Assignment{Value: ToExpr(v, types.Type{})}
	}
	return Assignment{Col: col, Value: ToExpr(v, col.Type)}
}

// ConflictAction is what an INSERT ... ON CONFLICT does.
type ConflictAction uint8

// The conflict actions.
const (
	ConflictDoNothing ConflictAction = iota + 1
	ConflictDoUpdate
)

// OnConflictClause is PostgreSQL/SQLite's ON CONFLICT (target) DO NOTHING | DO UPDATE SET.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type OnConflictClause struct {
	Target []*ColumnClause
	Action ConflictAction
	Set    []Assignment
	Where  Expr // optional condition of DO UPDATE
}

// InsertStmt is an INSERT statement. Build it with Insert; every method returns a new
// statement, so an InsertStmt may be shared between goroutines.
// It holds no connection or other resource and lives as long as the caller keeps it: build
// it once and reuse it.
type InsertStmt struct {
	Table TableLike
	// Cols are the columns given values, in order; each row of Rows has one value per column.
	Cols []*ColumnClause
	Rows [][]Expr
	// Select, with Cols, is INSERT INTO t (cols) SELECT ... (FromSelect).
	Select     SelectStatement
	Returns    []Expr
	Conflict   *OnConflictClause
	DupUpdate  []Assignment // ON DUPLICATE KEY UPDATE (MySQL/MariaDB)
	Err        error        // first error found while building; reported by the compiler
	rowsByMaps bool
}

func (*InsertStmt) statementNode() {}

// Insert returns INSERT INTO table. When table is a *schema.Table, its client-side column
// defaults are filled in, when the statement is compiled, for columns given no value.
func Insert(table TableLike) *InsertStmt { return &InsertStmt{Table: table} }

func (s *InsertStmt) clone() *InsertStmt { n := *s; return &n }

func (s *InsertStmt) fail(err error) *InsertStmt {
	n := s.clone()
	if n.Err == nil {
		n.Err = err
	}
	return n
}

func tableName(t TableLike) string {
	if t == nil {
		return "<nil>"
	}
	return t.TableName()
}

// Values returns s with one more row, given as column name to value. Calling Values
// several times inserts several rows (multi-row VALUES); every row must name the same
// columns. A Go value is bound with its column's type; an Expr is used as it is. A name
// the table does not have is an error (reported when compiling) naming table and column.
func (s *InsertStmt) Values(row map[string]any) *InsertStmt {
	if s.Table == nil {
		return s.fail(fmt.Errorf("expr: insert has no table"))
	}
	if len(s.Rows) > 0 && !s.rowsByMaps {
		return s.fail(fmt.Errorf("expr: insert into %s mixes Values with Columns/Row or FromSelect", tableName(s.Table)))
	}
	var cols []*ColumnClause
	if len(s.Rows) == 0 {
		cols = orderedColumns(s.Table, row)
		for _, c := range cols {
			if c.Err != nil {
				return s.fail(c.Err)
			}
		}
	} else {
		cols = s.Cols
		if len(row) != len(cols) {
			return s.fail(fmt.Errorf("expr: insert into %s: row %d names %d columns, the first row %d",
				tableName(s.Table), len(s.Rows)+1, len(row), len(cols)))
		}
	}
	vals := make([]Expr, len(cols))
	for i, c := range cols {
		v, ok := row[c.Name]
		if !ok {
			return s.fail(fmt.Errorf("expr: insert into %s: row %d has no value for column %s (the first row has)",
				tableName(s.Table), len(s.Rows)+1, c.Name))
		}
		vals[i] = ToExpr(v, c.Type)
	}
	n := s.clone()
	n.Cols = cols
	n.rowsByMaps = true
	n.Rows = make([][]Expr, len(s.Rows), len(s.Rows)+1)
	copy(n.Rows, s.Rows)
	n.Rows = append(n.Rows, vals)
	return n
}

// orderedColumns returns the columns named by row's keys, in the table's column order
// (unknown names last, sorted, carrying their error).
func orderedColumns(t TableLike, row map[string]any) []*ColumnClause {
	cols := make([]*ColumnClause, 0, len(row))
	seen := 0
	if l, ok := t.(ColumnLister); ok {
		for _, c := range l.ColumnList() {
			if _, ok := row[c.Name]; ok {
				cols = append(cols, c)
				seen++
			}
		}
	}
	if seen < len(row) {
		var unknown []string
		for k := range row {
			if c := t.C(k); c.Err != nil {
				unknown = append(unknown, k)
			}
		}
		sort.Strings(unknown)
		for _, k := range unknown {
			cols = append(cols, t.C(k))
		}
	}
	return cols
}

// Columns returns s with the column list for Row (or FromSelect). It resets any rows.
func (s *InsertStmt) Columns(cols ...*ColumnClause) *InsertStmt {
	n := s.clone()
	n.Cols = make([]*ColumnClause, len(cols))
	for i, c := range cols {
		n.Cols[i] = c.Clause()
	}
	n.Rows = nil
	n.rowsByMaps = false
	return n
}

// Row returns s with one more row of values, one per column given to Columns, in order.
func (s *InsertStmt) Row(vals ...any) *InsertStmt {
	if s.rowsByMaps {
		return s.fail(fmt.Errorf("expr: insert into %s mixes Row with Values", tableName(s.Table)))
	}
	if len(vals) != len(s.Cols) {
		return s.fail(fmt.Errorf("expr: insert into %s: row %d has %d values for %d columns",
			tableName(s.Table), len(s.Rows)+1, len(vals), len(s.Cols)))
	}
	row := make([]Expr, len(vals))
	for i, v := range vals {
		row[i] = ToExpr(v, s.Cols[i].Type)
	}
	n := s.clone()
	n.Rows = make([][]Expr, len(s.Rows), len(s.Rows)+1)
	copy(n.Rows, s.Rows)
	n.Rows = append(n.Rows, row)
	return n
}

// FromSelect returns INSERT INTO table (cols) SELECT ...: s with the rows produced by sel.
func (s *InsertStmt) FromSelect(cols []*ColumnClause, sel SelectStatement) *InsertStmt {
	n := s.Columns(cols...)
	n.Select = sel
	return n
}

// Returning returns s with RETURNING items (Exprs, or a table for all its columns).
func (s *InsertStmt) Returning(items ...any) *InsertStmt {
	n := s.clone()
	n.Returns = appendReturning(s.Returns, items, &n.Err)
	return n
}

// OnConflict starts an ON CONFLICT (target...) clause (PostgreSQL, SQLite); finish it
// with DoNothing or DoUpdateSet.
func (s *InsertStmt) OnConflict(target ...*ColumnClause) *ConflictBuilder {
	t := make([]*ColumnClause, len(target))
	for i, c := range target {
		t[i] = c.Clause()
	}
	return &ConflictBuilder{ins: s, target: t}
}

// OnDuplicateKeyUpdate returns s with ON DUPLICATE KEY UPDATE set... (MySQL, MariaDB).
// Use Inserted(col) for the value the row would have had.
func (s *InsertStmt) OnDuplicateKeyUpdate(set ...Assignment) *InsertStmt {
	n := s.clone()
	n.DupUpdate = append([]Assignment(nil), set...)
	return n
}

// ConflictBuilder is an unfinished ON CONFLICT clause. It is immutable.
// It holds no connection or other resource and lives as long as the caller keeps it: build
// it once and reuse it.
type ConflictBuilder struct {
	ins    *InsertStmt
	target []*ColumnClause
	where  Expr
}

// Where returns b with a condition on DO UPDATE (ON CONFLICT ... DO UPDATE SET ... WHERE).
func (b *ConflictBuilder) Where(cond Expr) *ConflictBuilder {
	n := *b
	n.where = Unwrap(cond)
	return &n
}

// DoNothing returns the insert with ON CONFLICT (target) DO NOTHING.
func (b *ConflictBuilder) DoNothing() *InsertStmt {
	n := b.ins.clone()
	n.Conflict = &OnConflictClause{Target: b.target, Action: ConflictDoNothing}
	return n
}

// DoUpdateSet returns the insert with ON CONFLICT (target) DO UPDATE SET set... Use
// Excluded(col) for the value the row would have had.
func (b *ConflictBuilder) DoUpdateSet(set ...Assignment) *InsertStmt {
	n := b.ins.clone()
	n.Conflict = &OnConflictClause{Target: b.target, Action: ConflictDoUpdate,
		Set: append([]Assignment(nil), set...), Where: b.where}
	return n
}

// UpdateStmt is an UPDATE statement. Build it with Update; immutable.
// It holds no connection or other resource and lives as long as the caller keeps it: build
// it once and reuse it.
type UpdateStmt struct {
	Table   TableLike
	Sets    []Assignment
	Wheres  []Expr
	Returns []Expr
	Err     error
}

func (*UpdateStmt) statementNode() {}

// Update returns UPDATE table.
func Update(table TableLike) *UpdateStmt { return &UpdateStmt{Table: table} }

func (s *UpdateStmt) clone() *UpdateStmt { n := *s; return &n }

// Set returns s with SET col = v added; a Go value v is bound with col's type. It is
// Assign(expr.Set(col, v)).
func (s *UpdateStmt) Set(col *ColumnClause, v any) *UpdateStmt {
	return s.Assign(Set(col.Clause(), v))
}

// Assign returns s with the assignments added to its SET list, in order. Assignments
// are the one currency of SET lists: built by Set (expr.Set(col, v)), by an ORM handle's
// typed Column[T].Set(v), and taken alike by Assign, ConflictBuilder.DoUpdateSet and
// InsertStmt.OnDuplicateKeyUpdate:
//
//	expr.Update(PostT.Core()).Assign(PostT.Title.Set("new"), PostT.Views.Set(0)).Where(PostT.ID.Eq(id))
func (s *UpdateStmt) Assign(as ...Assignment) *UpdateStmt {
	n := s.clone()
	n.Sets = make([]Assignment, len(s.Sets), len(s.Sets)+len(as))
	copy(n.Sets, s.Sets)
	n.Sets = append(n.Sets, as...)
	return n
}

// Values returns s with SET col = value for each entry (in the table's column order). A
// name the table does not have is an error naming table and column.
func (s *UpdateStmt) Values(set map[string]any) *UpdateStmt {
	n := s.clone()
	if s.Table == nil {
		n.Err = fmt.Errorf("expr: update has no table")
		return n
	}
	cols := orderedColumns(s.Table, set)
	n.Sets = make([]Assignment, len(s.Sets), len(s.Sets)+len(cols))
	copy(n.Sets, s.Sets)
	for _, c := range cols {
		if c.Err != nil && n.Err == nil {
			n.Err = c.Err
		}
		n.Sets = append(n.Sets, Set(c, set[c.Name]))
	}
	return n
}

// Where returns s with conditions added (ANDed). A nil condition is an error when the
// statement is compiled: skipping it would widen the statement (a DELETE whose only
// condition was nil would delete every row).
func (s *UpdateStmt) Where(conds ...Expr) *UpdateStmt {
	n := s.clone()
	n.Wheres = appendExprs(s.Wheres, conds)
	return n
}

// Returning returns s with RETURNING items (not on MySQL/MariaDB).
func (s *UpdateStmt) Returning(items ...any) *UpdateStmt {
	n := s.clone()
	n.Returns = appendReturning(s.Returns, items, &n.Err)
	return n
}

// DeleteStmt is a DELETE statement. Build it with Delete; immutable.
// It holds no connection or other resource and lives as long as the caller keeps it: build
// it once and reuse it.
type DeleteStmt struct {
	Table   TableLike
	Wheres  []Expr
	Returns []Expr
	Err     error
}

func (*DeleteStmt) statementNode() {}

// Delete returns DELETE FROM table.
func Delete(table TableLike) *DeleteStmt { return &DeleteStmt{Table: table} }

// Where returns s with conditions added (ANDed). A nil condition is an error when the
// statement is compiled: skipping it would widen the statement (a DELETE whose only
// condition was nil would delete every row).
func (s *DeleteStmt) Where(conds ...Expr) *DeleteStmt {
	n := *s
	n.Wheres = appendExprs(s.Wheres, conds)
	return &n
}

// Returning returns s with RETURNING items (PostgreSQL, SQLite, MariaDB 10.5+).
func (s *DeleteStmt) Returning(items ...any) *DeleteStmt {
	n := *s
	n.Returns = appendReturning(s.Returns, items, &n.Err)
	return &n
}

// appendReturning returns a new list of RETURNING items: prev followed by items (Exprs,
// or tables for all their columns). The first bad item is recorded in *errp unless an
// error is there already.
func appendReturning(prev []Expr, items []any, errp *error) []Expr {
	cols := make([]Expr, len(prev), len(prev)+len(items))
	copy(cols, prev)
	cols, err := selectItems(cols, items)
	if err != nil && *errp == nil {
		*errp = err
	}
	return cols
}
