package migrate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
)

// Change is one difference Compare found between the models and the database: the
// operation that brings the database to the models (Up) and the one that undoes it
// (Down). Note explains a proposed rename; Destructive names what Up would lose (""
// when nothing), as an Accept list names it.
// It is a plain value, safe for concurrent reads; it lives as long as the caller keeps it.
type Change struct {
	Up          Operation
	Down        Operation
	Note        string
	Destructive string
}

// CompareOption is an option of Compare.
type CompareOption func(*compareOptions)

type compareOptions struct {
	tables  map[string]bool
	objects map[string]bool
}

// ExcludeTables leaves the named tables out of the comparison (on both sides).
func ExcludeTables(names ...string) CompareOption {
	return func(o *compareOptions) {
		for _, n := range names {
			o.tables[n] = true
		}
	}
}

// ExcludeObjects leaves the named indexes and constraints out of the comparison.
func ExcludeObjects(names ...string) CompareOption {
	return func(o *compareOptions) {
		for _, n := range names {
			o.objects[n] = true
		}
	}
}

// Compare lists the changes that bring a database whose reflected schema is db to the
// schema of models, for dialect d and its reflection rules n (models are passed through
// n first; see dialect.Normalization). The changes come in an order that respects
// foreign keys: foreign keys, indexes and constraints that go are dropped first, then
// tables and columns are renamed, created, altered and dropped, and new constraints,
// indexes and foreign keys come last. Reverting runs the Down operations in reverse
// order.
//
// What is compared: tables and columns by name; column types (after normalization),
// nullability, server defaults (both rendered as SQL for d) and comments (where the
// database keeps them); foreign keys and unique
// constraints by definition (columns, referenced table and columns, actions), not by
// name; check constraints by name (their text is not compared: databases rewrite it,
// and unnamed checks are ignored, including those the database named itself, see
// dialect.Normalization.GeneratedCheckName); indexes by name, columns, uniqueness and
// whether they are partial (the condition's text is not compared, as for checks). Primary keys
// and autoincrement are not compared.
//
// Renames. A table or a column that disappears while another appears is proposed as a
// rename, keeping the data, when the evidence is unambiguous:
//   - columns (within one table): the dropped and the added column have the same type,
//     nullability and server default, and neither has another candidate: exactly one
//     dropped column of the table matches the added one and exactly one added column
//     matches the dropped one;
//   - tables: the dropped and the added table have the same columns (names, types and
//     nullability), and again each is the other's only candidate.
//
// Anything less certain stays a drop and an add.
func Compare(models, db *schema.MetaData, d compile.Dialect, n dialect.Normalization, opts ...CompareOption) ([]Change, error) {
	o := compareOptions{tables: map[string]bool{}, objects: map[string]bool{}}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if n.ReflectedType == nil {
		return nil, fmt.Errorf("migrate: Compare: the normalization has no ReflectedType")
	}
	cmp := &comparer{d: d, n: n, o: o}
	want := cmp.filter(stateOf(models))
	have := stateOf(db)
	if gen := n.GeneratedCheckName; gen != nil {
		for _, t := range have.tables {
			for i := range t.Checks {
				if gen(t.Name, t.Checks[i].Name) {
					t.Checks[i].Name = ""
				}
			}
		}
	}
	have = cmp.filter(have)
	wantN := want.clone()
	for _, t := range wantN.tables {
		cmp.normalize(t)
	}
	return cmp.run(want, wantN, have)
}

type comparer struct {
	d compile.Dialect
	n dialect.Normalization
	o compareOptions

	// buckets, in the order they are emitted
	dropFKs, dropIdx, dropCons, renames, creates, addCols, alters, dropCols, dropTables, addCons, addIdx, addFKs []Change
}

