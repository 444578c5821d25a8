package migrate_test

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/migrate"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// headModels is the schema testChain's head builds.
func headModels() *schema.MetaData {
	md := schema.NewMetaData()
	md.MustTable("teams", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("title", types.String(30)))
	md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("full_name", types.String(50), schema.NotNull()),
		schema.Col("email", types.String(200), schema.ServerDefault(expr.Value("none", types.String(200)))),
		schema.Col("team_id", types.Integer(), schema.ForeignKey("teams.id", schema.OnDelete("SET NULL"), schema.FKName("fk_users_team"))),
		schema.Index("ix_users_email", "email"),
	)
	return md
}

func TestCommandVerbs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		var runs atomic.Int64
		dir := filepath.Join(t.TempDir(), "migrations")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := &migrate.Command{Chain: testChain(&runs), Models: headModels(), Dir: dir}
		run := func(wantCode int, args ...string) string {
			t.Helper()
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if code := cmd.Main(ctx, append([]string{"-url", tg.URL}, args...)); code != wantCode {
				t.Fatalf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, wantCode, out.String(), errOut.String())
			}
			if strings.Contains(errOut.String()+out.String(), "password") {
				t.Fatalf("%v printed a password", args)
			}
			return out.String() + errOut.String()
		}
		if out := run(0, "current"); strings.TrimSpace(out) != "base" {
			t.Fatalf("current on an empty database: %q", out)
		}
		run(0, "upgrade")
		if out := run(0, "current"); !strings.HasPrefix(out, "r4 (head)") {
			t.Fatalf("current after upgrade: %q", out)
		}
		if out := run(0, "check"); !strings.Contains(out, "agree") {
			t.Fatalf("check at head: %q", out)
		}
		if out := run(0, "history"); !strings.HasPrefix(out, "r3 -> r4 (head): drop notes, widen email\n") || !strings.HasSuffix(out, "base -> r1: create users and notes\n") {
			t.Fatalf("history: %q", out)
		}
		if out := run(0, "heads"); !strings.HasPrefix(out, "r4 (head)") {
			t.Fatalf("heads: %q", out)
		}
		run(0, "downgrade", "-1")
		if out := run(0, "current"); !strings.HasPrefix(out, "r3\n") {
			t.Fatalf("current after downgrade -1: %q", out)
		}
		// Check fails now and says why.
		if out := run(1, "check"); !strings.Contains(out, "drop table notes") || !strings.Contains(out, "differ") {
			t.Fatalf("check at r3: %q", out)
		}
		// Autogenerate from the head models: the database must be at the head first.
		if out := run(1, "revision", "-m", "catch up", "-autogenerate"); !strings.Contains(out, "upgrade it before autogenerating") {
			t.Fatalf("autogenerate off head: %q", out)
		}
		run(0, "stamp", "head")
		out := run(0, "revision", "-m", "catch up", "-autogenerate")
		files, _ := filepath.Glob(filepath.Join(dir, "*_catch_up.go"))
		if len(files) != 1 || !strings.Contains(out, files[0]) || !strings.Contains(out, "destructive, review and accept: drop table notes") {
			t.Fatalf("revision -autogenerate wrote %v: %q", files, out)
		}
		src, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := parser.ParseFile(token.NewFileSet(), files[0], src, 0); err != nil {
			t.Fatalf("generated file does not parse: %v\n%s", err, src)
		}
		for _, s := range []string{`Parents:  []string{"r4"}`, `op.DropTable("notes")`, `// "drop table notes",`,
			`op.AlterColumn("users", "email", migrate.SetType(types.String(100)), migrate.SetServerDefault(nil))`} {
			if !bytes.Contains(src, []byte(s)) {
				t.Errorf("generated file lacks %s:\n%s", s, src)
			}
		}
		run(0, "revision", "-m", "empty one")
		if files, _ := filepath.Glob(filepath.Join(dir, "*_empty_one.go")); len(files) != 1 {
			t.Fatalf("revision without autogenerate: %v", files)
		}
		if out := run(0, "sql", "-from", "r2", "-to", "r3"); !strings.Contains(out, "INSERT INTO retort_migrations (revision, dirty) VALUES ('r3', ") {
			t.Fatalf("sql: %q", out)
		}
		// The database was stamped head while its schema is at r3: the plan of a downgrade
		// meets notes, which r4's Down would create, and stops before changing anything.
		if out := run(1, "downgrade", "base"); !strings.Contains(out, "revision r4 (drop notes, widen email): create table notes: table notes already exists") {
			t.Fatalf("downgrade from a wrong stamp: %q", out)
		}
		run(0, "stamp", "r3")
		run(0, "downgrade", "base")
		if out := run(0, "current"); strings.TrimSpace(out) != "base" {
			t.Fatalf("current after downgrade base: %q", out)
		}
		// Mistakes are usage errors (exit 2) or errors (exit 1) with a message.
		if out := run(2, "frobnicate"); !strings.Contains(out, `unknown verb "frobnicate"`) {
			t.Fatalf("unknown verb: %q", out)
		}
		if out := run(2, "downgrade"); !strings.Contains(out, "needs a target revision") {
			t.Fatalf("downgrade without target: %q", out)
		}
		if out := run(1, "upgrade", "nope"); !strings.Contains(out, `no revision "nope"`) {
			t.Fatalf("unknown revision: %q", out)
		}
		if out := run(2, "revision"); !strings.Contains(out, "needs -m") {
			t.Fatalf("revision without message: %q", out)
		}
	})
}

