package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// Check compares models with the database and returns the changes a new revision would
// hold (none when they agree), for CI. The version table is left out.
func (m *Migrator) Check(ctx context.Context, models *schema.MetaData, opts ...CompareOption) ([]Change, error) {
	if m.eng == nil {
		return nil, errors.New("migrate: Check needs a Migrator with an engine")
	}
	c, err := m.eng.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return m.compare(ctx, c, models, opts)
}

func (m *Migrator) compare(ctx context.Context, c *engine.Conn, models *schema.MetaData, opts []CompareOption) ([]Change, error) {
	if models == nil {
		return nil, errors.New("migrate: no models MetaData to compare with")
	}
	r, ok := m.eng.Dialect().(dialect.Reflector)
	if !ok {
		return nil, fmt.Errorf("migrate: dialect %s cannot reflect", m.eng.Dialect().Name())
	}
	db, err := c.Reflect(ctx, engine.ReflectOnly(func(t string) bool { return t != m.table }))
	if err != nil {
		return nil, err
	}
	return Compare(models, db, m.eng.Dialect(), r.Normalization(), append([]CompareOption{ExcludeTables(m.table)}, opts...)...)
}

// Autogenerate compares models with the database, which must be at the chain's head,
// and returns a new migration file for package pkg holding the changes, parented on the
// head. Destructive steps are marked in it and listed, commented out, for its Accept
// list; a column made NOT NULL counts as destructive when it holds NULLs now.
func (m *Migrator) Autogenerate(ctx context.Context, models *schema.MetaData, pkg, message string, opts ...CompareOption) (*File, error) {
	if err := m.chain.Validate(); err != nil {
		return nil, err
	}
	heads := m.chain.Heads()
	if len(heads) > 1 {
		return nil, fmt.Errorf("migrate: the chain has %d heads (%s): join them with a merge revision first", len(heads), strings.Join(heads, ", "))
	}
	cur, err := m.Current(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(cur.Heads, heads) {
		return nil, fmt.Errorf("migrate: the database is at %s, not at the head %s: upgrade it before autogenerating", listOrBase(cur.Heads), listOrBase(heads))
	}
	c, err := m.eng.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	changes, err := m.compare(ctx, c, models, opts)
	if err != nil {
		return nil, err
	}
	for i := range changes {
		ac, ok := changes[i].Up.(*alterColumnOp)
		if !ok || ac.nullable == nil || *ac.nullable {
			continue
		}
		t := schema.NewMetaData().MustTable(lastPart(ac.table), schema.Col(ac.col, ac.typeOr()), inSchemaOf(ac.table))
		n, err := c.Scalar(ctx, expr.Select(expr.CountStar()).From(t).Where(t.C(ac.col).IsNull()))
		if err != nil {
			return nil, err
		}
		if cnt, _ := n.(int64); cnt > 0 {
			changes[i].Destructive = fmt.Sprintf("make column %s.%s NOT NULL", ac.table, ac.col)
		}
	}
	f := &File{Revision: NewRevisionID(), Parents: heads, Message: message, Changes: changes}
	if f.Destructive, err = destructiveSteps(ctx, c, m, changes); err != nil {
		return nil, err
	}
	f.Source, err = renderFile(pkg, f, m.eng.Dialect())
	return f, err
}

func (ac *alterColumnOp) typeOr() (t types.Type) {
	if ac.typ != nil {
		return *ac.typ
	}
	return t
}

func lastPart(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

func inSchemaOf(key string) schema.TableItem {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return schema.InSchema(key[:i])
	}
	return nil
}

func listOrBase(revs []string) string {
	if len(revs) == 0 {
		return "base"
	}
	return strings.Join(revs, ", ")
}

// destructiveSteps lists what Up and Down would lose, by simulating them on the
// database's schema.
func destructiveSteps(ctx context.Context, c *engine.Conn, m *Migrator, changes []Change) ([]string, error) {
	db, err := c.Reflect(ctx, engine.ReflectOnly(func(t string) bool { return t != m.table }))
	if err != nil {
		return nil, err
	}
	st := stateOf(db)
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, ch := range changes {
		add(ch.Destructive)
		if err := ch.Up.apply(st); err != nil {
			return nil, fmt.Errorf("migrate: autogenerate: %s: %w", ch.Up, err)
		}
	}
	for i := len(changes) - 1; i >= 0; i-- {
		before := st.clone()
		if err := changes[i].Down.apply(st); err != nil {
			return nil, fmt.Errorf("migrate: autogenerate: %s: %w", changes[i].Down, err)
		}
		add(changes[i].Down.destructive(before))
	}
	return out, nil
}

// NewRevision returns an empty migration file (no operations) for package pkg,
// parented on the chain's heads: one head normally, all of them for a merge revision
// (merge true, which needs two heads or more).
func (m *Migrator) NewRevision(pkg, message string, merge bool) (*File, error) {
	if err := m.chain.Validate(); err != nil {
		return nil, err
	}
	heads := m.chain.Heads()
	switch {
	case merge && len(heads) < 2:
		return nil, fmt.Errorf("migrate: nothing to merge: the chain has %d head(s)", len(heads))
	case !merge && len(heads) > 1:
		return nil, fmt.Errorf("migrate: the chain has %d heads (%s): join them with a merge revision first", len(heads), strings.Join(heads, ", "))
	}
	f := &File{Revision: NewRevisionID(), Parents: heads, Message: message}
	var d compile.Dialect // an empty revision renders no SQL
	if m.eng != nil {
		d = m.eng.Dialect()
	}
	var err error
	f.Source, err = renderFile(pkg, f, d)
	return f, err
}
