package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/retortdb/retort/dialect"
)

// wire records what a pool's connections write to the server: one entry per write call,
// which pgconn makes once per flush, that is once per round trip. Each entry lists the
// statements the write sends: a simple query's text, "parse <sql>" for a statement being
// prepared and "bind <sql>" for one being executed (its SQL found from its Parse).
type wire struct {
	mu     sync.Mutex
	writes [][]string
	stmts  map[string]string // prepared statement name -> SQL
}

type wireConn struct {
	net.Conn
	w *wire
}

func (c wireConn) Write(p []byte) (int, error) {
	c.w.record(p)
	return c.Conn.Write(p)
}

// record decodes the frontend messages in p (all but the startup message, which has no
// type byte and comes before reset is called).
func (w *wire) record(p []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var sent []string
	for len(p) >= 5 {
		typ := p[0]
		n := int(binary.BigEndian.Uint32(p[1:5]))
		if n < 4 || 1+n > len(p) {
			sent = append(sent, "undecodable")
			break
		}
		body := p[5 : 1+n]
		p = p[1+n:]
		fields := bytes.SplitN(body, []byte{0}, 3)
		switch typ {
		case 'Q':
			sent = append(sent, string(fields[0]))
		case 'P': // Parse: name, query, ...
			if len(fields) >= 2 {
				w.stmts[string(fields[0])] = string(fields[1])
				sent = append(sent, "parse "+string(fields[1]))
			}
		case 'B': // Bind: portal, statement, ...
			if len(fields) >= 2 {
				sent = append(sent, "bind "+w.stmts[string(fields[1])])
			}
		}
	}
	w.writes = append(w.writes, sent)
}

// take returns the writes recorded since the last call and forgets them.
func (w *wire) take() [][]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	got := w.writes
	w.writes = nil
	return got
}

// openWire opens a pool of one connection on cfg whose writes are recorded.
func openWire(t *testing.T, cfg dialect.Config) (*pool, *wire) {
	t.Helper()
	pcfg, err := poolConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &wire{stmts: map[string]string{}}
	dial := pcfg.ConnConfig.DialFunc
	pcfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return wireConn{Conn: nc, w: w}, nil
	}
	pcfg.MaxConns = 1
	p, err := newPool(t.Context(), pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.p.Close)
	return p, w
}

// wantWrites compares the recorded round trips with want.
func wantWrites(t *testing.T, w *wire, what string, want ...[]string) {
	t.Helper()
	got := w.take()
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("%s: the connection wrote %d times %q; want %d times %q", what, len(got), got, len(want), want)
	}
}

// txStatus is the server's transaction status as the connection last saw it: 'I' idle,
// 'T' in a transaction, 'E' in a failed transaction.
func txStatus(c dialect.Conn) byte { return c.(*conn).c.Conn().PgConn().TxStatus() }

