package engine

import (
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/types"
)

type myString string
type myInt int16

func testRow(vals ...any) Row {
	cols := make([]compile.ResultColumn, len(vals))
	for i := range cols {
		cols[i].Name = "c" + string(rune('0'+i))
	}
	return Row{vals: vals, meta: &resultMeta{cols: cols}}
}

func TestScanConversions(t *testing.T) {
	ts := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	u, _ := types.ParseUUID("0b8e4c1a-7d3f-4e0a-9c55-2b1f6a3d9e01")
	var (
		i64  int64
		i    int
		i32  int32
		i8   int8
		u16  uint16
		f64  float64
		f32  float32
		s    string
		ms   myString
		mi   myInt
		b    bool
		bs   []byte
		raw  json.RawMessage
		tm   time.Time
		dur  time.Duration
		uid  types.UUID
		a    any
		pi   *int64
		ps   *string
		ns   types.Null[string]
		nt   types.Null[time.Time]
		null sql.NullInt64
	)
	ok := []struct {
		dst, src, want any
	}{
		{&i64, int64(-7), int64(-7)},
		{&i64, "123", int64(123)}, // numeric text
		{&i, int64(42), 42},
		{&i32, int64(math.MaxInt32), int32(math.MaxInt32)},
		{&i8, int64(-128), int8(-128)},
		{&u16, int64(65535), uint16(65535)},
		{&f64, 1.5, 1.5},
		{&f64, int64(3), 3.0},
		{&f64, "12.25", 12.25},
		{&f32, 2.5, float32(2.5)},
		{&s, "hi", "hi"},
		{&s, []byte("raw"), "raw"},
		{&s, u, "0b8e4c1a-7d3f-4e0a-9c55-2b1f6a3d9e01"},
		{&ms, "named", myString("named")},
		{&mi, int64(12), myInt(12)},
		{&b, true, true},
		{&b, int64(1), true},
		{&b, int64(0), false},
		{&bs, []byte{1, 2}, []byte{1, 2}},
		{&bs, "ab", []byte("ab")},
		{&raw, json.RawMessage(`{"a":1}`), json.RawMessage(`{"a":1}`)},
		{&tm, ts, ts},
		{&dur, 90 * time.Second, 90 * time.Second},
		{&uid, u, u},
		{&uid, "0b8e4c1a-7d3f-4e0a-9c55-2b1f6a3d9e01", u},
		{&a, "anything", "anything"},
		{&a, nil, nil},
		{&pi, int64(5), ptr(int64(5))},
		{&pi, nil, (*int64)(nil)},
		{&ps, "p", ptr("p")},
		{&ns, "v", types.NullOf("v")},
		{&ns, nil, types.Null[string]{}},
		{&nt, ts, types.NullOf(ts)},
		{&null, int64(9), sql.NullInt64{Int64: 9, Valid: true}},
		{&null, nil, sql.NullInt64{}},
	}
	for _, tt := range ok {
		if err := testRow(tt.src).Scan(tt.dst); err != nil {
			t.Errorf("Scan(%T <- %#v): %v", tt.dst, tt.src, err)
			continue
		}
		if got := reflect.ValueOf(tt.dst).Elem().Interface(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Scan(%T <- %#v) = %#v, want %#v", tt.dst, tt.src, got, tt.want)
		}
	}

	// A []byte destination does not alias the row's value.
	src := []byte{1, 2, 3}
	_ = testRow(src).Scan(&bs)
	src[0] = 9
	if bs[0] != 1 {
		t.Errorf("scanned []byte aliases the row")
	}

	bad := []struct {
		dst, src any
		msg      string
	}{
		{&i64, "abc", `engine: scan column 0 "c0": cannot assign string to *int64: "abc" is not an integer`},
		{&i64, 1.5, `engine: scan column 0 "c0": cannot assign float64 to *int64: 1.5 is not an integer`},
		{&i64, nil, `engine: scan column 0 "c0": cannot assign NULL to *int64: NULL needs a pointer, types.Null or *any destination`},
		{&i32, int64(math.MaxInt32 + 1), `engine: scan column 0 "c0": cannot assign int64 to *int32: value 2147483648 out of range`},
		{&i8, int64(200), `engine: scan column 0 "c0": cannot assign int64 to *int8: value 200 out of range`},
		{&u16, int64(-1), `engine: scan column 0 "c0": cannot assign int64 to *uint16: value -1 out of range`},
		{&s, int64(1), `engine: scan column 0 "c0": cannot assign int64 to *string`},
		{&b, int64(2), `engine: scan column 0 "c0": cannot assign int64 to *bool: integer 2 is not 0 or 1`},
		{&b, "true", `engine: scan column 0 "c0": cannot assign string to *bool`},
		{&tm, "2024-13-01", `engine: scan column 0 "c0": cannot assign string to *time.Time: "2024-13-01" is not a timestamp`},
		{&tm, int64(5), `engine: scan column 0 "c0": cannot assign int64 to *time.Time`},
		{&uid, "nope", `engine: scan column 0 "c0": cannot assign string to *types.UUID: not a UUID`},
		{&dur, int64(5), `engine: scan column 0 "c0": cannot assign int64 to *time.Duration`},
		{i64, int64(1), `engine: scan column 0 "c0": cannot assign int64 to int64: destination is not a non-nil pointer`},
		{nil, int64(1), `engine: scan column 0 "c0": cannot assign int64 to nil: destination is nil`},
		{&ns, int64(1), `engine: scan column 0 "c0": cannot assign int64 to *types.Null[string]`},
	}
	for _, tt := range bad {
		err := testRow(tt.src).Scan(tt.dst)
		var se *ScanError
		if !errors.As(err, &se) {
			t.Errorf("Scan(%T <- %#v) = %v, want a ScanError", tt.dst, tt.src, err)
			continue
		}
		if err.Error() != tt.msg {
			t.Errorf("Scan(%T <- %#v):\n got %s\nwant %s", tt.dst, tt.src, err, tt.msg)
		}
	}
}

func ptr[T any](v T) *T { return &v }
