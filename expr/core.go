package expr

import (
	"github.com/retortdb/retort/types"
)

// Expr is a SQL expression that can stand where a value can: a column, a bound
// parameter, an operator applied to other expressions, a function call, and so on.
// The set of Expr implementations is closed: only this package defines them (types
// of other packages embed them).
// Implementations are immutable, safe for concurrent use, and live as long as the
// statements that hold them.
type Expr interface {
	exprNode()
}

// Typed is an Expr whose SQL type is known. Bound values compared with a Typed
// expression take its type, so that dialect conversions apply to them.
// Implementations are immutable, safe for concurrent use, and live as long as the
// statements that hold them.
type Typed interface {
	Expr
	// SQLType returns the expression's SQL type.
	SQLType() types.Type
}

// FromClause is something a SELECT can read from: a table, an alias, a subquery, a
// join or a common table expression.
// Implementations are immutable, safe for concurrent use, and live as long as the
// statements that hold them.
type FromClause interface {
	fromNode()
}

// Statement is a complete SQL statement that a compiler can render and an engine can
// execute: Select, CompoundSelect, Insert, Update, Delete, Text, and the DDL elements of
// package schema.
// Implementations are immutable, safe for concurrent use, and live as long as the
// statements that hold them.
type Statement interface {
	statementNode()
}

// TableLike is a FromClause that has a name and columns: a table or an alias of one.
// Implementations are immutable, safe for concurrent use, and live as long as the
// statements that hold them.
type TableLike interface {
	FromClause
	// TableName returns the name to render (for an alias, the alias name).
	TableName() string
	// C returns the named column, or a column that reports an error when compiled.
	C(name string) *ColumnClause
}

// TableClause is a named table with columns, the lightweight form of a table (SQLAlchemy's
// table()). schema.Table embeds one and adds constraints. A TableClause is immutable once
// built and safe for concurrent use.
// It lives as long as the statements and the MetaData that refer to it.
type TableClause struct {
	Name    string
	Schema  string // optional schema (PostgreSQL) or database (MySQL) qualifier
	Columns []*ColumnClause
	byName  map[string]*ColumnClause
}

func (*TableClause) fromNode() {}

// NewTable returns a table named name with the given columns. Each column's Table is set
// to the new table; columns must not be shared between tables.
func NewTable(name string, columns ...*ColumnClause) *TableClause {
	t := &TableClause{Name: name, Columns: columns, byName: make(map[string]*ColumnClause, len(columns))}
	for _, c := range columns {
		c.Table = t
		t.byName[c.Name] = c
	}
	return t
}

// AddColumn appends c to t and sets c.Table to t. It is meant for use while a table is
// being defined, before it is shared.
func (t *TableClause) AddColumn(c *ColumnClause) {
	if t.byName == nil {
		t.byName = make(map[string]*ColumnClause)
	}
	c.Table = t
	t.Columns = append(t.Columns, c)
	t.byName[c.Name] = c
}

// TableName returns t's name.
func (t *TableClause) TableName() string { return t.Name }

// C returns t's column called name. For an unknown name it returns a column carrying an
// error, which the compiler reports; it never returns nil.
func (t *TableClause) C(name string) *ColumnClause {
	if c, ok := t.byName[name]; ok {
		return c
	}
	return &ColumnClause{Table: t, Name: name, Err: &UnknownColumnError{Table: t.Name, Column: name}}
}

// HasColumn reports whether t has a column called name.
func (t *TableClause) HasColumn(name string) bool {
	_, ok := t.byName[name]
	return ok
}

// ColumnClause is a column of a table, alias, subquery or CTE. Table is nil for a free
// column (rendered unqualified).
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type ColumnClause struct {
	Table FromClause
	Name  string
	Type  types.Type
	// Err is set on a column looked up by a name its table does not have; compiling a
	// statement that uses it fails with this error.
	Err error
}

func (*ColumnClause) exprNode() {}

// SQLType returns the column's type.
func (c *ColumnClause) SQLType() types.Type { return c.Type }

// Column returns a free column (not bound to a table) with the given name and type,
// as SQLAlchemy's column().
func Column(name string, t types.Type) *ColumnClause { return &ColumnClause{Name: name, Type: t} }

// UnknownColumnError reports a column name that its table does not have.
// It is safe for concurrent reads once returned and lives as long as the caller keeps it.
type UnknownColumnError struct {
	Table, Column string
}

// Error returns "expr: table T has no column C".
func (e *UnknownColumnError) Error() string {
	return "expr: table " + e.Table + " has no column " + e.Column
}

// Bind is a bound parameter: a Go value sent separately from the SQL text. Every value in
// a statement is bound; none is spliced into the SQL.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type Bind struct {
	Value any
	Type  types.Type // the type the value is converted as (from the compared column when known)
	Name  string     // parameter name, for Text statements; empty for positional values
}

func (*Bind) exprNode() {}

// SQLType returns the parameter's type.
func (b *Bind) SQLType() types.Type { return b.Type }

// Value returns a bound parameter holding v with type t.
func Value(v any, t types.Type) *Bind { return &Bind{Value: v, Type: t} }

// Clause returns t itself. Types that embed a *TableClause (schema.Table) inherit it, so
// code holding any of them can reach the underlying TableClause.
func (t *TableClause) Clause() *TableClause { return t }

// ColumnList returns t's columns in definition order. The slice must not be modified.
func (t *TableClause) ColumnList() []*ColumnClause { return t.Columns }

// Clause returns c itself. Types that embed a *ColumnClause (schema.Column) inherit it,
// so expressions built from them use the underlying ColumnClause.
func (c *ColumnClause) Clause() *ColumnClause { return c }
