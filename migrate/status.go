package migrate

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
)

// Status is what the version table says: the applied revisions that no other applied
// revision follows (normally one), and the revisions left dirty by a migration that
// stopped half-way. It is a plain value, safe for concurrent reads; it lives as long as
// the caller keeps it.
type Status struct {
	Heads   []string
	Applied []string
	Dirty   []string
}

// Current reads the version table (creating it if needed) under the migration lock.
func (m *Migrator) Current(ctx context.Context) (Status, error) {
	var st Status
	err := m.session(ctx, func(ctx context.Context, c *engine.Conn, vt *schema.Table, _ bool) error {
		ap, err := m.readApplied(ctx, c, vt)
		if err != nil {
			return err
		}
		for r := range ap.revs {
			st.Applied = append(st.Applied, r)
		}
		sort.Strings(st.Applied)
		st.Dirty = ap.dirty
		st.Heads = m.chain.headsOf(ap.revs)
		return nil
	})
	return st, err
}

// Stamp records that the database is at rev ("base" for nothing applied) without
// running any migration, and clears the dirty mark: for a database whose schema was
// made or repaired by hand.
func (m *Migrator) Stamp(ctx context.Context, rev string) error {
	want, err := m.upTo(rev)
	if err != nil {
		return err
	}
	return m.session(ctx, func(ctx context.Context, c *engine.Conn, vt *schema.Table, _ bool) error {
		body := func(ctx context.Context, c *engine.Conn) error {
			if _, err := c.Execute(ctx, expr.Delete(vt).Where(vt.C("revision").Ne("~lock"))); err != nil {
				return fmt.Errorf("migrate: stamp: %w", err)
			}
			revs := make([]string, 0, len(want))
			for r := range want {
				revs = append(revs, r)
			}
			sort.Strings(revs)
			for _, r := range revs {
				if _, err := c.Execute(ctx, expr.Insert(vt).Values(map[string]any{"revision": r, "dirty": false})); err != nil {
					return fmt.Errorf("migrate: stamp: %w", err)
				}
			}
			return nil
		}
		if c.InTransaction() {
			return body(ctx, c)
		}
		return c.Transaction(ctx, body)
	})
}

// upTo returns the revisions applied at rev: none for "base", every ancestor of the head
// for "head" (of every head for "heads"), of rev otherwise.
func (m *Migrator) upTo(rev string) (map[string]bool, error) {
	out := map[string]bool{}
	switch rev {
	case "base":
		return out, nil
	case "head", "heads":
		heads := m.chain.Heads()
		if rev == "head" && len(heads) > 1 {
			return nil, fmt.Errorf("migrate: the chain has %d heads (%s): name one, or join them with a merge revision", len(heads), strings.Join(heads, ", "))
		}
		for _, h := range heads {
			maps(out, m.chain.ancestors(h))
		}
		return out, nil
	}
	mg, err := m.chain.Get(rev)
	if err != nil {
		return nil, err
	}
	return m.chain.ancestors(mg.Revision), nil
}
