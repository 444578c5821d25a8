package migrate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// Operation is one step of a migration: a schema change (create table, add column,
// ...), raw SQL, or a data step. Migrations record operations through an Op; autogenerate
// produces them from a comparison. Operations are immutable once built and safe for
// concurrent use; they live as long as the migration run or the comparison that made
// them.
type Operation interface {
	// String describes the operation, as errors, logs and Accept lists name it:
	// "add column users.email", "drop table notes".
	String() string

	apply(st *state) error
	statements(d compile.DDLDialect, before, after *state) ([]stmt, error)
	// destructive returns why the operation loses data ("" when it does not), given the
	// schema before it.
	destructive(before *state) string
}

// stmt is one statement an operation sends: a DDL element, raw SQL, a query whose rows
// are problems (check), or a data step (run).
type stmt struct {
	ddl   expr.Statement
	sql   string
	args  []expr.NamedParam
	check string // the query's rows are errors described by check
	run   func(ctx context.Context, c *engine.Conn, p *Progress) error
}

// ddl wraps DDL elements as stmts.
func ddl(s ...expr.Statement) []stmt {
	out := make([]stmt, len(s))
	for i, x := range s {
		out[i] = stmt{ddl: x}
	}
	return out
}

func tableOf(st *state, name string) (*schema.Table, error) {
	md, err := st.metadata()
	if err != nil {
		return nil, err
	}
	return built(md, name)
}

// createTableOp creates a table with its indexes (and on PostgreSQL its enum types).
type createTableOp struct{ t *tableSpec }

func (o *createTableOp) String() string { return "create table " + o.t.key() }
func (o *createTableOp) apply(st *state) error {
	if _, err := st.table(o.t.key()); err == nil {
		return fmt.Errorf("table %s already exists", o.t.key())
	}
	st.tables = append(st.tables, o.t.clone())
	return nil
}
func (o *createTableOp) destructive(*state) string { return "" }
func (o *createTableOp) statements(d compile.DDLDialect, before, after *state) ([]stmt, error) {
	t, err := tableOf(after, o.t.key())
	if err != nil {
		return nil, err
	}
	var out []expr.Statement
	out = append(out, newEnums(d, before, t)...)
	out = append(out, &schema.CreateTable{Table: t})
	out = append(out, compile.CommentStatements(d, t)...)
	for _, ix := range t.Indexes {
		out = append(out, &schema.CreateIndex{Index: ix})
	}
	return ddl(out...), nil
}

// newEnums returns CREATE TYPE for the enum types of t that before does not use yet,
// where the dialect has named enum types.
func newEnums(d compile.DDLDialect, before *state, t *schema.Table) []expr.Statement {
	if !d.Features().Has(compile.NativeEnum) {
		return nil
	}
	var out []expr.Statement
	seen := map[string]bool{}
	for _, c := range t.Cols {
		if c.Type.Kind == types.KindEnum && c.Type.EnumName != "" && !before.usesEnum(c.Type.EnumName) && !seen[c.Type.EnumName] {
			seen[c.Type.EnumName] = true
			out = append(out, &schema.CreateEnumType{Type: c.Type})
		}
	}
	return out
}

// goneEnums returns DROP TYPE for the enum types of cols that after no longer uses.
func goneEnums(d compile.DDLDialect, after *state, cols []colSpec) []expr.Statement {
	if !d.Features().Has(compile.NativeEnum) {
		return nil
	}
	var out []expr.Statement
	seen := map[string]bool{}
	for _, c := range cols {
		if c.Type.Kind == types.KindEnum && c.Type.EnumName != "" && !after.usesEnum(c.Type.EnumName) && !seen[c.Type.EnumName] {
			seen[c.Type.EnumName] = true
			out = append(out, &schema.DropEnumType{Type: c.Type})
		}
	}
	return out
}

// dropTableOp drops a table.
type dropTableOp struct{ name string }

func (o *dropTableOp) String() string { return "drop table " + o.name }
func (o *dropTableOp) apply(st *state) error {
	t, err := st.table(o.name)
	if err != nil {
		return err
	}
	st.tables = slices.DeleteFunc(st.tables, func(x *tableSpec) bool { return x == t })
	return nil
}
func (o *dropTableOp) destructive(*state) string { return o.String() }
func (o *dropTableOp) statements(d compile.DDLDialect, before, after *state) ([]stmt, error) {
	t, err := tableOf(before, o.name)
	if err != nil {
		return nil, err
	}
	spec, _ := before.table(o.name)
	return ddl(append([]expr.Statement{&schema.DropTable{Table: t}}, goneEnums(d, after, spec.Cols)...)...), nil
}

// renameTableOp renames a table.
type renameTableOp struct{ old, new string }

