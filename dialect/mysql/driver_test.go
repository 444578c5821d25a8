package mysql

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/internal/drivertest"
	"github.com/retortdb/retort/internal/testdb"
)

// config returns the Config of a fresh database from testdb (skips without a server).
func config(t *testing.T) dialect.Config {
	t.Helper()
	u, err := url.Parse(testdb.MySQL(t).URL)
	if err != nil {
		t.Fatal("bad test URL")
	}
	cfg := dialect.Config{Scheme: u.Scheme, Host: u.Hostname(), Database: strings.TrimPrefix(u.Path, "/"), Query: u.Query()}
	if p := u.Port(); p != "" {
		cfg.Port, _ = strconv.Atoi(p)
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	return cfg
}

func open(t *testing.T, cfg dialect.Config) (*Dialect, *pool) {
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
	return d.(*Dialect), p.(*pool)
}

// Shared scaffolding (dialect/internal/drivertest).
var (
	acquire  = drivertest.Acquire
	exec     = drivertest.Exec
	queryOne = drivertest.QueryOne
)

// str reads a driver value as text.
func str(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return ""
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		v      string
		flavor Flavor
		ver    [3]int
	}{
		{"10.11.19-MariaDB-0+deb12u1", MariaDB, [3]int{10, 11, 19}},
		{"5.5.5-10.4.32-MariaDB-log", MariaDB, [3]int{10, 4, 32}},
		{"11.4.2-MariaDB", MariaDB, [3]int{11, 4, 2}},
		{"8.0.36", MySQL, [3]int{8, 0, 36}},
		{"8.4.0-log", MySQL, [3]int{8, 4, 0}},
		{"5.7.44-0ubuntu0.18.04.1", MySQL, [3]int{5, 7, 44}},
	} {
		f, a, b, c, err := ParseVersion(tc.v)
		if err != nil || f != tc.flavor || [3]int{a, b, c} != tc.ver {
			t.Errorf("ParseVersion(%q) = %v %d.%d.%d %v", tc.v, f, a, b, c, err)
		}
	}
	if _, _, _, _, err := ParseVersion("banana"); err == nil || err.Error() != `mysql: cannot read the server version "banana"` {
		t.Errorf("ParseVersion(banana): %v", err)
	}
	// What the dialect makes of a version.
	if New(MySQL, 8, 0, 36).Features().Has(compile.InsertReturning) || New(MySQL, 8, 0, 36).Name() != "mysql" {
		t.Error("MySQL 8.0 must not have RETURNING")
	}
}

func TestOpenDetectsServer(t *testing.T) {
	for _, scheme := range []string{"mariadb", "mysql"} {
		cfg := config(t)
		cfg.Scheme = scheme
		d, p := open(t, cfg)
		c := acquire(t, p)
		version := str(queryOne(t, c, "SELECT VERSION()")[0])
		c.Release(false)
		if !strings.Contains(strings.ToLower(version), "mariadb") {
			t.Skipf("server is %s, not MariaDB", version)
		}
		if d.Name() != "mariadb" || d.Flavor() != MariaDB {
			t.Errorf("scheme %s on %s: dialect %s", scheme, version, d.Name())
		}
		if !d.Features().Has(compile.InsertReturning) || !d.Features().Has(compile.DeleteReturning) {
			t.Errorf("MariaDB %s lacks INSERT/DELETE ... RETURNING", version)
		}
	}
}

// TestFeaturesMySQL: features=mysql gives a MariaDB server MySQL's feature set (no
// INSERT/DELETE ... RETURNING, everything else kept) under MariaDB's name.
func TestFeaturesMySQL(t *testing.T) {
	cfg := config(t)
	server, _ := open(t, cfg)
	cfg.Query = url.Values{"features": {"mysql"}}
	d, p := open(t, cfg)
	c := acquire(t, p)
	exec(t, c, "SELECT 1")
	c.Release(false)
	my := New(MySQL, 8, 4, 0).Features()
	if d.Name() != server.Name() || d.Flavor() != server.Flavor() {
		t.Errorf("dialect %s, want the server's %s", d.Name(), server.Name())
	}
	if want := compile.Features(uint64(server.Features()) & uint64(my)); d.Features() != want {
		t.Errorf("features %b, want %b", d.Features(), want)
	}
	if d.Features().Has(compile.InsertReturning) || d.Features().Has(compile.DeleteReturning) {
		t.Error("features=mysql kept RETURNING")
	}
	if server.Flavor() == MariaDB && d.Features() != server.Features().Without(compile.InsertReturning).Without(compile.DeleteReturning) {
		t.Errorf("on MariaDB features=mysql must remove only RETURNING: %b of %b", d.Features(), server.Features())
	}
	cfg.Query = url.Values{"features": {"server"}}
	if d, _ := open(t, cfg); d.Features() != server.Features() {
		t.Errorf("features=server: %b, want %b", d.Features(), server.Features())
	}
	cfg.Query = url.Values{"features": {"postgres"}}
	if _, _, err := (Driver{}).Open(t.Context(), cfg); err == nil || err.Error() != `mysql: URL option features="postgres" is not one of mysql, server` {
		t.Errorf("bad features: %v", err)
	}
}

