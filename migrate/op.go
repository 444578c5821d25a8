package migrate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// Op records the operations of one direction (Up or Down) of a migration. Its methods
// add an operation each and return nothing: a mistake in a definition (an unknown
// foreign key action, an empty name, ...) is kept and reported by the runner, naming the
// revision and the operation, before anything runs. The runner then renders each
// operation for the database (or for offline SQL) and runs it.
//
// An Op is made by the runner for one call of Up or Down and used by that call's
// goroutine only; it lives until the call returns.
type Op struct {
	ops  []Operation
	errs []error
}

// Operations returns the recorded operations, in order.
func (o *Op) Operations() []Operation { return o.ops }

// Err returns the definition mistakes recorded so far, joined, or nil.
func (o *Op) Err() error { return errors.Join(o.errs...) }

func (o *Op) add(op Operation) { o.ops = append(o.ops, op) }

func (o *Op) fail(what string, err error) {
	o.errs = append(o.errs, fmt.Errorf("%s: %w", what, err))
}

// CreateTable creates a table defined as for schema.MetaData.Table, with its indexes.
// Foreign keys may reference tables the migrations created earlier.
func (o *Op) CreateTable(name string, items ...schema.TableItem) {
	t, err := schema.NewMetaData().Table(name, items...)
	if err != nil {
		o.fail("create table "+name, err)
		return
	}
	o.add(&createTableOp{t: specOf(t)})
}

// DropTable drops a table and its data (a destructive operation).
func (o *Op) DropTable(name string) { o.add(&dropTableOp{name: name}) }

// RenameTable renames a table, keeping its data.
func (o *Op) RenameTable(old, new string) {
	if old == "" || new == "" {
		o.fail("rename table", errors.New("the old and the new name are required"))
		return
	}
	o.add(&renameTableOp{old: old, new: new})
}

// AddColumn adds a column defined as for schema.Col (its type, nullability and server
// default; add keys and indexes with their own operations).
func (o *Op) AddColumn(table string, col schema.ColumnDef) {
	t, err := schema.NewMetaData().Table(table, col)
	if err != nil {
		o.fail("add column to "+table, err)
		return
	}
	s := specOf(t)
	o.add(&addColumnOp{table: table, col: s.Cols[0]})
}

// DropColumn drops a column and its data (a destructive operation), with the indexes
// and constraints that use it.
func (o *Op) DropColumn(table, column string) { o.add(&dropColumnOp{table: table, col: column}) }

// RenameColumn renames a column, keeping its data.
func (o *Op) RenameColumn(table, old, new string) {
	if old == "" || new == "" {
		o.fail("rename column of "+table, errors.New("the old and the new name are required"))
		return
	}
	o.add(&renameColumnOp{table: table, old: old, new: new})
}

// AlterOption is a change of AlterColumn.
type AlterOption func(*alterColumnOp)

// SetType changes the column's type (a destructive operation when the new type cannot
// hold every value of the old one).
func SetType(t types.Type) AlterOption { return func(o *alterColumnOp) { o.typ = &t } }

// SetNullable says whether the column accepts NULL. Making a column NOT NULL is refused
// as destructive when it holds NULLs at the time it runs.
func SetNullable(on bool) AlterOption { return func(o *alterColumnOp) { o.nullable = &on } }

// SetServerDefault sets the column's server default; nil drops it.
func SetServerDefault(e expr.Expr) AlterOption {
	return func(o *alterColumnOp) { o.setDefault, o.dflt = true, e }
}

// SetComment changes the column's comment ("" removes it); databases without column
// comments (SQLite) ignore it.
func SetComment(text string) AlterOption { return func(o *alterColumnOp) { o.comment = &text } }

// AlterColumn changes a column's type, nullability, server default or comment in place
// (on SQLite by rebuilding the table).
func (o *Op) AlterColumn(table, column string, changes ...AlterOption) {
	op := &alterColumnOp{table: table, col: column}
	for _, c := range changes {
		if c != nil {
			c(op)
		}
	}
	if op.typ == nil && op.nullable == nil && !op.setDefault && op.comment == nil {
		o.fail("alter column "+table+"."+column, errors.New("no change given (SetType, SetNullable, SetServerDefault, SetComment)"))
		return
	}
	o.add(op)
}

// CreateIndex creates an index called name on columns of table.
func (o *Op) CreateIndex(name, table string, columns ...string) {
	o.index(name, table, false, columns)
}

// CreateUniqueIndex creates a unique index called name on columns of table.
func (o *Op) CreateUniqueIndex(name, table string, columns ...string) {
	o.index(name, table, true, columns)
}

