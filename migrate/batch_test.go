package migrate_test

import (
	"strings"
	"testing"

	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/migrate"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// TestRebuildParentTable changes a table that other tables' rows reference (a table
// rebuild on SQLite): the rows and the references survive, and a change that breaks a
// reference is refused with the rows named.
func TestRebuildParentTable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := open(t, tg)
		ch := migrate.NewChain()
		ch.Add(&migrate.Migration{Revision: "p1",
			Up: func(op *migrate.Op) {
				op.CreateTable("teams", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("title", types.String(20)))
				op.CreateTable("members", schema.Col("id", types.Integer(), schema.PrimaryKey()),
					schema.Col("team_id", types.Integer(), schema.NotNull(), schema.ForeignKey("teams.id", schema.FKName("fk_members_team"))))
			},
			Down: func(op *migrate.Op) { op.DropTable("members"); op.DropTable("teams") }})
		ch.Add(&migrate.Migration{Revision: "p2", Parents: []string{"p1"},
			Up: func(op *migrate.Op) {
				op.AlterColumn("teams", "title", migrate.SetType(types.String(40)), migrate.SetNullable(false))
			},
			Down: func(op *migrate.Op) {
				op.AlterColumn("teams", "title", migrate.SetType(types.String(20)), migrate.SetNullable(true))
			},
			Accept: []string{"narrow column teams.title from string(40) to string(20)"}})
		ch.Add(&migrate.Migration{Revision: "p3", Parents: []string{"p2"},
			Up:   func(op *migrate.Op) { op.Execute("INSERT INTO members (id, team_id) VALUES (13, 77)") },
			Down: func(op *migrate.Op) { op.Execute("DELETE FROM members WHERE id = 13") }})
		m := migrate.New(eng, ch, quiet)
		if err := m.Upgrade(ctx, "p1"); err != nil {
			t.Fatal(err)
		}
		mustExec(t, eng, "INSERT INTO teams (id, title) VALUES (1, 'a'), (2, 'b')")
		mustExec(t, eng, "INSERT INTO members (id, team_id) VALUES (10, 1), (11, 2)")
		if err := m.Upgrade(ctx, "p2"); err != nil {
			t.Fatal(err)
		}
		// A data step that breaks a key fails (on SQLite, which does not enforce keys
		// during the run, through the check at the end; nothing is committed).
		if err := m.Upgrade(ctx, "head"); err == nil || !strings.Contains(strings.ToLower(err.Error()), "foreign key") {
			t.Fatalf("upgrade breaking a key: %v", err)
		}
		if st, _ := m.Current(ctx); strings.Join(st.Heads, ",") != "p2" {
			t.Fatalf("after the failed upgrade: %+v", st)
		}
		if res := mustExec(t, eng, "SELECT COUNT(*) FROM members"); str(res.All()[0].Get(0)) != "2" {
			t.Fatalf("members after the failed upgrade: %v", res.Mappings())
		}
		if err := m.Downgrade(ctx, "p1"); err != nil {
			t.Fatal(err)
		}
		res := mustExec(t, eng, "SELECT m.id, t.title FROM members m JOIN teams t ON t.id = m.team_id ORDER BY m.id")
		if res.Len() != 2 || str(res.All()[1].Get(1)) != "b" {
			t.Fatalf("after rebuilding teams twice: %v", res.Mappings())
		}
		// The key still holds.
		c, err := eng.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Execute(ctx, textStmt("INSERT INTO members (id, team_id) VALUES (12, 99)")); err == nil || !strings.Contains(strings.ToLower(err.Error()), "foreign key") {
			t.Fatalf("insert breaking the key after rebuilds: %v", err)
		}
	})
}
