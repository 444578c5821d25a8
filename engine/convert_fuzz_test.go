package engine

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
	"github.com/retortdb/retort/types"
)

// convDialects are the dialects whose value conversions FuzzConvert checks.
var convDialects = []dialect.Dialect{
	sqlite.New(),
	postgres.New(),
	mysql.New(mysql.MariaDB, 10, 11, 0),
	mysql.New(mysql.MySQL, 8, 0, 36),
}

type convNamedInt int8
type convNamedString string
type convNamedBytes []byte

// convValuer is a driver.Valuer returning v.
type convValuer struct{ v any }

func (c convValuer) Value() (driver.Value, error) { return c.v, nil }

// errValuerRefused is the error of convErrValuer.
var errValuerRefused = errors.New("valuer refused")

// convErrValuer is a driver.Valuer that fails.
type convErrValuer struct{}

func (convErrValuer) Value() (driver.Value, error) { return nil, errValuerRefused }

// convSelfValuer is a driver.Valuer returning itself: an endless chain.
type convSelfValuer struct{ n int }

func (c convSelfValuer) Value() (driver.Value, error) { return c, nil }

// convValues builds a Go value from fuzzer input: canonical values of every kind, other
// widths, pointers (nil too), types.Null, named types, driver.Valuers (failing and
// endless ones), times in other zones and years, NaN and infinities, and types no
// column takes.
var convValues = []func(i int64, f float64, s string, b []byte) any{
	func(int64, float64, string, []byte) any { return nil },
	func(i int64, _ float64, _ string, _ []byte) any { return i },
	func(i int64, _ float64, _ string, _ []byte) any { return int(i) },
	func(i int64, _ float64, _ string, _ []byte) any { return int8(i) },
	func(i int64, _ float64, _ string, _ []byte) any { return uint64(i) * 3 },
	func(i int64, _ float64, _ string, _ []byte) any { return uint(i) },
	func(_ int64, f float64, _ string, _ []byte) any { return f },
	func(_ int64, f float64, _ string, _ []byte) any { return float32(f) },
	func(_ int64, _ float64, s string, _ []byte) any { return s },
	func(_ int64, _ float64, _ string, b []byte) any { return b },
	func(i int64, _ float64, _ string, _ []byte) any { return i&1 == 1 },
	func(i int64, _ float64, _ string, _ []byte) any { return time.Unix(i%(1<<40), i%1e9).UTC() },
	func(i int64, _ float64, _ string, _ []byte) any {
		return time.Unix(i%(1<<36), i%1e9).In(time.FixedZone("X", int(i%50400)))
	},
	func(i int64, _ float64, _ string, _ []byte) any {
		return time.Date(int(i%30000)-10000, time.Month(i%12+1), int(i%28+1), int(i%24), 0, 0, int(i%1e9), time.UTC)
	},
	func(i int64, _ float64, _ string, _ []byte) any { return time.Duration(i) },
	func(_ int64, _ float64, _ string, b []byte) any { return json.RawMessage(b) },
	func(_ int64, _ float64, _ string, b []byte) any {
		var u types.UUID
		copy(u[:], b)
		return u
	},
	func(_ int64, _ float64, _ string, b []byte) any {
		var a [16]byte
		copy(a[:], b)
		return a
	},
	func(_ int64, _ float64, s string, _ []byte) any { return &s },
	func(int64, float64, string, []byte) any { return (*string)(nil) },
	func(int64, float64, string, []byte) any { return (*time.Time)(nil) },
	func(i int64, _ float64, _ string, _ []byte) any { p := &i; return &p },
	func(i int64, _ float64, _ string, _ []byte) any { return types.Null[int64]{V: i, Valid: i&1 == 1} },
	func(_ int64, _ float64, s string, _ []byte) any { return types.Null[string]{V: s, Valid: true} },
	func(i int64, _ float64, _ string, _ []byte) any { return convNamedInt(i) },
	func(_ int64, _ float64, s string, _ []byte) any { return convNamedString(s) },
	func(_ int64, _ float64, _ string, b []byte) any { return convNamedBytes(b) },
	func(_ int64, _ float64, s string, _ []byte) any { return convValuer{s} },
	func(i int64, _ float64, _ string, _ []byte) any { return convValuer{convValuer{i}} },
	func(int64, float64, string, []byte) any { return convErrValuer{} },
	func(int64, float64, string, []byte) any { return convSelfValuer{} },
	func(int64, float64, string, []byte) any { return (*convValuer)(nil) },
	func(i int64, _ float64, s string, _ []byte) any { return map[string]any{s: i} },
	func(i int64, _ float64, s string, _ []byte) any { return []any{i, s} },
	func(_ int64, _ float64, s string, _ []byte) any { return []string{s} },
	func(int64, float64, string, []byte) any { return struct{ A int }{1} },
	func(int64, float64, string, []byte) any { return make(chan int) },
	func(int64, float64, string, []byte) any { return func() {} },
	func(_ int64, f float64, _ string, _ []byte) any { return complex(f, 1) },
	func(int64, float64, string, []byte) any { return math.NaN() },
	func(i int64, _ float64, _ string, _ []byte) any { return math.Inf(int(i%2)*2 - 1) },
}

