package migrate

import (
	"context"
	"fmt"
	"slices"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
)

// Operations on indexes and table constraints, raw SQL and data steps.

// createIndexOp creates an index.
type createIndexOp struct {
	table string
	ix    indexSpec
}

func (o *createIndexOp) String() string { return "create index " + o.ix.Name + " on " + o.table }
func (o *createIndexOp) apply(st *state) error {
	t, err := st.table(o.table)
	if err != nil {
		return err
	}
	for _, ix := range t.Indexes {
		if ix.Name == o.ix.Name {
			return fmt.Errorf("index %s already exists", o.ix.Name)
		}
	}
	t.Indexes = append(t.Indexes, o.ix)
	return nil
}
func (o *createIndexOp) destructive(*state) string { return "" }
func (o *createIndexOp) statements(d compile.DDLDialect, _, after *state) ([]stmt, error) {
	ix, err := findIndex(after, o.table, o.ix.Name)
	if err != nil {
		return nil, err
	}
	return ddl(&schema.CreateIndex{Index: ix}), nil
}

func findIndex(st *state, table, name string) (*schema.IndexDef, error) {
	t, err := tableOf(st, table)
	if err != nil {
		return nil, err
	}
	for _, ix := range t.Indexes {
		if ix.Name == name {
			return ix, nil
		}
	}
	return nil, fmt.Errorf("index %s on %s does not exist", name, table)
}

// dropIndexOp drops an index.
type dropIndexOp struct{ table, name string }

func (o *dropIndexOp) String() string { return "drop index " + o.name + " on " + o.table }
func (o *dropIndexOp) apply(st *state) error {
	t, err := st.table(o.table)
	if err != nil {
		return err
	}
	n := len(t.Indexes)
	t.Indexes = slices.DeleteFunc(t.Indexes, func(ix indexSpec) bool { return ix.Name == o.name })
	if len(t.Indexes) == n {
		return fmt.Errorf("index %s on %s does not exist", o.name, o.table)
	}
	return nil
}
func (o *dropIndexOp) destructive(*state) string { return "" }
func (o *dropIndexOp) statements(d compile.DDLDialect, before, _ *state) ([]stmt, error) {
	ix, err := findIndex(before, o.table, o.name)
	if err != nil {
		return nil, err
	}
	return ddl(&schema.DropIndex{Index: ix}), nil
}

// constraintOp adds (add true) or drops a foreign key, unique or check constraint.
type constraintOp struct {
	add    bool
	table  string
	fk     *fkSpec
	unique *uniqueSpec
	check  *schema.CheckDef
}

func (o *constraintOp) kind() (string, string) {
	switch {
	case o.fk != nil:
		return "foreign key", o.fk.Name
	case o.unique != nil:
		return "unique constraint", o.unique.Name
	}
	return "check constraint", o.check.Name
}

func (o *constraintOp) String() string {
	verb := "drop "
	if o.add {
		verb = "add "
	}
	kind, name := o.kind()
	if name == "" && o.unique != nil {
		name = fmt.Sprint(o.unique.Columns)
	}
	return verb + kind + " " + name + " on " + o.table
}

func (o *constraintOp) apply(st *state) error {
	t, err := st.table(o.table)
	if err != nil {
		return err
	}
	kind, name := o.kind()
	if o.add {
		switch {
		case o.fk != nil:
			t.FKs = append(t.FKs, *o.fk)
		case o.unique != nil:
			t.Uniques = append(t.Uniques, *o.unique)
		default:
			t.Checks = append(t.Checks, *o.check)
		}
		return nil
	}
	n := len(t.FKs) + len(t.Uniques) + len(t.Checks)
	switch {
	case o.fk != nil:
		t.FKs = slices.DeleteFunc(t.FKs, func(fk fkSpec) bool { return fk.matches(name) })
	case o.unique != nil:
		t.Uniques = slices.DeleteFunc(t.Uniques, func(u uniqueSpec) bool {
			return u.Name == name && name != "" || u.Name == "" && slices.Equal(u.Columns, o.unique.Columns)
		})
	default:
		t.Checks = slices.DeleteFunc(t.Checks, func(ck schema.CheckDef) bool { return ck.Name == name })
	}
	if len(t.FKs)+len(t.Uniques)+len(t.Checks) == n {
		return fmt.Errorf("%s %s on %s does not exist", kind, name, o.table)
	}
	return nil
}

func (o *constraintOp) destructive(*state) string { return "" }

func (o *constraintOp) statements(d compile.DDLDialect, before, after *state) ([]stmt, error) {
	if !d.Features().Has(compile.AlterAddConstraint) {
		return batch(d, before, after, o.table)
	}
	st := after
	if !o.add {
		st = before
	}
	t, err := tableOf(st, o.table)
	if err != nil {
		return nil, err
	}
	var c schema.Constraint
	_, name := o.kind()
	switch {
	case o.fk != nil:
		for _, fk := range t.ForeignKeys {
			if fk.Name == name && name != "" || name == "" && slices.Equal(fk.Columns, o.fk.Columns) || name != "" && fk.Name == "" && fk.ConstraintName() == name {
				c = fk
			}
		}
	case o.unique != nil:
		for _, u := range t.Uniques {
			if u.Name == name && name != "" || name == "" && slices.Equal(u.Columns, o.unique.Columns) {
				c = u
			}
		}
	default:
		for _, ck := range t.Checks {
			if ck.Name == name {
				c = ck
			}
		}
	}
	if c == nil {
		kind, _ := o.kind()
		return nil, fmt.Errorf("%s %s on %s does not exist", kind, name, o.table)
	}
	if o.add {
		return ddl(&schema.AddConstraint{Table: t, Constraint: c}), nil
	}
	return ddl(&schema.DropConstraint{Table: t, Constraint: c}), nil
}

// executeOp runs raw SQL.
type executeOp struct {
	sql    string
	params []expr.NamedParam
}

func (o *executeOp) String() string            { return "execute " + truncate(o.sql, 60) }
func (o *executeOp) apply(*state) error        { return nil }
func (o *executeOp) destructive(*state) string { return "" }
func (o *executeOp) statements(compile.DDLDialect, *state, *state) ([]stmt, error) {
	return []stmt{{sql: o.sql, args: o.params}}, nil
}

// runOp is a data step written in Go.
type runOp struct {
	name string
	fn   func(ctx context.Context, c *engine.Conn, p *Progress) error
}

func (o *runOp) String() string            { return "run " + o.name }
func (o *runOp) apply(*state) error        { return nil }
func (o *runOp) destructive(*state) string { return "" }
func (o *runOp) statements(compile.DDLDialect, *state, *state) ([]stmt, error) {
	return []stmt{{run: o.fn}}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
