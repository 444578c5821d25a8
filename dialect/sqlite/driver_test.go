package sqlite

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/internal/drivertest"
	"github.com/retortdb/retort/internal/testdb"
)

// fileConfig returns the Config of a fresh database file from testdb.
func fileConfig(t *testing.T) dialect.Config {
	t.Helper()
	tg := testdb.SQLite(t)
	u, err := url.Parse(tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	return dialect.Config{Scheme: "sqlite", Database: strings.TrimPrefix(u.Path, "/"), Query: u.Query()}
}

func open(t *testing.T, cfg dialect.Config) (dialect.Dialect, dialect.Pool) {
	t.Helper()
	d, p, err := Driver{}.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return d, p
}

// Shared scaffolding (dialect/internal/drivertest).
var (
	acquire  = drivertest.Acquire
	exec     = drivertest.Exec
	queryOne = drivertest.QueryOne
)

func TestOpenFilePragmas(t *testing.T) {
	_, p := open(t, fileConfig(t))
	c1 := acquire(t, p)
	defer c1.Release(false)
	c2 := acquire(t, p) // a second connection gets the same settings
	defer c2.Release(false)
	for _, c := range []dialect.Conn{c1, c2} {
		if got := queryOne(t, c, "PRAGMA journal_mode")[0]; got != "wal" {
			t.Errorf("journal_mode = %v, want wal", got)
		}
		if got := queryOne(t, c, "PRAGMA foreign_keys")[0]; got != int64(1) {
			t.Errorf("foreign_keys = %v, want 1", got)
		}
		if got := queryOne(t, c, "PRAGMA busy_timeout")[0]; got != int64(5000) {
			t.Errorf("busy_timeout = %v, want 5000", got)
		}
	}
}

func TestOpenOptions(t *testing.T) {
	cfg := fileConfig(t)
	cfg.Query = url.Values{"timeout": {"1.5"}, "journal_mode": {"delete"}}
	_, p := open(t, cfg)
	c := acquire(t, p)
	defer c.Release(false)
	if got := queryOne(t, c, "PRAGMA busy_timeout")[0]; got != int64(1500) {
		t.Errorf("busy_timeout = %v, want 1500", got)
	}
	if got := queryOne(t, c, "PRAGMA journal_mode")[0]; got != "delete" {
		t.Errorf("journal_mode = %v, want delete", got)
	}

	for _, tc := range []struct {
		q    url.Values
		want string
	}{
		{url.Values{"bogus": {"1"}}, `sqlite: unknown URL option "bogus"`},
		{url.Values{"timeout": {"soon"}}, `sqlite: URL option timeout="soon" is not a number of seconds`},
		{url.Values{"journal_mode": {"fast"}}, `sqlite: URL option journal_mode="fast" is not a journal mode`},
		{url.Values{"txlock": {"now"}}, `sqlite: URL option txlock="now" is not one of immediate, deferred, exclusive`},
	} {
		cfg := fileConfig(t)
		cfg.Query = tc.q
		_, _, err := Driver{}.Open(t.Context(), cfg)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Open with %v: err %v, want %q", tc.q, err, tc.want)
		}
	}
	cfg = fileConfig(t)
	cfg.IsolationLevel = "read committed"
	if _, _, err := (Driver{}).Open(t.Context(), cfg); err == nil ||
		err.Error() != `sqlite: isolation level "READ COMMITTED" is not supported (SQLite has SERIALIZABLE and READ UNCOMMITTED)` {
		t.Errorf("Open with READ COMMITTED: %v", err)
	}
}

