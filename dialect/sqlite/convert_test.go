package sqlite

import (
	"database/sql"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/internal/conv"
	"github.com/retortdb/retort/dialect/internal/drivertest"
	"github.com/retortdb/retort/types"
)

var (
	uuidVal = drivertest.UUIDVal
	plus2   = drivertest.Plus2
	col     = drivertest.Col
	equal   = drivertest.Equal
)

func roundTripColumns() []drivertest.Column {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC)
	return []drivertest.Column{
		col("c_int", "INTEGER", types.Integer(), int64(-42), int64(-42)),
		col("c_bigint", "BIGINT", types.BigInt(), int64(math.MaxInt64), int64(math.MaxInt64)),
		col("c_small", "SMALLINT", types.SmallInt(), int64(-32768), int64(-32768)),
		col("c_bool_t", "BOOLEAN", types.Boolean(), true, true),
		col("c_bool_f", "BOOLEAN", types.Boolean(), false, false),
		col("c_float", "REAL", types.Float(), 1.5, 1.5),
		col("c_double", "DOUBLE PRECISION", types.Double(), math.Pi, math.Pi),
		col("c_num", "NUMERIC(10,2)", types.Numeric(10, 2), "12.30", "12.30"),
		col("c_num_neg", "NUMERIC(10,2)", types.Numeric(10, 2), "-0.05", "-0.05"),
		col("c_str", "VARCHAR(50)", types.String(50), "héllo, wörld", "héllo, wörld"),
		col("c_text", "TEXT", types.Text(), strings.Repeat("long text ", 100), strings.Repeat("long text ", 100)),
		col("c_bytes", "BLOB", types.Bytes(), []byte{0, 1, 2, 255}, []byte{0, 1, 2, 255}),
		col("c_date", "DATE", types.Date(), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)),
		col("c_date_text", "TEXT", types.Date(), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)),
		col("c_time", "TIME", types.Time(), 13*time.Hour+14*time.Minute+15*time.Second+123456*time.Microsecond,
			13*time.Hour+14*time.Minute+15*time.Second+123456*time.Microsecond),
		col("c_ts", "TIMESTAMP", types.Timestamp(false), ts, ts),
		col("c_ts_text", "TEXT", types.Timestamp(false), ts, ts),
		col("c_tstz", "DATETIME", types.Timestamp(true), ts.In(plus2), ts),
		col("c_interval", "BIGINT", types.Interval(), 90*time.Minute+time.Microsecond, 90*time.Minute+time.Microsecond),
		col("c_interval_neg", "BIGINT", types.Interval(), -36*time.Hour, -36*time.Hour),
		col("c_json", "JSON", types.JSON(), types.RawJSON(`{"a":[1,2,3],"b":"x"}`), types.RawJSON(`{"a":[1,2,3],"b":"x"}`)),
		col("c_uuid", "CHAR(36)", types.UUIDType(), uuidVal, uuidVal),
		col("c_enum", "VARCHAR(10)", types.Enum("mood", "sad", "ok", "happy"), "happy", "happy"),
	}
}

func TestRoundTripEveryType(t *testing.T) {
	for _, name := range []string{"file", "memory"} {
		t.Run(name, func(t *testing.T) {
			cfg := dialect.Config{Scheme: "sqlite"}
			if name == "file" {
				cfg = fileConfig(t)
			}
			d, p := open(t, cfg)
			c := acquire(t, p)
			defer c.Release(false)
			drivertest.RoundTrip(t, d, c, roundTripColumns(), func(int) string { return "?" })
		})
	}
}

func TestCurrentTimestampDefault(t *testing.T) {
	d, p := open(t, fileConfig(t))
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, `CREATE TABLE ev (id INTEGER PRIMARY KEY, a TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
		b TEXT DEFAULT CURRENT_TIMESTAMP, c DATETIME DEFAULT (datetime('now')), d DATE DEFAULT CURRENT_DATE,
		e TIME DEFAULT CURRENT_TIME)`)
	before := time.Now().UTC().Truncate(time.Second)
	exec(t, c, "INSERT INTO ev (id) VALUES (1)")
	after := time.Now().UTC()
	row := queryOne(t, c, "SELECT a, b, c, d, e FROM ev")
	for i, v := range row[:3] {
		got, err := d.ConvertResult(v, types.Timestamp(false))
		if err != nil {
			t.Fatalf("column %d: %v", i, err)
		}
		ts := got.(time.Time)
		if ts.Location() != time.UTC || ts.Before(before) || ts.After(after) {
			t.Errorf("column %d: CURRENT_TIMESTAMP read as %v, want between %v and %v", i, ts, before, after)
		}
	}
	day, err := d.ConvertResult(row[3], types.Date())
	if err != nil || !day.(time.Time).Equal(conv.Date(before)) && !day.(time.Time).Equal(conv.Date(after)) {
		t.Errorf("CURRENT_DATE read as %v, %v", day, err)
	}
	tod, err := d.ConvertResult(row[4], types.Time())
	if err != nil || tod.(time.Duration) < 0 || tod.(time.Duration) >= 24*time.Hour {
		t.Errorf("CURRENT_TIME read as %v, %v", tod, err)
	}
}

