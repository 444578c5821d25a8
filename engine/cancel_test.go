package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// slowQuery returns a query that runs for about ten seconds or more on tg's database.
func slowQuery(name string) string {
	switch name {
	case testdb.NamePostgres:
		return "SELECT 1 FROM pg_sleep(10)"
	case testdb.NameMariaDB:
		return "SELECT SLEEP(10)"
	}
	return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c"
}

// runningSlowQueries counts the server sessions still running slowQuery (0 on SQLite).
func runningSlowQueries(t *testing.T, c *Conn, name string) int64 {
	t.Helper()
	var sql string
	switch name {
	case testdb.NamePostgres:
		sql = "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(10)%' AND state = 'active' AND pid <> pg_backend_pid()"
	case testdb.NameMariaDB:
		sql = "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(10)%'"
	default:
		return 0
	}
	v, err := mustQuery(t, c, sql, []compile.ResultColumn{col("n", types.BigInt())}).ScalarOne()
	if err != nil {
		t.Fatal(err)
	}
	return v.(int64)
}

func TestCancel(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg, PoolSize(2))
		c := connect(t, eng)
		createItems(t, c, 3)
		watcher := connect(t, eng)
		slow := slowQuery(tg.Name)
		one := []compile.ResultColumn{col("x", types.BigInt())}

		check := func(what string, err error, start time.Time) {
			t.Helper()
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("%s: returned after %v, want < 2s", what, d)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s: err = %v, want context.DeadlineExceeded", what, err)
			}
			var se *StatementError
			if !errors.As(err, &se) || se.SQL != slow {
				t.Errorf("%s: err = %v, want a StatementError carrying the SQL", what, err)
			}
		}
		waitServerIdle := func(what string) {
			t.Helper()
			deadline := time.Now().Add(3 * time.Second)
			for runningSlowQueries(t, watcher, tg.Name) > 0 {
				if time.Now().After(deadline) {
					t.Errorf("%s: the query is still running on the server", what)
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}

		// Outside a transaction: the Conn discards its connection and takes a fresh one.
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		start := time.Now()
		_, err := query(ctx, c, slow, one)
		cancel()
		check("autocommit", err, start)
		waitServerIdle("autocommit")
		if got := count(t, c, "items"); got != 3 {
			t.Errorf("after cancel: count = %d, want 3", got)
		}

		// Inside a transaction: the transaction is lost; statements fail with
		// ErrTxInvalid until Rollback, after which the Conn works again.
		tx, err := c.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, c, "DELETE FROM items")
		ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
		start = time.Now()
		_, err = query(ctx, c, slow, one)
		cancel()
		check("in transaction", err, start)
		if _, err := query(t.Context(), c, "SELECT 1", one); !errors.Is(err, ErrTxInvalid) {
			t.Errorf("statement after a lost transaction: %v, want ErrTxInvalid", err)
		}
		if err := tx.Commit(t.Context()); !errors.Is(err, ErrTxInvalid) {
			t.Errorf("Commit of a lost transaction: %v, want ErrTxInvalid", err)
		}
		if err := tx.Rollback(t.Context()); err != nil {
			t.Errorf("Rollback of a lost transaction: %v", err)
		}
		waitServerIdle("in transaction")
		if got := count(t, c, "items"); got != 3 {
			t.Errorf("the lost transaction's DELETE was kept: count = %d, want 3", got)
		}

		// Cancelling a stream.
		ctx, cancel = context.WithTimeout(t.Context(), 100*time.Millisecond)
		start = time.Now()
		var streamErr error
		for _, err := range streamRaw(ctx, c, slow, one) {
			streamErr = err
		}
		cancel()
		check("stream", streamErr, start)
		waitServerIdle("stream")
		if c.InTransaction() {
			t.Errorf("cancelled stream left a transaction open")
		}

		// An already-cancelled context fails at once without touching the connection.
		ctx, cancel = context.WithCancel(t.Context())
		cancel()
		if _, err := query(ctx, c, "SELECT 1", one); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled ctx: %v", err)
		}

		// Nothing leaked: only the two test Conns hold connections, and the pool of two
		// still serves new connections.
		if got := count(t, c, "items"); got != 3 {
			t.Errorf("count = %d, want 3", got)
		}
		if got := eng.Stats().InUse; got != 2 {
			t.Errorf("InUse = %d, want 2", got)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ {
			c2 := connect(t, eng)
			if got := count(t, c2, "items"); got != 3 {
				t.Errorf("count = %d", got)
			}
			c2.Close()
		}
		if got := eng.Stats().InUse; got != 1 {
			t.Errorf("InUse = %d after closing, want 1", got)
		}
	})
}

func TestConcurrentUse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg, PoolSize(5), MaxOverflow(5))
		setup := connect(t, eng)
		createItems(t, setup, 20)
		setup.Close()

		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for g := 0; g < 20; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 10; i++ {
					c, err := eng.Connect(t.Context())
					if err != nil {
						errs <- err
						return
					}
					id := int64((g+i)%20 + 1)
					res, err := query(t.Context(), c, "SELECT id, name, score FROM items WHERE id = ?", itemCols, id)
					if err == nil {
						var row Row
						if row, err = res.One(); err == nil && row.Get(1) != fmt.Sprintf("item%d", id) {
							err = fmt.Errorf("row %v for id %d", row.Values(), id)
						}
					}
					if err == nil && i%3 == 0 {
						err = c.Transaction(t.Context(), func(ctx context.Context, c *Conn) error {
							_, err := exec(ctx, c, "UPDATE items SET score = score WHERE id = ?", id)
							return err
						})
					}
					c.Close()
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got := eng.Stats().InUse; got != 0 {
			t.Errorf("InUse = %d after all goroutines closed their Conns", got)
		}

		// Two goroutines sharing one Conn get ErrBusy instead of corrupting it.
		c := connect(t, eng)
		var busy, ok int
		var mu sync.Mutex
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					_, err := query(t.Context(), c, "SELECT id, name, score FROM items", itemCols)
					mu.Lock()
					switch {
					case err == nil:
						ok++
					case errors.Is(err, ErrBusy):
						busy++
					default:
						t.Errorf("shared Conn: %v", err)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if ok == 0 || ok+busy != 160 {
			t.Errorf("shared Conn: %d ok, %d busy", ok, busy)
		}
	})
}

// TestPoolTimeout checks that Connect on an exhausted pool gives up after PoolTimeout.
func TestPoolTimeout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg, PoolSize(1), MaxOverflow(0), PoolTimeout(200*time.Millisecond), PoolPrePing(true),
			PoolRecycle(time.Minute))
		held := connect(t, eng)
		if got := count(t, held, "(SELECT 1 AS x) AS one"); got != 1 {
			t.Fatalf("count = %d", got)
		}
		start := time.Now()
		c, err := eng.Connect(t.Context())
		if err == nil {
			c.Close()
			t.Fatalf("Connect on an exhausted pool succeeded")
		}
		if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
			t.Errorf("Connect gave up after %v, want about 200ms", d)
		}
		if !strings.HasPrefix(err.Error(), "engine: acquire connection: ") {
			t.Errorf("error %q", err)
		}
		held.Close()
		c = connect(t, eng)
		if got := count(t, c, "(SELECT 1 AS x) AS one"); got != 1 {
			t.Errorf("count after release = %d", got)
		}
	})
}
