package mysql

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

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
		col("c_bool_t", "BOOL", types.Boolean(), true, true),
		col("c_bool_f", "BOOL", types.Boolean(), false, false),
		col("c_float", "FLOAT", types.Float(), 1.1, 1.1),
		col("c_double", "DOUBLE", types.Double(), math.Pi, math.Pi),
		col("c_num", "DECIMAL(10, 2)", types.Numeric(10, 2), "12.30", "12.30"),
		col("c_num_scale", "DECIMAL(10, 2)", types.Numeric(10, 2), "12.3", "12.30"),
		col("c_num_neg", "DECIMAL(10, 2)", types.Numeric(10, 2), "-0.05", "-0.05"),
		col("c_num_free", "DECIMAL(65, 30)", types.Numeric(0, 0), "100.5", "100.5"),
		col("c_str", "VARCHAR(50)", types.String(50), "héllo, wörld", "héllo, wörld"),
		col("c_text", "LONGTEXT", types.Text(), strings.Repeat("long text ", 100), strings.Repeat("long text ", 100)),
		col("c_bytes", "LONGBLOB", types.Bytes(), []byte{0, 1, 2, 255}, []byte{0, 1, 2, 255}),
		col("c_date", "DATE", types.Date(), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)),
		col("c_time", "TIME(6)", types.Time(), tod, tod),
		col("c_ts", "DATETIME(6)", types.Timestamp(false), ts, ts),
		col("c_tstz", "DATETIME(6)", types.Timestamp(true), ts.In(plus2), ts),
		col("c_interval", "BIGINT", types.Interval(), 90*time.Minute+time.Microsecond, 90*time.Minute+time.Microsecond),
		col("c_json", "JSON", types.JSON(), types.RawJSON(`{"a": [1, 2, 3], "b": "x"}`), types.RawJSON(`{"a": [1, 2, 3], "b": "x"}`)),
		col("c_uuid", "CHAR(36)", types.UUIDType(), uuidVal, uuidVal),
		col("c_enum", "ENUM('sad', 'ok', 'happy')", mood, "happy", "happy"),
	}
}

func TestRoundTripEveryType(t *testing.T) {
	d, p := open(t, config(t))
	c := acquire(t, p)
	defer c.Release(false)
	cols := roundTripColumns()
	names := drivertest.InsertRoundTrip(t, d, c, cols, func(int) string { return "?" })
	// With an argument (binary protocol) and without (text protocol).
	for _, where := range []string{"id = ?", "id = 0", "id = 1"} {
		for id, null := range []bool{false, true} {
			var row []any
			switch where {
			case "id = ?":
				row = queryOne(t, c, "SELECT "+names+" FROM rt WHERE id = ?", int64(id))
			default:
				if (where == "id = 1") != null {
					continue
				}
				row = queryOne(t, c, "SELECT "+names+" FROM rt WHERE "+where)
			}
			drivertest.CheckRoundTripRow(t, d, cols, row, null, where+": ")
		}
	}
	// Values of unknown type: text columns are read as string, as on the other dialects.
	row := queryOne(t, c, "SELECT c_str FROM rt WHERE id = 0")
	if got, _ := d.ConvertResult(row[0], types.Unknown()); got != "héllo, wörld" {
		t.Errorf("unknown-typed text = %#v", got)
	}
}

func TestConvertErrors(t *testing.T) {
	d := New(MariaDB, 10, 11, 0)
	for _, tc := range []struct {
		v    any
		typ  types.Type
		want string
	}{
		{true, types.Integer(), "mariadb: cannot convert bool to integer column"},
		{"x", mood, `mariadb: cannot convert string to enum mood(sad,ok,happy) column: "x" is not one of the allowed values ["sad", "ok", "happy"]`},
		{"1/2", types.Numeric(4, 1), `mariadb: cannot convert string to numeric(4,1) column: "1/2" is not a decimal number`},
	} {
		_, err := d.ConvertArg(tc.v, tc.typ)
		if err == nil || err.Error() != tc.want || !errors.Is(err, conv.ErrConvert) {
			t.Errorf("ConvertArg(%#v, %v) error = %v, want %q", tc.v, tc.typ, err, tc.want)
		}
	}
	if _, err := d.ConvertResult([]byte("25:61:00"), types.Time()); err == nil {
		t.Error("a bad TIME value was accepted")
	}
	if got, err := d.ConvertResult([]byte("12.300000000000000000000000000000"), types.Numeric(0, 0)); err != nil || got != "12.3" {
		t.Errorf("free numeric = %#v, %v", got, err)
	}
	if got, err := d.ConvertResult([]byte("7.000000000000000000000000000000"), types.Numeric(0, 0)); err != nil || got != "7" {
		t.Errorf("free numeric = %#v, %v", got, err)
	}
}

func BenchmarkConvertArg(b *testing.B) {
	drivertest.BenchmarkConvertArg(b, New(MariaDB, 10, 11, 0))
}

func BenchmarkConvertResult(b *testing.B) {
	drivertest.BenchmarkConvertResult(b, New(MariaDB, 10, 11, 0))
}
