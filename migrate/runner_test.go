package migrate_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/migrate"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// testChain is a four-step history: create, add a column and an index, rename a
// column and add a foreign key to a new table, alter and drop. runs counts the data
// step of the second revision, which runs once per upgrade through it.
func testChain(runs *atomic.Int64) *migrate.Chain {
	ch := migrate.NewChain()
	ch.Add(&migrate.Migration{
		Revision: "r1", Message: "create users and notes",
		Up: func(op *migrate.Op) {
			op.CreateTable("users",
				schema.Col("id", types.Integer(), schema.PrimaryKey()),
				schema.Col("name", types.String(50), schema.NotNull()),
			)
			op.CreateTable("notes",
				schema.Col("id", types.Integer(), schema.PrimaryKey()),
				schema.Col("body", types.Text()),
			)
		},
		Down:   func(op *migrate.Op) { op.DropTable("notes"); op.DropTable("users") },
		Accept: []string{"drop table notes", "drop table users"},
	})
	ch.Add(&migrate.Migration{
		Revision: "r2", Parents: []string{"r1"}, Message: "add email",
		Up: func(op *migrate.Op) {
			op.AddColumn("users", schema.Col("email", types.String(100)))
			op.CreateIndex("ix_users_email", "users", "email")
			op.Run("fill email", func(ctx context.Context, c *engine.Conn, p *migrate.Progress) error {
				runs.Add(1)
				p.SetTotal(1)
				_, err := c.Execute(ctx, expr.Text("UPDATE users SET email = 'x@example.com' WHERE email IS NULL"))
				p.Add(1)
				return err
			})
		},
		Down: func(op *migrate.Op) {
			op.DropIndex("ix_users_email", "users")
			op.DropColumn("users", "email")
		},
		Accept: []string{"drop column users.email"},
	})
	ch.Add(&migrate.Migration{
		Revision: "r3", Parents: []string{"r2"}, Message: "rename name, add teams",
		Up: func(op *migrate.Op) {
			op.RenameColumn("users", "name", "full_name")
			op.CreateTable("teams", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("title", types.String(30)))
			op.AddColumn("users", schema.Col("team_id", types.Integer()))
			op.AddForeignKey("fk_users_team", "users", []string{"team_id"}, "teams", []string{"id"}, schema.OnDelete("SET NULL"))
		},
		Down: func(op *migrate.Op) {
			op.DropForeignKey("fk_users_team", "users")
			op.DropColumn("users", "team_id")
			op.DropTable("teams")
			op.RenameColumn("users", "full_name", "name")
		},
		Accept: []string{"drop column users.team_id", "drop table teams"},
	})
	ch.Add(&migrate.Migration{
		Revision: "r4", Parents: []string{"r3"}, Message: "drop notes, widen email",
		Up: func(op *migrate.Op) {
			op.DropTable("notes")
			op.AlterColumn("users", "email", migrate.SetType(types.String(200)), migrate.SetServerDefault(expr.Value("none", types.String(200))))
		},
		Down: func(op *migrate.Op) {
			op.AlterColumn("users", "email", migrate.SetType(types.String(100)), migrate.SetServerDefault(nil))
			op.CreateTable("notes",
				schema.Col("id", types.Integer(), schema.PrimaryKey()),
				schema.Col("body", types.Text()),
			)
		},
		Accept: []string{"drop table notes", "narrow column users.email from string(200) to string(100)"},
	})
	return ch
}

func mustExec(t *testing.T, eng *engine.Engine, sql string) *engine.Result {
	t.Helper()
	c, err := eng.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Execute(t.Context(), expr.Text(sql))
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return res
}

func tableNames(t *testing.T, eng *engine.Engine) []string {
	t.Helper()
	md, err := eng.Reflect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tb := range md.Tables {
		out = append(out, tb.Name)
	}
	return out
}

