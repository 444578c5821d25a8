package postgres

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/internal/conv"
	"github.com/retortdb/retort/dialect/internal/drivertest"
	"github.com/retortdb/retort/types"
)

var (
	uuidVal = drivertest.UUIDVal
	plus2   = drivertest.Plus2
	mood    = drivertest.Mood
	col     = drivertest.Col
	equal   = drivertest.Equal
)

func roundTripColumns() []drivertest.Column {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	tod := 13*time.Hour + 14*time.Minute + 15*time.Second + 123456*time.Microsecond
	return []drivertest.Column{
		col("c_int", "INTEGER", types.Integer(), int64(-42), int64(-42)),
		col("c_bigint", "BIGINT", types.BigInt(), int64(math.MaxInt64), int64(math.MaxInt64)),
		col("c_small", "SMALLINT", types.SmallInt(), int64(-32768), int64(-32768)),
		col("c_bool_t", "BOOLEAN", types.Boolean(), true, true),
		col("c_bool_f", "BOOLEAN", types.Boolean(), false, false),
		col("c_float", "REAL", types.Float(), 1.1, 1.1),
		col("c_double", "DOUBLE PRECISION", types.Double(), math.Pi, math.Pi),
		col("c_num", "NUMERIC(10, 2)", types.Numeric(10, 2), "12.30", "12.30"),
		col("c_num_scale", "NUMERIC(10, 2)", types.Numeric(10, 2), "12.3", "12.30"),
		col("c_num_neg", "NUMERIC(10, 2)", types.Numeric(10, 2), "-0.05", "-0.05"),
		col("c_num_big", "NUMERIC(38, 10)", types.Numeric(38, 10), "1234567890123456789012345678.0123456789", "1234567890123456789012345678.0123456789"),
		col("c_num_free", "NUMERIC", types.Numeric(0, 0), "100.500", "100.500"),
		col("c_str", "VARCHAR(50)", types.String(50), "héllo, wörld", "héllo, wörld"),
		col("c_text", "TEXT", types.Text(), strings.Repeat("long text ", 100), strings.Repeat("long text ", 100)),
		col("c_bytes", "BYTEA", types.Bytes(), []byte{0, 1, 2, 255}, []byte{0, 1, 2, 255}),
		col("c_date", "DATE", types.Date(), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)),
		col("c_time", "TIME", types.Time(), tod, tod),
		col("c_ts", "TIMESTAMP", types.Timestamp(false), ts, ts),
		col("c_tstz", "TIMESTAMP WITH TIME ZONE", types.Timestamp(true), ts.In(plus2), ts),
		col("c_interval", "INTERVAL", types.Interval(), 90*time.Minute+time.Microsecond, 90*time.Minute+time.Microsecond),
		col("c_interval_long", "INTERVAL", types.Interval(), -(400*24*time.Hour + time.Second), -(400*24*time.Hour + time.Second)),
		col("c_json", "JSON", types.JSON(), types.RawJSON(`{"a": [1, 2, 3], "b": "x"}`), types.RawJSON(`{"a": [1, 2, 3], "b": "x"}`)),
		col("c_jsonb", "JSONB", types.JSON(), types.RawJSON(`{"b":"x","a":[1,2,3]}`), types.RawJSON(`{"a": [1, 2, 3], "b": "x"}`)),
		col("c_uuid", "UUID", types.UUIDType(), uuidVal, uuidVal),
		col("c_enum", "mood", mood, "happy", "happy"),
	}
}

func TestRoundTripEveryType(t *testing.T) {
	d, p := open(t, config(t))
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
	drivertest.RoundTrip(t, d, c, roundTripColumns(), func(i int) string { return fmt.Sprintf("$%d", i) })
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
	drivertest.BenchmarkConvertArg(b, New())
}

func BenchmarkConvertResult(b *testing.B) {
	drivertest.BenchmarkConvertResult(b, New())
}