func (o *renameTableOp) String() string { return "rename table " + o.old + " to " + o.new }
func (o *renameTableOp) apply(st *state) error {
	t, err := st.table(o.old)
	if err != nil {
		return err
	}
	if _, err := st.table(qualify(t.Schema, o.new)); err == nil {
		return fmt.Errorf("table %s already exists", o.new)
	}
	for _, other := range st.tables {
		for i := range other.FKs {
			if other.FKs[i].RefTable == o.old {
				other.FKs[i].RefTable = qualify(t.Schema, o.new)
			}
		}
	}
	t.Name = o.new
	return nil
}
func (o *renameTableOp) destructive(*state) string { return "" }
func (o *renameTableOp) statements(d compile.DDLDialect, before, _ *state) ([]stmt, error) {
	t, err := tableOf(before, o.old)
	if err != nil {
		return nil, err
	}
	return ddl(&schema.RenameTable{Table: t, NewName: o.new}), nil
}

func qualify(schemaName, name string) string {
	if schemaName == "" {
		return name
	}
	return schemaName + "." + name
}

// addColumnOp adds a column.
type addColumnOp struct {
	table string
	col   colSpec
}

func (o *addColumnOp) String() string { return "add column " + o.table + "." + o.col.Name }
func (o *addColumnOp) apply(st *state) error {
	t, err := st.table(o.table)
	if err != nil {
		return err
	}
	if t.col(o.col.Name) >= 0 {
		return fmt.Errorf("column %s.%s already exists", o.table, o.col.Name)
	}
	t.Cols = append(t.Cols, o.col)
	return nil
}
func (o *addColumnOp) destructive(*state) string { return "" }
func (o *addColumnOp) statements(d compile.DDLDialect, before, after *state) ([]stmt, error) {
	if !d.Features().Has(compile.AlterColumnInPlace) {
		return batch(d, before, after, o.table)
	}
	t, err := tableOf(after, o.table)
	if err != nil {
		return nil, err
	}
	c, _ := t.Col(o.col.Name)
	out := append(newEnums(d, before, t), &schema.AddColumn{Table: t, Column: c})
	if c.Comment != "" && d.Features().Has(compile.CommentOn) {
		out = append(out, &schema.SetColumnComment{Table: t, Column: c.Name, Comment: c.Comment})
	}
	return ddl(out...), nil
}

// dropColumnOp drops a column.
type dropColumnOp struct{ table, col string }

func (o *dropColumnOp) String() string { return "drop column " + o.table + "." + o.col }
func (o *dropColumnOp) apply(st *state) error {
	t, i, err := st.column(o.table, o.col)
	if err != nil {
		return err
	}
	t.Cols = slices.Delete(t.Cols, i, i+1)
	has := func(cols []string) bool { return slices.Contains(cols, o.col) }
	t.Indexes = slices.DeleteFunc(t.Indexes, func(ix indexSpec) bool { return has(ix.Columns) })
	t.Uniques = slices.DeleteFunc(t.Uniques, func(u uniqueSpec) bool { return has(u.Columns) })
	t.FKs = slices.DeleteFunc(t.FKs, func(fk fkSpec) bool { return has(fk.Columns) })
	return nil
}
func (o *dropColumnOp) destructive(*state) string { return o.String() }
func (o *dropColumnOp) statements(d compile.DDLDialect, before, after *state) ([]stmt, error) {
	if !d.Features().Has(compile.AlterColumnInPlace) {
		return batch(d, before, after, o.table)
	}
	t, err := tableOf(before, o.table)
	if err != nil {
		return nil, err
	}
	spec, _ := before.table(o.table)
	gone := spec.Cols[spec.col(o.col) : spec.col(o.col)+1]
	return ddl(append([]expr.Statement{&schema.DropColumn{Table: t, Column: o.col}}, goneEnums(d, after, gone)...)...), nil
}

// renameColumnOp renames a column.
type renameColumnOp struct{ table, old, new string }

func (o *renameColumnOp) String() string {
	return "rename column " + o.table + "." + o.old + " to " + o.new
}
func (o *renameColumnOp) apply(st *state) error {
	t, i, err := st.column(o.table, o.old)
	if err != nil {
		return err
	}
	if t.col(o.new) >= 0 {
		return fmt.Errorf("column %s.%s already exists", o.table, o.new)
	}
	t.Cols[i].Name = o.new
	ren := func(cols []string) {
		for j := range cols {
			if cols[j] == o.old {
				cols[j] = o.new
			}
		}
	}
	ren(t.PK)
	for i := range t.FKs {
		ren(t.FKs[i].Columns)
	}
	for i := range t.Uniques {
		ren(t.Uniques[i].Columns)
	}
	for i := range t.Indexes {
		ren(t.Indexes[i].Columns)
	}
	for _, other := range st.tables {
		for i := range other.FKs {
			if other.FKs[i].RefTable == t.key() {
				ren(other.FKs[i].RefCols)
			}
		}
	}
	return nil
}
func (o *renameColumnOp) destructive(*state) string { return "" }
func (o *renameColumnOp) statements(d compile.DDLDialect, before, _ *state) ([]stmt, error) {
	t, err := tableOf(before, o.table)
	if err != nil {
		return nil, err
	}
	return ddl(&schema.RenameColumn{Table: t, Column: o.old, NewName: o.new}), nil
}

// alterColumnOp changes a column's type, nullability or server default.
type alterColumnOp struct {
	table, col  string
	typ         *types.Type
	nullable    *bool
	setDefault  bool
	dflt        expr.Expr
	comment     *string
	nullsCheck  bool // set by the runner: look for NULLs before making the column NOT NULL
	description string
}

