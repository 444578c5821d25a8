package orm

import (
	"errors"
	"testing"

	"github.com/retortdb/retort/expr"
)

// TestBulkUpdateSync: an ORM bulk UPDATE by criteria, with a literal and an SQL
// expression, brings the session's objects of the matched rows in line (fields and
// snapshot: no UPDATE at the next flush), leaves the others alone, and a rollback puts
// them back.
func TestBulkUpdateSync(t *testing.T) {
	eachDB(t, registerWriters, func(e *env) {
		t, ctx := e.t, e.ctx
		ws := seedWriters(t, e, 3)
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		s := sm.New()
		defer s.Close()
		arts, err := All(ctx, s, articleT.Select().OrderBy(articleT.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		e.cap.take(false)
		n, err := Exec(ctx, s, Update(articleT).Where(articleT.Score.Ge(2)).
			Set(expr.Set(articleT.Score.Expr(), articleT.Score.Add(10)), articleT.Title.Set("bumped")))
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("Exec matched %d rows, want 3", n)
		}
		stmts := e.cap.take(false)
		want := 1 // UPDATE ... RETURNING
		if e.target.Name == "mariadb" || e.mysql() {
			want = 3 // SELECT ... FOR UPDATE, UPDATE, SELECT of the held rows
		}
		if len(stmts) != want {
			t.Errorf("%d statements, want %d: %q", len(stmts), want, stmts)
		}
		for _, a := range arts {
			if a.Score >= 12 && a.Title != "bumped" || a.Score < 2 && a.Title != "t" || a.Score >= 2 && a.Score < 12 {
				t.Errorf("article %d after the bulk update: score %d title %q", a.ID, a.Score, a.Title)
			}
		}
		if m, _ := s.IsModified(arts[1]); m {
			t.Error("a synchronised object counts as modified")
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.cap.take(false); len(got) != 0 {
			t.Errorf("flush after the bulk update: %q", got)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		for _, a := range arts {
			if a.Score >= 12 || a.Title != "t" {
				t.Errorf("article %d after rollback: score %d title %q", a.ID, a.Score, a.Title)
			}
		}
		// SyncNone leaves the objects as they are.
		if _, err := Exec(ctx, s, Update(articleT).Where(articleT.WriterID.Eq(ws[0].ID)).Set(articleT.Title.Set("quiet")).Synchronize(SyncNone)); err != nil {
			t.Fatal(err)
		}
		if arts[0].Title != "t" {
			t.Errorf("SyncNone changed the object: %q", arts[0].Title)
		}
		if _, err := Exec(ctx, s, Update(articleT).Set(articleT.ID.Set(5))); err == nil {
			t.Error("a bulk update of the key with SyncFetch: no error")
		}
		if _, err := Exec(ctx, s, Update(articleT)); err == nil {
			t.Error("a bulk update setting nothing: no error")
		}
		if _, err := Exec(ctx, s, Update(articleT).Set(writerT.Name.Set("x"))); err == nil {
			t.Error("a bulk update of another table's column: no error")
		}
	})
}

// TestBulkDeleteSync: an ORM bulk DELETE marks the session's objects of the deleted rows
// deleted (out of the identity map, detached at commit); a rollback makes them
// persistent again.
func TestBulkDeleteSync(t *testing.T) {
	eachDB(t, registerWriters, func(e *env) {
		t, ctx := e.t, e.ctx
		seedWriters(t, e, 3)
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		s := sm.New()
		defer s.Close()
		arts, err := All(ctx, s, articleT.Select().OrderBy(articleT.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		n, err := Exec(ctx, s, Delete(articleT).Where(articleT.Score.Eq(1)))
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("deleted %d, want 3", n)
		}
		gone := 0
		for _, a := range arts {
			if a.Score == 1 {
				gone++
				if st := s.Status(a); st != Deleted {
					t.Errorf("article %d: %v after the bulk delete", a.ID, st)
				}
				if got, err := articleT.Get(ctx, s, a.ID); got != nil || err != nil {
					t.Errorf("Get of a deleted article: %v %v", got, err)
				}
			} else if st := s.Status(a); st != Persistent {
				t.Errorf("article %d: %v", a.ID, st)
			}
		}
		if gone != 3 {
			t.Fatalf("%d deleted articles in the session", gone)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		for _, a := range arts {
			if st := s.Status(a); st != Persistent {
				t.Errorf("article %d after rollback: %v", a.ID, st)
			}
		}
		if _, err := Exec(ctx, s, Delete(articleT).Where(articleT.Score.Eq(1))); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if st := s.Status(arts[0]); st != Detached {
			t.Errorf("a bulk-deleted article after commit: %v", st)
		}
		if n, err := Count(ctx, s, articleT.Select()); err != nil || n != 3 {
			t.Errorf("%d articles left (%v)", n, err)
		}
		var unbound struct{ Table[Article] }
		if _, err := Exec(ctx, s, Delete(unbound)); !errors.Is(err, ErrUnboundHandle) {
			t.Errorf("Delete of an unbound handle: %v", err)
		}
	})
}
