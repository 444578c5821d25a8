package engine

import (
	"errors"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// killer ends the server connection of a Conn from another connection, as an
// administrator or a server restart would.
type killer struct {
	idSQL   string // returns the connection's server id
	killSQL string // ends the connection with the given id
}

var killers = map[string]killer{
	testdb.NamePostgres: {"SELECT pg_backend_pid()", "SELECT pg_terminate_backend(?, 10000)"},
	testdb.NameMariaDB:  {"SELECT CONNECTION_ID()", "KILL CONNECTION ?"},
}

func (k killer) kill(t *testing.T, admin, victim *Conn) {
	t.Helper()
	id, err := mustQuery(t, victim, k.idSQL, []compile.ResultColumn{col("id", types.BigInt())}).ScalarOne()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec(t.Context(), admin, k.killSQL, id); err != nil {
		t.Fatalf("kill %v: %v", id, err)
	}
}

func wantLost(t *testing.T, what string, err error) {
	t.Helper()
	var le *ConnectionLostError
	if !errors.Is(err, ErrConnectionLost) || !errors.As(err, &le) {
		t.Errorf("%s: %v, want a lost connection", what, err)
	}
}

// TestConnectionLost ends a Conn's server connection in the middle of a transaction,
// before COMMIT, and outside a transaction, and checks that the failing operation
// reports ErrConnectionLost, that Rollback succeeds, that nothing of the transaction was
// committed, and that the same Conn works again on a fresh connection.
func TestConnectionLost(t *testing.T) {
	testdb.EachServer(t, func(t *testing.T, tg testdb.Target) {
		k := killers[tg.Name]
		eng := openEngine(t, tg, PoolSize(4))
		ctx := t.Context()
		admin := connect(t, eng)
		mustExec(t, admin, "CREATE TABLE lost (id INTEGER PRIMARY KEY)")
		c := connect(t, eng)

		// A statement in a transaction.
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, c, "INSERT INTO lost (id) VALUES (1)")
		k.kill(t, admin, c)
		_, err = exec(ctx, c, "INSERT INTO lost (id) VALUES (2)")
		wantLost(t, "statement after the kill", err)
		if _, err := exec(ctx, c, "INSERT INTO lost (id) VALUES (3)"); !errors.Is(err, ErrTxInvalid) {
			t.Errorf("statement in the lost transaction: %v, want ErrTxInvalid", err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Errorf("Rollback after the lost connection: %v", err)
		}
		mustExec(t, c, "INSERT INTO lost (id) VALUES (10)")

		// COMMIT on a lost connection.
		tx, err = c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, c, "INSERT INTO lost (id) VALUES (4)")
		k.kill(t, admin, c)
		err = tx.Commit(ctx)
		wantLost(t, "COMMIT after the kill", err)
		if IsRetryable(err) {
			t.Errorf("a lost COMMIT is reported retryable: %v", err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Errorf("Rollback after the failed COMMIT: %v", err)
		}
		mustExec(t, c, "INSERT INTO lost (id) VALUES (11)")

		// Outside a transaction.
		k.kill(t, admin, c)
		_, err = exec(ctx, c, "INSERT INTO lost (id) VALUES (5)")
		wantLost(t, "autocommit statement after the kill", err)
		mustExec(t, c, "INSERT INTO lost (id) VALUES (12)")

		// Savepoint inside a lost transaction: Rollback of both succeeds.
		tx, err = c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := tx.BeginNested(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, c, "INSERT INTO lost (id) VALUES (6)")
		k.kill(t, admin, c)
		_, err = exec(ctx, c, "INSERT INTO lost (id) VALUES (7)")
		wantLost(t, "statement in a savepoint after the kill", err)
		if err := sp.Rollback(ctx); err != nil {
			t.Errorf("savepoint Rollback: %v", err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Errorf("Rollback: %v", err)
		}

		// Nothing half-committed; the Conn works.
		res := mustQuery(t, c, "SELECT id FROM lost ORDER BY id", []compile.ResultColumn{col("id", types.BigInt())})
		var ids []int64
		for row := range res.Rows() {
			ids = append(ids, row.Get(0).(int64))
		}
		if len(ids) != 3 || ids[0] != 10 || ids[1] != 11 || ids[2] != 12 {
			t.Errorf("rows %v, want [10 11 12]", ids)
		}
	})
}
