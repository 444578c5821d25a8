package mysql

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

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
		{"c_bool_t", "BOOL", types.Boolean(), true, true},
		{"c_bool_f", "BOOL", types.Boolean(), false, false},
		{"c_float", "FLOAT", types.Float(), 1.1, 1.1},
		{"c_double", "DOUBLE", types.Double(), math.Pi, math.Pi},
		{"c_num", "DECIMAL(10, 2)", types.Numeric(10, 2), "12.30", "12.30"},
		{"c_num_scale", "DECIMAL(10, 2)", types.Numeric(10, 2), "12.3", "12.30"},
		{"c_num_neg", "DECIMAL(10, 2)", types.Numeric(10, 2), "-0.05", "-0.05"},
		{"c_num_free", "DECIMAL(65, 30)", types.Numeric(0, 0), "100.5", "100.5"},
		{"c_str", "VARCHAR(50)", types.String(50), "héllo, wörld", "héllo, wörld"},
		{"c_text", "LONGTEXT", types.Text(), strings.Repeat("long text ", 100), strings.Repeat("long text ", 100)},
		{"c_bytes", "LONGBLOB", types.Bytes(), []byte{0, 1, 2, 255}, []byte{0, 1, 2, 255}},
		{"c_date", "DATE", types.Date(), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"c_time", "TIME(6)", types.Time(), tod, tod},
		{"c_ts", "DATETIME(6)", types.Timestamp(false), ts, ts},
		{"c_tstz", "DATETIME(6)", types.Timestamp(true), ts.In(plus2), ts},
		{"c_interval", "BIGINT", types.Interval(), 90*time.Minute + time.Microsecond, 90*time.Minute + time.Microsecond},
		{"c_json", "JSON", types.JSON(), types.RawJSON(`{"a": [1, 2, 3], "b": "x"}`), types.RawJSON(`{"a": [1, 2, 3], "b": "x"}`)},
		{"c_uuid", "CHAR(36)", types.UUIDType(), uuidVal, uuidVal},
		{"c_enum", "ENUM('sad', 'ok', 'happy')", mood, "happy", "happy"},
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
		marks.WriteString("?")
	}
	exec(t, c, ddl.String()+")")
	insert := "INSERT INTO rt (id, " + names.String() + ") VALUES (?, " + marks.String() + ")"
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
	// With an argument (binary protocol) and without (text protocol).
	for _, where := range []string{"id = ?", "id = 0", "id = 1"} {
		for id, null := range []bool{false, true} {
			var row []any
			switch where {
			case "id = ?":
				row = queryOne(t, c, "SELECT "+names.String()+" FROM rt WHERE id = ?", int64(id))
			default:
				if (where == "id = 1") != null {
					continue
				}
				row = queryOne(t, c, "SELECT "+names.String()+" FROM rt WHERE "+where)
			}
			for i, col := range cols {
				got, err := d.ConvertResult(row[i], col.typ)
				if err != nil {
					t.Errorf("%s: ConvertResult(%#v, %v) for %s: %v", where, row[i], col.typ, col.name, err)
					continue
				}
				if null {
					if got != nil {
						t.Errorf("%s: %s: NULL read back as %#v", where, col.name, got)
					}
					continue
				}
				if !equal(got, col.want) {
					t.Errorf("%s: %s (%v): wrote %#v, read %#v (driver value %T %#v)", where, col.name, col.typ, col.in, got, row[i], row[i])
				}
			}
		}
	}
	// Values of unknown type are left as the driver returns them.
	row := queryOne(t, c, "SELECT c_str FROM rt WHERE id = 0")
	if got, _ := d.ConvertResult(row[0], types.Unknown()); !equal(got, []byte("héllo, wörld")) {
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
	d := New(MariaDB, 10, 11, 0)
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
	d := New(MariaDB, 10, 11, 0)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = d.ConvertResult(int64(42), types.BigInt())
		_, _ = d.ConvertResult("name", types.String(50))
		_, _ = d.ConvertResult(1.5, types.Double())
		_, _ = d.ConvertResult(nil, types.Text())
	}
}
