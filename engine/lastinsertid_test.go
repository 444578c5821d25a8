package engine_test

import (
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// TestResultLastInsertID: an INSERT into a table with a generated key reports the key on
// SQLite (the last row's) and MySQL/MariaDB (the first row's), and none on PostgreSQL; no
// id after statements that insert nothing or return rows.
func TestResultLastInsertID(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng, err := engine.Create(ctx, tg.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		md := schema.NewMetaData()
		tbl := md.MustTable("li",
			schema.Col("id", types.BigInt(), schema.PrimaryKey()),
			schema.Col("name", types.String(30), schema.NotNull()))
		if err := eng.CreateAll(ctx, md); err != nil {
			t.Fatal(err)
		}
		conn, err := eng.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		id, name := tbl.C("id"), tbl.C("name")
		hasID := tg.Name != testdb.NamePostgres

		check := func(what string, stmt expr.Statement, wantID int64, wantOK bool) {
			t.Helper()
			res, err := conn.Execute(ctx, stmt)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if got, ok := res.LastInsertID(); got != wantID || ok != wantOK {
				t.Errorf("%s: LastInsertID() = %d, %v; want %d, %v", what, got, ok, wantID, wantOK)
			}
		}
		// generated inserts stmt and returns the key it reports, checking that the row
		// with that key is named wantName. Keys ascend but need not be consecutive (a
		// Galera cluster steps them by its node count).
		generated := func(what string, stmt expr.Statement, wantName string) int64 {
			t.Helper()
			res, err := conn.Execute(ctx, stmt)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			got, ok := res.LastInsertID()
			if !ok || got <= 0 {
				t.Fatalf("%s: LastInsertID() = %d, %v; want a key, true", what, got, ok)
			}
			if v, err := conn.Scalar(ctx, expr.Select(name).Where(id.Eq(got))); err != nil || v != wantName {
				t.Errorf("%s: row %d is %v, %v; want %q", what, got, v, err, wantName)
			}
			return got
		}
		bID := int64(2)
		if hasID {
			a := generated("insert a", expr.Insert(tbl).Values(map[string]any{"name": "a"}), "a")
			bID = generated("insert b", expr.Insert(tbl).Values(map[string]any{"name": "b"}), "b")
			if bID <= a {
				t.Errorf("insert b: key %d after a's %d", bID, a)
			}
			// Several rows: SQLite reports the last row's key, MySQL-family servers the first's.
			want := "c"
			if tg.Name == testdb.NameSQLite {
				want = "d"
			}
			if c := generated("insert c, d", expr.Insert(tbl).Values(map[string]any{"name": "c"}).Values(map[string]any{"name": "d"}), want); c <= bID {
				t.Errorf("insert c, d: key %d after b's %d", c, bID)
			}
		} else {
			check("insert a", expr.Insert(tbl).Values(map[string]any{"name": "a"}), 0, false)
			check("insert b", expr.Insert(tbl).Values(map[string]any{"name": "b"}), 0, false)
		}
		check("update", expr.Update(tbl).Set(name, "bb").Where(id.Eq(bID)), 0, false)
		check("insert of no row", expr.Insert(tbl).FromSelect([]*expr.ColumnClause{name}, expr.Select(name).Where(id.Eq(99))), 0, false)
		check("delete", expr.Delete(tbl).Where(id.Eq(bID)), 0, false)
		if eng.Dialect().Features().Has(compile.InsertReturning) {
			check("insert returning", expr.Insert(tbl).Values(map[string]any{"name": "r"}).Returning(id), 0, false)
		}
	})
}
