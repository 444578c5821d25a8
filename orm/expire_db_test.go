package orm

import (
	"context"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// setData changes a's data behind the session's back.
func setData(e *env, id int64, data string) {
	e.t.Helper()
	m := e.reg.mappers[typeOf[A]()]
	err := e.eng.Begin(e.ctx, func(ctx context.Context, c *engine.Conn) error {
		_, err := c.Execute(ctx, expr.Update(m.table).Set(m.table.C("data"), data).Where(m.table.C("id").Eq(id)))
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestExpireOnCommit(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		ah, _ := bindAB(t, e)
		k1 := seedAB(t, e, NewSessionMaker(e.eng, e.reg))[0].ID
		query := Select(*ah).Where(ah.ID.Eq(k1))

		// Default: Commit expires; the next query overwrites the object from its row.
		s := NewSessionMaker(e.eng, e.reg).New()
		defer s.Close()
		a1, err := GetOne[A](e.ctx, s, k1)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		setData(e, k1, "changed elsewhere")
		if *a1.Data != "a1" {
			t.Errorf("commit changed the fields: %q", *a1.Data)
		}
		if got, err := ScalarOne(e.ctx, s, query); err != nil || got != a1 || *a1.Data != "changed elsewhere" {
			t.Errorf("query after commit: %p %v data %q; want %p with the new data", got, err, *a1.Data, a1)
		}

		// ExpireOnCommit(false): the object keeps its values through later queries...
		s2 := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false)).New()
		defer s2.Close()
		b1, err := GetOne[A](e.ctx, s2, k1)
		if err != nil {
			t.Fatal(err)
		}
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		setData(e, k1, "third")
		if got, err := ScalarOne(e.ctx, s2, query); err != nil || got != b1 || *b1.Data != "changed elsewhere" {
			t.Errorf("query without expire: data %q, %v", *b1.Data, err)
		}
		// ... until Expire (then a query reloads it) or Refresh.
		if err := s2.Expire(b1); err != nil {
			t.Fatal(err)
		}
		if _, err := ScalarOne(e.ctx, s2, query); err != nil || *b1.Data != "third" {
			t.Errorf("query after Expire: data %q, %v", *b1.Data, err)
		}
		if err := s2.Commit(e.ctx); err != nil { // end the snapshot of the read transaction
			t.Fatal(err)
		}
		setData(e, k1, "fourth")
		if err := s2.Refresh(e.ctx, b1); err != nil || *b1.Data != "fourth" {
			t.Errorf("Refresh: data %q, %v", *b1.Data, err)
		}
		if mod, _ := s2.IsModified(b1); mod {
			t.Error("refreshed object reported modified")
		}
	})
}

func TestRollbackStates(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		ah, _ := bindAB(t, e)
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		seeded := seedAB(t, e, sm)
		k1, k2 := seeded[0].ID, seeded[1].ID
		s := sm.New()
		defer s.Close()
		a1, err := GetOne[A](e.ctx, s, k1)
		if err != nil {
			t.Fatal(err)
		}
		a2, err := GetOne[A](e.ctx, s, k2)
		if err != nil {
			t.Fatal(err)
		}
		// a2's children must go too for its DELETE to pass the foreign key (queried first:
		// the query's autoflush would otherwise run the DELETE of a2 alone).
		bs, err := Scalars(e.ctx, s, SelectOf[B](e.reg).Where(expr.Eq(e.reg.mappers[typeOf[B]()].table.C("a_id"), k2)))
		if err != nil {
			t.Fatal(err)
		}
		fresh := &A{Data: ptr("fresh")}
		if err := s.Add(fresh); err != nil {
			t.Fatal(err)
		}
		a1.Data = ptr("edited")
		for _, o := range append([]any{a2}, anySlice(bs.All())...) {
			if err := s.Delete(o); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Delete(bs.All()); err == nil {
			t.Error("Delete of a slice succeeded")
		}
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		if s.Status(fresh) != Persistent || s.Status(a2) != Deleted || fresh.ID == 0 {
			t.Fatalf("after flush: fresh %v id %d, a2 %v", s.Status(fresh), fresh.ID, s.Status(a2))
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		if s.Status(fresh) != Transient || s.Status(a2) != Persistent || s.Status(a1) != Persistent {
			t.Errorf("after rollback: fresh %v, a2 %v, a1 %v", s.Status(fresh), s.Status(a2), s.Status(a1))
		}
		// a1 is expired: its unflushed change is gone at once.
		if *a1.Data != "a1" {
			t.Errorf("after rollback a1.Data = %q, want the database's a1", *a1.Data)
		}
		if got, err := ScalarOne(e.ctx, s, Select(*ah).Where(ah.ID.Eq(k1))); err != nil || got != a1 || *a1.Data != "a1" {
			t.Errorf("query after rollback: %v data %q", err, *a1.Data)
		}
		if got, err := Get[A](e.ctx, s, k2); err != nil || got != a2 {
			t.Errorf("a2 after rollback: %p %v, want %p", got, err, a2)
		}
	})
}

func anySlice[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