// convType builds a column type from fuzzer input: every kind (and two unknown ones),
// with lengths, precisions, scales, time zones and enum values.
func convType(kind, p, sc uint8, tz bool, enum string) types.Type {
	t := types.Type{Kind: types.Kind(kind % 20)}
	switch t.Kind {
	case types.KindString:
		t.Length = int(p)
	case types.KindNumeric:
		t.Precision = int(p % 80)
		t.Scale = int(sc) % (t.Precision + 2)
	case types.KindTimestamp:
		t.Timezone = tz
	case types.KindEnum:
		t.EnumName = "e"
		if enum != "" {
			t.EnumValues = strings.Split(enum, "|")
		}
	}
	return t
}

// argTypes are the Go types ConvertArg may hand a driver for a column of known kind.
var argTypes = map[string]bool{
	"int64": true, "bool": true, "float64": true, "string": true, "[]uint8": true, "time.Time": true,
	"pgtype.Time": true, "pgtype.Interval": true, "pgtype.UUID": true,
}

// sqliteStored returns what the SQLite driver reads back for a value ConvertArg
// produced: the same integer, float, text or blob, except NaN, which SQLite stores as
// NULL.
func sqliteStored(v any) any {
	if f, ok := v.(float64); ok && f != f {
		return nil
	}
	return v
}

