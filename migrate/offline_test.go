package migrate_test

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
	"github.com/retortdb/retort/migrate"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

func offline(t *testing.T, d compile.DDLDialect, from, to string) string {
	t.Helper()
	var runs atomic.Int64
	var b strings.Builder
	if err := migrate.New(nil, testChain(&runs)).SQL(&b, d, from, to); err != nil {
		t.Fatal(err)
	}
	if runs.Load() != 0 {
		t.Fatal("offline SQL ran a data step")
	}
	return b.String()
}

func TestOfflineSQLPostgres(t *testing.T) {
	got := offline(t, postgres.New(), "r2", "r3")
	want := `-- retort migrate upgrade r2 -> r3 (postgresql)

-- revision r3: rename name, add teams
BEGIN;
-- rename column users.name to full_name
ALTER TABLE users RENAME COLUMN name TO full_name;
-- create table teams
CREATE TABLE teams (id SERIAL NOT NULL, title VARCHAR(30), PRIMARY KEY (id));
-- add column users.team_id
ALTER TABLE users ADD COLUMN team_id INTEGER;
-- add foreign key fk_users_team on users
ALTER TABLE users ADD CONSTRAINT fk_users_team FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL;
INSERT INTO retort_migrations (revision, dirty) VALUES ('r3', false);
COMMIT;

`
	if got != want {
		t.Errorf("offline SQL:\n%s\nwant:\n%s", got, want)
	}
}

func TestOfflineSQLFromBase(t *testing.T) {
	for _, d := range []compile.DDLDialect{sqlite.New(), postgres.New(), mysql.New(mysql.MariaDB, 10, 11, 0)} {
		up := offline(t, d, "base", "head")
		for _, s := range []string{
			"CREATE TABLE IF NOT EXISTS retort_migrations",
			"CREATE TABLE users (", "CREATE INDEX ix_users_email ON users (email)",
			"-- (a data step written in Go runs here when migrating online)",
			"-- DESTRUCTIVE: drop table notes",
			"INSERT INTO retort_migrations (revision, dirty) VALUES ('r4', ",
		} {
			if !strings.Contains(up, s) {
				t.Errorf("%s: offline upgrade lacks %q:\n%s", d.Name(), s, up)
			}
		}
		down := offline(t, d, "head", "base")
		if !strings.Contains(down, "DELETE FROM retort_migrations WHERE revision = 'r1';") || !strings.Contains(down, "DROP TABLE users") {
			t.Errorf("%s: offline downgrade:\n%s", d.Name(), down)
		}
	}
	// SQLite rebuilds a table for what it cannot ALTER.
	up := offline(t, sqlite.New(), "r3", "r4")
	for _, s := range []string{
		"PRAGMA foreign_keys = OFF;",
		"CREATE TABLE _retort_tmp_users (id INTEGER NOT NULL, full_name VARCHAR(50) NOT NULL, email VARCHAR(200) DEFAULT 'none', team_id INTEGER",
		"INSERT INTO _retort_tmp_users (id, full_name, email, team_id) SELECT id, full_name, email, team_id FROM users;",
		"DROP TABLE users;", "ALTER TABLE _retort_tmp_users RENAME TO users;",
		"CREATE INDEX ix_users_email ON users (email);",
		"PRAGMA foreign_key_check;",
	} {
		if !strings.Contains(up, s) {
			t.Errorf("sqlite batch lacks %q:\n%s", s, up)
		}
	}
	// MariaDB has no transactional DDL: no BEGIN/COMMIT.
	if my := offline(t, mysql.New(mysql.MariaDB, 10, 11, 0), "r3", "r4"); strings.Contains(my, "BEGIN;") ||
		!strings.Contains(my, "ALTER TABLE users MODIFY COLUMN email VARCHAR(200) DEFAULT 'none'") {
		t.Errorf("mariadb offline:\n%s", my)
	}
}

func TestChainBranchesAndMerge(t *testing.T) {
	noop := func(*migrate.Op) {}
	ch := migrate.NewChain()
	ch.Add(&migrate.Migration{Revision: "a", Up: noop, Down: noop})
	ch.Add(&migrate.Migration{Revision: "b1", Parents: []string{"a"}, Up: noop, Down: noop})
	ch.Add(&migrate.Migration{Revision: "b2", Parents: []string{"a"}, Up: noop, Down: noop})
	if h := ch.Heads(); strings.Join(h, ",") != "b1,b2" {
		t.Fatalf("heads %v", h)
	}
	var b strings.Builder
	err := migrate.New(nil, ch).SQL(&b, sqlite.New(), "base", "head")
	if err == nil || !strings.Contains(err.Error(), "2 heads (b1, b2)") || !strings.Contains(err.Error(), "merge") {
		t.Fatalf("upgrade to head with two heads: %v", err)
	}
	ch.Add(&migrate.Migration{Revision: "m", Parents: []string{"b1", "b2"}, Message: "merge", Up: noop, Down: noop})
	if h := ch.Heads(); strings.Join(h, ",") != "m" {
		t.Fatalf("heads after merge %v", h)
	}
	b.Reset()
	if err := migrate.New(nil, ch).SQL(&b, sqlite.New(), "base", "head"); err != nil {
		t.Fatal(err)
	}
	if i, j := strings.Index(b.String(), "revision b2"), strings.Index(b.String(), "revision m"); i < 0 || j < i {
		t.Fatalf("merge order:\n%s", b.String())
	}
	bad := migrate.NewChain()
	bad.Add(&migrate.Migration{Revision: "x", Parents: []string{"nope"}, Up: noop, Down: noop})
	bad.Add(&migrate.Migration{Revision: "x", Up: noop, Down: noop})
	bad.Add(&migrate.Migration{Revision: "y"})
	err = bad.Validate()
	for _, s := range []string{"registered twice", "parent nope, which is not registered", "needs both Up and Down"} {
		if err == nil || !strings.Contains(err.Error(), s) {
			t.Errorf("Validate: %v, want %q", err, s)
		}
	}
}

func TestOfflinePartialIndex(t *testing.T) {
	var b strings.Builder
	ch := migrate.NewChain()
	ch.Add(&migrate.Migration{Revision: "x1", Message: "jobs",
		Up: func(op *migrate.Op) {
			op.CreateTable("jobs", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("done", types.Boolean(), schema.NotNull()))
			op.CreatePartialIndex("ix_jobs_todo", "jobs", false, "done = false", "id")
		},
		Down: func(op *migrate.Op) { op.DropTable("jobs") }})
	if err := migrate.New(nil, ch).SQL(&b, postgres.New(), "base", "head"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "CREATE INDEX ix_jobs_todo ON jobs (id) WHERE done = false;") {
		t.Fatalf("partial index offline:\n%s", b.String())
	}
	if err := migrate.New(nil, ch).SQL(&b, mysql.New(mysql.MariaDB, 10, 11, 0), "base", "head"); err == nil ||
		!strings.Contains(err.Error(), "revision x1 (jobs): create index ix_jobs_todo on jobs: compile: partial index") {
		t.Fatalf("partial index on mariadb: %v", err)
	}
}
