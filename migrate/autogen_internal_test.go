package migrate

import (
	"fmt"
	"log/slog"
	"slices"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// versions returns a model at four versions: v1 users and notes; v2 adds users.email,
// an index, a unique constraint and a check; v3 renames users.name to full_name, adds
// teams and a foreign key to it, widens email and gives it a default; v4 drops notes.
func versions() []*schema.MetaData {
	var out []*schema.MetaData
	for v := 1; v <= 4; v++ {
		md := schema.NewMetaData()
		if v >= 3 {
			md.MustTable("teams", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("title", types.String(50), schema.NotNull()))
		}
		items := []schema.TableItem{schema.Col("id", types.Integer(), schema.PrimaryKey())}
		if v >= 3 {
			items = append(items, schema.Col("full_name", types.String(50), schema.NotNull()))
		} else {
			items = append(items, schema.Col("name", types.String(50), schema.NotNull()))
		}
		switch {
		case v == 2:
			items = append(items, schema.Col("email", types.String(100)))
		case v >= 3:
			items = append(items, schema.Col("email", types.String(200), schema.ServerDefault(expr.Value("none", types.String(200))), schema.Comment("where we write")),
				schema.Col("team_id", types.Integer(), schema.ForeignKey("teams.id", schema.OnDelete("SET NULL"))))
		}
		if v >= 2 {
			items = append(items, schema.Index("ix_users_email", "email"), schema.UniqueConstraint("uq_users_email", "email"),
				schema.CheckConstraint("ck_users_email", "email <> ''"))
		}
		md.MustTable("users", items...)
		if v <= 3 {
			md.MustTable("notes", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("body", types.Text()))
		}
		out = append(out, md)
	}
	return out
}

// TestAutogenerateEveryDatabase autogenerates each step of a four-version model on each
// database, applies it, and checks that the database then matches the models, that the
// rename kept the data, and that the Down operations bring it back to base.
func TestAutogenerateEveryDatabase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng, err := engine.Create(ctx, tg.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		chain := NewChain()
		m := New(eng, chain, WithLogger(slog.New(slog.DiscardHandler)), AllowDestructive(true))
		parent := ""
		for i, models := range versions() {
			changes, err := m.Check(ctx, models)
			if err != nil {
				t.Fatal(err)
			}
			if len(changes) == 0 {
				t.Fatalf("v%d: no changes found", i+1)
			}
			if i == 2 && (changes[0].Note == "" || changes[0].Up.String() != "rename column users.name to full_name") {
				t.Fatalf("v3: first change %s, want the rename", changes[0].Up)
			}
			mg := &Migration{Revision: fmt.Sprintf("v%d", i+1), Message: fmt.Sprintf("version %d", i+1),
				Up: func(op *Op) {
					for _, ch := range changes {
						op.add(ch.Up)
					}
				},
				Down: func(op *Op) {
					for _, ch := range slices.Backward(changes) {
						op.add(ch.Down)
					}
				}}
			if parent != "" {
				mg.Parents = []string{parent}
			}
			parent = mg.Revision
			chain.Add(mg)
			if err := m.Upgrade(ctx, "head"); err != nil {
				t.Fatalf("v%d: %v", i+1, err)
			}
			if left, err := m.Check(ctx, models); err != nil || len(left) != 0 {
				t.Fatalf("v%d: after upgrading, still %v (%v)", i+1, left, err)
			}
			if i == 0 {
				c, err := eng.Connect(ctx)
				if err != nil {
					t.Fatal(err)
				}
				_, err = c.Execute(ctx, expr.Text("INSERT INTO users (id, name) VALUES (1, 'spongebob')"))
				c.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		c, err := eng.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.Scalar(ctx, expr.Text("SELECT full_name FROM users WHERE id = 1"))
		c.Close()
		if err != nil || fmt.Sprintf("%s", v) != "spongebob" {
			t.Fatalf("after the rename: %v, %v", v, err)
		}
		if err := m.Downgrade(ctx, "base"); err != nil {
			t.Fatal(err)
		}
		md, err := eng.Reflect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(md.Tables) != 1 {
			t.Fatalf("after downgrading to base: %d tables", len(md.Tables))
		}
	})
}
