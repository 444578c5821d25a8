package engine

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// ids returns the ids of table items in order.
func ids(t testing.TB, c *Conn) []int64 {
	t.Helper()
	var out []int64
	for _, v := range mustQuery(t, c, "SELECT id FROM items ORDER BY id", []compile.ResultColumn{col("id", types.Integer())}).Scalars().All() {
		out = append(out, v.(int64))
	}
	return out
}

func insertItem(t testing.TB, c *Conn, id int64) {
	t.Helper()
	mustExec(t, c, "INSERT INTO items (id, name) VALUES (?, ?)", id, "n"+strconv.FormatInt(id, 10))
}

func TestTransactions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg)
		c := connect(t, eng)
		other := connect(t, eng)
		createItems(t, c, 0)
		ctx := t.Context()

		// Commit keeps the data.
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !c.InTransaction() || !tx.IsActive() || tx.IsNested() {
			t.Errorf("after Begin: InTransaction %v IsActive %v IsNested %v", c.InTransaction(), tx.IsActive(), tx.IsNested())
		}
		if _, err := c.Begin(ctx); !errors.Is(err, ErrTxActive) {
			t.Errorf("second Begin: %v, want ErrTxActive", err)
		}
		insertItem(t, c, 1)
		if err := tx.Commit(ctx); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if err := tx.Commit(ctx); !errors.Is(err, ErrClosed) {
			t.Errorf("second Commit: %v, want ErrClosed", err)
		}
		if err := tx.Rollback(ctx); !errors.Is(err, ErrClosed) {
			t.Errorf("Rollback after Commit: %v, want ErrClosed", err)
		}
		if got := ids(t, other); !reflect.DeepEqual(got, []int64{1}) {
			t.Errorf("after commit, other connection sees %v, want [1]", got)
		}

		// Rollback removes it.
		tx, _ = c.Begin(ctx)
		insertItem(t, c, 2)
		if got := ids(t, c); !reflect.DeepEqual(got, []int64{1, 2}) {
			t.Errorf("inside tx: %v", got)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		if got := ids(t, c); !reflect.DeepEqual(got, []int64{1}) {
			t.Errorf("after rollback: %v, want [1]", got)
		}
		if c.InTransaction() {
			t.Errorf("InTransaction after Rollback")
		}

		// Nested savepoints: tx{3, sp1{4, sp2{5} rolled back, sp3{6} released} released}.
		tx, _ = c.Begin(ctx, Isolation("SERIALIZABLE"))
		insertItem(t, c, 3)
		sp1, err := tx.BeginNested(ctx)
		if err != nil {
			t.Fatalf("BeginNested: %v", err)
		}
		if !sp1.IsNested() {
			t.Errorf("savepoint not nested")
		}
		if _, err := tx.BeginNested(ctx); err == nil {
			t.Errorf("BeginNested on a non-innermost transaction succeeded")
		}
		insertItem(t, c, 4)
		sp2, err := sp1.BeginNested(ctx)
		if err != nil {
			t.Fatal(err)
		}
		insertItem(t, c, 5)
		if err := sp2.Rollback(ctx); err != nil {
			t.Fatalf("rollback sp2: %v", err)
		}
		if got := ids(t, c); !reflect.DeepEqual(got, []int64{1, 3, 4}) {
			t.Errorf("after rolling back sp2: %v, want [1 3 4]", got)
		}
		sp3, err := sp1.BeginNested(ctx)
		if err != nil {
			t.Fatal(err)
		}
		insertItem(t, c, 6)
		if err := sp3.Commit(ctx); err != nil {
			t.Fatalf("release sp3: %v", err)
		}
		if err := sp1.Commit(ctx); err != nil {
			t.Fatalf("release sp1: %v", err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatalf("commit: %v", err)
		}
		if got := ids(t, other); !reflect.DeepEqual(got, []int64{1, 3, 4, 6}) {
			t.Errorf("after nested commit: %v, want [1 3 4 6]", got)
		}

		// Rolling back the outer transaction undoes released savepoints and ends open ones.
		tx, _ = c.Begin(ctx)
		sp1, _ = tx.BeginNested(ctx)
		insertItem(t, c, 7)
		sp2, _ = sp1.BeginNested(ctx)
		insertItem(t, c, 8)
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if sp1.IsActive() || sp2.IsActive() {
			t.Errorf("savepoints still active after outer rollback")
		}
		if err := sp2.Commit(ctx); !errors.Is(err, ErrClosed) {
			t.Errorf("commit of ended savepoint: %v", err)
		}
		if got := ids(t, other); !reflect.DeepEqual(got, []int64{1, 3, 4, 6}) {
			t.Errorf("after outer rollback: %v, want [1 3 4 6]", got)
		}

		// Rolling back to an outer savepoint ends the inner ones too.
		tx, _ = c.Begin(ctx)
		sp1, _ = tx.BeginNested(ctx)
		insertItem(t, c, 9)
		sp2, _ = sp1.BeginNested(ctx)
		insertItem(t, c, 10)
		if err := sp1.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if sp2.IsActive() {
			t.Errorf("inner savepoint active after rolling back the outer one")
		}
		insertItem(t, c, 11)
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := ids(t, other); !reflect.DeepEqual(got, []int64{1, 3, 4, 6, 11}) {
			t.Errorf("after savepoint rollback: %v, want [1 3 4 6 11]", got)
		}

		// Closing a Conn with an open transaction rolls it back.
		c2, err := eng.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c2.Begin(ctx); err != nil {
			t.Fatal(err)
		}
		insertItem(t, c2, 12)
		if err := c2.Close(); err != nil {
			t.Fatal(err)
		}
		if got := ids(t, other); !reflect.DeepEqual(got, []int64{1, 3, 4, 6, 11}) {
			t.Errorf("after Close with open tx: %v, want [1 3 4 6 11]", got)
		}
	})
}

