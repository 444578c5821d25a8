package engine

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// scalarSQL runs raw SQL that returns one value of type typ.
func scalarSQL(t *testing.T, c *Conn, sql string, typ types.Type) any {
	t.Helper()
	v, err := c.Scalar(t.Context(), expr.Text(sql).Columns(expr.Column("v", typ)))
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// withQuery appends a query option to a URL.
func withQuery(u, opt string) string {
	if strings.Contains(u, "?") {
		return u + "&" + opt
	}
	return u + "?" + opt
}

// notesTable is a one-table MetaData used to see whether a database is the same one.
func notesTable() (*schema.MetaData, *schema.Table) {
	md := schema.NewMetaData()
	return md, md.MustTable("notes", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("body", types.Text()))
}

// writeNote creates the notes table on eng and inserts one row.
func writeNote(t *testing.T, eng *Engine, body string) {
	t.Helper()
	md, notes := notesTable()
	if err := eng.CreateAll(t.Context(), md); err != nil {
		t.Fatalf("CreateAll on %s: %v", eng.URL(), err)
	}
	err := eng.Begin(t.Context(), func(ctx context.Context, c *Conn) error {
		_, err := c.Execute(ctx, expr.Insert(notes).Values(map[string]any{"body": body}))
		return err
	})
	if err != nil {
		t.Fatalf("insert into %s: %v", eng.URL(), err)
	}
}

// readNotes returns the bodies in the notes table of eng, or an error when it has none.
func readNotes(t *testing.T, eng *Engine) ([]any, error) {
	t.Helper()
	_, notes := notesTable()
	c, err := eng.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Execute(t.Context(), expr.Select(notes.C("body")).OrderBy(notes.C("id")))
	if err != nil {
		return nil, err
	}
	return res.Scalars().All(), nil
}

// TestSQLiteURLPaths checks where each SQLite URL form puts its database:
// sqlite:///relative.db in the working directory, sqlite:////abs/path.db at that absolute
// path, and sqlite:// and sqlite:///:memory: in memory (no file), one database per engine
// shared by all of its connections.
func TestSQLiteURLPaths(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)

	// Relative: resolved against the working directory, subdirectories included.
	if err := os.Mkdir("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"relative.db", "sub/nested.db"} {
		eng, err := Create(t.Context(), "sqlite:///"+rel)
		if err != nil {
			t.Fatalf("Create(sqlite:///%s): %v", rel, err)
		}
		writeNote(t, eng, rel)
		if err := eng.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(work, rel)); err != nil {
			t.Errorf("sqlite:///%s did not create %s in the working directory: %v", rel, rel, err)
		}
		// Another engine on the same URL sees the same file.
		eng2, err := Create(t.Context(), "sqlite:///"+rel)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := readNotes(t, eng2); err != nil || len(got) != 1 || got[0] != rel {
			t.Errorf("reopened sqlite:///%s: %v, %v", rel, got, err)
		}
		eng2.Close()
	}

	// Absolute: four slashes, the file lands there and not in the working directory.
	absDir := t.TempDir()
	abs := filepath.ToSlash(filepath.Join(absDir, "abs.db"))
	if !strings.HasPrefix(abs, "/") {
		t.Fatalf("temp dir %q is not absolute", abs)
	}
	eng, err := Create(t.Context(), "sqlite:///"+abs)
	if err != nil {
		t.Fatalf("Create(sqlite:///%s): %v", abs, err)
	}
	if got := eng.URL().String(); got != "sqlite:///"+abs {
		t.Errorf("URL = %q", got)
	}
	writeNote(t, eng, "abs")
	eng.Close()
	if _, err := os.Stat(abs); err != nil {
		t.Errorf("sqlite:///%s did not create the file: %v", abs, err)
	}
	if _, err := os.Stat(filepath.Join(work, "abs.db")); err == nil {
		t.Errorf("sqlite:///%s created abs.db in the working directory", abs)
	}

	// In memory: the table survives between connections of one engine (they share one
	// database), another engine has its own, and nothing is written to disk.
	for _, u := range []string{"sqlite://", "sqlite:///:memory:"} {
		eng, err := Create(t.Context(), u)
		if err != nil {
			t.Fatalf("Create(%s): %v", u, err)
		}
		writeNote(t, eng, "mem")
		for range 3 { // every new Conn sees the table
			if got, err := readNotes(t, eng); err != nil || len(got) != 1 || got[0] != "mem" {
				t.Errorf("%s: a later connection reads %v, %v", u, got, err)
			}
		}
		// Concurrent users of the one in-memory connection take turns.
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if got, err := readNotes(t, eng); err != nil || len(got) != 1 {
					t.Errorf("%s: concurrent read %v, %v", u, got, err)
				}
			}()
		}
		wg.Wait()
		other, err := Create(t.Context(), u)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := readNotes(t, other); err == nil {
			t.Errorf("%s: a second engine sees the first one's table: %v", u, got)
		}
		other.Close()
		eng.Close()
	}
	entries, err := os.ReadDir(work)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != "sub" && !strings.HasPrefix(e.Name(), "relative.db") {
			names = append(names, e.Name())
		}
	}
	if len(names) != 0 {
		t.Errorf("in-memory databases left files in the working directory: %v", names)
	}
}

