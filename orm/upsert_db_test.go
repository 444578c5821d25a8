package orm

import (
	"fmt"
	"testing"

	"github.com/retortdb/retort/expr"
)

type Subscriber struct {
	ID     int64
	Email  string `retort:"size=100,unique"`
	Name   string
	Visits int64
}

var subscriberT = struct {
	Table[Subscriber]
	ID     Column[int64]
	Email  Column[string]
	Name   Column[string]
	Visits Column[int64]
}{}

// TestUpsert: an ORM upsert returns the session's objects of the rows, in the order
// given: new rows as new persistent objects, conflicting rows through the identity map
// (overwritten with the updated row), in one statement where INSERT ... RETURNING exists.
func TestUpsert(t *testing.T) {
	eachDB(t, func(reg *Registry) error { return RegisterHandle(reg, &subscriberT) }, func(e *env) {
		t, ctx := e.t, e.ctx
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		s := sm.New()
		defer s.Close()
		stmts := 1
		if e.mysql() {
			stmts = 2 // no RETURNING: the rows are read back by their emails
		}
		got, err := Upsert(ctx, s, Insert(subscriberT).Values(&Subscriber{Email: "a@x", Name: "A"}, &Subscriber{Email: "b@x", Name: "B"}).
			OnConflict(subscriberT.Email).DoUpdate(subscriberT.Name))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(e.cap.take(false)); n != stmts {
			t.Errorf("%d statements, want %d", n, stmts)
		}
		if len(got) != 2 || got[0].Email != "a@x" || got[1].Name != "B" || got[0].ID == 0 || got[0].ID == got[1].ID {
			t.Fatalf("inserted: %+v", got)
		}
		if again, err := subscriberT.Get(ctx, s, got[0].ID); err != nil || again != got[0] {
			t.Errorf("Get after the upsert: %p %v, want the upsert's %p", again, err, got[0])
		}
		e.cap.take(false)
		a := got[0]

		// A conflict updates the row, and the session's object with it.
		got, err = Upsert(ctx, s, Insert(subscriberT).Values(&Subscriber{Email: "c@x", Name: "C"}, &Subscriber{Email: "a@x", Name: "A2"}).
			OnConflict(subscriberT.Email).DoUpdate(subscriberT.Name).DoUpdateSet(expr.Set(subscriberT.Visits.Expr(), subscriberT.Visits.Add(1))))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[1] != a || a.Name != "A2" || a.Visits != 1 || got[0].Email != "c@x" || got[0].Visits != 0 {
			t.Errorf("upserted: %+v %+v (a %p)", got[0], got[1], a)
		}
		if m, _ := s.IsModified(a); m {
			t.Error("the upserted object counts as modified")
		}

		// DoNothing leaves the row alone and still returns its object.
		got, err = Upsert(ctx, s, Insert(subscriberT).Values(&Subscriber{Email: "a@x", Name: "ignored"}, &Subscriber{Email: "d@x", Name: "D"}).
			OnConflict(subscriberT.Email).DoNothing())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0] != a || a.Name != "A2" || got[1].Name != "D" {
			t.Errorf("do nothing: %+v", got)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := Count(ctx, s, subscriberT.Select()); err != nil || n != 4 {
			t.Errorf("%d members (%v)", n, err)
		}
		// Many rows go in chunks of 1000.
		many := make([]*Subscriber, 2500)
		for i := range many {
			many[i] = &Subscriber{Email: fmt.Sprintf("m%d@x", i), Name: "M"}
		}
		e.cap.take(false)
		got, err = Upsert(ctx, s, Insert(subscriberT).Values(many...).OnConflict(subscriberT.Email).DoUpdate())
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2500 || got[2499].Email != "m2499@x" || got[0].ID == 0 {
			t.Errorf("%d members upserted", len(got))
		}
		want := 3
		if e.mysql() {
			want = 6
		}
		if n := len(e.cap.take(false)); n != want {
			t.Errorf("2500 rows: %d statements, want %d", n, want)
		}
		if _, err := Upsert(ctx, s, Insert(subscriberT).Values(&Subscriber{Email: "e@x"}).DoNothing()); err == nil {
			t.Error("an upsert without a conflict target: no error")
		}
		if _, err := Upsert(ctx, s, Insert(subscriberT).Values(&Subscriber{Email: "e@x"}).OnConflict(writerT.Name)); err == nil {
			t.Error("a conflict target of another table: no error")
		}
	})
}
