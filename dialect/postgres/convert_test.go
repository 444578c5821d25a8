package postgres

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/internal/conv"
	"github.com/retortdb/retort/types"
)

type column struct {
	name string
	ddl  string
	typ  types.Type
	in   any
	want any
}

var (
	uuidVal = types.UUID{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}
	plus2   = time.FixedZone("+02", 2*3600)
	mood    = types.Enum("mood", "sad", "ok", "happy")
)

func roundTripColumns() []column {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	tod := 13*time.Hour + 14*time.Minute + 15*time.Second + 123456*time.Microsecond
	return []column{
		{"c_int", "INTEGER", types.Integer(), int64(-42), int64(-42)},
		{"c_bigint", "BIGINT", types.BigInt(), int64(math.MaxInt64), int64(math.MaxInt64)},
		{"c_small", "SMALLINT", types.SmallInt(), int64(-32768), int64(-32768)},
		{"c_bool_t", "BOOLEAN", types.Boolean(), true, true},
		{"c_bool_f", "BOOLEAN", types.Boolean(), false, false},
		{"c_float", "REAL", types.Float(), 1.1, 1.1},
		{"c_double", "DOUBLE PRECISION", types.Double(), math.Pi, math.Pi},
		{"c_num", "NUMERIC(10, 2)", types.Numeric(10, 2), "12.30", "12.30"},
		{"c_num_scale", "NUMERIC(10, 2)", types.Numeric(10, 2), "12.3", "12.30"},
		{"c_num_neg", "NUMERIC(10, 2)", types.Numeric(10, 2), "-0.05", "-0.05"},
		{"c_num_big", "NUMERIC(38, 10)", types.Numeric(38, 10), "1234567890123456789012345678.0123456789", "1234567890123456789012345678.0123456789"},
		{"c_num_free", "NUMERIC", types.Numeric(0, 0), "100.500", "100.500"},
		{"c_str", "VARCHAR(50)", types.String(50), "héllo, wörld", "héllo, wörld"},
		{"c_text", "TEXT", types.Text(), strings.Repeat("long text ", 100), strings.Repeat("long text ", 100)},
		{"c_bytes", "BYTEA", types.Bytes(), []byte{0, 1, 2, 255}, []byte{0, 1, 2, 255}},
		{"c_date", "DATE", types.Date(), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"c_time", "TIME", types.Time(), tod, tod},
		{"c_ts", "TIMESTAMP", types.Timestamp(false), ts, ts},
		{"c_tstz", "TIMESTAMP WITH TIME ZONE", types.Timestamp(true), ts.In(plus2), ts},
		{"c_interval", "INTERVAL", types.Interval(), 90*time.Minute + time.Microsecond, 90*time.Minute + time.Microsecond},
		{"c_interval_long", "INTERVAL", types.Interval(), -(400*24*time.Hour + time.Second), -(400*24*time.Hour + time.Second)},
		{"c_json", "JSON", types.JSON(), types.RawJSON(`{"a": [1, 2, 3], "b": "x"}`), types.RawJSON(`{"a": [1, 2, 3], "b": "x"}`)},
		{"c_jsonb", "JSONB", types.JSON(), types.RawJSON(`{"b":"x","a":[1,2,3]}`), types.RawJSON(`{"a": [1, 2, 3], "b": "x"}`)},
		{"c_uuid", "UUID", types.UUIDType(), uuidVal, uuidVal},
		{"c_enum", "mood", mood, "happy", "happy"},
	}
}

func equal(got, want any) bool {
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

func TestRoundTripEveryType(t *testing.T) {
	d, p := open(t, config(t))
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
	cols := roundTripColumns()
	var ddl, names, marks strings.Builder
	ddl.WriteString("CREATE TABLE rt (id INTEGER PRIMARY KEY")
	for i, col := range cols {
		ddl.WriteString(", " + col.name + " " + col.ddl)
		if i > 0 {
			names.WriteString(", ")
			marks.WriteString(", ")
		}
		names.WriteString(col.name)
		fmt.Fprintf(&marks, "$%d", i+2)
	}
	exec(t, c, ddl.String()+")")
	insert := "INSERT INTO rt (id, " + names.String() + ") VALUES ($1, " + marks.String() + ")"
	for id, null := range []bool{false, true} {
		args := []any{int64(id)}
		for _, col := range cols {
			v := col.in
			if null {
				v = nil
			}
			a, err := d.ConvertArg(v, col.typ)
			if err != nil {
				t.Fatalf("ConvertArg(%#v, %v): %v", v, col.typ, err)
			}
			args = append(args, a)
		}
		exec(t, c, insert, args...)
	}
	for id, null := range []bool{false, true} {
		row := queryOne(t, c, "SELECT "+names.String()+" FROM rt WHERE id = $1", int64(id))
		for i, col := range cols {
			got, err := d.ConvertResult(row[i], col.typ)
			if err != nil {
				t.Errorf("ConvertResult(%#v, %v) for %s: %v", row[i], col.typ, col.name, err)
				continue
			}
			if null {
				if got != nil {
					t.Errorf("%s: NULL read back as %#v", col.name, got)
				}
				continue
			}
			if !equal(got, col.want) {
				t.Errorf("%s (%v): wrote %#v, read %#v (driver value %T %#v)", col.name, col.typ, col.in, got, row[i], row[i])
			}
		}
	}
	// Values of unknown type are normalised from pgx's own types.
	row := queryOne(t, c, "SELECT c_num, c_time, c_interval, c_uuid, c_tstz, c_json FROM rt WHERE id = 0")
	want := []any{"12.30", 13*time.Hour + 14*time.Minute + 15*time.Second + 123456*time.Microsecond,
		90*time.Minute + time.Microsecond, uuidVal, time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC),
		types.RawJSON(`{"a": [1, 2, 3], "b": "x"}`)}
	for i, w := range want {
		got, err := d.ConvertResult(row[i], types.Unknown())
		if err != nil || !equal(got, w) {
			t.Errorf("ConvertResult(%#v, unknown) = %#v, %v; want %#v", row[i], got, err, w)
		}
	}
	// A bound parameter of unknown type still reaches the server correctly.
	uarg, _ := d.ConvertArg(uuidVal, types.Unknown())
	if got := queryOne(t, c, "SELECT count(*) FROM rt WHERE c_uuid = $1", uarg)[0]; got != int64(1) {
		t.Errorf("uuid of unknown type matched %v rows", got)
	}
}

