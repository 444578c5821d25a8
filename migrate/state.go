package migrate

import (
	"fmt"
	"slices"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// colSpec, tableSpec and state are a mutable copy of a schema: what a database holds
// before and after each operation. Operations change it; statements are rendered from
// the schema.MetaData it builds.

type colSpec = dialect.ReflectedColumn

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
	Where   string
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
		s.Cols = append(s.Cols, colSpec{Name: c.Name, Type: c.Type, Nullable: c.Nullable, Default: c.ServerDefault,
			Autoincrement: c.Autoincrement, Comment: c.Comment})
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
		s.Indexes = append(s.Indexes, indexSpec{Name: ix.Name, Columns: slices.Clone(ix.Columns), Unique: ix.Unique, Where: ix.Where})
	}
	return s
}

// items returns the definition of t as schema.TableItems.
func (t *tableSpec) items() []schema.TableItem {
	rt := &dialect.ReflectedTable{Schema: t.Schema, Name: t.Name, Columns: t.Cols, PrimaryKey: t.PK, Checks: t.Checks}
	for _, fk := range t.FKs {
		rt.ForeignKeys = append(rt.ForeignKeys, schema.ForeignKeyDef{Name: fk.Name, Columns: fk.Columns, RefTable: fk.RefTable,
			RefCols: fk.RefCols, OnDelete: fk.OnDelete, OnUpdate: fk.OnUpdate})
	}
	for _, u := range t.Uniques {
		rt.Uniques = append(rt.Uniques, schema.UniqueDef{Name: u.Name, Columns: u.Columns})
	}
	for _, ix := range t.Indexes {
		rt.Indexes = append(rt.Indexes, schema.IndexDef{Name: ix.Name, Columns: ix.Columns, Unique: ix.Unique, Where: ix.Where})
	}
	return dialect.TableItems(rt)
}

// column returns the table called table and the index of its column called col.
func (st *state) column(table, col string) (*tableSpec, int, error) {
	t, err := st.table(table)
	if err != nil {
		return nil, 0, err
	}
	i := t.col(col)
	if i < 0 {
		return nil, 0, fmt.Errorf("column %s.%s does not exist", table, col)
	}
	return t, i, nil
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
