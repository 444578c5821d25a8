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
		if hasID {
			check("insert a", expr.Insert(tbl).Values(map[string]any{"name": "a"}), 1, true)
			check("insert b", expr.Insert(tbl).Values(map[string]any{"name": "b"}), 2, true)
			// Several rows: SQLite reports the last row's key, MySQL-family servers the first's.
			want := int64(3)
			if tg.Name == testdb.NameSQLite {
				want = 4
			}
			check("insert c, d", expr.Insert(tbl).Values(map[string]any{"name": "c"}).Values(map[string]any{"name": "d"}), want, true)
			// The generated key is the row's.
			v, err := conn.Scalar(ctx, expr.Select(name).Where(id.Eq(2)))
			if err != nil || v != "b" {
				t.Errorf("row 2: %v, %v", v, err)
			}
		} else {
			check("insert a", expr.Insert(tbl).Values(map[string]any{"name": "a"}), 0, false)
			check("insert b", expr.Insert(tbl).Values(map[string]any{"name": "b"}), 0, false)
		}
		check("update", expr.Update(tbl).Set(name, "bb").Where(id.Eq(2)), 0, false)
		check("insert of no row", expr.Insert(tbl).FromSelect([]*expr.ColumnClause{name}, expr.Select(name).Where(id.Eq(99))), 0, false)
		check("delete", expr.Delete(tbl).Where(id.Eq(2)), 0, false)
		if eng.Dialect().Features().Has(compile.InsertReturning) {
			check("insert returning", expr.Insert(tbl).Values(map[string]any{"name": "r"}).Returning(id), 0, false)
		}
	})
}
