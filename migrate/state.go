package migrate

import (
	"fmt"
	"slices"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// colSpec, tableSpec and state are a mutable copy of a schema: what a database holds
// before and after each operation. Operations change it; statements are rendered from
// the schema.MetaData it builds.

type colSpec struct {
	Name          string
	Type          types.Type
	Nullable      bool
	Default       expr.Expr
	Autoincrement bool
}

type fkSpec struct {
	Name             string
	Columns          []string
	RefTable         string
	RefCols          []string
	OnDelete         string
	OnUpdate         string
	ConstraintNameOf string // ConstraintName() of the key when it was read, for matching unnamed keys
}

type uniqueSpec struct {
	Name    string
	Columns []string
}

type indexSpec struct {
	Name    string
	Columns []string
	Unique  bool
}

type tableSpec struct {
	Schema  string
	Name    string
	Cols    []colSpec
	PK      []string
	FKs     []fkSpec
	Uniques []uniqueSpec
	Checks  []schema.CheckDef
	Indexes []indexSpec
}

func (t *tableSpec) key() string {
	if t.Schema != "" {
		return t.Schema + "." + t.Name
	}
	return t.Name
}

func (t *tableSpec) col(name string) int {
	return slices.IndexFunc(t.Cols, func(c colSpec) bool { return c.Name == name })
}

func (t *tableSpec) clone() *tableSpec {
	c := *t
	c.Cols = slices.Clone(t.Cols)
	c.PK = slices.Clone(t.PK)
	c.FKs = slices.Clone(t.FKs)
	c.Uniques = slices.Clone(t.Uniques)
	c.Checks = slices.Clone(t.Checks)
	c.Indexes = slices.Clone(t.Indexes)
	return &c
}

// specOf copies a schema.Table.
func specOf(t *schema.Table) *tableSpec {
	s := &tableSpec{Schema: t.Schema, Name: t.Name}
	for _, c := range t.Cols {
		s.Cols = append(s.Cols, colSpec{Name: c.Name, Type: c.Type, Nullable: c.Nullable, Default: c.ServerDefault, Autoincrement: c.Autoincrement})
	}
	for _, c := range t.PrimaryKey {
		s.PK = append(s.PK, c.Name)
	}
	for _, fk := range t.ForeignKeys {
		s.FKs = append(s.FKs, fkSpec{Name: fk.Name, Columns: slices.Clone(fk.Columns), RefTable: fk.RefTable, RefCols: slices.Clone(fk.RefCols),
			OnDelete: fk.OnDelete, OnUpdate: fk.OnUpdate, ConstraintNameOf: fk.ConstraintName()})
	}
	for _, u := range t.Uniques {
		s.Uniques = append(s.Uniques, uniqueSpec{Name: u.Name, Columns: slices.Clone(u.Columns)})
	}
	for _, ck := range t.Checks {
		s.Checks = append(s.Checks, *ck)
	}
	for _, ix := range t.Indexes {
		s.Indexes = append(s.Indexes, indexSpec{Name: ix.Name, Columns: slices.Clone(ix.Columns), Unique: ix.Unique})
	}
	return s
}

// items returns the definition of t as schema.TableItems, under the name given.
func (t *tableSpec) items() []schema.TableItem {
	var items []schema.TableItem
	if t.Schema != "" {
		items = append(items, schema.InSchema(t.Schema))
	}
	for _, c := range t.Cols {
		items = append(items, schema.Col(c.Name, c.Type, c.options()...))
	}
	if len(t.PK) > 0 {
		items = append(items, schema.PrimaryKeyConstraint(t.PK...))
	}
	for _, fk := range t.FKs {
		items = append(items, schema.ForeignKeyConstraint(fk.Name, fk.Columns, fk.RefTable, fk.RefCols, fk.options()...))
	}
	for _, u := range t.Uniques {
		items = append(items, schema.UniqueConstraint(u.Name, u.Columns...))
	}
	for _, ck := range t.Checks {
		items = append(items, schema.CheckConstraint(ck.Name, ck.SQL))
	}
	for _, ix := range t.Indexes {
		if ix.Unique {
			items = append(items, schema.UniqueIndex(ix.Name, ix.Columns...))
		} else {
			items = append(items, schema.Index(ix.Name, ix.Columns...))
		}
	}
	return items
}

func (c colSpec) options() []schema.ColumnOption {
	opts := []schema.ColumnOption{schema.Autoincrement(c.Autoincrement)}
	if c.Nullable {
		opts = append(opts, schema.Nullable())
	} else {
		opts = append(opts, schema.NotNull())
	}
	if c.Default != nil {
		opts = append(opts, schema.ServerDefault(c.Default))
	}
	return opts
}

func (fk fkSpec) options() []schema.FKOption {
	var opts []schema.FKOption
	if fk.OnDelete != "" {
		opts = append(opts, schema.OnDelete(fk.OnDelete))
	}
	if fk.OnUpdate != "" {
		opts = append(opts, schema.OnUpdate(fk.OnUpdate))
	}
	return opts
}

// matches reports whether fk is the key called name: by its name, or for a key read
// without one (SQLite), by the name ConstraintName gives it.
func (fk fkSpec) matches(name string) bool {
	return fk.Name == name || fk.Name == "" && fk.ConstraintNameOf == name
}

// state is the schema a database holds at one point of a migration run.
type state struct {
	tables []*tableSpec
}

// stateOf copies md's tables, in foreign key dependency order where that can be
// worked out (definition order otherwise).
func stateOf(md *schema.MetaData) *state {
	st := &state{}
	tables, err := md.SortedTables()
	if err != nil {
		tables = md.Tables
	}
	for _, t := range tables {
		st.tables = append(st.tables, specOf(t))
	}
	return st
}

func (st *state) clone() *state {
	c := &state{tables: make([]*tableSpec, len(st.tables))}
	for i, t := range st.tables {
		c.tables[i] = t.clone()
	}
	return c
}

func (st *state) table(name string) (*tableSpec, error) {
	for _, t := range st.tables {
		if t.key() == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("table %s does not exist", name)
}

// metadata builds a MetaData holding every table of st.
func (st *state) metadata() (*schema.MetaData, error) {
	md := schema.NewMetaData()
	for _, t := range st.tables {
		if _, err := md.Table(t.Name, t.items()...); err != nil {
			return nil, err
		}
	}
	return md, nil
}

// built returns the schema.Table called name in md built from st.
func built(md *schema.MetaData, name string) (*schema.Table, error) {
	t, ok := md.TableByName(name)
	if !ok {
		return nil, fmt.Errorf("table %s does not exist", name)
	}
	return t, nil
}

// usesEnum reports whether a table of st has a column of the named enum type.
func (st *state) usesEnum(name string) bool {
	for _, t := range st.tables {
		for _, c := range t.Cols {
			if c.Type.Kind == types.KindEnum && c.Type.EnumName == name {
				return true
			}
		}
	}
	return false
}
