package postgres

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// scanAll reads every row of a query into *any values.
func scanAll(t *testing.T, c dialect.Conn, sql string, args ...any) ([]string, [][]any) {
	t.Helper()
	r, err := c.Query(t.Context(), sql, args)
	if err != nil {
		t.Fatalf("Query %q: %v", sql, err)
	}
	cols := r.Columns()
	var out [][]any
	for r.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := r.Scan(ptrs...); err != nil {
			t.Fatalf("Scan: %v", err)
		}
		out = append(out, vals)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return cols, out
}

// TestRowsReuse: the connection's rows value, column names and scan plans carry over
// from one query to the next without mixing results up.
func TestRowsReuse(t *testing.T) {
	_, p := open(t, config(t))
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TABLE t (id BIGINT, name TEXT, doc JSONB, j JSON, n NUMERIC)")
	exec(t, c, `INSERT INTO t VALUES (1000, 'a', '{"k": [1, 2]}', '{"x" : 1}', 1.5), (2000, NULL, NULL, NULL, NULL)`)

	cols1, rows1 := scanAll(t, c, "SELECT id, name FROM t ORDER BY id")
	kept := slices.Clone(cols1)
	cols2, rows2 := scanAll(t, c, "SELECT id, name FROM t WHERE id > $1 ORDER BY id", 0)
	if &cols1[0] != &cols2[0] {
		t.Error("the same column names were allocated again")
	}
	if !slices.EqualFunc(rows1, rows2, slices.Equal) || len(rows1) != 2 || rows1[0][0] != int64(1000) || rows1[0][1] != "a" || rows1[1][1] != nil {
		t.Errorf("rows %v and %v", rows1, rows2)
	}
	cols3, rows3 := scanAll(t, c, "SELECT doc, id AS key, j, n, name FROM t ORDER BY id")
	if !slices.Equal(cols1, kept) {
		t.Errorf("column names handed out earlier changed to %q", cols1)
	}
	if !slices.Equal(cols3, []string{"doc", "key", "j", "n", "name"}) {
		t.Errorf("columns %q", cols3)
	}
	if d, ok := rows3[0][0].(types.RawJSON); !ok || string(d) != `{"k": [1, 2]}` {
		t.Errorf("jsonb value %#v, want its text as types.RawJSON", rows3[0][0])
	}
	if d, ok := rows3[0][2].(types.RawJSON); !ok || string(d) != `{"x" : 1}` {
		t.Errorf("json value %#v, want its text as types.RawJSON", rows3[0][2])
	}
	if rows3[0][1] != int64(1000) || rows3[0][4] != "a" || rows3[1][0] != nil || rows3[1][2] != nil || rows3[1][3] != nil {
		t.Errorf("rows %v", rows3)
	}
	if v, err := New().ConvertResult(rows3[0][3], types.Numeric(10, 2)); err != nil || v != "1.50" && v != "1.5" {
		t.Errorf("numeric %#v converts to %#v, %v", rows3[0][3], v, err)
	}
	// No columns at all, then columns again.
	if cols, rows := scanAll(t, c, "SELECT FROM t"); len(cols) != 0 || len(rows) != 2 {
		t.Errorf("SELECT FROM t: %q, %d rows", cols, len(rows))
	}
	if cols, rows := scanAll(t, c, "SELECT name FROM t WHERE id = 2000"); !slices.Equal(cols, []string{"name"}) || len(rows) != 1 || rows[0][0] != nil {
		t.Errorf("%q %v", cols, rows)
	}

	// Destinations other than *any are scanned by pgx, JSON columns into *any aside.
	r, err := c.Query(t.Context(), "SELECT id, name, doc FROM t ORDER BY id", nil)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	var name string
	var doc any
	if !r.Next() {
		t.Fatal(r.Err())
	}
	if err := r.Scan(&id, &name, &doc); err != nil {
		t.Fatal(err)
	}
	if d, _ := doc.(types.RawJSON); id != 1000 || name != "a" || string(d) != `{"k": [1, 2]}` {
		t.Errorf("typed scan: %v %q %#v", id, name, doc)
	}
	if !r.Next() {
		t.Fatal(r.Err())
	}
	err = r.Scan(&id, &name, &doc) // NULL into a string
	var se pgx.ScanArgError
	if !errors.As(err, &se) || se.ColumnIndex != 1 || !strings.HasPrefix(err.Error(), "postgresql: ") {
		t.Errorf("NULL into *string: %v", err)
	}
	r.Close()

	// A value the plan cannot decode fails with the column named, like pgx's Scan.
	r, err = c.Query(t.Context(), "SELECT 'x'::text AS a, 1::int AS b", nil)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if !r.Next() {
		t.Fatal(r.Err())
	}
	if err := r.Scan(&a); err == nil {
		t.Error("one destination for two columns was accepted")
	}
	r.Close()
	if err := r.Scan(&a, &b); err == nil {
		t.Error("Scan after Close succeeded")
	}
	if r.Next() {
		t.Error("Next after Close")
	}
}

// BenchmarkQueryScan runs a one-row query with three parameters and scans it into *any
// values through the dialect's connection, as the engine does (RETORT_TEST_POSTGRES).
func BenchmarkQueryScan(b *testing.B) {
	if os.Getenv(testdb.PostgresEnv) == "" {
		b.Skip("set " + testdb.PostgresEnv + " to run the PostgreSQL benchmarks")
	}
	cfg := urlConfig(b, testdb.Postgres(b).URL)
	_, p, err := Driver{}.Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	c, err := p.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Release(false)
	if _, err := c.Exec(ctx, "CREATE TABLE t AS SELECT g::bigint AS id, 'name' || g AS name, g % 100 AS score FROM generate_series(1, 1000) g", nil); err != nil {
		b.Fatal(err)
	}
	vals := make([]any, 3)
	ptrs := []any{&vals[0], &vals[1], &vals[2]}
	args := make([]any, 3)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		args[0], args[1], args[2] = int64(i%1000+1), int64(-1), "x"
		r, err := c.Query(ctx, "SELECT id, name, score FROM t WHERE id = $1 AND score > $2 AND name <> $3", args)
		if err != nil {
			b.Fatal(err)
		}
		_ = r.Columns()
		for r.Next() {
			if err := r.Scan(ptrs...); err != nil {
				b.Fatal(err)
			}
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
