package engine

import (
	"errors"
	"testing"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
)

// TestCommitWith: the last statement of a transaction and its COMMIT, in one round trip on
// PostgreSQL (with BEGIN when the transaction has sent nothing), and as Execute then Commit
// elsewhere; a failing statement or COMMIT commits nothing and leaves the Conn usable.
func TestCommitWith(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ptg, rt := testdb.Proxy(t, tg)
		eng := openEngine(t, ptg)
		c := connect(t, eng)
		other := connect(t, eng)
		createItems(t, c, 0)
		ctx := t.Context()
		ins := func(id int64, name string) expr.Statement {
			return expr.Text("INSERT INTO items (id, name) VALUES (:id, :name)", expr.Param("id", id), expr.Param("name", name))
		}
		commitWith := func(stmt expr.Statement) (*Result, error) {
			tx, err := c.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			res, err := tx.CommitWith(ctx, stmt)
			if tx.IsActive() || c.InTransaction() {
				t.Errorf("after CommitWith (err %v) the transaction is still active", err)
			}
			return res, err
		}
		// Warm-up: the statement's first use prepares it on PostgreSQL.
		if _, err := commitWith(ins(1, "one")); err != nil {
			t.Fatal(err)
		}
		rt.Take()
		res, err := commitWith(ins(2, "two"))
		if err != nil || res.RowsAffected() != 1 {
			t.Fatalf("CommitWith: %v, %d rows", err, res.RowsAffected())
		}
		if n := rt.Take(); tg.Name == testdb.NamePostgres && n != 1 {
			t.Errorf("BEGIN, INSERT and COMMIT took %d round trips, want 1", n)
		}
		if got := ids(t, other); len(got) != 2 {
			t.Fatalf("rows seen by another connection: %v", got)
		}
		// A statement that fails commits nothing: not itself, nor what ran before it.
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Execute(ctx, ins(3, "three")); err != nil {
			t.Fatal(err)
		}
		_, err = tx.CommitWith(ctx, ins(4, "one"))
		var ie *IntegrityError
		if !errors.As(err, &ie) || ie.Kind != UniqueViolation {
			t.Fatalf("CommitWith of a duplicate: %v", err)
		}
		if tx.IsActive() || c.InTransaction() {
			t.Error("the failed transaction is still active")
		}
		if got := ids(t, other); len(got) != 2 {
			t.Errorf("after the failed CommitWith: %v", got)
		}
		// The Conn goes on.
		if _, err := commitWith(ins(5, "five")); err != nil {
			t.Fatalf("CommitWith after a failure: %v", err)
		}
		// A savepoint is released the ordinary way.
		tx, err = c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := tx.BeginNested(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sp.CommitWith(ctx, ins(6, "six")); err != nil || sp.IsActive() || !tx.IsActive() {
			t.Fatalf("CommitWith of a savepoint: %v, savepoint active %v, outer %v", err, sp.IsActive(), tx.IsActive())
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := ids(t, other); len(got) != 4 || got[3] != 6 {
			t.Errorf("rows at the end: %v", got)
		}
	})
}

// TestCommitWithFailedCommit: a COMMIT that fails after the statement succeeded (a
// deferred foreign key, PostgreSQL) commits nothing.
func TestCommitWithFailedCommit(t *testing.T) {
	tg := testdb.Postgres(t)
	eng := openEngine(t, tg)
	c := connect(t, eng)
	ctx := t.Context()
	mustExec(t, c, "CREATE TABLE tree (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES tree (id) DEFERRABLE INITIALLY DEFERRED)")
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.CommitWith(ctx, expr.Text("INSERT INTO tree (id, parent) VALUES (1, 99)"))
	var ie *IntegrityError
	if !errors.As(err, &ie) || ie.Kind != ForeignKeyViolation {
		t.Fatalf("CommitWith with a deferred violation: %v", err)
	}
	if tx.IsActive() {
		t.Error("the transaction is still active")
	}
	if n := count(t, c, "tree"); n != 0 {
		t.Errorf("%d rows committed", n)
	}
}

// TestCommitWithExecModes: in the exec modes that do not prepare statements, CommitWith is
// Execute then Commit, with the same outcome.
func TestCommitWithExecModes(t *testing.T) {
	for _, mode := range []string{"exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			tg := testdb.Postgres(t)
			tg.URL += "?default_query_exec_mode=" + mode
			eng := openEngine(t, tg)
			c := connect(t, eng)
			createItems(t, c, 0)
			ctx := t.Context()
			for i, name := range []string{"one", "one"} {
				tx, err := c.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				_, err = tx.CommitWith(ctx, expr.Text("INSERT INTO items (id, name) VALUES (:id, :name)", expr.Param("id", int64(i+1)), expr.Param("name", name)))
				if (err != nil) != (i == 1) || tx.IsActive() {
					t.Errorf("CommitWith %d: %v, active %v", i, err, tx.IsActive())
				}
			}
			if got := ids(t, c); len(got) != 1 || got[0] != 1 {
				t.Errorf("rows %v", got)
			}
		})
	}
}
