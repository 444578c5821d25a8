package orm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// TestAddAttachedElsewhere: Add of an object another open session tracks is an error;
// Add of a detached object (from a closed session, or expunged) re-attaches it as
// persistent and its changes become an UPDATE.
func TestAddAttachedElsewhere(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		seeded := seedAccts(t, e, sm, "a", "b", "c")
		idA, idB, idC := seeded[0].ID, seeded[1].ID, seeded[2].ID
		s1 := sm.New()
		a, err := GetOne[Acct](e.ctx, s1, idA)
		if err != nil {
			t.Fatal(err)
		}
		s2 := sm.New()
		defer s2.Close()
		err = s2.Add(a)
		if !errors.Is(err, ErrAttached) || !strings.Contains(err.Error(), "orm.Acct") || !strings.Contains(err.Error(), "session") {
			t.Fatalf("Add of an object of another session: %v", err)
		}
		if s2.Status(a) != Detached || len(s2.states) != 0 {
			t.Errorf("after the refused Add: %v, %d objects", s2.Status(a), len(s2.states))
		}
		// The save-update cascade refuses it too, and adds nothing.
		n := &Note{Body: "n", Acct: a}
		if err := s2.Add(n); !errors.Is(err, ErrAttached) || s2.Status(n) != Transient {
			t.Errorf("Add through the cascade: %v, note %v", err, s2.Status(n))
		}
		if err := s1.Close(); err != nil {
			t.Fatal(err)
		}
		if s1.Status(a) != Detached {
			t.Errorf("after Close: %v", s1.Status(a))
		}
		// Detached from a closed session: re-attached as persistent, the change is an UPDATE.
		a.Balance = 42
		if err := s2.Add(a); err != nil {
			t.Fatal(err)
		}
		if s2.Status(a) != Persistent || !inIdentity(s2, a) {
			t.Fatalf("re-attached: %v", s2.Status(a))
		}
		if got, err := Get[Acct](e.ctx, s2, idA); err != nil || got != a {
			t.Errorf("Get after re-attach: %p %v, want %p", got, err, a)
		}
		e.cap.take(true)
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		args := fmt.Sprintf(" | [42 %d]", idA)
		e.expect(e.sql("UPDATE acct SET balance = ? WHERE acct.id = ?", "UPDATE acct SET balance = $1 WHERE acct.id = $2", "UPDATE acct SET balance = ? WHERE acct.id = ?") + args)
		// Expunged: detached too.
		b, err := GetOne[Acct](e.ctx, s2, idB)
		if err != nil {
			t.Fatal(err)
		}
		if err := s2.Expunge(b); err != nil {
			t.Fatal(err)
		}
		if s2.Status(b) != Detached {
			t.Errorf("expunged: %v", s2.Status(b))
		}
		b.Name = "b2"
		s3 := sm.New()
		defer s3.Close()
		if err := s3.Add(b); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		if err := s3.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		args = fmt.Sprintf(" | [\"b2\" %d]", idB)
		e.expect(e.sql("UPDATE acct SET name = ? WHERE acct.id = ?", "UPDATE acct SET name = $1 WHERE acct.id = $2", "UPDATE acct SET name = ? WHERE acct.id = ?") + args)
		// The session already holding another object with that key refuses a detached one.
		c3, err := GetOne[Acct](e.ctx, s3, idC)
		if err != nil {
			t.Fatal(err)
		}
		s4 := sm.New()
		defer s4.Close()
		if _, err := GetOne[Acct](e.ctx, s4, idC); err != nil {
			t.Fatal(err)
		}
		if err := s3.Expunge(c3); err != nil {
			t.Fatal(err)
		}
		if err := s4.Add(c3); err == nil || !strings.Contains(err.Error(), "already holds another object") {
			t.Errorf("Add of a detached object whose key the session holds: %v", err)
		}
		// A detached object whose deletion was committed cannot come back.
		if err := s3.Delete(b); err != nil {
			t.Fatal(err)
		}
		if err := s3.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if s3.Status(b) != Detached {
			t.Errorf("after the committed delete: %v", s3.Status(b))
		}
		if err := s4.Add(b); !errors.Is(err, ErrDeletedObject) {
			t.Errorf("Add of a deleted object: %v", err)
		}
		if got := acctRows(t, e); !slices.Equal(got, []string{"a:42", "c:100"}) {
			t.Errorf("rows %v", got)
		}
	})
}