func TestOpenUnwritablePath(t *testing.T) {
	cfg := dialect.Config{Scheme: "sqlite", Database: filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")}
	_, _, err := Driver{}.Open(t.Context(), cfg)
	if err == nil || !strings.HasPrefix(err.Error(), "sqlite: open ") {
		t.Fatalf("Open of a path in a missing directory: %v", err)
	}
}

func TestMemoryDatabasePersists(t *testing.T) {
	for _, name := range []string{"", ":memory:"} {
		t.Run("db="+name, func(t *testing.T) {
			_, p := open(t, dialect.Config{Scheme: "sqlite", Database: name})
			c := acquire(t, p)
			exec(t, c, "CREATE TABLE t (x INTEGER)")
			exec(t, c, "INSERT INTO t VALUES (1)")
			c.Release(false)

			c = acquire(t, p)
			if got := queryOne(t, c, "SELECT count(*) FROM t")[0]; got != int64(1) {
				t.Fatalf("count after re-acquire = %v", got)
			}
			exec(t, c, "INSERT INTO t VALUES (2)")
			c.Release(true) // discarded: the database must survive

			c = acquire(t, p)
			defer c.Release(false)
			if got := queryOne(t, c, "SELECT count(*) FROM t")[0]; got != int64(2) {
				t.Fatalf("count after a discarded connection = %v", got)
			}
			if got := queryOne(t, c, "PRAGMA foreign_keys")[0]; got != int64(1) {
				t.Errorf("foreign_keys = %v, want 1", got)
			}
		})
	}
	// Two pools have two separate databases.
	t.Run("several connections", func(t *testing.T) {
		_, p := open(t, dialect.Config{Scheme: "sqlite"})
		held := acquire(t, p)
		defer held.Release(false)
		exec(t, held, "CREATE TABLE shared (x INTEGER)")
		other := acquire(t, p) // a second connection while the first is held
		defer other.Release(false)
		exec(t, other, "INSERT INTO shared VALUES (1)")
		if got := queryOne(t, held, "SELECT count(*) FROM shared")[0]; got != int64(1) {
			t.Fatalf("the held connection sees %v rows, want 1", got)
		}
	})
	_, p1 := open(t, dialect.Config{Scheme: "sqlite"})
	_, p2 := open(t, dialect.Config{Scheme: "sqlite"})
	c1 := acquire(t, p1)
	defer c1.Release(false)
	exec(t, c1, "CREATE TABLE only_in_one (x INTEGER)")
	c2 := acquire(t, p2)
	defer c2.Release(false)
	if _, err := c2.Exec(t.Context(), "SELECT * FROM only_in_one", nil); err == nil {
		t.Fatal("a second in-memory pool sees the first one's table")
	}
}

func TestPoolTimeout(t *testing.T) {
	_, p := open(t, dialect.Config{Scheme: "sqlite", Database: ":memory:", PoolSize: 1, PoolTimeout: 50 * time.Millisecond})
	c := acquire(t, p)
	start := time.Now()
	_, err := p.Acquire(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "pool timeout") {
		t.Fatalf("second Acquire on a one-connection pool: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Acquire waited %v", el)
	}
	c.Release(false)
	c = acquire(t, p) // free again
	c.Release(false)

	// The caller's own context ending is reported as such.
	c = acquire(t, p)
	defer c.Release(false)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := p.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with a cancelled context: %v", err)
	}
}