func (o *alterColumnOp) String() string {
	if o.description != "" {
		return o.description
	}
	var parts []string
	if o.typ != nil {
		parts = append(parts, "type "+o.typ.String())
	}
	if o.nullable != nil {
		if *o.nullable {
			parts = append(parts, "NULL")
		} else {
			parts = append(parts, "NOT NULL")
		}
	}
	if o.setDefault {
		if o.dflt == nil {
			parts = append(parts, "no default")
		} else {
			parts = append(parts, "new default")
		}
	}
	if o.comment != nil {
		parts = append(parts, "comment")
	}
	return "alter column " + o.table + "." + o.col + " (" + strings.Join(parts, ", ") + ")"
}
func (o *alterColumnOp) apply(st *state) error {
	t, i, err := st.column(o.table, o.col)
	if err != nil {
		return err
	}
	c := &t.Cols[i]
	if o.typ != nil {
		c.Type = *o.typ
	}
	if o.nullable != nil {
		c.Nullable = *o.nullable
	}
	if o.setDefault {
		c.Default = o.dflt
	}
	if o.comment != nil {
		c.Comment = *o.comment
	}
	return nil
}
func (o *alterColumnOp) destructive(before *state) string {
	t, err := before.table(o.table)
	if err != nil || o.typ == nil {
		return ""
	}
	if i := t.col(o.col); i >= 0 && !widens(t.Cols[i].Type, *o.typ) {
		return fmt.Sprintf("narrow column %s.%s from %s to %s", o.table, o.col, t.Cols[i].Type, *o.typ)
	}
	return ""
}
func (o *alterColumnOp) statements(d compile.DDLDialect, before, after *state) ([]stmt, error) {
	var out []stmt
	if o.nullable != nil && !*o.nullable {
		t, err := tableOf(before, o.table)
		if err != nil {
			return nil, err
		}
		out = append(out, stmt{ddl: expr.Select(expr.CountStar()).From(t).Where(t.C(o.col).IsNull()),
			check: fmt.Sprintf("make column %s.%s NOT NULL", o.table, o.col)})
	}
	feats := d.Features()
	inlineComment := o.comment != nil && feats.Has(compile.InlineComment)
	if o.typ == nil && o.nullable == nil && !o.setDefault && !inlineComment {
		// Only the comment changes, and the database keeps it apart (or not at all).
		return append(out, o.commentStatements(d, after)...), nil
	}
	if !feats.Has(compile.AlterColumnInPlace) {
		b, err := batch(d, before, after, o.table)
		return append(out, b...), err
	}
	t, err := tableOf(after, o.table)
	if err != nil {
		return nil, err
	}
	c, _ := t.Col(o.col)
	var pre []expr.Statement
	if o.typ != nil {
		pre = newEnums(d, before, t)
	}
	out = append(out, ddl(append(pre, &schema.AlterColumn{Table: t, Column: c, SetType: o.typ != nil, SetNullable: o.nullable != nil,
		SetDefault: o.setDefault, SetComment: inlineComment})...)...)
	return append(out, o.commentStatements(d, after)...), nil
}

// commentStatements sets the column's comment where comments are set apart (COMMENT ON).
func (o *alterColumnOp) commentStatements(d compile.DDLDialect, after *state) []stmt {
	if o.comment == nil || !d.Features().Has(compile.CommentOn) {
		return nil
	}
	t, err := tableOf(after, o.table)
	if err != nil {
		return nil
	}
	return ddl(&schema.SetColumnComment{Table: t, Column: o.col, Comment: *o.comment})
}

// widens reports whether every value of type from fits type to.
func widens(from, to types.Type) bool {
	if from.Equal(to) {
		return true
	}
	rank := map[types.Kind]int{types.KindSmallInt: 1, types.KindInteger: 2, types.KindBigInt: 3}
	switch {
	case rank[from.Kind] > 0 && rank[to.Kind] > 0:
		return rank[to.Kind] >= rank[from.Kind]
	case rank[from.Kind] > 0 && (to.Kind == types.KindNumeric && (to.Precision == 0 || to.Precision-to.Scale >= 19)):
		return true
	case from.Kind == types.KindFloat && to.Kind == types.KindDouble:
		return true
	case from.Kind == types.KindString && to.Kind == types.KindString:
		return to.Length == 0 || from.Length != 0 && to.Length >= from.Length
	case (from.Kind == types.KindString || from.Kind == types.KindEnum) && to.Kind == types.KindText:
		return true
	case from.Kind == types.KindNumeric && to.Kind == types.KindNumeric:
		return to.Precision == 0 || from.Precision != 0 && to.Scale >= from.Scale && to.Precision-to.Scale >= from.Precision-from.Scale
	case from.Kind == types.KindTimestamp && to.Kind == types.KindTimestamp:
		return true
	case from.Kind == types.KindEnum && to.Kind == types.KindEnum:
		for _, v := range from.EnumValues {
			if !slices.Contains(to.EnumValues, v) {
				return false
			}
		}
		return true
	}
	return false
}