func TestConvertArgForms(t *testing.T) {
	d := New()
	five := 5
	type level int8
	type name string
	for _, tc := range []struct {
		v    any
		typ  types.Type
		want any
	}{
		{int8(-3), types.Integer(), int64(-3)},
		{uint16(7), types.SmallInt(), int64(7)},
		{uint64(math.MaxInt64), types.BigInt(), int64(math.MaxInt64)},
		{level(4), types.Integer(), int64(4)},
		{&five, types.Integer(), int64(5)},
		{(*int)(nil), types.Integer(), nil},
		{types.NullOf(int64(8)), types.BigInt(), int64(8)},
		{types.Null[int64]{}, types.BigInt(), nil},
		{sql.NullString{String: "x", Valid: true}, types.Text(), "x"},
		{sql.NullString{}, types.Text(), nil},
		{name("n"), types.String(10), "n"},
		{true, types.Boolean(), int64(1)},
		{float32(0.5), types.Double(), 0.5},
		{int64(3), types.Double(), 3.0},
		{int64(12), types.Numeric(10, 2), "12"},
		{12.25, types.Numeric(10, 2), "12.25"},
		{" 1e3 ", types.Numeric(10, 2), "1e3"},
		{"abc", types.Bytes(), []byte("abc")},
		{time.Date(2024, 5, 1, 23, 30, 0, 0, plus2), types.Date(), "2024-05-01"},
		{"2024-05-01", types.Date(), "2024-05-01"},
		{time.Date(2024, 5, 1, 7, 8, 9, 10000, plus2), types.Time(), "07:08:09.000010"},
		{time.Date(2024, 5, 1, 7, 8, 9, 10000, plus2), types.Timestamp(true), "2024-05-01 05:08:09.000010"},
		{map[string]any{"k": 1}, types.JSON(), `{"k":1}`},
		{`[1, 2]`, types.JSON(), `[1, 2]`},
		{[]byte(`null`), types.JSON(), `null`},
		{[16]byte(uuidVal), types.UUIDType(), uuidVal.String()},
		{"123E4567-E89B-12D3-A456-426614174000", types.UUIDType(), uuidVal.String()},
		{uuidVal, types.Unknown(), uuidVal.String()},
		{time.Date(2024, 5, 1, 7, 8, 9, 0, plus2), types.Unknown(), "2024-05-01 05:08:09.000000"},
		{struct{ A int }{1}, types.Unknown(), struct{ A int }{1}},
	} {
		got, err := d.ConvertArg(tc.v, tc.typ)
		if err != nil {
			t.Errorf("ConvertArg(%#v, %v): %v", tc.v, tc.typ, err)
			continue
		}
		if !equal(got, tc.want) {
			t.Errorf("ConvertArg(%#v, %v) = %#v, want %#v", tc.v, tc.typ, got, tc.want)
		}
	}
}