// TestJoinTransaction: a session joined to a connection's transaction; the test rolls
// everything back at the end.
func TestJoinTransaction(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		seedAccts(t, e, sm, "seed")
		conn, err := e.eng.Connect(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		tx, err := conn.Begin(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		// CreateSavepoint: the code under test commits and rolls back as usual.
		s := sm.JoinTransaction(conn, CreateSavepoint)
		kept := &Acct{Name: "kept"}
		if err := s.Add(kept); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		got := writes(e.cap.take(true))
		if len(got) != 3 || !strings.HasPrefix(got[0], "SAVEPOINT") || !strings.HasPrefix(got[1], "INSERT") || !strings.HasPrefix(got[2], "RELEASE SAVEPOINT") {
			t.Errorf("Commit of a joined session sent %q", got)
		}
		if conn.Tx() != tx || !tx.IsActive() {
			t.Fatal("the outer transaction ended")
		}
		dropped := &Acct{Name: "dropped"}
		if err := s.Add(dropped); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		if s.Status(dropped) != Transient || s.Status(kept) != Persistent || !tx.IsActive() {
			t.Errorf("after Rollback: dropped %v kept %v outer active %v", s.Status(dropped), s.Status(kept), tx.IsActive())
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		names := func() []string {
			res, err := conn.Execute(e.ctx, expr.Text("SELECT name FROM acct ORDER BY id"))
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, r := range res.All() {
				var n string
				_ = r.Scan(&n)
				out = append(out, n)
			}
			return out
		}
		if got := names(); !slices.Equal(got, []string{"seed", "kept"}) {
			t.Errorf("inside the outer transaction: %v", got)
		}
		if err := tx.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := acctRows(t, e); !slices.Equal(got, []string{"seed:100"}) {
			t.Errorf("after the outer rollback: %v", got)
		}

		// RollbackOnly: Commit flushes but leaves the outer transaction; Rollback rolls it back.
		tx, err = conn.Begin(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		s = sm.JoinTransaction(conn, RollbackOnly)
		defer s.Close()
		if err := s.Add(&Acct{Name: "ro"}); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := writes(e.cap.take(true)); len(got) != 1 || !strings.HasPrefix(got[0], "INSERT") {
			t.Errorf("Commit in RollbackOnly mode sent %q", got)
		}
		if !tx.IsActive() || !slices.Equal(names(), []string{"seed", "ro"}) {
			t.Errorf("after Commit: outer active %v, rows %v", tx.IsActive(), names())
		}
		ro2 := &Acct{Name: "ro2"}
		if err := s.Add(ro2); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		if tx.IsActive() || conn.Tx() != nil || s.Status(ro2) != Transient {
			t.Errorf("Rollback in RollbackOnly mode: outer active %v, ro2 %v", tx.IsActive(), s.Status(ro2))
		}
		if got := acctRows(t, e); !slices.Equal(got, []string{"seed:100"}) {
			t.Errorf("after the session's rollback: %v", got)
		}
		if got := e.eng.Stats().InUse; got != 1 {
			t.Errorf("%d connections checked out, want 1 (the test's)", got)
		}
	})
}

// TestRefreshAndDeletedRows: Refresh discards unflushed changes without flushing them; an
// expired object whose row was deleted by someone else is reported by Refresh and Get
// with ObjectDeletedError and leaves the session.
func TestRefreshAndDeletedRows(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		seeded := seedAccts(t, e, sm, "a", "b", "c")
		s := sm.New()
		defer s.Close()
		a, err := GetOne[Acct](e.ctx, s, seeded[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		a.Name = "unflushed"
		e.cap.take(true)
		if err := s.Refresh(e.ctx, a); err != nil {
			t.Fatal(err)
		}
		e.expect(e.sql("SELECT acct.id, acct.name, acct.balance, acct.created FROM acct WHERE acct.id = ?",
			"SELECT acct.id, acct.name, acct.balance, acct.created FROM acct WHERE acct.id = $1",
			"SELECT acct.id, acct.name, acct.balance, acct.created FROM acct WHERE acct.id = ?") + fmt.Sprintf(" | [%d]", seeded[0].ID))
		if a.Name != "a" {
			t.Errorf("after Refresh: %q", a.Name)
		}
		b, err := GetOne[Acct](e.ctx, s, seeded[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		c, err := GetOne[Acct](e.ctx, s, seeded[2].ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil { // expires everything
			t.Fatal(err)
		}
		other, err := e.eng.Connect(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Execute(e.ctx, expr.Text("DELETE FROM acct WHERE id IN (:b, :c)", expr.Param("b", b.ID), expr.Param("c", c.ID))); err != nil {
			t.Fatal(err)
		}
		other.Close()
		err = s.Refresh(e.ctx, b)
		var ode *ObjectDeletedError
		if !errors.Is(err, ErrObjectDeleted) || !errors.As(err, &ode) || ode.Model != "orm.Acct" {
			t.Fatalf("Refresh of a deleted row: %v", err)
		}
		if s.Status(b) != Detached || inIdentity(s, b) {
			t.Errorf("after Refresh: %v", s.Status(b))
		}
		if got, err := Get[Acct](e.ctx, s, seeded[2].ID); !errors.Is(err, ErrObjectDeleted) || got != nil {
			t.Errorf("Get of an expired object whose row is gone: %v %v", got, err)
		}
		if s.Status(c) != Detached || inIdentity(s, c) {
			t.Errorf("after Get: %v", s.Status(c))
		}
		if got, err := Get[Acct](e.ctx, s, seeded[2].ID); err != nil || got != nil {
			t.Errorf("second Get: %v %v, want nil, nil", got, err)
		}
		if err := s.Add(c); !errors.Is(err, ErrDeletedObject) {
			t.Errorf("Add of the deleted object: %v", err)
		}
	})
}

// TestModifiedCollections: IsModified and Dirty see a collection change; an UPDATE is sent
// only for changed columns.
func TestModifiedCollections(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error {
			return s.AddAll(&Acct{Name: "a", Notes: []*Note{{Body: "1"}}}, &Acct{Name: "b"})
		})
		if err != nil {
			t.Fatal(err)
		}
		var h struct {
			Table[Acct]
			ID    Column[int64]
			Notes Relation[Acct, Note]
		}
		if err := RegisterHandle(e.reg, &h); err != nil {
			t.Fatal(err)
		}
		s := sm.New()
		defer s.Close()
		accts, err := Scalars(e.ctx, s, Select(h).Options(SelectIn(h.Notes)).OrderBy(h.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		a, b := accts.All()[0], accts.All()[1]
		if m, _ := s.IsModified(a); m || len(s.Dirty()) != 0 {
			t.Fatalf("freshly loaded: modified %v, dirty %d", m, len(s.Dirty()))
		}
		// Moving the note from a to b: both collections changed, and the note's Acct.
		n := a.Notes[0]
		b.Notes = append(b.Notes, n)
		a.Notes = a.Notes[:0]
		n.Acct = b
		for _, o := range []*Acct{a, b} {
			if m, _ := s.IsModified(o); !m {
				t.Errorf("%s: IsModified false after a collection change", o.Name)
			}
		}
		if got := s.Dirty(); len(got) != 3 || got[0] != a || got[1] != b || got[2] != n {
			t.Errorf("Dirty: %v, want a, b and the note", got)
		}
		e.cap.take(true)
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.expect(e.sql("UPDATE note SET acct_id = ? WHERE note.id = ?", "UPDATE note SET acct_id = $1 WHERE note.id = $2", "UPDATE note SET acct_id = ? WHERE note.id = ?") + fmt.Sprintf(" | [%d %d]", b.ID, n.ID))
		if m, _ := s.IsModified(a); m || len(s.Dirty()) != 0 {
			t.Errorf("after flush: modified %v, dirty %d", m, len(s.Dirty()))
		}
		// A field set to the value it holds is no change: no UPDATE.
		a.Name = "a"
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.expect()
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestAutoflushErrors: an autoflush that fails says which operation started it and wraps
// the flush's error; NoAutoflush keeps a query from flushing.
func TestAutoflushErrors(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		seeded := seedAccts(t, e, sm, "a")
		s := sm.New()
		defer s.Close()
		if err := s.Add(&Acct{Name: "b"}); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		err := s.NoAutoflush(func() error {
			got, err := Scalars(e.ctx, s, SelectOf[Acct](e.reg))
			if err == nil && got.Len() != 1 {
				t.Errorf("query in NoAutoflush saw %d rows, want 1", got.Len())
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range e.cap.take(false) {
			if !isSelect(q) {
				t.Errorf("NoAutoflush sent %s", q)
			}
		}
		if err := s.Add(&Acct{Name: "a"}); err != nil { // violates the unique name
			t.Fatal(err)
		}
		_, err = Scalars(e.ctx, s, SelectOf[Acct](e.reg))
		var ae *AutoflushError
		var ie *engine.IntegrityError
		if !errors.As(err, &ae) || ae.Op != "query" || !strings.Contains(err.Error(), "autoflush before query") {
			t.Fatalf("query after a bad Add: %v", err)
		}
		if !errors.As(err, &ie) || ie.Kind != engine.UniqueViolation {
			t.Errorf("the autoflush error does not carry the unique violation: %v", err)
		}
		if _, err := Get[Acct](e.ctx, s, seeded[0].ID); !errors.Is(err, ErrPendingRollback) {
			t.Errorf("Get after the failed autoflush: %v", err)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := Get[Acct](e.ctx, s, seeded[0].ID); err != nil {
			t.Errorf("Get after Rollback: %v", err)
		}
	})
}

// writes returns the statements of got that are not SELECTs (the read-back of server
// defaults on a database without RETURNING).
func writes(got []string) []string {
	return slices.DeleteFunc(got, isSelect)
}
