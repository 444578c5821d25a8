package compile

import (
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// Compiled is a statement rendered for one dialect: the SQL text, the bound arguments in
// placeholder order, and the shape of its result. A Compiled is immutable.
// It holds no resources and lives as long as the caller keeps it.
type Compiled struct {
	SQL      string
	Args     []any        // bound Go values, before dialect conversion
	ArgTypes []types.Type // the type of each argument, for dialect conversion
	// ArgColumns names, for each argument, the column its value is written to (INSERT
	// VALUES, UPDATE SET), one entry per argument, "" for one that is not a column's value.
	// Errors about a bad value use it to name the column.
	ArgColumns []string
	// Columns describes the result columns (names and types); nil when they are not known
	// (SELECT *, a Text statement without Columns, DML without RETURNING).
	Columns []ResultColumn
	// Returns reports whether executing the statement yields rows (SELECT, or DML with RETURNING).
	Returns bool
	// Table is the table an INSERT, UPDATE or DELETE writes, when its definition is
	// known (a schema table); nil otherwise. Errors about a violated constraint use it to
	// name the constraint's columns, or the constraint, that the database did not report.
	Table *schema.Table
}

// Compile renders stmt for dialect d. Statements of the same shape (same structure,
// different bound values) reuse a cached rendering. Errors name the construct at fault
// and wrap ErrCompile.
func Compile(d Dialect, stmt expr.Statement) (*Compiled, error) {
	return compileStatement(d, stmt)
}
