package postgres

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/internal/drivertest"
	"github.com/retortdb/retort/internal/testdb"
)

// config returns the Config of a fresh database from testdb (skips without a server).
func config(t *testing.T) dialect.Config {
	t.Helper()
	return urlConfig(t, testdb.Postgres(t).URL)
}

func urlConfig(t testing.TB, raw string) dialect.Config {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal("bad test URL")
	}
	cfg := dialect.Config{Scheme: "postgresql", Host: u.Hostname(), Database: strings.TrimPrefix(u.Path, "/"), Query: u.Query()}
	if p := u.Port(); p != "" {
		cfg.Port, _ = strconv.Atoi(p)
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	if cfg.Query.Get("sslmode") == "" {
		cfg.Query.Set("sslmode", "disable")
	}
	return cfg
}

func open(t *testing.T, cfg dialect.Config) (dialect.Dialect, *pool) {
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
	return d, p.(*pool)
}

// Shared scaffolding (dialect/internal/drivertest).
var (
	acquire  = drivertest.Acquire
	exec     = drivertest.Exec
	queryOne = drivertest.QueryOne
)

func TestOpenPoolSettings(t *testing.T) {
	cfg := config(t)
	// The pool timeout also bounds connecting: generous enough for a loaded machine.
	cfg.PoolSize, cfg.MaxOverflow, cfg.PoolRecycle, cfg.PoolTimeout = 2, 1, time.Hour, 2*time.Second
	cfg.Query.Set("application_name", "retort-test")
	_, p := open(t, cfg)
	pc := p.p.Config()
	if pc.MaxConns != 3 || pc.MaxConnLifetime != time.Hour {
		t.Errorf("MaxConns %d, MaxConnLifetime %v; want 3, 1h", pc.MaxConns, pc.MaxConnLifetime)
	}
	conns := []dialect.Conn{acquire(t, p), acquire(t, p), acquire(t, p)}
	if got := queryOne(t, conns[0], "SELECT current_setting('application_name'), current_database()"); got[0] != "retort-test" || got[1] != cfg.Database {
		t.Errorf("session = %v", got)
	}
	// t.Context() does not end: only the pool timeout can end this wait.
	_, err := p.Acquire(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "pool timeout (2s)") {
		t.Fatalf("fourth Acquire with 2+1 connections: %v", err)
	}
	for _, c := range conns {
		c.Release(false)
	}
	c := acquire(t, p)
	if err := c.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	c.Release(false)
}

