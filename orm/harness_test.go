package orm

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/internal/logcapture"
	"github.com/retortdb/retort/internal/testdb"
)

// capture records the statements an engine echoes ("SQL" or "SQL | args"): the statement
// capturing hook of the tests (statement counts, exact SQL).
type capture struct{ logcapture.Recorder }

// take returns the statements recorded since the last call (transaction control left out
// unless all is set).
func (c *capture) take(all bool) []string {
	var out []string
	for _, s := range c.Take() {
		if all || !isTxControl(s) {
			out = append(out, s)
		}
	}
	return out
}

func isTxControl(s string) bool {
	for _, p := range []string{"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// env is one test database with a registry and a capturing engine.
type env struct {
	t      *testing.T
	target testdb.Target
	eng    *engine.Engine
	reg    *Registry
	cap    *capture
	ctx    context.Context
}

// eachDB runs fn on SQLite, PostgreSQL, MariaDB and MariaDB limited to MySQL's features
// (testdb.MySQLFeatures: no RETURNING, so the flush takes MySQL's path) with a fresh
// database, the models registered by register, and their tables created.
func eachDB(t *testing.T, register func(reg *Registry) error, fn func(e *env)) {
	run := func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		c := &capture{}
		eng, err := engine.Create(ctx, tg.URL, engine.Echo(true), engine.WithLogger(slog.New(c)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		reg := NewRegistry()
		if err := register(reg); err != nil {
			t.Fatal(err)
		}
		if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
			t.Fatal(err)
		}
		c.take(true)
		fn(&env{t: t, target: tg, eng: eng, reg: reg, cap: c, ctx: ctx})
	}
	testdb.Each(t, run)
	t.Run(testdb.NameMySQLFeatures, func(t *testing.T) { run(t, testdb.MySQLFeatures(t)) })
}

// sql picks the expected text for the target's dialect: the mariadb text on both MariaDB
// targets.
func (e *env) sql(sqlite, postgres, mariadb string) string {
	switch e.target.Name {
	case testdb.NamePostgres:
		return postgres
	case testdb.NameMariaDB, testdb.NameMySQLFeatures:
		return mariadb
	}
	return sqlite
}

// sqlf is sql with the chosen text formatted with args (fmt verbs), for statements
// carrying keys the database generated: never assume 1, 2, 3 (a Galera cluster steps
// generated keys by its node count).
func (e *env) sqlf(sqlite, postgres, mariadb string, args ...any) string {
	return fmt.Sprintf(e.sql(sqlite, postgres, mariadb), args...)
}

// mysql reports whether the target is MariaDB limited to MySQL's features, where
// flushes write new rows without RETURNING.
func (e *env) mysql() bool { return e.target.Name == testdb.NameMySQLFeatures }

// expect checks the statements recorded since the last check.
func (e *env) expect(want ...string) {
	e.t.Helper()
	got := e.cap.take(false)
	if len(got) != len(want) {
		e.t.Errorf("%d statements, want %d:\n  got:  %s\n  want: %s", len(got), len(want), strings.Join(got, "\n        "), strings.Join(want, "\n        "))
		return
	}
	for i := range want {
		if got[i] != want[i] {
			e.t.Errorf("statement %d:\n  got:  %s\n  want: %s", i, got[i], want[i])
		}
	}
}

func ptr[T any](v T) *T { return &v }

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }
