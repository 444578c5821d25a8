package drivertest

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/types"
)

// Acquire takes a connection from p, failing t on error.
func Acquire(t testing.TB, p dialect.Pool) dialect.Conn {
	t.Helper()
	c, err := p.Acquire(t.Context())
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	return c
}

// Exec runs sql with args on c and returns the rows affected, failing t on error.
func Exec(t testing.TB, c dialect.Conn, sql string, args ...any) int64 {
	t.Helper()
	n, err := c.Exec(t.Context(), sql, args)
	if err != nil {
		t.Fatalf("Exec %q: %v", sql, err)
	}
	return n.RowsAffected
}

// QueryOne returns the single row of sql as driver values, failing t on error, on no row
// and on more than one row.
func QueryOne(t testing.TB, c dialect.Conn, sql string, args ...any) []any {
	t.Helper()
	r, err := c.Query(t.Context(), sql, args)
	if err != nil {
		t.Fatalf("Query %q: %v", sql, err)
	}
	defer r.Close()
	if !r.Next() {
		t.Fatalf("Query %q: no row (err %v)", sql, r.Err())
	}
	vals := make([]any, len(r.Columns()))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := r.Scan(ptrs...); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if r.Next() {
		t.Fatalf("Query %q: more than one row", sql)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("Query %q: %v", sql, err)
	}
	return vals
}

// Values used by the round-trip and conversion tables of every dialect.
var (
	// UUIDVal is the UUID 123e4567-e89b-12d3-a456-426614174000.
	UUIDVal = types.UUID{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}
	// Plus2 is a fixed zone two hours east of UTC.
	Plus2 = time.FixedZone("+02", 2*3600)
	// Mood is the enum type mood (sad, ok, happy).
	Mood = types.Enum("mood", "sad", "ok", "happy")
)

// Column is one column of a round-trip table: its DDL type, retort type, the Go value
// written and the Go value expected back. A Column is a plain value: safe for concurrent
// reads, it lives as long as the table holding it.
type Column struct {
	Name string
	DDL  string
	Type types.Type
	In   any
	Want any
}

// Col returns the Column of the given fields (a positional constructor for tables).
func Col(name, ddl string, typ types.Type, in, want any) Column {
	return Column{Name: name, DDL: ddl, Type: typ, In: in, Want: want}
}

// Equal compares round-tripped values; times must be equal instants in UTC, byte slices
// equal bytes, anything else deeply equal.
func Equal(got, want any) bool {
	if wt, ok := want.(time.Time); ok {
		gt, ok := got.(time.Time)
		return ok && gt.Equal(wt) && gt.Location() == time.UTC
	}
	if wb, ok := want.([]byte); ok {
		gb, ok := got.([]byte)
		return ok && bytes.Equal(gb, wb)
	}
	return reflect.DeepEqual(got, want)
}

// RoundTripSQL returns the CREATE TABLE rt statement for cols, the comma-separated
// column names and the INSERT statement of one row (id first), with placeholder(n)
// giving the n-th (1-based) parameter marker.
func RoundTripSQL(cols []Column, placeholder func(int) string) (create, names, insert string) {
	var ddl, nb, marks strings.Builder
	ddl.WriteString("CREATE TABLE rt (id INTEGER PRIMARY KEY")
	for i, col := range cols {
		ddl.WriteString(", " + col.Name + " " + col.DDL)
		if i > 0 {
			nb.WriteString(", ")
			marks.WriteString(", ")
		}
		nb.WriteString(col.Name)
		marks.WriteString(placeholder(i + 2))
	}
	ddl.WriteString(")")
	names = nb.String()
	return ddl.String(), names, "INSERT INTO rt (id, " + names + ") VALUES (" + placeholder(1) + ", " + marks.String() + ")"
}

// InsertRoundTrip creates the table rt of cols on c and writes row 0 with every column's
// In value and row 1 with NULLs, all through d.ConvertArg. It returns the column names.
func InsertRoundTrip(t testing.TB, d dialect.Dialect, c dialect.Conn, cols []Column, placeholder func(int) string) (names string) {
	t.Helper()
	create, names, insert := RoundTripSQL(cols, placeholder)
	Exec(t, c, create)
	for id, null := range []bool{false, true} {
		args := []any{int64(id)}
		for _, col := range cols {
			v := col.In
			if null {
				v = nil
			}
			a, err := d.ConvertArg(v, col.Type)
			if err != nil {
				t.Fatalf("ConvertArg(%#v, %v) for %s: %v", v, col.Type, col.Name, err)
			}
			args = append(args, a)
		}
		Exec(t, c, insert, args...)
	}
	return names
}

// CheckRoundTripRow reads row (the driver values of cols, as selected from rt) through
// d.ConvertResult and reports, prefixed by prefix, every value that is not col.Want (or
// not nil when null is set).
func CheckRoundTripRow(t testing.TB, d dialect.Dialect, cols []Column, row []any, null bool, prefix string) {
	t.Helper()
	for i, col := range cols {
		got, err := d.ConvertResult(row[i], col.Type)
		if err != nil {
			t.Errorf("%sConvertResult(%#v, %v) for %s: %v", prefix, row[i], col.Type, col.Name, err)
			continue
		}
		if null {
			if got != nil {
				t.Errorf("%s%s: NULL read back as %#v", prefix, col.Name, got)
			}
			continue
		}
		if !Equal(got, col.Want) {
			t.Errorf("%s%s (%v): wrote %#v, read %#v (driver value %T %#v)", prefix, col.Name, col.Type, col.In, got, row[i], row[i])
		}
	}
}

// RoundTrip creates a table with cols, writes one row of values and one of NULLs through
// ConvertArg, reads them back (bound id) through ConvertResult and compares.
func RoundTrip(t testing.TB, d dialect.Dialect, c dialect.Conn, cols []Column, placeholder func(int) string) {
	t.Helper()
	names := InsertRoundTrip(t, d, c, cols, placeholder)
	for id, null := range []bool{false, true} {
		row := QueryOne(t, c, "SELECT "+names+" FROM rt WHERE id = "+placeholder(1), int64(id))
		CheckRoundTripRow(t, d, cols, row, null, "")
	}
}

// converter is the conversion half of dialect.Dialect, which the benchmarks need.
type converter interface {
	ConvertArg(v any, typ types.Type) (any, error)
	ConvertResult(src any, typ types.Type) (any, error)
}

// BenchmarkConvertArg converts a typical row of arguments with d per iteration.
func BenchmarkConvertArg(b *testing.B, d converter) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = d.ConvertArg(int64(42), types.BigInt())
		_, _ = d.ConvertArg("name", types.String(50))
		_, _ = d.ConvertArg(ts, types.Timestamp(false))
		_, _ = d.ConvertArg(true, types.Boolean())
		_, _ = d.ConvertArg(nil, types.Text())
	}
}

// BenchmarkConvertResult converts a typical row of driver values with d per iteration.
func BenchmarkConvertResult(b *testing.B, d converter) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = d.ConvertResult(int64(42), types.BigInt())
		_, _ = d.ConvertResult("name", types.String(50))
		_, _ = d.ConvertResult(1.5, types.Double())
		_, _ = d.ConvertResult(nil, types.Text())
	}
}