// TestDeferredBegin pins what goes over the wire: a transaction's BEGIN travels with its
// first statement, in the same write, and a transaction without statements sends nothing.
func TestDeferredBegin(t *testing.T) {
	p, w := openWire(t, config(t))
	ctx := t.Context()
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TABLE t (x INTEGER)")
	w.take()

	for _, tc := range []struct {
		opts   dialect.TxOptions
		commit bool
	}{
		{dialect.TxOptions{}, true},
		{dialect.TxOptions{}, false},
		{dialect.TxOptions{IsolationLevel: "SERIALIZABLE", ReadOnly: true}, true},
	} {
		if err := c.Begin(ctx, tc.opts); err != nil {
			t.Fatal(err)
		}
		end := c.Rollback
		if tc.commit {
			end = c.Commit
		}
		if err := end(ctx); err != nil {
			t.Fatalf("ending an empty transaction: %v", err)
		}
		wantWrites(t, w, "empty transaction")
	}

	// A statement without arguments: one simple query holding both.
	if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := exec(t, c, "INSERT INTO t VALUES (1)"); n != 1 {
		t.Errorf("rows affected = %d, want 1 (the INSERT's, not BEGIN's)", n)
	}
	wantWrites(t, w, "BEGIN + INSERT", []string{"BEGIN;\nINSERT INTO t VALUES (1)"})
	if got := txStatus(c); got != 'T' {
		t.Errorf("transaction status %q after the first statement", got)
	}
	exec(t, c, "INSERT INTO t VALUES (2)")
	wantWrites(t, w, "second statement", []string{"INSERT INTO t VALUES (2)"})
	if err := c.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "COMMIT", []string{"COMMIT"})

	// A query with arguments: BEGIN (an unnamed statement) and the query (prepared by the
	// driver for the connection) in one batch. The first time the connection sees the
	// query it prepares it (one more round trip, as any new statement costs); afterwards
	// the transaction costs one round trip and its end one.
	const q = "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only'), count(*) FROM t WHERE x <= $1"
	const begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	for i := range 2 {
		if err := c.Begin(ctx, dialect.TxOptions{IsolationLevel: "repeatable read", ReadOnly: true}); err != nil {
			t.Fatal(err)
		}
		got := queryOne(t, c, q, 1)
		if got[0] != "repeatable read" || got[1] != "on" || got[2] != int64(1) {
			t.Errorf("first query of the transaction saw %v; want BEGIN's settings and 1 row", got)
		}
		first := []string{"parse " + begin, "bind " + begin, "bind " + q}
		if i == 0 {
			wantWrites(t, w, "cold BEGIN + query", []string{"parse " + q}, first)
		} else {
			wantWrites(t, w, "BEGIN + query", first)
		}
		if err := c.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		wantWrites(t, w, "ROLLBACK", []string{"ROLLBACK"})
	}

	// An Exec with arguments, then a savepoint as first statement.
	if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := exec(t, c, "UPDATE t SET x = x + $1", 10); n != 2 {
		t.Errorf("rows affected = %d, want 2", n)
	}
	wantWrites(t, w, "BEGIN + UPDATE", []string{"parse UPDATE t SET x = x + $1"}, []string{"parse BEGIN", "bind BEGIN", "bind UPDATE t SET x = x + $1"})
	if err := c.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	w.take()
	if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	exec(t, c, "SAVEPOINT sp1")
	exec(t, c, "INSERT INTO t VALUES (3)")
	exec(t, c, "ROLLBACK TO SAVEPOINT sp1")
	if err := c.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w, "savepoint first", []string{"BEGIN;\nSAVEPOINT sp1"}, []string{"INSERT INTO t VALUES (3)"},
		[]string{"ROLLBACK TO SAVEPOINT sp1"}, []string{"COMMIT"})
	if got := queryOne(t, c, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")[0]; got != "1,2" {
		t.Errorf("rows = %v, want 1,2 (the UPDATE and the savepoint's INSERT undone)", got)
	}
}