// FuzzConvert checks every dialect's value conversions with arbitrary Go values for
// every column kind. ConvertArg and ConvertResult never panic, and their errors wrap
// dialect.ErrConvert with the dialect's name in front. ConvertArg hands the driver only
// plain values (or pgx's own types); NULL in any form becomes nil. ConvertResult returns
// the kind's canonical Go type. On SQLite, which stores what it is given, a value
// ConvertArg accepts reads back (ConvertResult succeeds) and reads back the same when
// written again: nothing written is lost.
func FuzzConvert(f *testing.F) {
	for v := range convValues {
		for k := 0; k < 20; k++ {
			f.Add(uint8(v), uint8(k), uint8(10), uint8(2), false, int64(1_700_000_000), 1.5, "12.5", []byte("0123456789abcdef"), "a|b")
		}
	}
	// Values that sit on the edges of their kind.
	f.Add(uint8(6), uint8(1), uint8(0), uint8(0), false, int64(0), 9.223372036854775807e18, "", []byte(nil), "")
	f.Add(uint8(6), uint8(1), uint8(0), uint8(0), false, int64(0), -9.223372036854775808e18, "", []byte(nil), "")
	f.Add(uint8(8), uint8(12), uint8(0), uint8(0), false, int64(0), 0.0, "99999999999:00:00", []byte(nil), "")
	f.Add(uint8(8), uint8(12), uint8(0), uint8(0), false, int64(0), 0.0, "2562048:00:00", []byte(nil), "")
	f.Add(uint8(8), uint8(12), uint8(0), uint8(0), false, int64(0), 0.0, "5124096:00:00", []byte(nil), "") // wraps to 00:25:26
	f.Add(uint8(8), uint8(13), uint8(0), uint8(0), false, int64(0), 0.0, "10000-01-01 00:00:00", []byte(nil), "")
	f.Add(uint8(13), uint8(13), uint8(0), uint8(0), false, int64(1), 0.0, "", []byte(nil), "")
	f.Add(uint8(13), uint8(11), uint8(0), uint8(0), false, int64(-3), 0.0, "", []byte(nil), "")
	f.Add(uint8(8), uint8(7), uint8(5), uint8(2), false, int64(0), 0.0, "1e100000", []byte(nil), "")
	f.Add(uint8(8), uint8(7), uint8(5), uint8(2), false, int64(0), 0.0, " 1.005 ", []byte(nil), "")
	f.Add(uint8(8), uint8(14), uint8(0), uint8(0), false, int64(0), 0.0, "-9223372036854775808ns", []byte(nil), "")
	f.Add(uint8(8), uint8(15), uint8(0), uint8(0), false, int64(0), 0.0, "\xff", []byte(nil), "")
	f.Add(uint8(8), uint8(17), uint8(0), uint8(0), false, int64(0), 0.0, "c", []byte(nil), "a|b")
	f.Fuzz(func(t *testing.T, vsel, kind, p, sc uint8, tz bool, i int64, fl float64, s string, b []byte, enum string) {
		v := convValues[int(vsel)%len(convValues)](i, fl, s, b)
		typ := convType(kind, p, sc, tz, enum)
		known := typ.Kind >= types.KindInteger && typ.Kind <= types.KindEnum
		for _, d := range convDialects {
			out, err := d.ConvertArg(v, typ)
			if _, ok := v.(convErrValuer); ok {
				// The Valuer's error is kept, and the message names the value's type.
				if !errors.Is(err, errValuerRefused) || !strings.Contains(err.Error(), "engine.convErrValuer") {
					t.Fatalf("%s ConvertArg(failing Valuer, %s): %v, want the Valuer's error and type", d.Name(), typ, err)
				}
			}
			if err != nil {
				checkConvertError(t, d, "ConvertArg", v, typ, err)
			} else if known && out != nil && !argTypes[reflect.TypeOf(out).String()] {
				t.Fatalf("%s ConvertArg(%#v, %s) = %#v: a %T for the driver", d.Name(), v, typ, out, out)
			}
			if x, ok := v.(string); ok && err == nil && typ.Kind == types.KindTime {
				// A time of day given as text has at most 24 hours (and no overflow
				// wraps a bigger one into range).
				h, _, _ := strings.Cut(strings.TrimPrefix(x, "-"), ":")
				if n, perr := strconv.Atoi(h); perr != nil || n > 24 {
					t.Fatalf("%s ConvertArg(%q, %s) = %#v: accepted as a time of day", d.Name(), x, typ, out)
				}
			}
			if err == nil && isNullValue(v) && out != nil {
				t.Fatalf("%s ConvertArg(%#v, %s) = %#v, want nil for NULL", d.Name(), v, typ, out)
			}

			res, err := d.ConvertResult(v, typ)
			if err != nil {
				checkConvertError(t, d, "ConvertResult", v, typ, err)
			} else if known && res != nil && reflect.TypeOf(res) != typ.GoType() {
				t.Fatalf("%s ConvertResult(%#v, %s) = %#v (%T), want a %s", d.Name(), v, typ, res, res, typ.GoType())
			} else if known && res == nil && v != nil {
				t.Fatalf("%s ConvertResult(%#v, %s) = nil for a non-NULL value", d.Name(), v, typ)
			}
			if err == nil && (typ.Kind == types.KindInteger || typ.Kind == types.KindBigInt) {
				if x, ok := v.(float64); ok && float64(res.(int64)) != x {
					t.Fatalf("%s ConvertResult(%v, %s) = %d", d.Name(), x, typ, res)
				}
			}
		}

		// SQLite stores the value ConvertArg gives: it must read back, and the value read
		// must write and read back the same.
		lite := convDialects[0]
		out, err := lite.ConvertArg(v, typ)
		if err != nil || out == nil || !known {
			return
		}
		r1, err := lite.ConvertResult(sqliteStored(out), typ)
		if err != nil {
			t.Fatalf("sqlite: ConvertArg(%#v, %s) = %#v, which does not read back: %v", v, typ, out, err)
		}
		if r1 == nil {
			t.Fatalf("sqlite: ConvertArg(%#v, %s) = %#v, which reads back as NULL", v, typ, out)
		}
		out2, err := lite.ConvertArg(r1, typ)
		if err != nil {
			t.Fatalf("sqlite: the value read back, %#v, does not write again as %s: %v", r1, typ, err)
		}
		r2, err := lite.ConvertResult(sqliteStored(out2), typ)
		if err != nil || !sameCanonical(r1, r2) {
			t.Fatalf("sqlite: %#v (%s) reads back as %#v, then %#v (%v)", v, typ, r1, r2, err)
		}
	})
}

func checkConvertError(t *testing.T, d dialect.Dialect, fn string, v any, typ types.Type, err error) {
	t.Helper()
	if !errors.Is(err, dialect.ErrConvert) {
		t.Fatalf("%s %s(%#v, %s): error %v (%T) does not wrap dialect.ErrConvert", d.Name(), fn, v, typ, err, err)
	}
	if !strings.HasPrefix(err.Error(), d.Name()+": ") {
		t.Fatalf("%s %s(%#v, %s): error %q lacks the dialect's name", d.Name(), fn, v, typ, err)
	}
}

// isNullValue reports whether v stands for SQL NULL as a bound value.
func isNullValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case types.Null[int64]:
		return !x.Valid
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// sameCanonical compares two canonical values (NaN equal to itself, times as instants).
func sameCanonical(a, b any) bool {
	if x, ok := a.(float64); ok {
		y, ok := b.(float64)
		return ok && (x == y || x != x && y != y)
	}
	if x, ok := a.(time.Time); ok {
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	}
	return reflect.DeepEqual(a, b)
}
