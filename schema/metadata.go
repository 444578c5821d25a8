package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// MetaData is a collection of tables that refer to each other. Tables are added with
// Table or MustTable, normally at program start by one goroutine; afterwards a MetaData is
// safe for concurrent use. The zero MetaData is ready to use; NewMetaData returns one too.
// It lives as long as the program uses its tables.
type MetaData struct {
	Tables []*Table // in definition order

	mu      sync.Mutex
	byName  map[string]*Table
	indexes map[string]string // index name -> table key (index names share one namespace on PostgreSQL and SQLite)
	sorted  []*Table          // cached SortedTables result, valid while sortedN == len(Tables)
	sortedN int
}

// TableCount returns the number of tables defined so far; safe for concurrent use.
func (md *MetaData) TableCount() int {
	md.mu.Lock()
	defer md.mu.Unlock()
	return len(md.Tables)
}

// NewMetaData returns an empty MetaData.
func NewMetaData() *MetaData { return &MetaData{} }

// Table defines a table called name from items (columns made with Col, constraints,
// indexes, InSchema) and adds it to md. Mistakes in the definition are returned as errors
// wrapping ErrDefinition that name the table and column; the table is then not added.
func (md *MetaData) Table(name string, items ...TableItem) (*Table, error) {
	t := &Table{TableClause: expr.NewTable(name), MetaData: md, byName: map[string]*Column{}}
	b := &tableBuilder{t: t, explNul: map[string]bool{}}
	if name == "" {
		b.fail("", "table name is empty")
	}
	for _, it := range items {
		if it != nil {
			it.applyTable(b)
		}
	}
	err := b.finish()
	md.mu.Lock()
	defer md.mu.Unlock()
	key := t.Key()
	if _, dup := md.byName[key]; dup {
		err = joinErr(err, &DefinitionError{Table: key, Msg: "table defined twice in this MetaData"})
	}
	for _, ix := range t.Indexes {
		if other, dup := md.indexes[ix.Name]; dup {
			err = joinErr(err, &DefinitionError{Table: key, Msg: fmt.Sprintf("index name %s is already used by table %s", ix.Name, other)})
		}
	}
	if err != nil {
		return nil, err
	}
	if md.byName == nil {
		md.byName = map[string]*Table{}
		md.indexes = map[string]string{}
	}
	md.byName[key] = t
	for _, ix := range t.Indexes {
		md.indexes[ix.Name] = key
	}
	md.Tables = append(md.Tables, t)
	registry.Store(t.TableClause, t)
	return t, nil
}

func joinErr(a, b error) error {
	if a == nil {
		return b
	}
	return fmt.Errorf("%w\n%w", a, b)
}

// MustTable is Table for package-level definitions: it panics if the definition is wrong.
func (md *MetaData) MustTable(name string, items ...TableItem) *Table {
	t, err := md.Table(name, items...)
	if err != nil {
		panic(err)
	}
	return t
}

// TableByName returns the table registered as name ("table" or "schema.table").
func (md *MetaData) TableByName(name string) (*Table, bool) {
	md.mu.Lock()
	defer md.mu.Unlock()
	t, ok := md.byName[name]
	return t, ok
}

// Target returns the table fk references, resolved through its MetaData, after checking
// that the table has the referenced columns. The error names both tables.
func (fk *ForeignKeyDef) Target() (*Table, error) {
	md := fk.Table.MetaData
	md.mu.Lock()
	defer md.mu.Unlock()
	return fk.targetLocked(md)
}

// ConstraintName returns fk's name, or when it has none a deterministic one made from the
// table, its columns and the referenced table ("fk_posts_user_id_users", shortened with a
// hash beyond 63 bytes). Foreign keys added with ALTER TABLE use it so that DropAll can
// drop them by name.
func (fk *ForeignKeyDef) ConstraintName() string {
	if fk.Name != "" {
		return fk.Name
	}
	name := "fk_" + fk.Table.Name + "_" + strings.Join(fk.Columns, "_") + "_" + strings.ReplaceAll(fk.RefTable, ".", "_")
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(name))
		name = name[:54] + "_" + hex.EncodeToString(sum[:4])
	}
	return name
}

// SortedTables returns md's tables in foreign key dependency order: every table comes
// after the tables it references, and tables that do not depend on each other keep their
// definition order. Self-references and keys marked UseAlter do not count. Tables in a
// dependency cycle get the foreign keys between them marked UseAlter, which breaks the
// cycle: CreateAll adds those keys with ALTER TABLE after creating the tables (inline on
// SQLite) and DropAll drops them first. An unresolvable foreign key target is an error
// naming both tables. Drop order is the reverse.
func (md *MetaData) SortedTables() ([]*Table, error) {
	md.mu.Lock()
	defer md.mu.Unlock()
	if md.sorted != nil && md.sortedN == len(md.Tables) {
		return slices.Clone(md.sorted), nil
	}
	tables := md.Tables
	index := make(map[*Table]int, len(tables))
	for i, t := range tables {
		index[t] = i
	}
	// Resolve every key first, so that errors come out in definition order.
	targets := make(map[*ForeignKeyDef]int)
	var errs []error
	for _, t := range tables {
		for _, fk := range t.ForeignKeys {
			ref, err := fk.targetLocked(md)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			targets[fk] = index[ref]
		}
	}
	if len(errs) > 0 {
		return nil, joinAll(errs)
	}
	order, rest := topoSort(tables, index, targets)
	if len(rest) > 0 {
		for _, scc := range cycles(tables, rest, index, targets) {
			in := make(map[int]bool, len(scc))
			for _, i := range scc {
				in[i] = true
			}
			for _, i := range scc {
				for _, fk := range tables[i].ForeignKeys {
					if j, ok := targets[fk]; ok && j != i && in[j] {
						fk.UseAlter = true
					}
				}
			}
		}
		order, rest = topoSort(tables, index, targets)
		if len(rest) > 0 { // cannot happen: every cycle lies in a strongly connected component
			return nil, fmt.Errorf("%w: dependency cycle left after marking UseAlter", ErrDefinition)
		}
	}
	md.sorted, md.sortedN = order, len(tables)
	return slices.Clone(order), nil
}