// TestSQLiteFilePragmas checks the settings of file databases: foreign keys enforced, WAL,
// a busy timeout, and URL options overriding the latter two.
func TestSQLiteFilePragmas(t *testing.T) {
	tg := testdb.SQLite(t)
	c := connect(t, openEngine(t, tg))
	if got := scalarSQL(t, c, "PRAGMA foreign_keys", types.Integer()); got != int64(1) {
		t.Errorf("foreign_keys = %v, want 1", got)
	}
	if got := scalarSQL(t, c, "PRAGMA journal_mode", types.Text()); got != "wal" {
		t.Errorf("journal_mode = %v, want wal", got)
	}
	if got := scalarSQL(t, c, "PRAGMA busy_timeout", types.Integer()); got != int64(5000) {
		t.Errorf("busy_timeout = %v, want 5000", got)
	}
	c2 := connect(t, openEngine(t, testdb.Target{Name: tg.Name, URL: tg.URL + "2?timeout=2.5&journal_mode=delete"}))
	if got := scalarSQL(t, c2, "PRAGMA journal_mode", types.Text()); got != "delete" {
		t.Errorf("journal_mode with ?journal_mode=delete = %v", got)
	}
	if got := scalarSQL(t, c2, "PRAGMA busy_timeout", types.Integer()); got != int64(2500) {
		t.Errorf("busy_timeout with ?timeout=2.5 = %v, want 2500", got)
	}
}

// TestQueryOptionsReachDriver checks that URL query options change the session on each
// database, and that an unknown one is refused with a message naming it.
func TestQueryOptionsReachDriver(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		var opt, sql, want, bad string
		switch tg.Name {
		case testdb.NameSQLite:
			opt, sql, want, bad = "journal_mode=truncate", "PRAGMA journal_mode", "truncate", "sqlite: unknown URL option \"bogus\""
		case testdb.NamePostgres:
			opt, sql, want, bad = "application_name=retort-opt", "SELECT current_setting('application_name')", "retort-opt",
				"postgresql: URL option \"dbname\" must be given in the URL itself"
		case testdb.NameMariaDB:
			opt, sql, want, bad = "collation=utf8mb4_bin", "SELECT @@collation_connection", "utf8mb4_bin", "mysql: unknown URL option \"bogus\""
		}
		c := connect(t, openEngine(t, testdb.Target{Name: tg.Name, URL: withQuery(tg.URL, opt)}))
		if got := scalarSQL(t, c, sql, types.Text()); got != want {
			t.Errorf("?%s: %s = %v, want %v", opt, sql, got, want)
		}
		badOpt := "bogus=1"
		if tg.Name == testdb.NamePostgres {
			badOpt = "dbname=other" // any other name is a server setting, checked by the server
		}
		_, err := Create(t.Context(), withQuery(tg.URL, badOpt))
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.HasPrefix(err.Error(), "engine: connect to ") {
			t.Errorf("?%s: got %v, want an error containing %q", badOpt, err, bad)
		}
	})
}

