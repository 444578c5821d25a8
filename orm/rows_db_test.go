package orm

import (
	"strings"
	"testing"
)

func TestSelectRows(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		ah, bh := bindAB(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		seeded := seedAB(t, e, sm)
		s := sm.New()
		defer s.Close()
		a2, err := GetOne[A](e.ctx, s, seeded[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		// select(A, B.id) join ... : objects through the identity map, plus values.
		res, err := s.Rows(e.ctx, SelectRows(*ah, bh.ID).Join(bh.Core()).OrderBy(bh.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		e.expect("SELECT a.id, a.data, a.create_date, b.id FROM a JOIN b ON a.id = b.a_id ORDER BY b.id")
		if res.Len() != 5 {
			t.Fatalf("%d rows", res.Len())
		}
		var a *A
		var bid int
		if err := res.All()[2].Scan(&a, &bid); err != nil {
			t.Fatal(err)
		}
		if a != a2 || int64(bid) != seeded[1].Bs[0].ID {
			t.Errorf("row 2 = %p, %d; want %p (identity map), %d", a, bid, a2, seeded[1].Bs[0].ID)
		}
		if res.All()[0].Get(0) != res.All()[1].Get(0) {
			t.Error("the two rows of A 1 hold different pointers")
		}
		// Entity plus a nullable column, outer join: a missing object is nil.
		if err := s.Add(&A{Data: ptr("lonely")}); err != nil { // autoflushed by the query
			t.Fatal(err)
		}
		rows, err := s.Rows(e.ctx, SelectRows(*ah, bh.Data, *bh).OuterJoin(bh.Core()).Where(ah.Data.Eq(ptr("lonely"))))
		if err != nil {
			t.Fatal(err)
		}
		row, err := rows.One()
		if err != nil {
			t.Fatal(err)
		}
		var data *string
		var b *B
		if err := row.Scan(&a, &data, &b); err != nil || *a.Data != "lonely" || data != nil || b != nil {
			t.Errorf("outer join row: %v %v %v %v", a, data, b, err)
		}
		if err := row.Scan(&a, &bid, &b); err == nil || !strings.Contains(err.Error(), "cannot scan NULL into int") {
			t.Errorf("NULL into int: %v", err)
		}
		if _, err := s.Rows(e.ctx, SelectRows(*ah, 42)); err == nil || !strings.Contains(err.Error(), "neither a model handle nor an expression") {
			t.Errorf("bad item: %v", err)
		}
	})
}