// backendState is the pg_stat_activity state of the backend with the given pid.
func backendState(t *testing.T, watcher dialect.Conn, pid any) string {
	t.Helper()
	// The statistics a backend reports can lag a little behind its last message.
	deadline := time.Now().Add(5 * time.Second)
	var st any
	for {
		st = queryOne(t, watcher, "SELECT state FROM pg_stat_activity WHERE pid = $1", pid)[0]
		if st == "idle" || time.Now().After(deadline) {
			return st.(string)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDeferredBeginFailures: a first statement that fails leaves the server where BEGIN sent
// on its own followed by the statement would have: the transaction aborted (later statements
// refused, COMMIT reported as ErrRolledBack), the server's own error returned, and no
// transaction left open once the transaction ends or the connection is released. A
// statement rejected before BEGIN could run (a syntax error, a statement that cannot be
// prepared, arguments that cannot be encoded) is no exception.
func TestDeferredBeginFailures(t *testing.T) {
	for _, mode := range execModes {
		t.Run(mode, func(t *testing.T) {
			cfg := config(t)
			if mode != "" {
				cfg.Query.Set("default_query_exec_mode", mode)
			}
			deferredBeginFailures(t, cfg)
		})
	}
}

// execModes are pgx's statement execution modes ("": the default, cache_statement), each
// with its own way of sending BEGIN with the first statement.
var execModes = []string{"", "cache_describe", "describe_exec", "exec", "simple_protocol"}

func deferredBeginFailures(t *testing.T, cfg dialect.Config) {
	cfg.PoolSize = 1
	_, p := open(t, cfg)
	watcher := acquireExtra(t, cfg)
	ctx := t.Context()
	c := acquire(t, p)
	pid := queryOne(t, c, "SELECT pg_backend_pid()")[0]
	exec(t, c, "CREATE TABLE t (x INTEGER)")

	for _, tc := range []struct {
		name, sql string
		args      []any
		query     bool
		code      string // SQLSTATE of the first statement's error
	}{
		{"runtime error, no arguments", "INSERT INTO t VALUES (1/0)", nil, false, "22012"},
		{"runtime error, arguments", "INSERT INTO t VALUES (1/$1::int)", []any{0}, false, "22012"},
		{"runtime error in rows", "SELECT 1/(g - $1) FROM generate_series(0, 3) g", []any{2}, true, "22012"},
		{"syntax error, no arguments", "INSERT INTO t VALUES (1", nil, false, "42601"},
		{"unknown table, arguments", "INSERT INTO no_such_table VALUES ($1)", []any{1}, false, "42P01"},
		{"unknown table, query", "SELECT x FROM no_such_table WHERE x = $1", []any{1}, true, "42P01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
				t.Fatal(err)
			}
			var err error
			if tc.query {
				var r dialect.Rows
				r, err = c.Query(ctx, tc.sql, tc.args)
				if err == nil {
					for r.Next() {
					}
					err = r.Err()
					if cerr := r.Close(); err == nil {
						err = cerr
					}
				}
			} else {
				_, err = c.Exec(ctx, tc.sql, tc.args)
			}
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != tc.code {
				t.Fatalf("first statement: %v, want the server's %s", err, tc.code)
			}
			if strings.Contains(err.Error(), "batch") {
				t.Errorf("the error mentions the pipeline: %v", err)
			}
			if got := txStatus(c); got != 'E' {
				t.Errorf("transaction status %q after a failed first statement, want E (aborted)", got)
			}
			if _, err := c.Exec(ctx, "INSERT INTO t VALUES (2)", nil); !errors.As(err, &pe) || pe.Code != "25P02" {
				t.Errorf("statement after the failed one: %v, want 25P02 (transaction aborted)", err)
			}
			if err := c.Commit(ctx); !errors.Is(err, ErrRolledBack) {
				t.Errorf("Commit: %v, want ErrRolledBack", err)
			}
			if st := backendState(t, watcher, pid); st != "idle" {
				t.Errorf("backend state %q after Commit, want idle", st)
			}
		})
	}
	if got := queryOne(t, c, "SELECT count(*) FROM t")[0]; got != int64(0) {
		t.Fatalf("%v rows committed by failed transactions", got)
	}

	t.Run("prepared statement whose table was dropped", func(t *testing.T) {
		// The statement is known (prepared by pgx, its parameter types kept) and fails
		// only when it runs, after BEGIN.
		const q = "SELECT y FROM t2 WHERE y = $1"
		exec(t, c, "CREATE TABLE t2 (y INTEGER)")
		for range 2 {
			if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
				t.Fatal(err)
			}
			r, err := c.Query(ctx, q, []any{1})
			if err != nil {
				t.Fatal(err)
			}
			if r.Next() {
				t.Error("a row in an empty table")
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if err := c.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
		exec(t, c, "DROP TABLE t2")
		if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
			t.Fatal(err)
		}
		r, err := c.Query(ctx, q, []any{1})
		if err == nil {
			for r.Next() {
			}
			err = r.Close()
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42P01" {
			t.Fatalf("query on a dropped table: %v, want 42P01", err)
		}
		if err := c.Commit(ctx); !errors.Is(err, ErrRolledBack) {
			t.Errorf("Commit: %v, want ErrRolledBack", err)
		}
	})

	t.Run("arguments that cannot be encoded", func(t *testing.T) {
		// Nothing runs on the server: the transaction stays usable, as after a BEGIN of
		// its own.
		if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, "INSERT INTO t VALUES ($1)", []any{make(chan int)}); err == nil || !strings.Contains(err.Error(), "encode") {
			t.Fatalf("a channel as an integer: %v", err)
		}
		if cfg.Query.Get("default_query_exec_mode") != "exec" { // there the server counts the arguments
			r, err := c.Query(ctx, "SELECT $1::int, $2::int", []any{1})
			if err == nil {
				r.Close()
				t.Fatal("one argument for two parameters was accepted")
			}
		}
		if c.(*conn).interrupted {
			t.Fatal("the connection is marked for discarding")
		}
		exec(t, c, "INSERT INTO t VALUES (5)")
		if err := c.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		got := queryOne(t, c, "SELECT count(*), pg_backend_pid() FROM t WHERE x = 5")
		if got[0] != int64(1) || got[1] != pid {
			t.Errorf("count = %v on backend %v; want the INSERT after the failed ones committed, on backend %v", got[0], got[1], pid)
		}
	})

	t.Run("release after a failed first statement", func(t *testing.T) {
		if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, "INSERT INTO t VALUES (1/$1::int)", []any{0}); err == nil {
			t.Fatal("division by zero succeeded")
		}
		c.Release(false)
		if st := backendState(t, watcher, pid); st != "idle" {
			t.Errorf("backend state %q after Release, want idle: a transaction was left open", st)
		}
		c = acquire(t, p)
		if got := queryOne(t, c, "SELECT pg_backend_pid()")[0]; got != pid || txStatus(c) != 'I' {
			t.Errorf("next user of the connection: backend %v (want %v), transaction status %q (want I)", got, pid, txStatus(c))
		}
	})

	t.Run("connection lost before BEGIN", func(t *testing.T) {
		// BEGIN's own failure surfaces from the first statement.
		if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
			t.Fatal(err)
		}
		exec(t, watcher, "SELECT pg_terminate_backend($1, 10000)", pid) // returns once it has exited
		if _, err := c.Exec(ctx, "INSERT INTO t VALUES (7)", nil); !errors.Is(err, dialect.ErrConnectionLost) || !strings.Contains(err.Error(), "postgresql: ") {
			t.Fatalf("first statement on a terminated connection: %v", err)
		}
		if !c.(*conn).interrupted {
			t.Error("the broken connection is not marked for discarding")
		}
		c.Release(false)
		c = acquire(t, p)
		if got := queryOne(t, c, "SELECT count(*) FROM t WHERE x = 7")[0]; got != int64(0) {
			t.Errorf("count = %v", got)
		}
	})
	c.Release(false)
}

