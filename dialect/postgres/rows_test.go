package postgres

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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

	// Fixed-size types decode as pgx decodes them.
	if _, rows := scanAll(t, c, "SELECT 1::int2, -2::int4, -300::int8, 3.5::float4, 4.25::float8, true, false, NULL::int8, NULL::bool, $1::int8", int64(1)<<40); len(rows) != 1 ||
		!slices.Equal(rows[0], []any{int16(1), int32(-2), int64(-300), float32(3.5), 4.25, true, false, nil, nil, int64(1) << 40}) {
		t.Errorf("fixed-size values %#v", rows)
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

// TestBinaryPlan: the driver's plans for fixed-size types give what pgx's plan for a *any
// gives, for every value, NULL and a wrong length.
func TestBinaryPlan(t *testing.T) {
	m := pgtype.NewMap()
	sizes := map[uint32]int{pgtype.Int8OID: 8, pgtype.Int4OID: 4, pgtype.Int2OID: 2, pgtype.Float8OID: 8, pgtype.Float4OID: 4, pgtype.BoolOID: 1}
	rng := rand.New(rand.NewPCG(1, 2))
	for oid, size := range sizes {
		p := binaryPlan(oid)
		if !p.fits(m, pgx.BinaryFormatCode) || p.fits(m, pgx.TextFormatCode) {
			t.Fatalf("type %d: fits binary %v, text %v", oid, p.fits(m, pgx.BinaryFormatCode), p.fits(m, pgx.TextFormatCode))
		}
		ref := m.PlanScan(oid, pgx.BinaryFormatCode, &anyTarget)
		inputs := [][]byte{nil, make([]byte, size), bytes.Repeat([]byte{0xff}, size), make([]byte, size+1), {}}
		for range 200 {
			b := make([]byte, size)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			inputs = append(inputs, b)
		}
		for _, in := range inputs {
			var got, want any = "unset", "unset"
			gotErr := p.Scan(in, &got)
			wantErr := ref.Scan(in, &want)
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("type %d, % x: error %v, pgx %v", oid, in, gotErr, wantErr)
			}
			if gotErr != nil {
				if gotErr.Error() != wantErr.Error() {
					t.Errorf("type %d, % x: error %q, pgx %q", oid, in, gotErr, wantErr)
				}
				continue
			}
			same := got == want
			if f, ok := got.(float64); ok && math.IsNaN(f) {
				w, _ := want.(float64)
				same = math.IsNaN(w) && math.Float64bits(f) == math.Float64bits(w)
			}
			if f, ok := got.(float32); ok && f != f {
				w, _ := want.(float32)
				same = w != w && math.Float32bits(f) == math.Float32bits(w)
			}
			if !same {
				t.Fatalf("type %d, % x: %#v, pgx %#v", oid, in, got, want)
			}
		}
	}
	for _, oid := range []uint32{pgtype.TextOID, pgtype.NumericOID, pgtype.TimestamptzOID, 0} {
		if binaryPlan(oid).fits(m, pgx.BinaryFormatCode) {
			t.Errorf("type %d: a binary plan claims to fit", oid)
		}
	}
	var s string
	if err := binaryPlan(pgtype.Int8OID).Scan([]byte{0, 0, 0, 0, 0, 0, 0, 1}, &s); err == nil {
		t.Error("scan into *string accepted")
	}
}
