package migrate_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/migrate"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// TestFailedMigration: a migration that fails half-way is rolled back where DDL is
// transactional; on MySQL/MariaDB it leaves the revision dirty, further upgrades are
// refused with ErrDirty, and Stamp is the way out.
func TestFailedMigration(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := open(t, tg)
		ch := migrate.NewChain()
		ch.Add(&migrate.Migration{Revision: "d1", Message: "create",
			Up:   func(op *migrate.Op) { op.CreateTable("t", schema.Col("id", types.Integer(), schema.PrimaryKey())) },
			Down: func(op *migrate.Op) { op.DropTable("t") }})
		ch.Add(&migrate.Migration{Revision: "d2", Parents: []string{"d1"}, Message: "half",
			Up: func(op *migrate.Op) {
				op.AddColumn("t", schema.Col("x", types.Integer()))
				op.Execute("INSERT INTO no_such_table VALUES (1)")
			},
			Down: func(op *migrate.Op) { op.DropColumn("t", "x") }})
		m := migrate.New(eng, ch, quiet)
		err := m.Upgrade(ctx, "head")
		var me *migrate.Error
		if !errors.As(err, &me) || me.Revision != "d2" || !strings.Contains(me.Operation, "execute INSERT INTO no_such_table") ||
			me.SQL != "INSERT INTO no_such_table VALUES (1)" || !strings.Contains(err.Error(), "INSERT INTO no_such_table VALUES (1)") {
			t.Fatalf("failing migration: %v", err)
		}
		st, err := m.Current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cols := func() int {
			md, err := eng.Reflect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tb, _ := md.TableByName("t")
			return len(tb.Cols)
		}
		if eng.Dialect().Features().Has(compile.TransactionalDDL) {
			if len(st.Dirty) != 0 || strings.Join(st.Heads, ",") != "d1" || cols() != 1 {
				t.Fatalf("after a failed transactional migration: %+v, %d columns", st, cols())
			}
			return
		}
		if strings.Join(st.Dirty, ",") != "d2" || cols() != 2 {
			t.Fatalf("after a failed migration on %s: %+v, %d columns", tg.Name, st, cols())
		}
		if err := m.Upgrade(ctx, "head"); !errors.Is(err, migrate.ErrDirty) || !strings.Contains(err.Error(), "stamp") {
			t.Fatalf("upgrade of a dirty database: %v", err)
		}
		// The column was added: the database is at d2 as far as the schema goes.
		if err := m.Stamp(ctx, "d2"); err != nil {
			t.Fatal(err)
		}
		if st, _ := m.Current(ctx); len(st.Dirty) != 0 || strings.Join(st.Heads, ",") != "d2" {
			t.Fatalf("after stamp: %+v", st)
		}
	})
}