// TestDeferredBeginModes: in every exec mode, a transaction whose statements the
// connection has seen before costs one round trip for BEGIN and its first query, and an
// empty one none.
func TestDeferredBeginModes(t *testing.T) {
	for _, mode := range execModes {
		t.Run(mode, func(t *testing.T) {
			cfg := config(t)
			if mode != "" {
				cfg.Query.Set("default_query_exec_mode", mode)
			}
			p, w := openWire(t, cfg)
			ctx := t.Context()
			c := acquire(t, p)
			defer c.Release(false)
			for i := range 3 {
				w.take()
				if err := c.Begin(ctx, dialect.TxOptions{IsolationLevel: "SERIALIZABLE"}); err != nil {
					t.Fatal(err)
				}
				got := queryOne(t, c, "SELECT current_setting('transaction_isolation'), $1::int + 1", 41)
				if got[0] != "serializable" || got[1] != int32(42) {
					t.Errorf("first query saw %v", got)
				}
				want := 1
				if mode == "describe_exec" {
					want = 2 // pgx describes every statement before running it, in that mode
				}
				if n := len(w.take()); i > 0 && n != want {
					t.Errorf("transaction %d: BEGIN and the query took %d round trips, want %d", i, n, want)
				}
				if err := c.Commit(ctx); err != nil {
					t.Fatal(err)
				}
				if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
					t.Fatal(err)
				}
				if err := c.Rollback(ctx); err != nil {
					t.Fatal(err)
				}
				if got := w.take(); len(got) != 1 || !slices.Equal(got[0], []string{"COMMIT"}) {
					t.Errorf("COMMIT and an empty transaction wrote %q, want only COMMIT", got)
				}
			}
		})
	}
}

