package engine

import (
	"testing"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// TestCatalogHostileNames creates tables whose names the databases accept but that are
// awkward for catalog queries (emoji, names that differ only in case, quotes) with
// CheckFirst, twice: the second run must find them all. Looking up a name outside the
// BMP must not fail either (MariaDB's catalog columns are utf8mb3).
func TestCatalogHostileNames(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		names := []string{"☃", "tab☃le", "Mixed", "o'quote", "ü_table"}
		if tg.Name != testdb.NameMariaDB {
			// MariaDB identifiers are limited to the Basic Multilingual Plane.
			names = append(names, "😀")
		}
		eng := openEngine(t, tg)
		c := connect(t, eng)
		md := schema.NewMetaData()
		for _, n := range names {
			md.MustTable(n, schema.Col("id", types.Integer(), schema.PrimaryKey()))
		}
		for round := range 2 {
			if err := c.CreateAll(t.Context(), md, CheckFirst(true)); err != nil {
				t.Fatalf("CreateAll round %d: %v", round+1, err)
			}
		}
		for _, n := range names {
			if !tableExists(t, c, n) {
				t.Errorf("table %q not found in the catalog", n)
			}
		}
		// A name differing only in case is another table.
		if tableExists(t, c, "mixed") && tg.Name != testdb.NameSQLite {
			t.Error(`"mixed" found although only "Mixed" exists`)
		}
		if tableExists(t, c, "😁") {
			t.Error("a table that does not exist was found")
		}
		if err := c.DropAll(t.Context(), md, CheckFirst(true)); err != nil {
			t.Fatalf("DropAll: %v", err)
		}
	})
}

// TestUntypedTextColumns reads text columns of a raw statement without declared result
// columns: every dialect returns them as string (not []byte).
func TestUntypedTextColumns(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg)
		c := connect(t, eng)
		mustExec(t, c, "CREATE TABLE ut (id INTEGER PRIMARY KEY, v VARCHAR(20), tx TEXT, ch CHAR(3), b "+blobType(tg.Name)+")")
		mustExec(t, c, "INSERT INTO ut (id, v, tx, ch, b) VALUES (1, 'héllo', 'text😀', 'abc', ?)", []byte{0, 1, 255})
		for _, stmt := range []expr.Statement{
			expr.Text("SELECT v, tx, ch, b, id FROM ut"),
			expr.Text("SELECT v, tx, ch, b, id FROM ut WHERE id = :id").Bind(expr.Param("id", 1)),
		} {
			res, err := c.Execute(t.Context(), stmt)
			if err != nil {
				t.Fatal(err)
			}
			row, err := res.One()
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range []string{"héllo", "text😀", "abc"} {
				if got, ok := row.Get(i).(string); !ok || got != want {
					t.Errorf("column %d = %#v (%T), want string %q", i, row.Get(i), row.Get(i), want)
				}
			}
			if b, ok := row.Get(3).([]byte); !ok || string(b) != "\x00\x01\xff" {
				t.Errorf("binary column = %#v (%T), want []byte", row.Get(3), row.Get(3))
			}
			if id, ok := row.Get(4).(int64); !ok || id != 1 {
				t.Errorf("integer column = %#v (%T), want int64 1", row.Get(4), row.Get(4))
			}
		}
	})
}

func blobType(dialectName string) string {
	if dialectName == testdb.NamePostgres {
		return "BYTEA"
	}
	return "BLOB"
}
