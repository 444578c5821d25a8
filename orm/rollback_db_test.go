package orm

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// Acct and Note: a unique name (to make a flush fail), a client default, a server
// default, and a one-to-many with back_populates.
type Acct struct {
	ID      int64
	Name    string    `retort:"unique"`
	Balance int64     `retort:"default=100"`
	Created time.Time `retort:"server_default=now()"`
	Notes   []*Note   `retort:"rel,back_populates=Acct"`
}

type Note struct {
	ID     int64
	AcctID *int64 `retort:"fk=acct.id"`
	Body   string
	Acct   *Acct `retort:"rel,back_populates=Notes"`
}

func registerAcct(reg *Registry) error { return Register[Acct](reg) }

// acctRows returns "name:balance" for every acct row, by id, read on a connection of
// its own (what another client sees).
func acctRows(t *testing.T, e *env) []string {
	t.Helper()
	c, err := e.eng.Connect(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Execute(e.ctx, expr.Text("SELECT name, balance FROM acct ORDER BY id"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res.All() {
		var name string
		var bal int64
		if err := r.Scan(&name, &bal); err != nil {
			t.Fatal(err)
		}
		out = append(out, name+":"+strconv.FormatInt(bal, 10))
	}
	return out
}

func noteCount(t *testing.T, e *env) int64 {
	t.Helper()
	c, err := e.eng.Connect(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Scalar(e.ctx, expr.Select(expr.CountStar()).From(e.reg.mappers[typeOf[Note]()].table))
	if err != nil {
		t.Fatal(err)
	}
	return v.(int64)
}

// seedAccts commits accounts named names (balance 100 each) and returns them.
func seedAccts(t *testing.T, e *env, sm *SessionMaker, names ...string) []*Acct {
	t.Helper()
	var out []*Acct
	err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error {
		for _, n := range names {
			a := &Acct{Name: n}
			out = append(out, a)
			if err := s.Add(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// inIdentity reports whether s's identity map holds obj under its key.
func inIdentity(s *Session, obj any) bool {
	for _, st := range s.identity {
		if st.object() == obj {
			return true
		}
	}
	return false
}

// TestRollbackFailedFlushRetry: a flush that fails on a unique constraint, Rollback, fix
// the field, add again, commit (the catch-fix-retry pattern).
func TestRollbackFailedFlushRetry(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		seedAccts(t, e, sm, "taken")
		s := sm.New()
		defer s.Close()
		a := &Acct{Name: "taken", Notes: []*Note{{Body: "n1"}, {Body: "n2"}}}
		if err := s.Add(a); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		err := s.Commit(e.ctx)
		var ie *engine.IntegrityError
		if !errors.As(err, &ie) {
			t.Fatalf("Commit: %v, want an IntegrityError", err)
		}
		// Until Rollback: the objects are as before the flush, and the session refuses work.
		if s.Status(a) != Pending || a.ID != 0 || a.Balance != 0 || !a.Created.IsZero() {
			t.Errorf("after the failed flush: %v id %d balance %d created %v", s.Status(a), a.ID, a.Balance, a.Created)
		}
		if err := s.Flush(e.ctx); !errors.Is(err, ErrPendingRollback) {
			t.Errorf("Flush before Rollback: %v", err)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		// Pending objects of the rolled back transaction are expunged: transient, out of
		// the session, with what the flush filled reset.
		for _, o := range []any{a, a.Notes[0], a.Notes[1]} {
			if st := s.Status(o); st != Transient {
				t.Errorf("after Rollback %T is %v, want transient", o, st)
			}
		}
		if a.ID != 0 || a.Balance != 0 || !a.Created.IsZero() || a.Notes[0].AcctID != nil || a.Notes[0].ID != 0 {
			t.Errorf("after Rollback: id %d balance %d created %v note acct_id %v", a.ID, a.Balance, a.Created, a.Notes[0].AcctID)
		}
		if len(s.New()) != 0 || len(s.identity) != 0 || len(s.states) != 0 {
			t.Errorf("after Rollback the session holds %d new, %d identities, %d objects", len(s.New()), len(s.identity), len(s.states))
		}
		// A Commit now writes nothing: what was rolled back is not sent again.
		e.cap.take(true)
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.expect()
		// Fix, add again, commit.
		a.Name = "fresh"
		if err := s.Add(a); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if s.Status(a) != Persistent || a.ID == 0 || a.Balance != 100 || a.Created.IsZero() || a.Notes[1].AcctID == nil || *a.Notes[1].AcctID != a.ID {
			t.Errorf("after the retry: %v id %d balance %d created %v note acct_id %v", s.Status(a), a.ID, a.Balance, a.Created, a.Notes[1].AcctID)
		}
		if got := acctRows(t, e); !slices.Equal(got, []string{"taken:100", "fresh:100"}) {
			t.Errorf("rows %v", got)
		}
		if n := noteCount(t, e); n != 2 {
			t.Errorf("%d notes, want 2", n)
		}
	})
}

// TestRollbackAfterFlush: inserts, updates and deletes flushed in the transaction, and
// changes not flushed yet, all undone by Rollback.
func TestRollbackAfterFlush(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		seedAccts(t, e, sm, "a", "b", "c", "d", "e")
		s := sm.New()
		defer s.Close()
		all, err := Scalars(e.ctx, s, SelectOf[Acct](e.reg).OrderBy(e.reg.mappers[typeOf[Acct]()].table.C("id")))
		if err != nil {
			t.Fatal(err)
		}
		a, b, c, d, x := all.All()[0], all.All()[1], all.All()[2], all.All()[3], all.All()[4]
		created := a.Created
		fresh := &Acct{Name: "fresh", Balance: 7}
		if err := s.Add(fresh); err != nil {
			t.Fatal(err)
		}
		a.Name = "a-flushed"
		if err := s.Delete(b); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		freshID := fresh.ID
		if freshID == 0 || s.Status(b) != Deleted {
			t.Fatalf("after flush: fresh id %d, b %v", freshID, s.Status(b))
		}
		a.Name = "a-again"                  // unflushed change on top of a flushed one
		c.Balance = 5                       // unflushed change
		if err := s.Delete(d); err != nil { // marked, not flushed
			t.Fatal(err)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		if s.Status(fresh) != Transient || fresh.ID != 0 || fresh.Balance != 7 || !fresh.Created.IsZero() || inIdentity(s, fresh) {
			t.Errorf("fresh after Rollback: %v id %d balance %d created %v", s.Status(fresh), fresh.ID, fresh.Balance, fresh.Created)
		}
		for _, o := range []*Acct{a, b, c, d, x} {
			if s.Status(o) != Persistent || !inIdentity(s, o) {
				t.Errorf("%s after Rollback: %v, in identity map %v", o.Name, s.Status(o), inIdentity(s, o))
			}
		}
		// Field values are those of the start of the transaction, at once.
		if a.Name != "a" || c.Balance != 100 || !a.Created.Equal(created) {
			t.Errorf("after Rollback a.Name %q c.Balance %d", a.Name, c.Balance)
		}
		for _, st := range []*state{s.states[ptrOf(a)], s.states[ptrOf(c)], s.states[ptrOf(x)]} {
			if !st.expired {
				t.Errorf("%s is not expired after Rollback", st.object().(*Acct).Name)
			}
		}
		if len(s.Dirty()) != 0 || len(s.Deleted()) != 0 || len(s.New()) != 0 {
			t.Errorf("after Rollback dirty %d deleted %d new %d", len(s.Dirty()), len(s.Deleted()), len(s.New()))
		}
		// Nothing is written by the next Commit; a Get of the rolled back key finds no row.
		e.cap.take(true)
		if got, err := Get[Acct](e.ctx, s, freshID); err != nil || got != nil {
			t.Errorf("Get of the rolled back insert: %v %v", got, err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		for _, q := range e.cap.take(false) {
			if !isSelect(q) {
				t.Errorf("Commit after Rollback sent %s", q)
			}
		}
		if got := acctRows(t, e); !slices.Equal(got, []string{"a:100", "b:100", "c:100", "d:100", "e:100"}) {
			t.Errorf("rows %v", got)
		}
		// The rolled back object can be added again as new.
		if err := s.Add(fresh); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil || fresh.ID == 0 {
			t.Fatalf("fresh added again: %v id %d", err, fresh.ID)
		}
	})
}

func isSelect(q string) bool { return len(q) > 6 && q[:6] == "SELECT" }

func ptrOf[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }

// TestSavepointRollbackRules: a savepoint rollback undoes only what happened inside it.
func TestSavepointRollbackRules(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		seedAccts(t, e, sm, "a", "b", "c", "d")
		s := sm.New()
		defer s.Close()
		all, err := Scalars(e.ctx, s, SelectOf[Acct](e.reg).OrderBy(e.reg.mappers[typeOf[Acct]()].table.C("id")))
		if err != nil {
			t.Fatal(err)
		}
		a, b, c, d := all.All()[0], all.All()[1], all.All()[2], all.All()[3]
		a.Balance = 1 // before the savepoint: flushed when it begins, kept
		if err := s.Delete(d); err != nil {
			t.Fatal(err)
		}
		inner := &Acct{Name: "inner"}
		boom := errors.New("boom")
		err = s.BeginNested(e.ctx, func(ctx context.Context) error {
			b.Balance = 2
			if err := s.Delete(c); err != nil {
				return err
			}
			if err := s.Add(inner); err != nil {
				return err
			}
			if err := s.Flush(ctx); err != nil {
				return err
			}
			b.Name = "b-unflushed"
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("BeginNested: %v", err)
		}
		if a.Balance != 1 || s.states[ptrOf(a)].expired {
			t.Errorf("a (changed before the savepoint): balance %d expired %v", a.Balance, s.states[ptrOf(a)].expired)
		}
		if b.Balance != 100 || b.Name != "b" || !s.states[ptrOf(b)].expired {
			t.Errorf("b (changed inside): balance %d name %q expired %v", b.Balance, b.Name, s.states[ptrOf(b)].expired)
		}
		if s.Status(c) != Persistent || !inIdentity(s, c) {
			t.Errorf("c (deleted inside): %v", s.Status(c))
		}
		if s.Status(d) != Deleted {
			t.Errorf("d (deleted before): %v", s.Status(d))
		}
		if s.Status(inner) != Transient || inner.ID != 0 {
			t.Errorf("inner: %v id %d", s.Status(inner), inner.ID)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := acctRows(t, e); !slices.Equal(got, []string{"a:1", "b:100", "c:100"}) {
			t.Errorf("rows %v", got)
		}
	})
}

// TestRollbackAfterLostConnection: the session's connection is killed by the server
// mid-transaction; after Rollback nothing added before it is written by a later Commit.
func TestRollbackAfterLostConnection(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		var pidSQL, killSQL string
		switch e.eng.Dialect().Name() {
		case "postgresql":
			pidSQL, killSQL = "SELECT pg_backend_pid()", "SELECT pg_terminate_backend(:pid)"
		case "mysql", "mariadb":
			pidSQL, killSQL = "SELECT CONNECTION_ID()", "KILL :pid"
		default:
			t.Skip("an embedded database has no connection to kill")
		}
		sm := NewSessionMaker(e.eng, e.reg)
		seeded := seedAccts(t, e, sm, "a")
		s := sm.New()
		defer s.Close()
		a, err := GetOne[Acct](e.ctx, s, seeded[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := s.Scalar(e.ctx, expr.Text(pidSQL))
		if err != nil {
			t.Fatal(err)
		}
		lost := &Acct{Name: "lost"}
		if err := s.Add(lost); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		a.Balance = 9
		killer, err := e.eng.Connect(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := killer.Execute(e.ctx, expr.Text(killSQL, expr.Param("pid", pid))); err != nil {
			t.Fatal(err)
		}
		killer.Close()
		late := &Acct{Name: "late"}
		if err := s.Add(late); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err == nil {
			t.Fatal("Commit on a killed connection succeeded")
		}
		_ = s.Rollback(e.ctx)
		if s.Status(lost) != Transient || s.Status(late) != Transient || lost.ID != 0 || a.Balance != 100 {
			t.Errorf("after Rollback: lost %v id %d, late %v, a.Balance %d", s.Status(lost), lost.ID, s.Status(late), a.Balance)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatalf("Commit after Rollback: %v", err)
		}
		if got := acctRows(t, e); !slices.Equal(got, []string{"a:100"}) {
			t.Errorf("rows %v", got)
		}
		if got := e.eng.Stats().InUse; got != 0 {
			t.Errorf("%d connections checked out", got)
		}
	})
}
