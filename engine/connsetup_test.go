package engine

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// setupCase is, per target, a session setting to apply at connect, another value for it,
// and how to read it back and tell connections apart.
type setupCase struct {
	set, other string // statements setting the value to want, and to something else
	read       string // a query returning the value as text
	want       string
	ident      string // a query returning the connection's identity ("" on SQLite)
}

func setupCaseFor(name string) setupCase {
	switch name {
	case testdb.NamePostgres:
		return setupCase{"SET search_path TO retort_setup, public", "SET search_path TO public",
			"SELECT current_setting('search_path')", "retort_setup, public", "SELECT pg_backend_pid()::text"}
	case testdb.NameMariaDB:
		// The dialect's own set-up puts every connection on UTC first: OnConnect runs after.
		return setupCase{"SET SESSION time_zone = '+02:00'", "SET SESSION time_zone = '-05:00'",
			"SELECT @@SESSION.time_zone", "+02:00", "SELECT CAST(CONNECTION_ID() AS CHAR)"}
	}
	return setupCase{"PRAGMA cache_size = -1234", "PRAGMA cache_size = -99",
		"SELECT CAST((SELECT cache_size FROM pragma_cache_size()) AS TEXT)", "-1234", ""}
}

// readText runs a one-value query and returns the value as text.
func readText(t *testing.T, c *Conn, sql string) string {
	t.Helper()
	res := mustQuery(t, c, sql, []compile.ResultColumn{col("v", types.Text())})
	v, err := res.Scalar()
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return fmt.Sprint(v)
}

// TestOnConnect: the statements of OnConnect and of the URL's init_command run on every
// new pooled connection, after the dialect's own set-up.
func TestOnConnect(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		sc := setupCaseFor(tg.Name)
		u, err := url.Parse(tg.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Add(InitCommandOption, sc.set)
		u.RawQuery = q.Encode()
		for name, eng := range map[string]*Engine{
			"OnConnect":    openEngine(t, tg, OnConnect(sc.set), PoolSize(3)),
			"init_command": openEngine(t, testdb.Target{Name: tg.Name, URL: u.String()}, PoolSize(3)),
		} {
			// Three connections at once: three new connections, each set up.
			var conns []*Conn
			for range 3 {
				conns = append(conns, connect(t, eng))
			}
			for i, c := range conns {
				if got := readText(t, c, sc.read); got != sc.want {
					t.Errorf("%s: connection %d reads %q, want %q", name, i, got, sc.want)
				}
				c.Close()
			}
		}
	})
}

// TestOnConnectFailure: a set-up statement that fails makes Create fail, naming it.
func TestOnConnectFailure(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		_, err := Create(t.Context(), tg.URL, OnConnect("SET no_such_setting_xyz = 1"))
		if err == nil || !strings.Contains(err.Error(), "no_such_setting_xyz") {
			t.Fatalf("Create with a failing set-up statement: %v", err)
		}
	})
}

// TestSessionSetNotLeftInPool: a SET run through Execute changes only the connection it
// ran on; that connection is closed when the Conn lets it go, so the next user of the
// pool gets a connection with the OnConnect settings alone. A connection on which no SET
// ran goes back to the pool and is reused.
func TestSessionSetNotLeftInPool(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		sc := setupCaseFor(tg.Name)
		eng := openEngine(t, tg, OnConnect(sc.set), PoolSize(1))
		ident := func(c *Conn) string {
			if sc.ident == "" {
				return ""
			}
			return readText(t, c, sc.ident)
		}

		c := connect(t, eng)
		first := ident(c)
		c.Close()
		c = connect(t, eng)
		if id := ident(c); id != first {
			t.Errorf("a connection without SET was not reused: %s, then %s", first, id)
		}
		mustExec(t, c, sc.other)
		if got := readText(t, c, sc.read); got == sc.want {
			t.Fatalf("SET through Execute had no effect: %q", got)
		}
		c.Close()

		c = connect(t, eng)
		defer c.Close()
		if got := readText(t, c, sc.read); got != sc.want {
			t.Errorf("after another user's SET the pooled connection reads %q, want %q", got, sc.want)
		}
		if id := ident(c); sc.ident != "" && id == first {
			t.Errorf("the connection a SET ran on went back to the pool (%s)", id)
		}
	})
}

func TestChangesSession(t *testing.T) {
	for sql, want := range map[string]bool{
		"SET SESSION wsrep_sync_wait = 1":   true,
		"  set search_path TO a":            true,
		"SET @x = 1":                        true,
		"SET@x=1":                           true,
		"USE other":                         true,
		"SET LOCAL statement_timeout = 5":   false,
		"set local lock_timeout = '1s'":     false,
		"SELECT 1":                          false,
		"SETTINGS":                          false,
		"UPDATE t SET a = 1":                false,
		"INSERT INTO users (name) VALUES ?": false,
		"":                                  false,
	} {
		if got := changesSession(sql); got != want {
			t.Errorf("changesSession(%q) = %v, want %v", sql, got, want)
		}
	}
}
