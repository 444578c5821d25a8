package schema

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// TableItem is one part of a table definition passed to MetaData.Table: a column (Col),
// a table constraint (PrimaryKeyConstraint, ForeignKeyConstraint, UniqueConstraint,
// CheckConstraint), an index (Index, UniqueIndex) or a table option (InSchema).
// Items are plain values read by MetaData.Table: safe for concurrent reads, they need not
// outlive the call (the table keeps what it needs, so they live only until then).
type TableItem interface {
	applyTable(b *tableBuilder)
}

// ColumnDef is a column definition made by Col, used as a TableItem.
// It is a plain value read by MetaData.Table: safe for concurrent reads, it need not live
// beyond that call.
type ColumnDef struct {
	name string
	typ  types.Type
	opts []ColumnOption
}

// Col defines a column called name of type t with the given options, such as
// schema.Col("id", types.Integer(), schema.PrimaryKey()). Columns are nullable unless
// NotNull or PrimaryKey is given.
func Col(name string, t types.Type, opts ...ColumnOption) ColumnDef {
	return ColumnDef{name: name, typ: t, opts: opts}
}

// ColumnOption is an option of Col.
type ColumnOption func(s *columnSpec)

type columnSpec struct {
	pk            bool
	nullable      *bool
	autoincrement *bool
	defaultVal    any
	serverDefault expr.Expr
	unique        bool
	indexed       bool
	comment       string
	fks           []*ForeignKeyDef
	errs          []string
}