// CreatePartialIndex creates an index called name on columns of table over the rows
// where the SQL condition where holds (unique when unique is true), on databases with
// partial indexes (PostgreSQL, SQLite). where is written as is: never build it from
// untrusted input.
func (o *Op) CreatePartialIndex(name, table string, unique bool, where string, columns ...string) {
	if strings.TrimSpace(where) == "" {
		o.fail("create index "+name+" on "+table, errors.New("a partial index needs a condition"))
		return
	}
	o.index(name, table, unique, columns, where)
}

func (o *Op) index(name, table string, unique bool, columns []string, where ...string) {
	if name == "" || len(columns) == 0 {
		o.fail("create index on "+table, errors.New("an index needs a name and columns"))
		return
	}
	ix := indexSpec{Name: name, Columns: append([]string(nil), columns...), Unique: unique}
	if len(where) > 0 {
		ix.Where = where[0]
	}
	o.add(&createIndexOp{table: table, ix: ix})
}

// DropIndex drops the index called name on table.
func (o *Op) DropIndex(name, table string) { o.add(&dropIndexOp{table: table, name: name}) }

// AddForeignKey adds a foreign key called name ("" for a generated name) from columns
// of table to refColumns of refTable, with options as for schema.ForeignKey.
func (o *Op) AddForeignKey(name, table string, columns []string, refTable string, refColumns []string, opts ...schema.FKOption) {
	md := schema.NewMetaData()
	var cols []schema.TableItem
	for _, c := range columns {
		cols = append(cols, schema.Col(c, types.Integer()))
	}
	t, err := md.Table(table, append(cols, schema.ForeignKeyConstraint(name, columns, refTable, refColumns, opts...))...)
	if err != nil {
		o.fail("add foreign key to "+table, err)
		return
	}
	fk := specOf(t).FKs[0]
	if fk.Name == "" {
		fk.Name = fk.ConstraintNameOf
	}
	o.add(&constraintOp{add: true, table: table, fk: &fk})
}

// DropForeignKey drops the foreign key called name on table.
func (o *Op) DropForeignKey(name, table string) {
	o.add(&constraintOp{table: table, fk: &fkSpec{Name: name}})
}

// AddUnique adds a unique constraint called name ("" lets the database choose) over
// columns of table.
func (o *Op) AddUnique(name, table string, columns ...string) {
	if len(columns) == 0 {
		o.fail("add unique constraint to "+table, errors.New("no columns"))
		return
	}
	o.add(&constraintOp{add: true, table: table, unique: &uniqueSpec{Name: name, Columns: append([]string(nil), columns...)}})
}

// DropUnique drops the unique constraint called name on table; for a constraint the
// database keeps without a name (SQLite), give "" and its columns.
func (o *Op) DropUnique(name, table string, columns ...string) {
	o.add(&constraintOp{table: table, unique: &uniqueSpec{Name: name, Columns: append([]string(nil), columns...)}})
}

// AddCheck adds a check constraint called name with the SQL condition sqlText (written
// as is: never build it from untrusted input).
func (o *Op) AddCheck(name, table, sqlText string) {
	if name == "" || strings.TrimSpace(sqlText) == "" {
		o.fail("add check constraint to "+table, errors.New("a check constraint needs a name and a condition"))
		return
	}
	o.add(&constraintOp{add: true, table: table, check: &schema.CheckDef{Name: name, SQL: sqlText}})
}

// DropCheck drops the check constraint called name on table.
func (o *Op) DropCheck(name, table string) {
	o.add(&constraintOp{table: table, check: &schema.CheckDef{Name: name}})
}

// Execute runs raw SQL with :name parameters (as expr.Text), for data changes and what
// the other operations do not cover. Offline SQL prints it as written.
func (o *Op) Execute(sqlText string, params ...expr.NamedParam) {
	if strings.TrimSpace(sqlText) == "" {
		o.fail("execute", errors.New("empty SQL"))
		return
	}
	o.add(&executeOp{sql: sqlText, params: params})
}

// Run adds a data step written in Go, called with the migration's connection (inside its
// transaction where the database has transactional DDL) and a Progress to report on.
// Offline SQL cannot show what it does and prints a comment in its place.
func (o *Op) Run(name string, fn func(ctx context.Context, c *engine.Conn, p *Progress) error) {
	if fn == nil {
		o.fail("run "+name, errors.New("nil function"))
		return
	}
	o.add(&runOp{name: name, fn: fn})
}