func TestSessionSettings(t *testing.T) {
	cfg := config(t)
	cfg.PoolSize, cfg.MaxOverflow, cfg.PoolTimeout = 1, 1, 100*time.Millisecond
	_, p := open(t, cfg)
	c1 := acquire(t, p)
	c2 := acquire(t, p)
	for _, c := range []dialect.Conn{c1, c2} {
		got := queryOne(t, c, "SELECT @@session.time_zone, @@session.sql_mode, DATABASE()")
		if str(got[0]) != "+00:00" || str(got[1]) != SQLMode || str(got[2]) != cfg.Database {
			t.Errorf("session: time_zone %s, sql_mode %s, database %s", got[0], got[1], got[2])
		}
		if c.(*conn).id == 0 || str(queryOne(t, c, "SELECT CONNECTION_ID()")[0]) != strconv.FormatInt(c.(*conn).id, 10) {
			t.Errorf("recorded connection id %d is wrong", c.(*conn).id)
		}
	}
	if _, err := p.Acquire(t.Context()); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "pool timeout") {
		t.Fatalf("third Acquire with 1+1 connections: %v", err)
	}
	c1.Release(false)
	c2.Release(false)
}

// TestUpdateReportsMatchedRows: with CLIENT_FOUND_ROWS an UPDATE that writes a row's
// current value reports the row (MySQL-family servers otherwise report 0 changed rows).
func TestUpdateReportsMatchedRows(t *testing.T) {
	_, p := open(t, config(t))
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TABLE found (id INT PRIMARY KEY, v VARCHAR(10))")
	exec(t, c, "INSERT INTO found VALUES (1, 'a'), (2, 'b')")
	if n := exec(t, c, "UPDATE found SET v = ? WHERE id = ?", "a", 1); n != 1 {
		t.Errorf("UPDATE to the current value: %d rows affected, want 1", n)
	}
	if n := exec(t, c, "UPDATE found SET v = 'b'"); n != 2 {
		t.Errorf("UPDATE of two rows, one unchanged: %d rows affected, want 2", n)
	}
	if n := exec(t, c, "UPDATE found SET v = 'x' WHERE id = 3"); n != 0 {
		t.Errorf("UPDATE matching no row: %d rows affected, want 0", n)
	}
}

// TestExecLastInsertID: Exec reports the AUTO_INCREMENT key of the first row an INSERT
// wrote (generated or given), and none for other statements or tables without one.
func TestExecLastInsertID(t *testing.T) {
	_, p := open(t, config(t))
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TABLE li (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10))")
	exec(t, c, "CREATE TABLE plain (k INT PRIMARY KEY)")
	// Generated keys ascend but need not be consecutive (a Galera cluster steps them by
	// its node count): each is checked against the previous one and the row it names.
	var last int64
	run := func(sql string, rows int64, generated bool, id int64) int64 {
		t.Helper()
		r, err := c.Exec(t.Context(), sql, nil)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if generated {
			if r.RowsAffected != rows || !r.HasLastInsertID || r.LastInsertID <= last {
				t.Errorf("%s: %+v, want %d rows, a generated id above %d", sql, r, rows, last)
			}
			last = r.LastInsertID
			return r.LastInsertID
		}
		if r != (dialect.ExecResult{RowsAffected: rows, LastInsertID: id, HasLastInsertID: id != 0}) {
			t.Errorf("%s: %+v, want %d rows, id %d", sql, r, rows, id)
		}
		if id != 0 {
			last = id
		}
		return id
	}
	a := run("INSERT INTO li (v) VALUES ('a')", 1, true, 0)
	b := run("INSERT INTO li (v) VALUES ('b'), ('c')", 2, true, 0) // the first row's key
	run("INSERT INTO li (id, v) VALUES (1000, 'x')", 1, false, 1000)
	run("INSERT INTO li (v) VALUES ('d')", 1, true, 0)
	run(fmt.Sprintf("UPDATE li SET v = 'z' WHERE id = %d", a), 1, false, 0)
	run("INSERT INTO li (v) SELECT v FROM li WHERE 1 = 0", 0, false, 0)
	run("INSERT INTO plain VALUES (5)", 1, false, 0)
	run(fmt.Sprintf("DELETE FROM li WHERE id = %d AND v = 'b'", b), 1, false, 0)
}