func TestPoolSizeAndPrePing(t *testing.T) {
	cfg := fileConfig(t)
	cfg.PoolSize, cfg.MaxOverflow, cfg.PoolTimeout, cfg.PoolPrePing = 1, 1, 50*time.Millisecond, true
	_, p := open(t, cfg)
	c1 := acquire(t, p)
	c2 := acquire(t, p)
	if _, err := p.Acquire(t.Context()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third Acquire with pool size 1 + overflow 1: %v", err)
	}
	c1.Release(false)
	c2.Release(true)
	c3 := acquire(t, p)
	defer c3.Release(false)
	if err := c3.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestExecLastInsertID: after an INSERT that inserted rows, Exec reports the rowid of the
// last one; after other statements (where SQLite would still report the previous
// insert's rowid) and an INSERT of no row, none.
func TestExecLastInsertID(t *testing.T) {
	_, p := open(t, fileConfig(t))
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TABLE li (id INTEGER PRIMARY KEY, v TEXT)")
	for _, tc := range []struct {
		sql  string
		rows int64
		id   int64
		has  bool
	}{
		{"INSERT INTO li (v) VALUES ('a')", 1, 1, true},
		{"INSERT INTO li (v) VALUES ('b'), ('c')", 2, 3, true},
		{"  insert into li (id, v) values (10, 'x')", 1, 10, true},
		{"REPLACE INTO li (id, v) VALUES (10, 'y')", 1, 10, true},
		{"UPDATE li SET v = 'z' WHERE id = 1", 1, 0, false},
		{"INSERT INTO li (v) SELECT v FROM li WHERE 0", 0, 0, false},
		{"DELETE FROM li WHERE id = 2", 1, 0, false},
	} {
		r, err := c.Exec(t.Context(), tc.sql, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if r != (dialect.ExecResult{RowsAffected: tc.rows, LastInsertID: tc.id, HasLastInsertID: tc.has}) {
			t.Errorf("%s: %+v, want %d rows, id %d (%v)", tc.sql, r, tc.rows, tc.id, tc.has)
		}
	}
}

func TestTransactionsAndSavepoints(t *testing.T) {
	_, p := open(t, fileConfig(t))
	c := acquire(t, p)
	defer c.Release(false)
	ctx := t.Context()
	exec(t, c, "CREATE TABLE t (x INTEGER)")

	if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	exec(t, c, "INSERT INTO t VALUES (1)")
	exec(t, c, "SAVEPOINT sp1")
	exec(t, c, "INSERT INTO t VALUES (2)")
	exec(t, c, "ROLLBACK TO SAVEPOINT sp1")
	exec(t, c, "RELEASE SAVEPOINT sp1")
	exec(t, c, "SAVEPOINT sp2")
	exec(t, c, "INSERT INTO t VALUES (3)")
	exec(t, c, "RELEASE SAVEPOINT sp2")
	if err := c.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := queryOne(t, c, "SELECT group_concat(x) FROM t")[0]; got != "1,3" {
		t.Fatalf("rows after commit = %v, want 1,3", got)
	}

	if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	exec(t, c, "DELETE FROM t")
	if err := c.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := queryOne(t, c, "SELECT count(*) FROM t")[0]; got != int64(2) {
		t.Fatalf("count after rollback = %v", got)
	}

	// Read-only transactions refuse writes; the connection is writable afterwards.
	if err := c.Begin(ctx, dialect.TxOptions{ReadOnly: true, IsolationLevel: "serializable"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO t VALUES (9)", nil); err == nil {
		t.Fatal("insert in a read-only transaction succeeded")
	}
	if err := c.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	exec(t, c, "INSERT INTO t VALUES (4)")

	if err := c.Begin(ctx, dialect.TxOptions{IsolationLevel: "READ_UNCOMMITTED"}); err != nil {
		t.Fatal(err)
	}
	if got := queryOne(t, c, "PRAGMA read_uncommitted")[0]; got != int64(1) {
		t.Errorf("read_uncommitted in the transaction = %v", got)
	}
	if err := c.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := queryOne(t, c, "PRAGMA read_uncommitted")[0]; got != int64(0) {
		t.Errorf("read_uncommitted after the transaction = %v", got)
	}
	if err := c.Begin(ctx, dialect.TxOptions{IsolationLevel: "REPEATABLE READ"}); err == nil ||
		!strings.Contains(err.Error(), `sqlite: isolation level "REPEATABLE READ" is not supported`) {
		t.Fatalf("Begin REPEATABLE READ: %v", err)
	}
}

func TestReleaseRollsBackOpenTransaction(t *testing.T) {
	_, p := open(t, dialect.Config{Scheme: "sqlite"})
	c := acquire(t, p)
	exec(t, c, "CREATE TABLE t (x INTEGER)")
	if err := c.Begin(t.Context(), dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	exec(t, c, "INSERT INTO t VALUES (1)")
	c.Release(false)
	c = acquire(t, p)
	defer c.Release(false)
	if got := queryOne(t, c, "SELECT count(*) FROM t")[0]; got != int64(0) {
		t.Fatalf("count = %v: the abandoned transaction was not rolled back", got)
	}
	// And a new transaction can start on the reused connection.
	if err := c.Begin(t.Context(), dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// slowQuery runs for a long time in SQLite's VM.
const slowQuery = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c`

func TestCancelStopsQuery(t *testing.T) {
	_, p := open(t, fileConfig(t))
	c := acquire(t, p)
	defer c.Release(false)
	for _, op := range []string{"query", "exec"} {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		start := time.Now()
		var err error
		if op == "query" {
			var r dialect.Rows
			r, err = c.Query(ctx, slowQuery, nil)
			if err == nil {
				for r.Next() {
				}
				err = r.Err()
				r.Close()
			}
		} else {
			_, err = c.Exec(ctx, slowQuery, nil)
		}
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: err = %v, want context.DeadlineExceeded", op, err)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Fatalf("%s: returned after %v", op, el)
		}
		if got := queryOne(t, c, "SELECT 42")[0]; got != int64(42) {
			t.Fatalf("%s: connection unusable after cancellation: %v", op, got)
		}
	}
}

func TestConcurrentWritersWait(t *testing.T) {
	_, p := open(t, fileConfig(t))
	c := acquire(t, p)
	exec(t, c, "CREATE TABLE t (x INTEGER)")
	c.Release(false)
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			c, err := p.Acquire(t.Context())
			if err != nil {
				errs <- err
				return
			}
			defer c.Release(false)
			if err := c.Begin(t.Context(), dialect.TxOptions{}); err != nil {
				errs <- err
				return
			}
			if _, err := c.Exec(t.Context(), "INSERT INTO t VALUES (?)", []any{int64(i)}); err != nil {
				c.Rollback(t.Context())
				errs <- err
				return
			}
			errs <- c.Commit(t.Context())
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	c = acquire(t, p)
	defer c.Release(false)
	if got := queryOne(t, c, "SELECT count(*) FROM t")[0]; got != int64(n) {
		t.Fatalf("count = %v", got)
	}
}

// TestBeginImmediate checks the BEGIN of each kind of transaction: one that may write
// takes the write lock at once (a second writer waits for it, here failing after a short
// busy timeout with a classified busy error), a read-only one does not, and txlock=deferred
// makes writing transactions deferred again.
func TestBeginImmediate(t *testing.T) {
	cfg := fileConfig(t)
	d, holder := open(t, cfg)
	impatient := cfg
	impatient.Query = url.Values{"timeout": {"0.1"}}
	_, other := open(t, impatient)
	deferredCfg := cfg
	deferredCfg.Query = url.Values{"txlock": {"deferred"}, "timeout": {"0.1"}}
	_, deferredPool := open(t, deferredCfg)
	ctx := t.Context()

	a, err := holder.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release(false)
	if err := a.Begin(ctx, dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := other.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release(false)
	err = d.ClassifyError(b.Begin(ctx, dialect.TxOptions{}))
	var re *dialect.RetryableError
	if !errors.As(err, &re) || re.Kind != dialect.Busy {
		t.Errorf("second writing transaction while the first holds the lock: %v, want a busy error", err)
	}
	if err := b.Begin(ctx, dialect.TxOptions{ReadOnly: true}); err != nil {
		t.Errorf("read-only transaction while a writer holds the lock: %v", err)
	} else if err := b.Rollback(ctx); err != nil {
		t.Error(err)
	}
	c, err := deferredPool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release(false)
	if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
		t.Errorf("deferred BEGIN while a writer holds the lock: %v", err)
	} else if err := c.Rollback(ctx); err != nil {
		t.Error(err)
	}
	if err := a.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Begin(ctx, dialect.TxOptions{}); err != nil {
		t.Errorf("writing transaction once the lock is free: %v", err)
	} else if err := b.Rollback(ctx); err != nil {
		t.Error(err)
	}
}
