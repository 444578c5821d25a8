package orm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// Models of the cancellation tests: a parent with children, so that a flush is several
// statements (parents first, then children with the parents' new keys).
type rlParent struct {
	ID   int64 `retort:"pk"`
	Name string
	Kids []*rlKid `retort:"rel"`
}

type rlKid struct {
	ID       int64 `retort:"pk"`
	ParentID int64 `retort:"parent_id,fk=rl_parent.id"`
	Name     string
}

func registerRL(reg *Registry) error { return Register[rlParent](reg) }

// rlCount counts the rows of table from a connection of its own, outside any session:
// what other clients of the database see.
func rlCount(t *testing.T, e *env, table string) int64 {
	t.Helper()
	c, err := e.eng.Connect(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Scalar(e.ctx, expr.Text("SELECT COUNT(*) FROM "+table).Columns(expr.Column("n", types.BigInt())))
	if err != nil {
		t.Fatal(err)
	}
	return v.(int64)
}

// rlExec runs sql on a connection of its own.
func rlExec(t *testing.T, e *env, sql string) {
	t.Helper()
	c, err := e.eng.Connect(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Execute(e.ctx, expr.Text(sql)); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// rlFamilies returns n new parents with two children each.
func rlFamilies(prefix string, n int) []any {
	out := make([]any, n)
	for i := range out {
		name := fmt.Sprintf("%s%d", prefix, i)
		out[i] = &rlParent{Name: name, Kids: []*rlKid{{Name: name + "a"}, {Name: name + "b"}}}
	}
	return out
}

// rlSeed commits one family, so that the tables are not empty.
func rlSeed(t *testing.T, e *env, sm *SessionMaker) {
	t.Helper()
	if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error {
		return s.AddAll(rlFamilies("seed", 1)...)
	}); err != nil {
		t.Fatal(err)
	}
}

// checkFailedFlush checks the state after a flush that failed because its context
// ended: the error wraps the context's error; the database is as before (1 parent and 2
// children, seen from another connection); the objects are back as before the flush
// (pending, no keys); every operation reports ErrPendingRollback wrapping the cause until
// Rollback, which makes them transient; added again, the same objects commit; no
// connection is left checked out.
func checkFailedFlush(t *testing.T, e *env, s *Session, objs []any, err, ctxErr error, slowTable string) {
	t.Helper()
	if !errors.Is(err, ctxErr) {
		t.Fatalf("flush error %v does not wrap %v", err, ctxErr)
	}
	if n, m := rlCount(t, e, "rl_parent"), rlCount(t, e, "rl_kid"); n != 1 || m != 2 {
		t.Errorf("after the failed flush the database has %d parents and %d children, want 1 and 2", n, m)
	}
	for _, o := range objs {
		p := o.(*rlParent)
		if st := s.Status(p); st != Pending || p.ID != 0 {
			t.Fatalf("parent %s after the failed flush: status %v, id %d; want pending with no key", p.Name, st, p.ID)
		}
		for _, k := range p.Kids {
			if k.ID != 0 || k.ParentID != 0 {
				t.Fatalf("child %s after the failed flush: id %d, parent_id %d; want 0, 0", k.Name, k.ID, k.ParentID)
			}
		}
	}
	ctx := e.ctx
	if err := s.Flush(ctx); !errors.Is(err, ErrPendingRollback) || !errors.Is(err, ctxErr) {
		t.Errorf("Flush after the failed flush: %v, want ErrPendingRollback wrapping %v", err, ctxErr)
	}
	if err := s.Commit(ctx); !errors.Is(err, ErrPendingRollback) {
		t.Errorf("Commit after the failed flush: %v, want ErrPendingRollback", err)
	}
	if _, err := Get[rlParent](ctx, s, int64(1)); !errors.Is(err, ErrPendingRollback) {
		t.Errorf("Get after the failed flush: %v, want ErrPendingRollback", err)
	}
	if _, err := s.Execute(ctx, expr.Text("SELECT 1")); !errors.Is(err, ErrPendingRollback) {
		t.Errorf("Execute after the failed flush: %v, want ErrPendingRollback", err)
	}
	if err := s.Rollback(ctx); err != nil {
		t.Fatalf("Rollback after the failed flush: %v", err)
	}
	if slowTable != "" {
		rlDropSlow(t, e)
	}
	if got := e.eng.Stats().InUse; got != 0 {
		t.Errorf("after Rollback %d connections are checked out, want 0", got)
	}
	// The session is usable again; the rollback expunged the objects of the failed flush
	// (transient again, keys still unset), so a Commit writes nothing until they are added
	// again: the catch-fix-retry pattern.
	if got := len(s.New()); got != 0 {
		t.Errorf("after Rollback %d objects are pending, want 0", got)
	}
	for _, o := range objs {
		if st := s.Status(o); st != Transient {
			t.Fatalf("after Rollback an object is %v, want transient", st)
		}
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatalf("Commit after Rollback: %v", err)
	}
	if n, m := rlCount(t, e, "rl_parent"), rlCount(t, e, "rl_kid"); n != 1 || m != 2 {
		t.Errorf("a Commit after Rollback wrote rolled back objects: %d parents and %d children, want 1 and 2", n, m)
	}
	if err := s.AddAll(objs...); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatalf("Commit of the objects added again: %v", err)
	}
	if n, m := rlCount(t, e, "rl_parent"), rlCount(t, e, "rl_kid"); n != int64(1+len(objs)) || m != int64(2+2*len(objs)) {
		t.Errorf("after the second Commit the database has %d parents and %d children, want %d and %d", n, m, 1+len(objs), 2+2*len(objs))
	}
	for _, o := range objs {
		p := o.(*rlParent)
		if p.ID == 0 || s.Status(p) != Persistent {
			t.Fatalf("parent %s after Commit: id %d, status %v", p.Name, p.ID, s.Status(p))
		}
		for _, k := range p.Kids {
			if k.ParentID != p.ID {
				t.Fatalf("child %s after Commit: parent_id %d, want %d", k.Name, k.ParentID, p.ID)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if got := e.eng.Stats().InUse; got != 0 {
		t.Errorf("after Close %d connections are checked out, want 0", got)
	}
}

// TestCancelBeforeCommit commits a big flush with a context cancelled beforehand, in a
// session whose transaction is open (it ran a query first).
func TestCancelBeforeCommit(t *testing.T) {
	eachDB(t, registerRL, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		rlSeed(t, e, sm)
		s := sm.New()
		defer s.Close()
		if _, err := Get[rlParent](e.ctx, s, int64(1)); err != nil {
			t.Fatal(err)
		}
		objs := rlFamilies("p", 300)
		if err := s.AddAll(objs...); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		err := s.Commit(ctx)
		checkFailedFlush(t, e, s, objs, err, context.Canceled, "")
	})
}

// TestDeadlineBeforeCommit is TestCancelBeforeCommit with a deadline that has passed,
// in a session that has not begun a transaction yet.
func TestDeadlineBeforeCommit(t *testing.T) {
	eachDB(t, registerRL, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		rlSeed(t, e, sm)
		s := sm.New()
		defer s.Close()
		objs := rlFamilies("p", 50)
		if err := s.AddAll(objs...); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithDeadline(e.ctx, time.Now().Add(-time.Second))
		defer cancel()
		err := s.Commit(ctx)
		checkFailedFlush(t, e, s, objs, err, context.DeadlineExceeded, "")
	})
}

// rlMakeSlow makes every INSERT into rl_kid run for a long time (seconds at least), so
// that a flush is interrupted while the children are written, after the parents were.
func rlMakeSlow(t *testing.T, e *env) {
	t.Helper()
	switch e.target.Name {
	case testdb.NamePostgres:
		rlExec(t, e, "CREATE FUNCTION rl_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(10); RETURN NULL; END $$")
		rlExec(t, e, "CREATE TRIGGER rl_slow BEFORE INSERT ON rl_kid FOR EACH STATEMENT EXECUTE FUNCTION rl_slow()")
	case testdb.NameMariaDB, testdb.NameMySQLFeatures:
		rlExec(t, e, "CREATE TRIGGER rl_slow BEFORE INSERT ON rl_kid FOR EACH ROW SET @rl_slow = SLEEP(10)")
	default:
		// SQLite has no sleep: a trigger counting a 10^9-row cross join.
		rlExec(t, e, "CREATE TABLE rl_big (x INTEGER)")
		rlExec(t, e, "INSERT INTO rl_big (x) WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT x FROM c")
		rlExec(t, e, "CREATE TRIGGER rl_slow BEFORE INSERT ON rl_kid BEGIN SELECT count(*) FROM rl_big a, rl_big b, rl_big c; END")
	}
}

// rlDropSlow removes what rlMakeSlow made.
func rlDropSlow(t *testing.T, e *env) {
	t.Helper()
	if e.target.Name == testdb.NamePostgres {
		rlExec(t, e, "DROP TRIGGER rl_slow ON rl_kid")
		return
	}
	rlExec(t, e, "DROP TRIGGER rl_slow")
}

// rlSlowRunning reports whether the server still runs the slow trigger of rlMakeSlow
// (always false on SQLite, which runs in the process).
func rlSlowRunning(t *testing.T, e *env) bool {
	t.Helper()
	var sql string
	switch e.target.Name {
	case testdb.NamePostgres:
		sql = "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO rl_kid%' AND state = 'active' AND datname = current_database()"
	case testdb.NameMariaDB, testdb.NameMySQLFeatures:
		sql = "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'INSERT INTO rl_kid%' AND db = DATABASE()"
	default:
		return false
	}
	c, err := e.eng.Connect(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Scalar(e.ctx, expr.Text(sql).Columns(expr.Column("n", types.BigInt())))
	if err != nil {
		t.Fatal(err)
	}
	return v.(int64) > 0
}

// TestCancelDuringFlush interrupts a flush while it writes the children (a trigger makes
// that statement slow), once by a deadline and once by cancel from another goroutine:
// the statement stops on the server at once, the error wraps the context's error, and
// the database, the objects and the session are as checkFailedFlush wants them.
func TestCancelDuringFlush(t *testing.T) {
	for _, mode := range []string{"deadline", "cancel"} {
		t.Run(mode, func(t *testing.T) {
			eachDB(t, registerRL, func(e *env) {
				t := e.t
				sm := NewSessionMaker(e.eng, e.reg)
				rlSeed(t, e, sm)
				rlMakeSlow(t, e)
				s := sm.New()
				defer s.Close()
				objs := rlFamilies("p", 100)
				if err := s.AddAll(objs...); err != nil {
					t.Fatal(err)
				}
				// The context ends once the parents are written and the children's INSERT
				// sleeps (10 s per row); without RETURNING (mysql-features) the 100 parents
				// are 100 INSERTs, which a loaded machine may not finish within a second.
				after := time.Second
				if e.mysql() {
					after = 4 * time.Second
				}
				var (
					ctx    context.Context
					cancel context.CancelFunc
					want   error
				)
				if mode == "deadline" {
					ctx, cancel = context.WithTimeout(e.ctx, after)
					want = context.DeadlineExceeded
				} else {
					ctx, cancel = context.WithCancel(e.ctx)
					time.AfterFunc(after, cancel)
					want = context.Canceled
				}
				defer cancel()
				start := time.Now()
				err := s.Commit(ctx)
				if d := time.Since(start); d > after+5*time.Second {
					t.Errorf("Commit returned %v after it started, %v after its context ended", d, d-after)
				}
				if err == nil {
					t.Fatal("Commit succeeded despite the slow trigger and the deadline")
				}
				// The slow statement is the children's INSERT: the parents went first.
				if !strings.Contains(err.Error(), "INSERT INTO rl_kid") {
					t.Errorf("the interrupted statement is not the children's INSERT: %v", err)
				}
				var se *engine.StatementError
				if !errors.As(err, &se) {
					t.Errorf("error %v carries no *engine.StatementError", err)
				}
				deadline := time.Now().Add(5 * time.Second)
				for rlSlowRunning(t, e) {
					if time.Now().After(deadline) {
						t.Fatalf("the interrupted INSERT still runs on the server 5s later")
					}
					time.Sleep(50 * time.Millisecond)
				}
				checkFailedFlush(t, e, s, objs, err, want, "rl_kid")
			})
		})
	}
}

// rlSlowQuery returns a query that runs for ten seconds or more on e's database.
func rlSlowQuery(e *env) string {
	switch e.target.Name {
	case testdb.NamePostgres:
		return "SELECT 1 FROM pg_sleep(10)"
	case testdb.NameMariaDB, testdb.NameMySQLFeatures:
		return "SELECT SLEEP(10)"
	}
	return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) FROM c"
}

// TestCancelQueryInSession interrupts queries of a session: a slow statement by a
// deadline, and a Stream of objects by cancel after its first object. The error wraps the
// context's error; the session's transaction, lost with its connection, is reported
// (engine.ErrTxInvalid) rather than silently replaced, until Rollback; after Rollback the
// session works; the changes flushed before the interruption are gone; no connection is
// left checked out.
func TestCancelQueryInSession(t *testing.T) {
	eachDB(t, registerRL, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		rlSeed(t, e, sm)
		if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error {
			return s.AddAll(rlFamilies("more", 1100)...)
		}); err != nil {
			t.Fatal(err)
		}
		s := sm.New()
		defer s.Close()

		// A flushed change, then a slow query cut by a deadline.
		if err := s.Add(&rlParent{Name: "flushed"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(e.ctx, 300*time.Millisecond)
		start := time.Now()
		_, err := s.Execute(ctx, expr.Text(rlSlowQuery(e)))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("slow query: %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the slow query returned after %v", d)
		}
		if _, err := s.Execute(e.ctx, expr.Text("SELECT 1")); !errors.Is(err, engine.ErrTxInvalid) {
			t.Errorf("statement after the interrupted query: %v, want engine.ErrTxInvalid", err)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatalf("Rollback: %v", err)
		}
		if got := e.eng.Stats().InUse; got != 0 {
			t.Errorf("after Rollback %d connections are checked out", got)
		}
		if n := rlCount(t, e, "rl_parent"); n != 1101 {
			t.Errorf("%d parents, want 1101 (the flushed one rolled back)", n)
		}

		// A Stream cancelled after its first object.
		sctx, scancel := context.WithCancel(e.ctx)
		defer scancel()
		seen := 0
		var serr error
		for p, err := range Stream(sctx, s, SelectOf[rlParent](e.reg)) {
			if err != nil {
				serr = err
				break
			}
			if p == nil {
				t.Fatal("Stream yielded a nil object without error")
			}
			seen++
			if seen == 1 {
				scancel()
			}
			if seen > 1100 {
				break
			}
		}
		// The rows may all be read before the cancel is seen (SQLite); PostgreSQL's
		// server-side cursor fetches 1000 rows at a time and notices it at the next FETCH.
		if serr != nil && !errors.Is(serr, context.Canceled) {
			t.Errorf("Stream after cancel: %v, want context.Canceled", serr)
		}
		if e.target.Name == testdb.NamePostgres && serr == nil {
			t.Errorf("Stream on PostgreSQL read %d objects despite the cancel", seen)
		}
		if serr == nil && seen != 1101 {
			t.Errorf("Stream ended without error after %d of 1101 objects", seen)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatalf("Rollback after the stream: %v", err)
		}
		got, err := Scalars(e.ctx, s, SelectOf[rlParent](e.reg))
		if err != nil || got.Len() != 1101 {
			t.Fatalf("query after Rollback: %v objects, %v", got, err)
		}

		// A change flushed, then a Stream that reads all its rows while its context is
		// cancelled: whatever the stream does, the flushed change is never dropped
		// silently: Commit either writes it or fails.
		if err := s.Add(&rlParent{Name: "kept"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		sctx2, scancel2 := context.WithCancel(e.ctx)
		for range Stream(sctx2, s, SelectOf[rlParent](e.reg).Limit(3)) {
			scancel2()
		}
		scancel2()
		// Today the stream ends without error on every database, while on PostgreSQL
		// (the cursor could not be closed) and MariaDB (the driver dropped the
		// connection) the transaction is gone: Commit then fails.
		err = s.Commit(e.ctx)
		n := rlCount(t, e, "rl_parent")
		if err == nil && n != 1102 {
			t.Errorf("Commit succeeded but the flushed parent is not there (%d parents)", n)
		}
		if err != nil && n != 1101 {
			t.Errorf("Commit failed (%v) but the database has %d parents, want 1101", err, n)
		}
		if err != nil {
			_ = s.Rollback(e.ctx)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if got := e.eng.Stats().InUse; got != 0 {
			t.Errorf("after Close %d connections are checked out, want 0", got)
		}
	})
}