func TestPrePing(t *testing.T) {
	cfg := config(t)
	cfg.PoolPrePing, cfg.PoolSize = true, 1
	_, p := open(t, cfg)
	c := acquire(t, p)
	id := c.(*conn).id
	c.Release(false)
	p.kill(0) // no-op
	k := acquire(t, openExtra(t))
	defer k.Release(false)
	exec(t, k, "KILL CONNECTION "+strconv.FormatInt(id, 10))
	c = acquire(t, p)
	defer c.Release(false)
	if c.(*conn).id == id {
		t.Fatal("a killed connection was handed out")
	}
	if got := str(queryOne(t, c, "SELECT 1")[0]); got != "1" {
		t.Fatalf("SELECT 1 = %q", got)
	}
}

func openExtra(t *testing.T) *pool {
	t.Helper()
	_, p := open(t, config(t))
	return p
}

func TestTransactions(t *testing.T) {
	cfg := config(t)
	_, p := open(t, cfg)
	c := acquire(t, p)
	defer c.Release(false)
	ctx := t.Context()
	exec(t, c, "CREATE TABLE t (x INTEGER) ENGINE=InnoDB")
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
	if got := str(queryOne(t, c, "SELECT GROUP_CONCAT(x) FROM t")[0]); got != "1" {
		t.Fatalf("rows = %q", got)
	}
	if err := c.Begin(ctx, dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	exec(t, c, "DELETE FROM t")
	if err := c.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := str(queryOne(t, c, "SELECT COUNT(*) FROM t")[0]); got != "1" {
		t.Fatalf("count after rollback = %q", got)
	}

	// Isolation levels, by their effect: another connection commits a row while c's
	// transaction runs (READ COMMITTED sees it, REPEATABLE READ does not, SERIALIZABLE
	// holds shared locks that make the other insert time out).
	other := acquire(t, p)
	defer other.Release(false)
	exec(t, other, "SET SESSION innodb_lock_wait_timeout = 1")
	for _, tc := range []struct {
		level string
		sees  string // what c sees of the other insert: "new row", "no change", "locked"
	}{
		{"read committed", "new row"},
		{"", "no change"}, // InnoDB's default, REPEATABLE READ
		{"REPEATABLE_READ", "no change"},
		{"SERIALIZABLE", "locked"},
	} {
		before := str(queryOne(t, c, "SELECT COUNT(*) FROM t")[0])
		if err := c.Begin(ctx, dialect.TxOptions{IsolationLevel: tc.level}); err != nil {
			t.Fatal(err)
		}
		queryOne(t, c, "SELECT COUNT(*) FROM t")
		_, err := other.Exec(ctx, "INSERT INTO t VALUES (7)", nil)
		got := str(queryOne(t, c, "SELECT COUNT(*) FROM t")[0])
		if tc.sees == "locked" {
			if err == nil {
				t.Errorf("Begin(%q): another connection could insert under SERIALIZABLE", tc.level)
			}
		} else if err != nil {
			t.Fatalf("Begin(%q): other insert: %v", tc.level, err)
		} else if (tc.sees == "new row") != (got != before) {
			t.Errorf("Begin(%q): count %s before, %s after another connection's insert", tc.level, before, got)
		}
		if err := c.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Begin(ctx, dialect.TxOptions{ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO t VALUES (9)", nil); err == nil {
		t.Fatal("insert in a read-only transaction succeeded")
	}
	if err := c.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Begin(ctx, dialect.TxOptions{IsolationLevel: "snapshot"}); err == nil || !strings.HasPrefix(err.Error(), `mysql: isolation level "SNAPSHOT" is not supported`) {
		t.Fatalf("Begin SNAPSHOT: %v", err)
	}
}

func TestReleaseRollsBackOpenTransaction(t *testing.T) {
	cfg := config(t)
	cfg.PoolSize = 1
	_, p := open(t, cfg)
	c := acquire(t, p)
	exec(t, c, "CREATE TABLE t (x INTEGER) ENGINE=InnoDB")
	if err := c.Begin(t.Context(), dialect.TxOptions{}); err != nil {
		t.Fatal(err)
	}
	exec(t, c, "INSERT INTO t VALUES (1)")
	c.Release(false)
	c = acquire(t, p)
	defer c.Release(false)
	if got := str(queryOne(t, c, "SELECT COUNT(*) FROM t")[0]); got != "0" {
		t.Fatalf("count = %s: the abandoned transaction was not rolled back", got)
	}
}

func TestCancelStopsServerQuery(t *testing.T) {
	cfg := config(t)
	cfg.PoolSize = 2
	_, p := open(t, cfg)
	watcher := acquire(t, openExtra(t))
	defer watcher.Release(false)
	running := func(id int64) (query, conn int64) {
		row := queryOne(t, watcher, `SELECT
			COALESCE(SUM(id = ? AND info LIKE '%SLEEP(30)%'), 0), COALESCE(SUM(id = ?), 0)
			FROM information_schema.processlist`, id, id)
		q, _ := strconv.ParseInt(str(row[0]), 10, 64)
		c, _ := strconv.ParseInt(str(row[1]), 10, 64)
		return q, c
	}
	for _, op := range []string{"exec", "query", "tx"} {
		t.Run(op, func(t *testing.T) {
			c := acquire(t, p)
			id := c.(*conn).id
			if op == "tx" {
				if err := c.Begin(t.Context(), dialect.TxOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			start := time.Now()
			var err error
			if op == "query" {
				var r dialect.Rows
				r, err = c.Query(ctx, "SELECT SLEEP(30)", nil)
				if err == nil {
					for r.Next() {
					}
					err = r.Err()
					r.Close()
				}
			} else {
				_, err = c.Exec(ctx, "SELECT SLEEP(30)", nil)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want context.DeadlineExceeded", err)
			}
			if el := time.Since(start); el > 3*time.Second {
				t.Fatalf("returned after %v", el)
			}
			// KILL QUERY is applied asynchronously by the server: allow it a moment, far
			// less than the 30 s the statement would otherwise run.
			deadline := time.Now().Add(3 * time.Second)
			for q, _ := running(id); q != 0; q, _ = running(id) {
				if time.Now().After(deadline) {
					t.Fatal("SLEEP(30) still running on the server after cancellation")
				}
				time.Sleep(20 * time.Millisecond)
			}
			c.Release(false)
			deadline = time.Now().Add(5 * time.Second)
			for {
				if _, n := running(id); n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the interrupted connection is still open on the server: not discarded")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if st := p.db.Stats(); st.InUse != 0 {
				t.Fatalf("%d connections still in use", st.InUse)
			}
			c = acquire(t, p)
			defer c.Release(false)
			if got := str(queryOne(t, c, "SELECT 42")[0]); got != "42" {
				t.Fatalf("pool unusable after cancellation: %q", got)
			}
		})
	}
}

const secret = "s3cr3t-Pa55w0rd"

func TestPasswordNeverInErrors(t *testing.T) {
	base := config(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cases := map[string]func(*dialect.Config){
		"wrong password":   func(*dialect.Config) {},
		"no such user":     func(c *dialect.Config) { c.User = "retort_no_such_user" },
		"closed port":      func(c *dialect.Config) { c.Port = 1 },
		"bad option value": func(c *dialect.Config) { c.Query = url.Values{"tls": {"maybe"}} },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := base
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
			if !strings.HasPrefix(err.Error(), "mysql: ") {
				t.Errorf("error lacks the package prefix: %v", err)
			}
			if name == "wrong password" {
				var me *gomysql.MySQLError
				if !errors.As(err, &me) || me.Number != 1045 {
					t.Errorf("error does not unwrap to the server's 1045: %v", err)
				}
				if !strings.Contains(err.Error(), "@"+net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))+"/"+cfg.Database) {
					t.Errorf("error does not name the target: %v", err)
				}
			}
		})
	}
}

func TestOpenOptionErrors(t *testing.T) {
	cfg := config(t)
	cfg.Query = url.Values{"bogus": {"1"}}
	if _, _, err := (Driver{}).Open(t.Context(), cfg); err == nil || err.Error() != `mysql: unknown URL option "bogus"` {
		t.Errorf("unknown option: %v", err)
	}
	cfg.Query = url.Values{"timeout": {"soon"}}
	if _, _, err := (Driver{}).Open(t.Context(), cfg); err == nil || err.Error() != `mysql: URL option timeout="soon" is not a duration` {
		t.Errorf("bad timeout: %v", err)
	}
	cfg.Query = url.Values{"charset": {"utf8mb4"}, "connect_timeout": {"5"}}
	_, p := open(t, cfg)
	c := acquire(t, p)
	defer c.Release(false)
	if got := str(queryOne(t, c, "SELECT @@character_set_client")[0]); got != "utf8mb4" {
		t.Errorf("charset = %q", got)
	}
}

// TestGaleraDetected: Dialect.Galera follows the server's wsrep_on (scripts/test runs
// this package on a Galera node too, where RETORT_TEST_GALERA is set).
func TestGaleraDetected(t *testing.T) {
	d, p := open(t, config(t))
	c := acquire(t, p)
	defer c.Release(false)
	rows, err := c.Query(t.Context(), "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'", nil)
	if err != nil {
		t.Fatal(err)
	}
	on := false
	for rows.Next() {
		var name, val any
		if err := rows.Scan(&name, &val); err != nil {
			t.Fatal(err)
		}
		if b, ok := val.([]byte); ok {
			val = string(b)
		}
		on = strings.EqualFold(fmt.Sprint(val), "ON")
	}
	rows.Close()
	if d.Galera() != on {
		t.Errorf("Galera() = %v, wsrep_on is %v", d.Galera(), on)
	}
}