func (c *comparer) filter(st *state) *state {
	st.tables = slices.DeleteFunc(st.tables, func(t *tableSpec) bool { return c.o.tables[t.Name] || c.o.tables[t.key()] })
	for _, t := range st.tables {
		t.Indexes = slices.DeleteFunc(t.Indexes, func(ix indexSpec) bool { return c.o.objects[ix.Name] })
		t.Uniques = slices.DeleteFunc(t.Uniques, func(u uniqueSpec) bool { return u.Name != "" && c.o.objects[u.Name] })
		t.FKs = slices.DeleteFunc(t.FKs, func(fk fkSpec) bool { return fk.Name != "" && c.o.objects[fk.Name] })
		t.Checks = slices.DeleteFunc(t.Checks, func(ck schema.CheckDef) bool { return ck.Name == "" || c.o.objects[ck.Name] })
	}
	return st
}

// normalize passes a model table through the dialect's reflection rules.
func (c *comparer) normalize(t *tableSpec) {
	for i := range t.Cols {
		t.Cols[i].Type = c.n.ReflectedType(t.Cols[i].Type, t.Cols[i].Autoincrement)
	}
	for i := range t.FKs {
		t.FKs[i].OnDelete = c.action(t.FKs[i].OnDelete)
		t.FKs[i].OnUpdate = c.action(t.FKs[i].OnUpdate)
	}
	if c.n.UniqueIndexIsConstraint {
		for _, ix := range t.Indexes {
			if ix.Unique {
				t.Uniques = append(t.Uniques, uniqueSpec{Name: ix.Name, Columns: ix.Columns})
			}
		}
		t.Indexes = slices.DeleteFunc(t.Indexes, func(ix indexSpec) bool { return ix.Unique })
	}
}

func (c *comparer) action(a string) string {
	if a == "" {
		return c.n.DefaultFKAction
	}
	return a
}

// sameDefault compares two server defaults as rendered for the dialect.
func (c *comparer) sameDefault(a, b expr.Expr) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ra, err1 := compile.AppendInline(c.d, nil, a)
	rb, err2 := compile.AppendInline(c.d, nil, b)
	return err1 == nil && err2 == nil && strings.EqualFold(strings.TrimSpace(string(ra)), strings.TrimSpace(string(rb)))
}

func (c *comparer) sameColumn(a, b colSpec) bool {
	return a.Type.Equal(b.Type) && a.Nullable == b.Nullable && (a.Autoincrement || b.Autoincrement || c.sameDefault(a.Default, b.Default))
}

func (c *comparer) run(want, wantN, have *state) ([]Change, error) {
	// Table renames.
	var added, removed []*tableSpec
	for _, t := range wantN.tables {
		if _, err := have.table(t.key()); err != nil {
			added = append(added, t)
		}
	}
	for _, t := range have.tables {
		if _, err := wantN.table(t.key()); err != nil {
			removed = append(removed, t)
		}
	}
	sameTable := func(a, b *tableSpec) bool {
		if len(a.Cols) != len(b.Cols) || a.Schema != b.Schema {
			return false
		}
		for _, ca := range a.Cols {
			i := b.col(ca.Name)
			if i < 0 || !ca.Type.Equal(b.Cols[i].Type) || ca.Nullable != b.Cols[i].Nullable {
				return false
			}
		}
		return true
	}
	for _, p := range pairs(added, removed, sameTable) {
		a, r := p[0], p[1]
		up := &renameTableOp{old: r.key(), new: a.Name}
		c.renames = append(c.renames, Change{Up: up, Down: &renameTableOp{old: a.key(), new: r.Name},
			Note: fmt.Sprintf("table %s looks renamed to %s (same columns, no other candidate): renamed to keep its rows", r.key(), a.key())})
		if err := up.apply(have); err != nil {
			return nil, err
		}
	}
	// Column renames within tables present on both sides.
	for _, wt := range wantN.tables {
		ht, err := have.table(wt.key())
		if err != nil {
			continue
		}
		var addC, remC []colSpec
		for _, col := range wt.Cols {
			if ht.col(col.Name) < 0 {
				addC = append(addC, col)
			}
		}
		for _, col := range ht.Cols {
			if wt.col(col.Name) < 0 {
				remC = append(remC, col)
			}
		}
		sameCol := func(a, b colSpec) bool {
			return a.Type.Equal(b.Type) && a.Nullable == b.Nullable && c.sameDefault(a.Default, b.Default)
		}
		for _, p := range pairs(addC, remC, sameCol) {
			up := &renameColumnOp{table: wt.key(), old: p[1].Name, new: p[0].Name}
			c.renames = append(c.renames, Change{Up: up, Down: &renameColumnOp{table: wt.key(), old: p[0].Name, new: p[1].Name},
				Note: fmt.Sprintf("column %s.%s looks renamed to %s (same type, nullability and default, no other candidate): renamed to keep its data", wt.key(), p[1].Name, p[0].Name)})
			if err := up.apply(have); err != nil {
				return nil, err
			}
		}
	}
	// Tables to create and drop.
	for _, t := range want.tables {
		if _, err := have.table(t.key()); err != nil {
			c.creates = append(c.creates, Change{Up: &createTableOp{t: t.clone()}, Down: &dropTableOp{name: t.key()}})
		}
	}
	for i := len(have.tables) - 1; i >= 0; i-- {
		t := have.tables[i]
		if _, err := wantN.table(t.key()); err != nil {
			up := &dropTableOp{name: t.key()}
			c.dropTables = append(c.dropTables, Change{Up: up, Down: &createTableOp{t: t.clone()}, Destructive: up.String()})
		}
	}
	// Tables on both sides.
	for _, wt := range wantN.tables {
		ht, err := have.table(wt.key())
		if err != nil {
			continue
		}
		orig, _ := want.table(wt.key())
		c.columns(orig, wt, ht)
		c.constraints(orig, wt, ht)
	}
	// Foreign keys of dropped tables that stay referenced elsewhere are dropped with them.
	var out []Change
	for _, b := range [][]Change{c.dropFKs, c.dropIdx, c.dropCons, c.renames, c.creates, c.addCols, c.alters, c.dropCols, c.dropTables, c.addCons, c.addIdx, c.addFKs} {
		out = append(out, b...)
	}
	return out, nil
}