func TestUpgradeDowngrade(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := open(t, tg)
		var runs atomic.Int64
		m := migrate.New(eng, testChain(&runs), quiet)
		if err := m.Upgrade(ctx, "r1"); err != nil {
			t.Fatal(err)
		}
		mustExec(t, eng, "INSERT INTO users (id, name) VALUES (1, 'spongebob'), (2, 'sandy')")
		if err := m.Upgrade(ctx, "+1"); err != nil {
			t.Fatal(err)
		}
		if got := runs.Load(); got != 1 {
			t.Fatalf("data step ran %d times, want 1", got)
		}
		if err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		st, err := m.Current(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(st.Heads, ",") != "r4" || len(st.Applied) != 4 || len(st.Dirty) != 0 {
			t.Fatalf("current: %+v", st)
		}
		// The rename kept the data, the data step filled the new column.
		res := mustExec(t, eng, "SELECT full_name, email FROM users ORDER BY id")
		if res.Len() != 2 || str(res.All()[0].Get(0)) != "spongebob" || str(res.All()[1].Get(1)) != "x@example.com" {
			t.Fatalf("after upgrade: %v", res.Mappings())
		}
		mustExec(t, eng, "INSERT INTO teams (id, title) VALUES (1, 'krusty')")
		mustExec(t, eng, "UPDATE users SET team_id = 1 WHERE id = 1")
		// The foreign key is there (SET NULL on delete).
		mustExec(t, eng, "DELETE FROM teams WHERE id = 1")
		if v := mustExec(t, eng, "SELECT team_id FROM users WHERE id = 1").All()[0].Get(0); v != nil {
			t.Fatalf("team_id after deleting the team: %v, want NULL (ON DELETE SET NULL)", v)
		}
		md, err := eng.Reflect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		users, _ := md.TableByName("users")
		if email, _ := users.Col("email"); email.Type.Length != 200 || email.ServerDefault == nil {
			t.Fatalf("users.email after alter: %s default %v", email.Type, email.ServerDefault)
		}
		if len(users.Indexes) != 1 || users.Indexes[0].Name != "ix_users_email" {
			t.Fatalf("users indexes after rebuilds: %+v", users.Indexes)
		}
		if err := m.Downgrade(ctx, "r2"); err != nil {
			t.Fatal(err)
		}
		res = mustExec(t, eng, "SELECT name, email FROM users ORDER BY id")
		if res.Len() != 2 || str(res.All()[0].Get(0)) != "spongebob" {
			t.Fatalf("after downgrade to r2: %v", res.Mappings())
		}
		if err := m.Downgrade(ctx, "base"); err != nil {
			t.Fatal(err)
		}
		if names := tableNames(t, eng); len(names) != 1 || names[0] != migrate.DefaultVersionTable {
			t.Fatalf("after downgrade to base: tables %v", names)
		}
		if err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		if got := runs.Load(); got != 2 {
			t.Fatalf("data step ran %d times over two upgrades, want 2", got)
		}
		if st, _ := m.Current(ctx); strings.Join(st.Heads, ",") != "r4" {
			t.Fatalf("current after upgrading again: %+v", st)
		}
	})
}

func TestDestructiveRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := open(t, tg)
		ch := migrate.NewChain()
		ch.Add(&migrate.Migration{Revision: "a", Message: "create",
			Up: func(op *migrate.Op) {
				op.CreateTable("t", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("x", types.Text()))
			},
			Down: func(op *migrate.Op) { op.DropTable("t") }})
		ch.Add(&migrate.Migration{Revision: "b", Parents: []string{"a"}, Message: "drop x",
			Up:   func(op *migrate.Op) { op.DropColumn("t", "x") },
			Down: func(op *migrate.Op) { op.AddColumn("t", schema.Col("x", types.Text())) }})
		m := migrate.New(eng, ch, quiet)
		err := m.Upgrade(ctx, "head")
		if !errors.Is(err, migrate.ErrDestructive) || !strings.Contains(err.Error(), "revision b (drop x): drop column t.x") {
			t.Fatalf("upgrade with an unaccepted drop: %v", err)
		}
		// Nothing ran: the refusal comes before the first migration.
		if st, _ := m.Current(ctx); len(st.Applied) != 0 {
			t.Fatalf("applied after refusal: %v", st.Applied)
		}
		if err := migrate.New(eng, ch, quiet, migrate.AllowDestructive(true)).Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		// Dropping the table on the way down is refused too.
		err = m.Downgrade(ctx, "base")
		if !errors.Is(err, migrate.ErrDestructive) || !strings.Contains(err.Error(), "drop table t") {
			t.Fatalf("downgrade with an unaccepted drop: %v", err)
		}
	})
}

func TestNotNullWithNullsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := open(t, tg)
		ch := migrate.NewChain()
		ch.Add(&migrate.Migration{Revision: "a", Message: "create",
			Up: func(op *migrate.Op) {
				op.CreateTable("t", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("x", types.String(10)))
			},
			Down: func(op *migrate.Op) { op.DropTable("t") }, Accept: []string{"drop table t"}})
		ch.Add(&migrate.Migration{Revision: "b", Parents: []string{"a"}, Message: "x not null",
			Up:   func(op *migrate.Op) { op.AlterColumn("t", "x", migrate.SetNullable(false)) },
			Down: func(op *migrate.Op) { op.AlterColumn("t", "x", migrate.SetNullable(true)) }})
		m := migrate.New(eng, ch, quiet)
		if err := m.Upgrade(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		mustExec(t, eng, "INSERT INTO t (id, x) VALUES (1, NULL)")
		err := m.Upgrade(ctx, "head")
		var me *migrate.Error
		if !errors.Is(err, migrate.ErrDestructive) || !errors.As(err, &me) || me.Revision != "b" || !strings.Contains(err.Error(), "1 rows hold NULL") {
			t.Fatalf("NOT NULL over NULLs: %v", err)
		}
		mustExec(t, eng, "UPDATE t SET x = 'filled'")
		if eng.Dialect().Features().Has(compile.TransactionalDDL) {
			if err := m.Upgrade(ctx, "head"); err != nil {
				t.Fatal(err)
			}
		}
	})
}
