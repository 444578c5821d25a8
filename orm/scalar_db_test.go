package orm

import (
	"errors"
	"testing"

	"github.com/retortdb/retort/expr"
)

// TestScalar covers orm.Scalar (first object of a query) and Session.Scalar (first column
// of a Core statement), with and without rows.
func TestScalar(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		as := seedAB(t, e, sm)
		ah, bh := bindAB(t, e)
		s := sm.New()
		defer s.Close()

		a, err := Scalar(e.ctx, s, Select(ah).Where(ah.Data.Eq(ptr("a2"))))
		if err != nil {
			t.Fatal(err)
		}
		if a.ID != as[1].ID || *a.Data != "a2" {
			t.Fatalf("Scalar = %+v, want a2 with id %d", a, as[1].ID)
		}
		// The same row again is the same pointer (identity map).
		again, err := Scalar(e.ctx, s, Select(ah).OrderBy(ah.ID.Asc()).Offset(1))
		if err != nil || again != a {
			t.Fatalf("second Scalar = %p, %v; want the same pointer %p", again, err, a)
		}
		if _, err := Scalar(e.ctx, s, Select(ah).Where(ah.Data.Eq(ptr("none")))); !errors.Is(err, ErrNoResult) {
			t.Fatalf("Scalar with no row: err = %v, want ErrNoResult", err)
		}

		n, err := s.Scalar(e.ctx, expr.Select(expr.CountStar()).From(bh.Core()).Where(bh.AID.Eq(as[0].ID)))
		if err != nil {
			t.Fatal(err)
		}
		if n != int64(2) {
			t.Fatalf("count of a1's bs = %#v, want int64(2)", n)
		}
		if _, err := s.Scalar(e.ctx, expr.Select(ah.ID).Where(ah.ID.Eq(-1))); !errors.Is(err, ErrNoResult) {
			t.Fatalf("Session.Scalar with no row: err = %v, want ErrNoResult", err)
		}
	})
}