// backendID returns the server's id of the connection c uses ("" on SQLite).
func backendID(t *testing.T, c *Conn, name string) string {
	t.Helper()
	switch name {
	case testdb.NamePostgres:
		return scalarSQL(t, c, "SELECT CAST(pg_backend_pid() AS TEXT)", types.Text()).(string)
	case testdb.NameMariaDB:
		return scalarSQL(t, c, "SELECT CAST(CONNECTION_ID() AS CHAR)", types.Text()).(string)
	}
	return ""
}

// serverSessions counts the server connections open to c's database (-1 on SQLite).
func serverSessions(t *testing.T, c *Conn, name string) int64 {
	t.Helper()
	switch name {
	case testdb.NamePostgres:
		return scalarSQL(t, c, "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()", types.BigInt()).(int64)
	case testdb.NameMariaDB:
		return scalarSQL(t, c, "SELECT COUNT(*) FROM information_schema.processlist WHERE db = DATABASE()", types.BigInt()).(int64)
	}
	return -1
}

// TestPoolSizeLimitsConnections checks that PoolSize + MaxOverflow bounds the connections
// in use at once: a burst of goroutines never holds more, the server never sees more, and
// with a PoolTimeout the connection beyond the limit is refused until one is returned.
func TestPoolSizeLimitsConnections(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		const limit = 3
		eng := openEngine(t, tg, PoolSize(2), MaxOverflow(1))
		var inUse, peak atomic.Int64
		var wg sync.WaitGroup
		for range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := eng.Connect(t.Context())
				if err != nil {
					t.Error(err)
					return
				}
				n := inUse.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				if _, err := c.Scalar(t.Context(), expr.Select(expr.Value(1, types.Integer()))); err != nil {
					t.Error(err)
				}
				time.Sleep(30 * time.Millisecond)
				inUse.Add(-1)
				c.Close()
			}()
		}
		wg.Wait()
		if p := peak.Load(); p > limit || p < 2 {
			t.Errorf("%d connections were in use at once, want at most %d (and more than one)", p, limit)
		}
		c := connect(t, eng)
		if n := serverSessions(t, c, tg.Name); n > limit {
			t.Errorf("the server has %d sessions on the database, want at most %d", n, limit)
		}
		c.Close()

		timed := openEngine(t, tg, PoolSize(2), MaxOverflow(1), PoolTimeout(200*time.Millisecond))
		var held []*Conn
		for range limit {
			held = append(held, connect(t, timed))
		}
		start := time.Now()
		extra, err := timed.Connect(t.Context())
		if err == nil {
			extra.Close()
			t.Fatalf("connection %d of a pool of %d was handed out", limit+1, limit)
		}
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "pool timeout") {
			t.Errorf("connection beyond the pool: %v", err)
		}
		if d := time.Since(start); d < 150*time.Millisecond || d > 5*time.Second {
			t.Errorf("gave up after %v, want about 200ms", d)
		}
		held[0].Close()
		c = connect(t, timed)
		if _, err := c.Scalar(t.Context(), expr.Select(expr.Value(1, types.Integer()))); err != nil {
			t.Errorf("after a connection was returned: %v", err)
		}
	})
}