func TestCommandNeedsURL(t *testing.T) {
	t.Setenv(migrate.URLEnv, "")
	var out, errOut bytes.Buffer
	cmd := &migrate.Command{Chain: migrate.NewChain(), Stdout: &out, Stderr: &errOut}
	if code := cmd.Main(t.Context(), []string{"upgrade"}); code != 2 || !strings.Contains(errOut.String(), "RETORT_DATABASE_URL") {
		t.Fatalf("upgrade without URL: exit %d, %q", code, errOut.String())
	}
	errOut.Reset()
	if code := cmd.Main(t.Context(), []string{"-url", "postgresql://u:s3cret@127.0.0.1:1/x", "upgrade"}); code != 1 || strings.Contains(errOut.String(), "s3cret") {
		t.Fatalf("unreachable database: exit %d, %q", code, errOut.String())
	}
}

// TestCommandMerge: two revisions on one parent make two heads; upgrade to head is
// refused, merge writes a revision joining them.
func TestCommandMerge(t *testing.T) {
	noop := func(*migrate.Op) {}
	ch := migrate.NewChain()
	ch.Add(&migrate.Migration{Revision: "a", Up: noop, Down: noop})
	ch.Add(&migrate.Migration{Revision: "b1", Parents: []string{"a"}, Up: noop, Down: noop})
	ch.Add(&migrate.Migration{Revision: "b2", Parents: []string{"a"}, Up: noop, Down: noop})
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	cmd := &migrate.Command{Chain: ch, Dir: dir, Stdout: &out, Stderr: &errOut}
	url := testdb.SQLite(t).URL
	if code := cmd.Main(t.Context(), []string{"-url", url, "upgrade"}); code != 1 || !strings.Contains(errOut.String(), "2 heads (b1, b2)") {
		t.Fatalf("upgrade with two heads: exit %d, %q", code, errOut.String())
	}
	if code := cmd.Main(t.Context(), []string{"-url", url, "revision", "-m", "x"}); code != 1 || !strings.Contains(errOut.String(), "merge revision first") {
		t.Fatalf("revision with two heads: exit %d, %q", code, errOut.String())
	}
	if code := cmd.Main(t.Context(), []string{"merge", "-m", "join b1 and b2"}); code != 0 {
		t.Fatalf("merge: exit %d, %q", code, errOut.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*_join_b1_and_b2.go"))
	if len(files) != 1 {
		t.Fatalf("merge wrote %v", files)
	}
	src, _ := os.ReadFile(files[0])
	if !bytes.Contains(src, []byte(`Parents:  []string{"b1", "b2"}`)) {
		t.Fatalf("merge revision:\n%s", src)
	}
	if code := cmd.Main(t.Context(), []string{"-url", url, "upgrade", "heads"}); code != 0 {
		t.Fatalf("upgrade heads: exit %d, %q", code, errOut.String())
	}
}

// TestAutogenerateNotNullOverNulls: a column the models make NOT NULL is marked
// destructive when the database holds NULLs in it.
func TestAutogenerateNotNullOverNulls(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := open(t, tg)
		ch := migrate.NewChain()
		ch.Add(&migrate.Migration{Revision: "n1",
			Up: func(op *migrate.Op) {
				op.CreateTable("t", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("x", types.Text()))
			},
			Down: func(op *migrate.Op) { op.DropTable("t") }})
		m := migrate.New(eng, ch, quiet)
		if err := m.Upgrade(ctx, "head"); err != nil {
			t.Fatal(err)
		}
		models := schema.NewMetaData()
		models.MustTable("t", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("x", types.Text(), schema.NotNull()))
		f, err := m.Autogenerate(ctx, models, "migrations", "x not null")
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Destructive) != 0 {
			t.Fatalf("no NULLs, yet destructive: %v", f.Destructive)
		}
		mustExec(t, eng, "INSERT INTO t (id, x) VALUES (1, NULL)")
		if f, err = m.Autogenerate(ctx, models, "migrations", "x not null"); err != nil {
			t.Fatal(err)
		}
		if len(f.Destructive) != 1 || f.Destructive[0] != "make column t.x NOT NULL" ||
			!bytes.Contains(f.Source, []byte("// DESTRUCTIVE: make column t.x NOT NULL")) {
			t.Fatalf("NOT NULL over NULLs: %v\n%s", f.Destructive, f.Source)
		}
	})
}
