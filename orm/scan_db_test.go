package orm

import (
	"strings"
	"testing"

	"github.com/retortdb/retort/expr"
)

// aWithCount is a row of an A with the number of its Bs.
type aWithCount struct {
	*A
	NB int64 `retort:"n_bs"`
}

// TestScan scans a raw expr.Text report into structs that embed a model pointer (the
// model's columns by the ORM's naming rules, text timestamps on SQLite converted), and a
// row query into the same struct with the session's objects.
func TestScan(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		as := seedAB(t, e, sm)
		ah, bh := bindAB(t, e)
		s := sm.New()
		defer s.Close()

		raw, err := Scan[aWithCount](e.ctx, s, expr.Text(`
			SELECT a.id, a.data, a.create_date, count(b.id) AS n_bs
			FROM a LEFT JOIN b ON b.a_id = a.id
			GROUP BY a.id, a.data, a.create_date
			ORDER BY a.id`))
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{2, 1, 2}
		if len(raw) != 3 {
			t.Fatalf("%d rows", len(raw))
		}
		for i, r := range raw {
			if r.A == nil || r.ID != as[i].ID || *r.Data != *as[i].Data || r.NB != want[i] || r.CreateDate.IsZero() {
				t.Errorf("row %d: %+v %+v", i, r.A, r)
			}
			if r.A == as[i] {
				t.Errorf("row %d: Scan returned the session's object", i)
			}
		}

		first, err := Scalar(e.ctx, s, Select(ah).Where(ah.ID.Eq(as[0].ID)))
		if err != nil {
			t.Fatal(err)
		}
		q := SelectRows(ah, expr.Count(bh.ID).Label("n_bs")).OuterJoin(bh.Core(), expr.Eq(bh.AID, ah.ID)).
			GroupBy(ah.ID, ah.Data, ah.CreateDate).OrderBy(ah.ID.Asc())
		rows, err := ScanRows[aWithCount](e.ctx, s, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0].A != first {
			t.Fatalf("ScanRows: %d rows, first object %p, want the session's %p", len(rows), rows[0].A, first)
		}
		for i, r := range rows {
			if r.ID != as[i].ID || r.NB != want[i] || !r.CreateDate.Equal(raw[i].CreateDate) {
				t.Errorf("row %d: %+v %+v (raw %v)", i, r.A, r, raw[i].CreateDate)
			}
		}

		// A struct without a field for the model, and a value no field takes.
		type noModel struct{ NB int64 }
		if _, err := ScanRows[noModel](e.ctx, s, q); err == nil || !strings.Contains(err.Error(), "has no field of type *orm.A") {
			t.Errorf("ScanRows without a model field: %v", err)
		}
		type noCount struct{ *A }
		if _, err := ScanRows[noCount](e.ctx, s, q); err == nil || !strings.Contains(err.Error(), `cannot scan column "n_bs"`) {
			t.Errorf("ScanRows without a field for n_bs: %v", err)
		}
	})
}