// retortStatements counts the statements the driver has prepared on c's session.
func retortStatements(t *testing.T, c dialect.Conn) int64 {
	t.Helper()
	return queryOne(t, c, `SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'retort\_%'`)[0].(int64)
}

// TestFirstStatementCache: the statements the driver prepares to send with BEGIN are
// forgotten after an error (a changed table is prepared again, as pgx does with its
// cache), deallocated with the next preparation, and bounded in number.
func TestFirstStatementCache(t *testing.T) {
	_, p := open(t, config(t))
	ctx := t.Context()
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TABLE t3 (a INTEGER PRIMARY KEY)")
	exec(t, c, "INSERT INTO t3 VALUES (1)")
	first := func(sql string, args ...any) ([]string, error) {
		t.Helper()
		if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := c.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
		}()
		r, err := c.Query(ctx, sql, args)
		if err != nil {
			return nil, err
		}
		cols := r.Columns()
		for r.Next() {
		}
		return cols, r.Close()
	}
	const q = "SELECT * FROM t3 WHERE a = $1"
	for range 2 {
		if cols, err := first(q, 1); err != nil || !slices.Equal(cols, []string{"a"}) {
			t.Fatalf("%q, %v", cols, err)
		}
	}
	if n := retortStatements(t, c); n != 1 {
		t.Errorf("%d statements prepared, want 1", n)
	}
	exec(t, c, "ALTER TABLE t3 ADD COLUMN b TEXT")
	// The prepared statement's result changed: the server refuses it once (as with pgx's
	// own cache), then it is prepared again.
	cols, err := first(q, 1)
	var pe *pgconn.PgError
	if err != nil && (!errors.As(err, &pe) || pe.Code != "0A000") {
		t.Fatalf("after ALTER TABLE: %v", err)
	}
	if err != nil {
		cols, err = first(q, 1)
	}
	if err != nil || !slices.Equal(cols, []string{"a", "b"}) {
		t.Fatalf("after ALTER TABLE: %q, %v", cols, err)
	}
	if n := retortStatements(t, c); n != 1 {
		t.Errorf("%d statements prepared after the failed one was replaced, want 1", n)
	}

	// Failing statements are prepared again and the failed ones deallocated.
	for range 5 {
		if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, "INSERT INTO t3 (a) VALUES ($1)", []any{1}); !errors.As(err, &pe) || pe.Code != "23505" {
			t.Fatalf("duplicate key: %v", err)
		}
		if err := c.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := retortStatements(t, c); n > 2 {
		t.Errorf("%d statements prepared after 5 failures of one statement, want at most 2", n)
	}

	// The number of statements is bounded.
	defer func(n int) { maxSessionStmts = n }(maxSessionStmts)
	maxSessionStmts = 3
	for i := range 10 {
		if _, err := first("SELECT a, $1::int AS k"+strconv.Itoa(i)+" FROM t3", i); err != nil {
			t.Fatal(err)
		}
	}
	if n := retortStatements(t, c); n > 3 {
		t.Errorf("%d statements prepared, want at most 3", n)
	}
}