// pairs returns the (added, removed) pairs that match each other and nothing else.
func pairs[T any](added, removed []T, same func(a, b T) bool) [][2]T {
	var out [][2]T
	for _, a := range added {
		var cands []int
		for j, r := range removed {
			if same(a, r) {
				cands = append(cands, j)
			}
		}
		if len(cands) != 1 {
			continue
		}
		r := removed[cands[0]]
		back := 0
		for _, a2 := range added {
			if same(a2, r) {
				back++
			}
		}
		if back == 1 {
			out = append(out, [2]T{a, r})
		}
	}
	return out
}

// columns compares the columns of a table on both sides (orig is the model's table before
// normalization, wt after).
func (c *comparer) columns(orig, wt, ht *tableSpec) {
	key := wt.key()
	for i, col := range wt.Cols {
		j := ht.col(col.Name)
		if j < 0 {
			c.addCols = append(c.addCols, Change{Up: &addColumnOp{table: key, col: orig.Cols[i]}, Down: &dropColumnOp{table: key, col: col.Name}})
			continue
		}
		old := ht.Cols[j]
		up := &alterColumnOp{table: key, col: col.Name}
		down := &alterColumnOp{table: key, col: col.Name}
		if !col.Type.Equal(old.Type) {
			nt, ot := orig.Cols[i].Type, old.Type
			up.typ, down.typ = &nt, &ot
		}
		if col.Nullable != old.Nullable {
			nn, on := col.Nullable, old.Nullable
			up.nullable, down.nullable = &nn, &on
		}
		if !col.Autoincrement && !old.Autoincrement && !c.sameDefault(col.Default, old.Default) {
			up.setDefault, up.dflt = true, col.Default
			down.setDefault, down.dflt = true, old.Default
		}
		if c.n.Comments && col.Comment != old.Comment {
			nc, oc := col.Comment, old.Comment
			up.comment, down.comment = &nc, &oc
		}
		if up.typ != nil || up.nullable != nil || up.setDefault || up.comment != nil {
			ch := Change{Up: up, Down: down}
			if up.typ != nil && !widens(old.Type, *up.typ) {
				ch.Destructive = fmt.Sprintf("narrow column %s.%s from %s to %s", key, col.Name, old.Type, *up.typ)
			}
			c.alters = append(c.alters, ch)
		}
	}
	for _, col := range ht.Cols {
		if wt.col(col.Name) < 0 {
			up := &dropColumnOp{table: key, col: col.Name}
			c.dropCols = append(c.dropCols, Change{Up: up, Down: &addColumnOp{table: key, col: col}, Destructive: up.String()})
		}
	}
}