func (s *columnSpec) fail(format string, args ...any) {
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

// PrimaryKey makes the column (part of) the table's primary key; it implies NotNull.
// When several columns have it, the key is composite, in column order. A single integer
// primary key column autoincrements unless Autoincrement(false) is given (or it has a
// foreign key or a default).
func PrimaryKey() ColumnOption { return func(s *columnSpec) { s.pk = true } }

// NotNull makes the column NOT NULL.
func NotNull() ColumnOption {
	return func(s *columnSpec) { f := false; s.nullable = &f }
}

// Nullable makes the column accept NULL (the default for columns outside the primary key).
func Nullable() ColumnOption {
	return func(s *columnSpec) { t := true; s.nullable = &t }
}

// Autoincrement says whether the database generates the column's values (SERIAL,
// AUTO_INCREMENT, SQLite's rowid). Only integer primary key columns can autoincrement;
// without this option a single integer primary key column does.
func Autoincrement(on bool) ColumnOption {
	return func(s *columnSpec) { s.autoincrement = &on }
}

// Default sets a client-side default, applied on INSERT when no value is given: a value of
// the column's Go type, or a func() any called once per inserted row.
func Default(v any) ColumnOption {
	return func(s *columnSpec) {
		if v == nil {
			s.fail("Default(nil): leave the option out for no default")
			return
		}
		if _, ok := v.(func() any); !ok && reflect.TypeOf(v).Kind() == reflect.Func {
			s.fail("Default function has type %T; want func() any", v)
			return
		}
		s.defaultVal = v
	}
}

// ServerDefault sets the SQL expression the database uses when an INSERT gives no value
// (the DEFAULT clause), such as expr.Now() or a literal expr.Value.
func ServerDefault(e expr.Expr) ColumnOption {
	return func(s *columnSpec) {
		if e == nil {
			s.fail("ServerDefault(nil): leave the option out for no default")
			return
		}
		s.serverDefault = e
	}
}

// Unique gives the column a single-column UNIQUE constraint. With Indexed, the column
// gets a unique index instead.
func Unique() ColumnOption { return func(s *columnSpec) { s.unique = true } }

// Indexed gives the column an index named ix_<table>_<column> (unique with Unique).
func Indexed() ColumnOption { return func(s *columnSpec) { s.indexed = true } }

// Comment gives the column a comment, kept in the database catalog where the database
// has column comments (PostgreSQL COMMENT ON COLUMN, MySQL's COMMENT clause; SQLite has
// none and ignores it).
func Comment(text string) ColumnOption { return func(s *columnSpec) { s.comment = text } }

// ForeignKey makes the column reference target, written "table.column" (or
// "schema.table.column"). The referenced table may be defined later in the same MetaData;
// it is resolved by SortedTables. Options set the ON DELETE / ON UPDATE actions and the
// constraint name.
func ForeignKey(target string, opts ...FKOption) ColumnOption {
	return func(s *columnSpec) {
		i := strings.LastIndexByte(target, '.')
		if i <= 0 || i == len(target)-1 {
			s.fail("foreign key target %q must be written \"table.column\"", target)
			return
		}
		fk := &ForeignKeyDef{RefTable: target[:i], RefCols: []string{target[i+1:]}}
		for _, o := range opts {
			if err := o(fk); err != "" {
				s.fail("%s", err)
			}
		}
		s.fks = append(s.fks, fk)
	}
}

// FKOption is an option of a foreign key (ForeignKey, ForeignKeyConstraint).
type FKOption func(fk *ForeignKeyDef) (errMsg string)

var fkActions = []string{"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"}

func normAction(clause, a string) (string, string) {
	n := strings.ToUpper(strings.Join(strings.Fields(a), " "))
	for _, x := range fkActions {
		if n == x {
			return n, ""
		}
	}
	return "", fmt.Sprintf("unknown %s action %q; want one of %s", clause, a, strings.Join(fkActions, ", "))
}

// OnDelete sets the foreign key's ON DELETE action: "CASCADE", "SET NULL",
// "SET DEFAULT", "RESTRICT" or "NO ACTION" (any case).
func OnDelete(action string) FKOption {
	return func(fk *ForeignKeyDef) string {
		var msg string
		fk.OnDelete, msg = normAction("ON DELETE", action)
		return msg
	}
}

// OnUpdate sets the foreign key's ON UPDATE action, spelled as for OnDelete.
func OnUpdate(action string) FKOption {
	return func(fk *ForeignKeyDef) string {
		var msg string
		fk.OnUpdate, msg = normAction("ON UPDATE", action)
		return msg
	}
}

// FKName names the foreign key constraint (otherwise the database chooses a name, or,
// for a key added with ALTER TABLE, ForeignKeyDef.ConstraintName makes one up).
func FKName(name string) FKOption {
	return func(fk *ForeignKeyDef) string {
		if name == "" {
			return "FKName(\"\"): constraint name is empty"
		}
		fk.Name = name
		return ""
	}
}

// UseAlter creates the foreign key with ALTER TABLE ... ADD CONSTRAINT after all tables
// exist (and drops it before them), as SortedTables does for keys in a dependency cycle.
// On SQLite, which cannot add a foreign key to an existing table, the key stays in
// CREATE TABLE (SQLite accepts references to tables not created yet).
func UseAlter() FKOption {
	return func(fk *ForeignKeyDef) string { fk.UseAlter = true; return "" }
}

type tableItemFunc func(b *tableBuilder)

func (f tableItemFunc) applyTable(b *tableBuilder) { f(b) }

// InSchema puts the table in a database schema (PostgreSQL schema, MySQL database). The
// table is then known to its MetaData as "schema.name".
func InSchema(name string) TableItem {
	return tableItemFunc(func(b *tableBuilder) {
		if name == "" {
			b.fail("", "InSchema(\"\"): schema name is empty")
		}
		b.t.Schema = name
	})
}

// PrimaryKeyConstraint makes cols the table's (composite) primary key, in this order.
// It cannot be combined with PrimaryKey column options.
func PrimaryKeyConstraint(cols ...string) TableItem {
	cols = append([]string(nil), cols...)
	return tableItemFunc(func(b *tableBuilder) {
		if len(cols) == 0 {
			b.fail("", "PrimaryKeyConstraint has no columns")
			return
		}
		if b.pkCols != nil {
			b.fail("", "more than one PrimaryKeyConstraint")
			return
		}
		b.pkCols = cols
	})
}

// ForeignKeyConstraint is a (composite) foreign key from cols of the table to refCols of
// refTable ("table" or "schema.table"), named name ("" lets the database choose).
func ForeignKeyConstraint(name string, cols []string, refTable string, refCols []string, opts ...FKOption) TableItem {
	cols = append([]string(nil), cols...)
	refCols = append([]string(nil), refCols...)
	return tableItemFunc(func(b *tableBuilder) {
		col := strings.Join(cols, ", ")
		switch {
		case len(cols) == 0:
			b.fail("", "ForeignKeyConstraint to %s has no columns", refTable)
			return
		case refTable == "":
			b.fail(col, "ForeignKeyConstraint has no referenced table")
			return
		case len(cols) != len(refCols):
			b.fail(col, "foreign key has %d columns but references %d columns of %s", len(cols), len(refCols), refTable)
			return
		}
		fk := &ForeignKeyDef{Name: name, Columns: cols, RefTable: refTable, RefCols: refCols}
		for _, o := range opts {
			if msg := o(fk); msg != "" {
				b.fail(col, "%s", msg)
			}
		}
		b.fks = append(b.fks, fk)
	})
}

// UniqueConstraint is a UNIQUE constraint over cols, named name ("" lets the database
// choose).
func UniqueConstraint(name string, cols ...string) TableItem {
	cols = append([]string(nil), cols...)
	return tableItemFunc(func(b *tableBuilder) {
		if len(cols) == 0 {
			b.fail("", "UniqueConstraint %q has no columns", name)
			return
		}
		b.uniques = append(b.uniques, &UniqueDef{Name: name, Columns: cols})
	})
}

// CheckConstraint is a CHECK constraint with the SQL condition sqlText, named name (""
// lets the database choose). sqlText is written into the DDL as is: never build it from
// untrusted input.
func CheckConstraint(name, sqlText string) TableItem {
	return tableItemFunc(func(b *tableBuilder) {
		if strings.TrimSpace(sqlText) == "" {
			b.fail("", "CheckConstraint %q has an empty condition", name)
			return
		}
		b.t.Checks = append(b.t.Checks, &CheckDef{Name: name, SQL: sqlText})
	})
}

// Index is an index called name over cols.
func Index(name string, cols ...string) TableItem { return indexItem(name, false, "", cols) }

// UniqueIndex is a unique index called name over cols.
func UniqueIndex(name string, cols ...string) TableItem { return indexItem(name, true, "", cols) }

// PartialIndex is an index called name over cols of the rows where the SQL condition
// where holds (CREATE INDEX ... WHERE; unique when unique is true), on databases that
// have partial indexes (PostgreSQL, SQLite). where is written into the DDL as is: never
// build it from untrusted input.
func PartialIndex(name string, unique bool, where string, cols ...string) TableItem {
	if strings.TrimSpace(where) == "" {
		return tableItemFunc(func(b *tableBuilder) {
			b.fail(strings.Join(cols, ", "), "partial index %s has an empty condition", name)
		})
	}
	return indexItem(name, unique, where, cols)
}

func indexItem(name string, unique bool, where string, cols []string) TableItem {
	cols = append([]string(nil), cols...)
	return tableItemFunc(func(b *tableBuilder) {
		switch {
		case name == "":
			b.fail(strings.Join(cols, ", "), "index name is empty")
		case len(cols) == 0:
			b.fail("", "index %s has no columns", name)
		default:
			b.indexes = append(b.indexes, &IndexDef{Name: name, Columns: cols, Unique: unique, Where: where})
		}
	})
}

// tableBuilder collects a table definition and its errors.
type tableBuilder struct {
	t       *Table
	pkCols  []string // from PrimaryKeyConstraint
	fks     []*ForeignKeyDef
	uniques []*UniqueDef
	indexes []*IndexDef
	errs    []error
	autoinc []*bool         // per column: the Autoincrement option, nil when not given
	explNul map[string]bool // columns given Nullable() explicitly
}

func (b *tableBuilder) fail(column, format string, args ...any) {
	b.errs = append(b.errs, &DefinitionError{Table: b.t.Key(), Column: column, Msg: fmt.Sprintf(format, args...)})
}

func (c ColumnDef) applyTable(b *tableBuilder) {
	t := b.t
	if c.name == "" {
		b.fail("", "column name is empty")
		return
	}
	if _, dup := t.byName[c.name]; dup {
		b.fail(c.name, "column defined twice")
		return
	}
	var s columnSpec
	for _, o := range c.opts {
		if o != nil {
			o(&s)
		}
	}
	for _, e := range s.errs {
		b.fail(c.name, "%s", e)
	}
	col := &Column{
		ColumnClause:  &expr.ColumnClause{Name: c.name, Type: c.typ},
		PrimaryKey:    s.pk,
		Nullable:      !s.pk,
		Default:       s.defaultVal,
		ServerDefault: s.serverDefault,
		Unique:        s.unique,
		Index:         s.indexed,
		Comment:       s.comment,
	}
	if s.nullable != nil {
		if *s.nullable && s.pk {
			b.fail(c.name, "a primary key column cannot be Nullable")
		}
		col.Nullable = *s.nullable && !s.pk
		if *s.nullable {
			b.explNul[c.name] = true
		}
	}
	if c.typ.Kind == types.KindEnum && len(c.typ.EnumValues) == 0 {
		b.fail(c.name, "enum type %q has no values", c.typ.EnumName)
	}
	t.AddColumn(col.ColumnClause)
	t.Cols = append(t.Cols, col)
	t.byName[c.name] = col
	b.autoinc = append(b.autoinc, s.autoincrement)
	for _, fk := range s.fks {
		fk.Columns = []string{c.name}
		b.fks = append(b.fks, fk)
	}
	switch {
	case s.indexed:
		b.indexes = append(b.indexes, &IndexDef{Name: "ix_" + t.Name + "_" + c.name, Columns: []string{c.name}, Unique: s.unique})
	case s.unique:
		b.uniques = append(b.uniques, &UniqueDef{Columns: []string{c.name}})
	}
}

func isIntegerKind(k types.Kind) bool {
	return k == types.KindInteger || k == types.KindBigInt || k == types.KindSmallInt
}

// finish checks the collected definition and completes the table.
func (b *tableBuilder) finish() error {
	t := b.t
	// Primary key.
	var colPK []*Column
	for _, c := range t.Cols {
		if c.PrimaryKey {
			colPK = append(colPK, c)
		}
	}
	switch {
	case b.pkCols != nil && len(colPK) > 0:
		b.fail("", "primary key given both by PrimaryKey() column options and by PrimaryKeyConstraint")
	case b.pkCols != nil:
		seen := map[string]bool{}
		for _, name := range b.pkCols {
			c, ok := t.byName[name]
			switch {
			case !ok:
				b.fail(name, "PrimaryKeyConstraint names a column the table does not have")
			case seen[name]:
				b.fail(name, "column listed twice in PrimaryKeyConstraint")
			default:
				seen[name] = true
				if b.explNul[name] {
					b.fail(name, "a primary key column cannot be Nullable")
				}
				c.PrimaryKey, c.Nullable = true, false
				t.PrimaryKey = append(t.PrimaryKey, c)
			}
		}
	default:
		t.PrimaryKey = colPK
	}
	// Autoincrement.
	var auto []*Column
	for i, c := range t.Cols {
		want := b.autoinc[i]
		switch {
		case want == nil:
			c.Autoincrement = len(t.PrimaryKey) == 1 && t.PrimaryKey[0] == c && isIntegerKind(c.Type.Kind) &&
				!b.hasFK(c.Name) && c.Default == nil && c.ServerDefault == nil
		case *want:
			if !c.PrimaryKey || !isIntegerKind(c.Type.Kind) {
				b.fail(c.Name, "Autoincrement(true) needs an integer primary key column (type is %s)", c.Type)
			}
			c.Autoincrement = true
		}
		if c.Autoincrement {
			auto = append(auto, c)
		}
	}
	if len(auto) > 1 {
		b.fail(auto[1].Name, "two autoincrement columns (%s and %s); a table has at most one", auto[0].Name, auto[1].Name)
	}
	// Foreign keys.
	for _, fk := range b.fks {
		fk.Table = t
		for _, name := range fk.Columns {
			if _, ok := t.byName[name]; !ok {
				b.fail(name, "foreign key to %s names a column the table does not have", fk.RefTable)
			}
		}
		t.ForeignKeys = append(t.ForeignKeys, fk)
	}
	for _, u := range b.uniques {
		for _, name := range u.Columns {
			if _, ok := t.byName[name]; !ok {
				b.fail(name, "unique constraint %q names a column the table does not have", u.Name)
			}
		}
		t.Uniques = append(t.Uniques, u)
	}
	for _, ix := range b.indexes {
		ix.Table = t
		for _, name := range ix.Columns {
			if _, ok := t.byName[name]; !ok {
				b.fail(name, "index %s names a column the table does not have", ix.Name)
			}
		}
		for _, prev := range t.Indexes {
			if prev.Name == ix.Name {
				b.fail("", "index %s defined twice", ix.Name)
			}
		}
		t.Indexes = append(t.Indexes, ix)
	}
	if len(t.Cols) == 0 && len(b.errs) == 0 {
		b.fail("", "table has no columns")
	}
	return errors.Join(b.errs...)
}

func (b *tableBuilder) hasFK(col string) bool {
	for _, fk := range b.fks {
		for _, c := range fk.Columns {
			if c == col {
				return true
			}
		}
	}
	return false
}