func TestConvertArgErrors(t *testing.T) {
	d := New()
	for _, tc := range []struct {
		v    any
		typ  types.Type
		want string
	}{
		{true, types.Integer(), "postgresql: cannot convert bool to integer column"},
		{uint64(math.MaxUint64), types.BigInt(), "postgresql: cannot convert uint64 to bigint column: 18446744073709551615 overflows int64"},
		{"12.5.1", types.Numeric(10, 2), `postgresql: cannot convert string to numeric(10,2) column: "12.5.1" is not a decimal number`},
		{"x", mood, `postgresql: cannot convert string to enum mood(sad,ok,happy) column: "x" is not one of the allowed values ["sad", "ok", "happy"]`},
		{-time.Second, types.Time(), "postgresql: cannot convert time.Duration to time column: -1s is not a time of day (want 0 <= d < 24h)"},
		{"{", types.JSON(), "postgresql: cannot convert string to json column: the value is not valid JSON text"},
	} {
		_, err := d.ConvertArg(tc.v, tc.typ)
		if err == nil || err.Error() != tc.want || !errors.Is(err, conv.ErrConvert) {
			t.Errorf("ConvertArg(%#v, %v) error = %v, want %q", tc.v, tc.typ, err, tc.want)
		}
	}
	// Accepted alternative forms.
	for _, tc := range []struct {
		v    any
		typ  types.Type
		want any
	}{
		{uint32(7), types.Integer(), int64(7)},
		{types.NullOf(true), types.Boolean(), true},
		{"123e4567-e89b-12d3-a456-426614174000", types.UUIDType(), pgtype.UUID{Bytes: uuidVal, Valid: true}},
		{map[string]int{"a": 1}, types.JSON(), []byte(`{"a":1}`)},
		{time.Hour, types.Interval(), pgtype.Interval{Microseconds: 3600_000_000, Valid: true}},
		{time.Date(2024, 5, 1, 23, 0, 0, 0, plus2), types.Date(), time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := d.ConvertArg(tc.v, tc.typ)
		if err != nil || !equal(got, tc.want) {
			t.Errorf("ConvertArg(%#v, %v) = %#v, %v; want %#v", tc.v, tc.typ, got, err, tc.want)
		}
	}
}

func TestConvertResultNumeric(t *testing.T) {
	d := New()
	n := func(s string) pgtype.Numeric {
		var x pgtype.Numeric
		if err := x.Scan(s); err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, tc := range []struct {
		src  any
		typ  types.Type
		want string
	}{
		{n("12.3"), types.Numeric(10, 2), "12.30"},
		{n("-0.005"), types.Numeric(10, 3), "-0.005"},
		{n("1200"), types.Numeric(10, 0), "1200"},
		{n("0.000001"), types.Numeric(0, 0), "0.000001"},
	} {
		got, err := d.ConvertResult(tc.src, tc.typ)
		if err != nil || got != tc.want {
			t.Errorf("ConvertResult(%v, %v) = %#v, %v; want %q", tc.src, tc.typ, got, err, tc.want)
		}
	}
	if _, err := d.ConvertResult(pgtype.Numeric{NaN: true, Valid: true}, types.Numeric(5, 1)); err == nil ||
		err.Error() != "postgresql: cannot convert database value of type pgtype.Numeric from numeric(5,1) column: NaN or infinity is not a decimal number" {
		t.Errorf("NaN: %v", err)
	}
	if _, err := d.ConvertResult(pgtype.Interval{Months: 12 * 1000, Valid: true}, types.Interval()); err == nil {
		t.Error("a 1000-year interval fit in a time.Duration")
	}
	_ = dialect.Config{}
}

func BenchmarkConvertArg(b *testing.B) {
	d := New()
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

func BenchmarkConvertResult(b *testing.B) {
	d := New()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = d.ConvertResult(int64(42), types.BigInt())
		_, _ = d.ConvertResult("name", types.String(50))
		_, _ = d.ConvertResult(1.5, types.Double())
		_, _ = d.ConvertResult(nil, types.Text())
	}
}