func TestConvertArgErrors(t *testing.T) {
	d := New()
	for _, tc := range []struct {
		v    any
		typ  types.Type
		want string
	}{
		{true, types.Integer(), "sqlite: cannot convert bool to integer column"},
		{"7", types.BigInt(), "sqlite: cannot convert string to bigint column"},
		{uint64(math.MaxUint64), types.BigInt(), "sqlite: cannot convert uint64 to bigint column: 18446744073709551615 overflows int64"},
		{1, types.Boolean(), "sqlite: cannot convert int to boolean column"},
		{"1.5", types.Double(), "sqlite: cannot convert string to double column"},
		{"12,5", types.Numeric(10, 2), `sqlite: cannot convert string to numeric(10,2) column: "12,5" is not a decimal number`},
		{math.NaN(), types.Numeric(10, 2), "sqlite: cannot convert float64 to numeric(10,2) column: NaN is not a finite number"},
		{3, types.Text(), "sqlite: cannot convert int to text column"},
		{3, types.Bytes(), "sqlite: cannot convert int to bytes column"},
		{"May 1", types.Date(), `sqlite: cannot convert string to date column: "May 1" is not a date (want 2006-01-02)`},
		{25 * time.Hour, types.Time(), "sqlite: cannot convert time.Duration to time column: 25h0m0s is not a time of day (want 0 <= d < 24h)"},
		{int64(5), types.Timestamp(false), "sqlite: cannot convert int64 to timestamp column: want a time.Time"},
		{5, types.Interval(), "sqlite: cannot convert int to interval column: want a time.Duration"},
		{"{bad", types.JSON(), "sqlite: cannot convert string to json column: the value is not valid JSON text"},
		{make(chan int), types.JSON(), "sqlite: cannot convert chan int to json column: json: unsupported type: chan int"},
		{"not-a-uuid", types.UUIDType(), `sqlite: cannot convert string to uuid column: types: invalid UUID: "not-a-uuid"`},
		{"meh", types.Enum("mood", "sad", "happy"), `sqlite: cannot convert string to enum mood(sad,happy) column: "meh" is not one of the allowed values ["sad", "happy"]`},
		{7, types.Enum("mood", "sad"), "sqlite: cannot convert int to enum mood(sad) column: want a string"},
	} {
		_, err := d.ConvertArg(tc.v, tc.typ)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ConvertArg(%#v, %v) error = %v, want %q", tc.v, tc.typ, err, tc.want)
			continue
		}
		if !errors.Is(err, conv.ErrConvert) || !errors.Is(err, dialect.ErrConvert) {
			t.Errorf("ConvertArg(%#v, %v) error does not match conv.ErrConvert", tc.v, tc.typ)
		}
	}
}

func TestConvertResultErrors(t *testing.T) {
	d := New()
	for _, tc := range []struct {
		src  any
		typ  types.Type
		want string
	}{
		{"x", types.Integer(), `sqlite: cannot convert database value of type string from integer column: "x" is not an integer`},
		{1.5, types.Integer(), "sqlite: cannot convert database value of type float64 from integer column: 1.5 is not an integer"},
		{"maybe", types.Boolean(), `sqlite: cannot convert database value of type string from boolean column: "maybe" is not a boolean`},
		{"1,2", types.Numeric(5, 1), `sqlite: cannot convert database value of type string from numeric(5,1) column: "1,2" is not a decimal number`},
		{"yesterday", types.Timestamp(false), `sqlite: cannot convert database value of type string from timestamp column: "yesterday" is not a timestamp`},
		{int64(5), types.UUIDType(), "sqlite: cannot convert database value of type int64 from uuid column"},
		{1.5, types.Date(), "sqlite: cannot convert database value of type float64 from date column"},
	} {
		_, err := d.ConvertResult(tc.src, tc.typ)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ConvertResult(%#v, %v) error = %v, want %q", tc.src, tc.typ, err, tc.want)
		}
	}
	// Results of numeric columns are formatted with the column's scale.
	for _, tc := range []struct {
		src  any
		typ  types.Type
		want string
	}{
		{12.3, types.Numeric(10, 2), "12.30"},
		{int64(7), types.Numeric(10, 3), "7.000"},
		{"0.125", types.Numeric(10, 2), "0.13"},
		{"-0.125", types.Numeric(10, 2), "-0.13"},
		{"9.995", types.Numeric(10, 2), "10.00"},
		{"-0.001", types.Numeric(10, 2), "0.00"},
		{"1.5e2", types.Numeric(10, 1), "150.0"},
		{"12.5", types.Numeric(10, 0), "13"},
		{"0012.50", types.Numeric(0, 0), "12.50"},
	} {
		got, err := d.ConvertResult(tc.src, tc.typ)
		if err != nil || got != tc.want {
			t.Errorf("ConvertResult(%#v, %v) = %#v, %v; want %q", tc.src, tc.typ, got, err, tc.want)
		}
	}
}

func BenchmarkConvertArg(b *testing.B) {
	drivertest.BenchmarkConvertArg(b, New())
}

func BenchmarkConvertResult(b *testing.B) {
	drivertest.BenchmarkConvertResult(b, New())
}