var errBoom = errors.New("boom")

func TestScopedTransactions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg)
		c := connect(t, eng)
		createItems(t, c, 0)
		ctx := t.Context()

		// Engine.Begin commits on nil.
		err := eng.Begin(ctx, func(ctx context.Context, c *Conn) error {
			if !c.InTransaction() {
				t.Errorf("not in a transaction inside Begin")
			}
			insertItem(t, c, 1)
			return nil
		})
		if err != nil {
			t.Fatalf("Begin: %v", err)
		}
		// ... rolls back on error and returns it.
		err = eng.Begin(ctx, func(ctx context.Context, c *Conn) error {
			insertItem(t, c, 2)
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Errorf("Begin returned %v, want errBoom", err)
		}
		// ... rolls back on panic and lets the panic continue.
		func() {
			defer func() {
				if r := recover(); r != "kaboom" {
					t.Errorf("recovered %v, want kaboom", r)
				}
			}()
			_ = eng.Begin(ctx, func(ctx context.Context, c *Conn) error {
				insertItem(t, c, 3)
				panic("kaboom")
			})
			t.Errorf("Begin returned after a panic")
		}()
		if got := ids(t, c); !reflect.DeepEqual(got, []int64{1}) {
			t.Errorf("after scoped begins: %v, want [1]", got)
		}
		if got := eng.Stats().InUse; got != 1 {
			t.Errorf("InUse = %d, want 1 (only the test's own Conn)", got)
		}

		// Conn.Transaction with Nested inside: the failed savepoint is undone, the rest
		// commits.
		err = c.Transaction(ctx, func(ctx context.Context, c *Conn) error {
			insertItem(t, c, 4)
			if err := c.Transaction(ctx, func(context.Context, *Conn) error { return nil }); !errors.Is(err, ErrTxActive) {
				t.Errorf("Transaction inside Transaction: %v, want ErrTxActive", err)
			}
			err := c.Nested(ctx, func(ctx context.Context, c *Conn) error {
				insertItem(t, c, 5)
				return c.Nested(ctx, func(ctx context.Context, c *Conn) error {
					insertItem(t, c, 6)
					return nil
				})
			})
			if err != nil {
				return err
			}
			err = c.Nested(ctx, func(ctx context.Context, c *Conn) error {
				insertItem(t, c, 7)
				return errBoom
			})
			if !errors.Is(err, errBoom) {
				t.Errorf("Nested returned %v, want errBoom", err)
			}
			func() {
				defer func() { _ = recover() }()
				_ = c.Nested(ctx, func(ctx context.Context, c *Conn) error {
					insertItem(t, c, 8)
					panic("inner")
				})
			}()
			return nil
		})
		if err != nil {
			t.Fatalf("Transaction: %v", err)
		}
		if got := ids(t, c); !reflect.DeepEqual(got, []int64{1, 4, 5, 6}) {
			t.Errorf("after nested scopes: %v, want [1 4 5 6]", got)
		}
		if err := c.Nested(ctx, func(context.Context, *Conn) error { return nil }); !errors.Is(err, ErrNoTx) {
			t.Errorf("Nested outside a transaction: %v, want ErrNoTx", err)
		}

		// A statement error inside the scope rolls everything back.
		err = c.Transaction(ctx, func(ctx context.Context, c *Conn) error {
			insertItem(t, c, 9)
			_, err := exec(ctx, c, "INSERT INTO items (id, name) VALUES (?, ?)", int64(1), "dup")
			return err
		})
		if !errors.Is(err, ErrIntegrity) {
			t.Errorf("Transaction returned %v, want an integrity error", err)
		}
		if got := ids(t, c); !reflect.DeepEqual(got, []int64{1, 4, 5, 6}) {
			t.Errorf("after failed transaction: %v, want [1 4 5 6]", got)
		}
	})
}

// TestIsolationLevel checks the engine default and the per-transaction isolation level on
// PostgreSQL, which reports the level of the running transaction.
func TestIsolationLevel(t *testing.T) {
	tg := testdb.Postgres(t)
	eng := openEngine(t, tg, IsolationLevel("repeatable read"))
	c := connect(t, eng)
	level := func() string {
		v, err := mustQuery(t, c, "SELECT current_setting('transaction_isolation')",
			[]compile.ResultColumn{col("level", types.Text())}).ScalarOne()
		if err != nil {
			t.Fatal(err)
		}
		return v.(string)
	}
	if got := level(); got != "read committed" {
		t.Errorf("outside a transaction: %q, want the server default \"read committed\"", got)
	}
	err := c.Transaction(t.Context(), func(ctx context.Context, c *Conn) error {
		if got := level(); got != "repeatable read" {
			t.Errorf("engine default: %q, want \"repeatable read\"", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Transaction(t.Context(), func(ctx context.Context, c *Conn) error {
		if got := level(); got != "serializable" {
			t.Errorf("Isolation option: %q, want \"serializable\"", got)
		}
		return nil
	}, Isolation("SERIALIZABLE"))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := c.Begin(t.Context(), ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	_, err = exec(t.Context(), c, "CREATE TABLE nope (id INTEGER)")
	if err == nil {
		t.Errorf("CREATE TABLE in a read-only transaction succeeded")
	}
	_ = tx.Rollback(t.Context())
}