func joinAll(errs []error) error {
	var err error
	for _, e := range errs {
		err = joinErr(err, e)
	}
	return err
}

// targetLocked is Target for use while md.mu is held.
func (fk *ForeignKeyDef) targetLocked(md *MetaData) (*Table, error) {
	ref, ok := md.byName[fk.RefTable]
	if !ok {
		return nil, &DefinitionError{Table: fk.Table.Key(), Column: strings.Join(fk.Columns, ", "),
			Msg: fmt.Sprintf("foreign key references table %s, which is not defined in the MetaData", fk.RefTable)}
	}
	for i, rc := range fk.RefCols {
		if _, ok := ref.byName[rc]; !ok {
			return nil, &DefinitionError{Table: fk.Table.Key(), Column: fk.Columns[i],
				Msg: fmt.Sprintf("foreign key references column %s.%s, which table %s does not have", fk.RefTable, rc, fk.RefTable)}
		}
	}
	return ref, nil
}

// deps returns the indexes of the tables t depends on (through keys not marked UseAlter).
func deps(t *Table, self int, targets map[*ForeignKeyDef]int) []int {
	var out []int
	for _, fk := range t.ForeignKeys {
		if fk.UseAlter {
			continue
		}
		if j, ok := targets[fk]; ok && j != self {
			out = append(out, j)
		}
	}
	return out
}

// topoSort orders tables so that each comes after its dependencies, taking at each step
// the earliest-defined table that is ready. rest holds the indexes left over (in cycles or
// behind one).
func topoSort(tables []*Table, index map[*Table]int, targets map[*ForeignKeyDef]int) (order []*Table, rest []int) {
	n := len(tables)
	dep := make([][]int, n)
	for i, t := range tables {
		dep[i] = deps(t, i, targets)
	}
	done := make([]bool, n)
	order = make([]*Table, 0, n)
	for len(order) < n {
		progress := false
		for i := 0; i < n; i++ {
			if done[i] {
				continue
			}
			ready := true
			for _, j := range dep[i] {
				if !done[j] {
					ready = false
					break
				}
			}
			if ready {
				done[i] = true
				order = append(order, tables[i])
				progress = true
				break // restart from the earliest table: keeps definition order among independents
			}
		}
		if !progress {
			break
		}
	}
	for i := 0; i < n; i++ {
		if !done[i] {
			rest = append(rest, i)
		}
	}
	return order, rest
}

// cycles returns the strongly connected components with more than one table among the
// tables in rest (Tarjan's algorithm), each in ascending index order.
func cycles(tables []*Table, rest []int, index map[*Table]int, targets map[*ForeignKeyDef]int) [][]int {
	inRest := make(map[int]bool, len(rest))
	for _, i := range rest {
		inRest[i] = true
	}
	idx := make(map[int]int)
	low := make(map[int]int)
	onStack := make(map[int]bool)
	var stack []int
	var out [][]int
	counter := 0
	var visit func(v int)
	visit = func(v int) {
		idx[v], low[v] = counter, counter
		counter++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range deps(tables[v], v, targets) {
			if !inRest[w] {
				continue
			}
			if _, seen := idx[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], idx[w])
			}
		}
		if low[v] == idx[v] {
			var scc []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				scc = append(scc, w)
				if w == v {
					break
				}
			}
			if len(scc) > 1 {
				slices.Sort(scc)
				out = append(out, scc)
			}
		}
	}
	for _, v := range rest {
		if _, seen := idx[v]; !seen {
			visit(v)
		}
	}
	return out
}

// EnumTypes returns the distinct named enum types used by md's columns, in table and
// column definition order (the order CreateAll creates them on PostgreSQL). Two enum
// types with the same name and different values are an error.
func (md *MetaData) EnumTypes() ([]types.Type, error) {
	md.mu.Lock()
	tables := slices.Clone(md.Tables)
	md.mu.Unlock()
	return EnumTypesOf(tables)
}

// EnumTypesOf is EnumTypes for the given tables.
func EnumTypesOf(tables []*Table) ([]types.Type, error) {
	var out []types.Type
	where := map[string]string{}
	for _, t := range tables {
		for _, c := range t.Cols {
			if c.Type.Kind != types.KindEnum || c.Type.EnumName == "" {
				continue
			}
			prev, seen := where[c.Type.EnumName]
			if !seen {
				where[c.Type.EnumName] = t.Key() + "." + c.Name
				out = append(out, c.Type)
				continue
			}
			for _, e := range out {
				if e.EnumName == c.Type.EnumName && !e.Equal(c.Type) {
					return nil, &DefinitionError{Table: t.Key(), Column: c.Name,
						Msg: fmt.Sprintf("enum type %s has values (%s) here but (%s) on %s",
							c.Type.EnumName, strings.Join(c.Type.EnumValues, ", "), strings.Join(e.EnumValues, ", "), prev)}
				}
			}
		}
	}
	return out, nil
}