// TestPoolRecycleAndPrePing checks that PoolRecycle replaces connections older than its
// age and that PoolPrePing replaces a connection the server dropped, without a statement
// failing (SQLite has no server: there both options must simply not get in the way).
func TestPoolRecycleAndPrePing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		// Recycle: with one connection and a 100ms lifetime, the backend changes.
		start := time.Now()
		eng := openEngine(t, tg, PoolSize(1), MaxOverflow(0), PoolRecycle(100*time.Millisecond))
		c := connect(t, eng)
		first := backendID(t, c, tg.Name)
		c.Close()
		c = connect(t, eng)
		again := backendID(t, c, tg.Name)
		// Only when the connection surely is still young (a loaded machine may take longer
		// than its lifetime to get here) must it have been kept.
		if time.Since(start) < 80*time.Millisecond && again != first {
			t.Errorf("a young connection was replaced: backend %s, then %s", first, again)
		}
		c.Close()
		time.Sleep(300 * time.Millisecond)
		c = connect(t, eng)
		if later := backendID(t, c, tg.Name); tg.Name != testdb.NameSQLite && later == first {
			t.Errorf("PoolRecycle(100ms): backend %s still in use after 300ms", first)
		}
		c.Close()

		// Pre-ping: the server ends the pooled connection; the next Connect gets a new one.
		eng = openEngine(t, tg, PoolSize(1), MaxOverflow(0), PoolPrePing(true))
		c = connect(t, eng)
		first = backendID(t, c, tg.Name)
		c.Close()
		if tg.Name != testdb.NameSQLite {
			killer := connect(t, openEngine(t, tg))
			kill := "SELECT pg_terminate_backend(" + first + ")"
			if tg.Name == testdb.NameMariaDB {
				kill = "KILL CONNECTION " + first
			}
			if _, err := killer.Execute(t.Context(), expr.Text(kill)); err != nil {
				t.Fatalf("%s: %v", kill, err)
			}
			// Wait until the server has really ended it.
			gone := "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = " + first
			if tg.Name == testdb.NameMariaDB {
				gone = "SELECT COUNT(*) FROM information_schema.processlist WHERE id = " + first
			}
			for deadline := time.Now().Add(10 * time.Second); scalarSQL(t, killer, gone, types.BigInt()) != int64(0); {
				if time.Now().After(deadline) {
					t.Fatalf("backend %s still listed 10s after it was killed", first)
				}
				time.Sleep(20 * time.Millisecond)
			}
			killer.Close()
		}
		c = connect(t, eng)
		if _, err := c.Scalar(t.Context(), expr.Select(expr.Value(1, types.Integer()))); err != nil {
			t.Errorf("first statement after the server dropped the pooled connection: %v", err)
		}
		if now := backendID(t, c, tg.Name); tg.Name != testdb.NameSQLite && now == first {
			t.Errorf("the dropped backend %s was handed out again", first)
		}
	})
}

// TestPercentEncodedPassword connects to MariaDB as a user whose password holds the
// characters a URL must percent-encode (@ / : % ? #), and checks that a wrong password is
// refused with an error that shows neither password.
func TestPercentEncodedPassword(t *testing.T) {
	tg := testdb.MySQL(t)
	admin := connect(t, openEngine(t, tg))
	u, err := ParseURL(tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	user := fmt.Sprintf("retort_pw_%d", time.Now().UnixNano()%1_000_000_000)
	const password = "p@ss/w:rd%?#x"
	for _, sql := range []string{
		"CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'",
		"GRANT ALL PRIVILEGES ON `" + u.Database + "`.* TO '" + user + "'@'%'",
	} {
		if _, err := admin.Execute(t.Context(), expr.Text(sql)); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	t.Cleanup(func() {
		_, _ = admin.Execute(context.Background(), expr.Text("DROP USER '"+user+"'@'%'"))
	})
	port := u.Port
	if port == 0 {
		port = 3306
	}
	base := fmt.Sprintf("mariadb://%s:%%s@%s:%d/%s", user, u.Host, port, u.Database)

	eng, err := Create(t.Context(), fmt.Sprintf(base, url.QueryEscape(password)))
	if err == nil {
		c := connect(t, eng)
		got := scalarSQL(t, c, "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)", types.Text())
		if got != user {
			t.Errorf("connected as %v, want %s", got, user)
		}
		eng.Close()
	} else {
		t.Fatalf("connect with the percent-encoded password: %v", err)
	}

	_, err = Create(t.Context(), fmt.Sprintf(base, url.QueryEscape("wr@ng/pw")))
	if err == nil {
		t.Fatal("a wrong password was accepted")
	}
	for _, secret := range []string{password, "wr@ng/pw", url.QueryEscape("wr@ng/pw"), url.QueryEscape(password)} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error shows a password (%q): %v", secret, err)
		}
	}
	if !strings.HasPrefix(err.Error(), "engine: connect to mariadb://"+user+":***@") || !strings.Contains(err.Error(), "Access denied") {
		t.Errorf("wrong password: %v", err)
	}
}