func fkKey(fk fkSpec) string {
	return strings.Join(fk.Columns, ",") + ">" + fk.RefTable + "(" + strings.Join(fk.RefCols, ",") + ") " + fk.OnDelete + "/" + fk.OnUpdate
}

// constraints compares foreign keys, unique and check constraints and indexes.
func (c *comparer) constraints(orig, wt, ht *tableSpec) {
	key := wt.key()
	hasFK := func(t *tableSpec, fk fkSpec) bool {
		return slices.ContainsFunc(t.FKs, func(x fkSpec) bool { return fkKey(x) == fkKey(fk) })
	}
	for _, fk := range ht.FKs {
		if !hasFK(wt, fk) {
			f := fk
			name := f.Name
			if name == "" {
				name = f.ConstraintNameOf
			}
			c.dropFKs = append(c.dropFKs, Change{Up: &constraintOp{table: key, fk: &fkSpec{Name: name, ConstraintNameOf: f.ConstraintNameOf}}, Down: &constraintOp{add: true, table: key, fk: &f}})
		}
	}
	for i, fk := range wt.FKs {
		if !hasFK(ht, fk) {
			f := orig.FKs[i] // as the model declares it
			if f.Name == "" {
				f.Name = f.ConstraintNameOf
			}
			c.addFKs = append(c.addFKs, Change{Up: &constraintOp{add: true, table: key, fk: &f}, Down: &constraintOp{table: key, fk: &fkSpec{Name: f.Name}}})
		}
	}
	hasUQ := func(t *tableSpec, u uniqueSpec) bool {
		return slices.ContainsFunc(t.Uniques, func(x uniqueSpec) bool { return slices.Equal(x.Columns, u.Columns) })
	}
	for _, u := range ht.Uniques {
		if !hasUQ(wt, u) {
			x := u
			c.dropCons = append(c.dropCons, Change{Up: &constraintOp{table: key, unique: &x}, Down: &constraintOp{add: true, table: key, unique: &x}})
		}
	}
	for _, u := range wt.Uniques {
		if !hasUQ(ht, u) {
			x := u
			c.addCons = append(c.addCons, Change{Up: &constraintOp{add: true, table: key, unique: &x}, Down: &constraintOp{table: key, unique: &x}})
		}
	}
	hasCK := func(t *tableSpec, name string) bool {
		return slices.ContainsFunc(t.Checks, func(x schema.CheckDef) bool { return x.Name == name })
	}
	for _, ck := range ht.Checks {
		if !hasCK(wt, ck.Name) {
			x := ck
			c.dropCons = append(c.dropCons, Change{Up: &constraintOp{table: key, check: &x}, Down: &constraintOp{add: true, table: key, check: &x}})
		}
	}
	for _, ck := range wt.Checks {
		if !hasCK(ht, ck.Name) {
			x := ck
			c.addCons = append(c.addCons, Change{Up: &constraintOp{add: true, table: key, check: &x}, Down: &constraintOp{table: key, check: &x}})
		}
	}
	sameIx := func(a, b indexSpec) bool {
		return a.Name == b.Name && a.Unique == b.Unique && slices.Equal(a.Columns, b.Columns) && (a.Where == "") == (b.Where == "")
	}
	for _, ix := range ht.Indexes {
		if !slices.ContainsFunc(wt.Indexes, func(x indexSpec) bool { return sameIx(x, ix) }) {
			c.dropIdx = append(c.dropIdx, Change{Up: &dropIndexOp{table: key, name: ix.Name}, Down: &createIndexOp{table: key, ix: ix}})
		}
	}
	for _, ix := range wt.Indexes {
		if !slices.ContainsFunc(ht.Indexes, func(x indexSpec) bool { return sameIx(x, ix) }) {
			c.addIdx = append(c.addIdx, Change{Up: &createIndexOp{table: key, ix: ix}, Down: &dropIndexOp{table: key, name: ix.Name}})
		}
	}
}