// TestExecNoLastInsertID: PostgreSQL has no last insert id; Exec reports rows affected only.
func TestExecNoLastInsertID(t *testing.T) {
	_, p := open(t, config(t))
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TABLE li (id BIGSERIAL PRIMARY KEY, v TEXT)")
	r, err := c.Exec(t.Context(), "INSERT INTO li (v) VALUES ('a'), ('b')", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r != (dialect.ExecResult{RowsAffected: 2}) {
		t.Errorf("INSERT: %+v, want 2 rows and no last insert id", r)
	}
}

func TestPrePing(t *testing.T) {
	cfg := config(t)
	cfg.PoolPrePing, cfg.PoolSize = true, 1
	_, p := open(t, cfg)
	c := acquire(t, p)
	pid := queryOne(t, c, "SELECT pg_backend_pid()")[0]
	c.Release(false)
	// Kill the pooled connection's backend from outside: the pre-ping must notice and
	// hand out a fresh connection instead of a dead one.
	killer := acquireExtra(t, cfg)
	exec(t, killer, "SELECT pg_terminate_backend($1)", pid)
	c = acquire(t, p)
	defer c.Release(false)
	if got := queryOne(t, c, "SELECT pg_backend_pid()")[0]; got == pid {
		t.Fatal("a connection whose backend was terminated was handed out")
	}
}

// acquireExtra opens a second pool on cfg's database and returns one of its connections.
func acquireExtra(t *testing.T, cfg dialect.Config) dialect.Conn {
	t.Helper()
	cfg.PoolSize, cfg.PoolPrePing = 0, false
	_, p := open(t, cfg)
	c := acquire(t, p)
	t.Cleanup(func() { c.Release(false) })
	return c
}

func TestTransactions(t *testing.T) {
	cfg := config(t)
	_, p := open(t, cfg)
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
	if err := c.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := queryOne(t, c, "SELECT string_agg(x::text, ',') FROM t")[0]; got != "1" {
		t.Fatalf("rows = %v", got)
	}

	// A failed statement makes COMMIT a rollback: reported, not silent.
	if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	exec(t, c, "INSERT INTO t VALUES (3)")
	if _, err := c.Exec(ctx, "SELECT 1/0", nil); err == nil {
		t.Fatal("division by zero succeeded")
	}
	if err := c.Commit(ctx); !errors.Is(err, ErrRolledBack) {
		t.Fatalf("Commit of a failed transaction: %v", err)
	}
	if got := queryOne(t, c, "SELECT count(*) FROM t")[0]; got != int64(1) {
		t.Fatalf("count = %v", got)
	}

	for _, tc := range []struct {
		opts dialect.TxOptions
		iso  string
		ro   string
	}{
		{dialect.TxOptions{IsolationLevel: "repeatable_read"}, "repeatable read", "off"},
		{dialect.TxOptions{IsolationLevel: "SERIALIZABLE", ReadOnly: true}, "serializable", "on"},
		{dialect.TxOptions{}, "read committed", "off"},
	} {
		if err := c.Begin(ctx, tc.opts); err != nil {
			t.Fatal(err)
		}
		got := queryOne(t, c, "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only')")
		if got[0] != tc.iso || got[1] != tc.ro {
			t.Errorf("Begin(%+v): isolation %v, read only %v", tc.opts, got[0], got[1])
		}
		if err := c.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Begin(ctx, dialect.TxOptions{IsolationLevel: "chaos"}); err == nil || !strings.HasPrefix(err.Error(), `postgresql: isolation level "CHAOS" is not supported`) {
		t.Fatalf("Begin with a bad level: %v", err)
	}

	// The engine-wide default level applies when the transaction asks for none.
	cfg.IsolationLevel = "REPEATABLE READ"
	_, p2 := open(t, cfg)
	c2 := acquire(t, p2)
	defer c2.Release(false)
	if err := c2.Begin(ctx, dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := queryOne(t, c2, "SELECT current_setting('transaction_isolation')")[0]; got != "repeatable read" {
		t.Errorf("default isolation = %v", got)
	}
	if err := c2.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestReleaseRollsBackOpenTransaction(t *testing.T) {
	cfg := config(t)
	cfg.PoolSize = 1
	_, p := open(t, cfg)
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
}

// activeSleeps counts the statements running pg_sleep in database db.
func activeSleeps(t *testing.T, c dialect.Conn, db string) int64 {
	t.Helper()
	return queryOne(t, c, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = $1 AND state = 'active' AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()`, db)[0].(int64)
}

func TestCancelStopsServerQuery(t *testing.T) {
	cfg := config(t)
	cfg.PoolSize = 2
	_, p := open(t, cfg)
	watcher := acquireExtra(t, cfg)
	// tx: the cancelled statement is the first of a transaction (sent with BEGIN);
	// txquery: the same with arguments (a pipeline of BEGIN and the query).
	for _, op := range []string{"exec", "query", "tx", "txquery"} {
		t.Run(op, func(t *testing.T) {
			c := acquire(t, p)
			pid := queryOne(t, c, "SELECT pg_backend_pid()")[0]
			if op == "tx" || op == "txquery" {
				if err := c.Begin(t.Context(), dialect.TxOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			var err error
			if op == "query" || op == "txquery" {
				var r dialect.Rows
				if op == "query" {
					r, err = c.Query(ctx, "SELECT pg_sleep(30)", nil)
				} else {
					r, err = c.Query(ctx, "SELECT pg_sleep(30) WHERE $1::int = 1", []any{1})
				}
				if err == nil {
					for r.Next() {
					}
					err = r.Err()
					r.Close()
				}
			} else {
				_, err = c.Exec(ctx, "SELECT pg_sleep(30)", nil)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want context.DeadlineExceeded", err)
			}
			if el := time.Since(start); el > 3*time.Second {
				t.Fatalf("returned after %v", el)
			}
			// The server stopped the statement (it is not left running until 30 s).
			if n := activeSleeps(t, watcher, cfg.Database); n != 0 {
				t.Fatalf("%d pg_sleep statements still running after cancellation", n)
			}
			c.Release(false) // interrupted: discarded
			deadline := time.Now().Add(5 * time.Second)
			for {
				n := queryOne(t, watcher, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid)[0]
				if n == int64(0) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the interrupted connection's backend is still alive: not discarded")
				}
				time.Sleep(20 * time.Millisecond)
			}
			// pgxpool destroys a closed connection asynchronously: wait for it.
			for st := p.p.Stat(); st.AcquiredConns() != 0; st = p.p.Stat() {
				if time.Now().After(deadline) {
					t.Fatalf("%d connections still acquired", st.AcquiredConns())
				}
				time.Sleep(10 * time.Millisecond)
			}
			c = acquire(t, p)
			defer c.Release(false)
			if got := queryOne(t, c, "SELECT 42")[0]; got != int32(42) {
				t.Fatalf("pool unusable after cancellation: %v", got)
			}
		})
	}
}

const secret = "s3cr3t-Pa55w0rd"

func TestPasswordNeverInErrors(t *testing.T) {
	base := config(t)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cases := map[string]func(*dialect.Config){
		"no such database": func(c *dialect.Config) { c.Database = "retort_no_such_db" },
		"no such role":     func(c *dialect.Config) { c.User = "retort_no_such_role" },
		"closed port":      func(c *dialect.Config) { c.Port = 1; c.Host = "127.0.0.1" },
		"bad sslmode":      func(c *dialect.Config) { c.Query.Set("sslmode", "sometimes") },
		"password in query": func(c *dialect.Config) {
			c.Password = ""
			c.Query.Set("password", secret)
			c.Database = "retort_no_such_db"
		},
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := base
			cfg.Query = url.Values{}
			for k, v := range base.Query {
				cfg.Query[k] = v
			}
			cfg.Password = secret
			mod(&cfg)
			_, p, err := Driver{}.Open(ctx, cfg)
			if err == nil {
				p.Close()
				t.Fatal("Open succeeded")
			}
			for e := err; e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), secret) {
					t.Fatalf("error (or a wrapped one) contains the password: %v", e)
				}
			}
			if !strings.HasPrefix(err.Error(), "postgresql: ") {
				t.Errorf("error lacks the package prefix: %v", err)
			}
			if name == "no such database" {
				var pe *pgconn.PgError
				if !errors.As(err, &pe) || pe.Code != "3D000" {
					t.Errorf("error does not unwrap to the server's 3D000: %v", err)
				}
				if !strings.Contains(err.Error(), "127.0.0.1:5432/retort_no_such_db") {
					t.Errorf("error does not name the target: %v", err)
				}
			}
		})
	}
}

func TestOpenOptionErrors(t *testing.T) {
	cfg := config(t)
	cfg.Query.Set("dbname", "other")
	if _, _, err := (Driver{}).Open(t.Context(), cfg); err == nil || err.Error() != `postgresql: URL option "dbname" must be given in the URL itself` {
		t.Errorf("dbname option: %v", err)
	}
	cfg = config(t)
	cfg.IsolationLevel = "whenever"
	if _, _, err := (Driver{}).Open(t.Context(), cfg); err == nil || !strings.HasPrefix(err.Error(), `postgresql: isolation level "WHENEVER" is not supported`) {
		t.Errorf("bad isolation level: %v", err)
	}
}

func TestCancelledOpen(t *testing.T) {
	cfg := config(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := (Driver{}).Open(ctx, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a cancelled context: %v", err)
	}
}

// TestSessionTimeZone: sessions run in UTC unless the URL's timezone option says
// otherwise, so a naive timestamp the server fills in holds UTC wall-clock time.
func TestSessionTimeZone(t *testing.T) {
	_, p := open(t, config(t))
	c := acquire(t, p)
	if got := queryOne(t, c, "SELECT current_setting('TimeZone')")[0]; got != "UTC" {
		t.Errorf("default session time zone %v, want UTC", got)
	}
	c.Release(false)
	cfg := config(t)
	cfg.Query.Set("timezone", "Asia/Tokyo")
	_, p2 := open(t, cfg)
	c2 := acquire(t, p2)
	defer c2.Release(false)
	if got := queryOne(t, c2, "SELECT current_setting('TimeZone')")[0]; got != "Asia/Tokyo" {
		t.Errorf("session time zone with ?timezone=Asia/Tokyo: %v", got)
	}
}
