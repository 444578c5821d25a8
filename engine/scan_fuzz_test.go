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

// scanSources builds the value a row holds from fuzzer input: the canonical value of
// every kind, SQL NULL, and values a driver passes through for columns of unknown type
// (other integer widths, maps, slices, structs).
var scanSources = []func(i int64, f float64, s string, b []byte) any{
	func(int64, float64, string, []byte) any { return nil },
	func(i int64, _ float64, _ string, _ []byte) any { return i },
	func(_ int64, f float64, _ string, _ []byte) any { return f },
	func(i int64, _ float64, _ string, _ []byte) any { return i&1 == 1 },
	func(_ int64, _ float64, s string, _ []byte) any { return s },
	func(_ int64, _ float64, _ string, b []byte) any { return b },
	func(i int64, _ float64, _ string, _ []byte) any { return time.Unix(i%(1<<40), i%1e9).UTC() },
	func(i int64, _ float64, _ string, _ []byte) any { return time.Duration(i) },
	func(_ int64, _ float64, _ string, b []byte) any { return json.RawMessage(b) },
	func(_ int64, _ float64, _ string, b []byte) any {
		var u types.UUID
		copy(u[:], b)
		return u
	},
	func(i int64, _ float64, _ string, _ []byte) any { return uint64(i) * 3 },
	func(i int64, _ float64, _ string, _ []byte) any { return int32(i) },
	func(i int64, _ float64, _ string, _ []byte) any { return uint8(i) },
	func(_ int64, f float64, _ string, _ []byte) any { return float32(f) },
	func(i int64, _ float64, s string, _ []byte) any { return map[string]any{s: i} },
	func(i int64, _ float64, s string, _ []byte) any { return []any{i, s} },
	func(int64, float64, string, []byte) any { return struct{ A int }{1} },
	func(i int64, _ float64, _ string, _ []byte) any { return &i },
	func(_ int64, _ float64, _ string, b []byte) any {
		var a [16]byte
		copy(a[:], b)
		return a
	},
}

type scanNamedString string
type scanNamedInt int16
type scanNamedBool bool
type scanNamedBytes []byte

// badScanner is a sql.Scanner that refuses everything.
type badScanner struct{}

func (*badScanner) Scan(any) error { return errors.New("refused") }

// scanDests builds a destination for Row.Scan: pointers of every supported type, named
// types, nullable forms, sql.Scanners, and the mistakes a caller can make (nil, typed nil
// pointers, non-pointers, unsupported types).
var scanDests = []func() any{
	func() any { return new(any) },
	func() any { return new(string) },
	func() any { return new(int64) },
	func() any { return new(int) },
	func() any { return new(int32) },
	func() any { return new(int16) },
	func() any { return new(int8) },
	func() any { return new(uint8) },
	func() any { return new(uint16) },
	func() any { return new(uint64) },
	func() any { return new(uint) },
	func() any { return new(uintptr) },
	func() any { return new(float64) },
	func() any { return new(float32) },
	func() any { return new(bool) },
	func() any { return new([]byte) },
	func() any { return new(json.RawMessage) },
	func() any { return new(time.Time) },
	func() any { return new(time.Duration) },
	func() any { return new(types.UUID) },
	func() any { return new(*string) },
	func() any { return new(*int64) },
	func() any { return new(*time.Time) },
	func() any { return new(**int) },
	func() any { return new(types.Null[int64]) },
	func() any { return new(types.Null[string]) },
	func() any { return new(types.Null[time.Time]) },
	func() any { return new(types.Null[*int]) },
	func() any { return new(sql.NullString) },
	func() any { return new(sql.NullInt64) },
	func() any { return new(sql.NullTime) },
	func() any { return new(sql.NullFloat64) },
	func() any { return new(badScanner) },
	func() any { return new(scanNamedString) },
	func() any { return new(scanNamedInt) },
	func() any { return new(scanNamedBool) },
	func() any { return new(scanNamedBytes) },
	func() any { return new([16]byte) },
	func() any { return new(struct{ A int }) },
	func() any { return new([]string) },
	func() any { return new(map[string]any) },
	func() any { return new(chan int) },
	func() any { return new(complex128) },
	func() any { return nil },
	func() any { return (*any)(nil) },
	func() any { return (*string)(nil) },
	func() any { return (*int64)(nil) },
	func() any { return (*int)(nil) },
	func() any { return (*int32)(nil) },
	func() any { return (*float64)(nil) },
	func() any { return (*bool)(nil) },
	func() any { return (*[]byte)(nil) },
	func() any { return (*json.RawMessage)(nil) },
	func() any { return (*time.Time)(nil) },
	func() any { return (*time.Duration)(nil) },
	func() any { return (*types.UUID)(nil) },
	func() any { return (**string)(nil) },
	func() any { return (*types.Null[int64])(nil) },
	func() any { return (*sql.NullString)(nil) },
	func() any { return (*badScanner)(nil) },
	func() any { return (*scanNamedInt)(nil) },
	func() any { return int64(0) },
	func() any { return "not a pointer" },
}

// FuzzRowScan scans fuzzed values of every kind into every kind of destination. Scan
// never panics; a value it cannot assign is a *ScanError naming the column; the wrong
// number of destinations is a *ScanCountError; and what it assigns is the value (a
// *any gets the value itself, integers and strings arrive unchanged, NULL into a
// pointer leaves it nil).
func FuzzRowScan(f *testing.F) {
	for src := range scanSources {
		for dst := range scanDests {
			f.Add(uint8(src), uint8(dst), int64(-7), 1.5, "12", []byte("0123456789abcdef"), false)
		}
	}
	f.Add(uint8(1), uint8(3), int64(math.MinInt64), math.Inf(1), "", []byte(nil), false)
	f.Add(uint8(4), uint8(2), int64(0), math.NaN(), "9223372036854775808", []byte{}, false)
	f.Add(uint8(4), uint8(13), int64(0), 0.0, "1e400", []byte{}, false)
	f.Add(uint8(2), uint8(13), int64(0), 1e300, "", []byte{}, false)
	f.Add(uint8(4), uint8(19), int64(0), 0.0, "not-a-uuid", []byte{}, true)
	f.Fuzz(func(t *testing.T, srcSel, dstSel uint8, i int64, fl float64, s string, b []byte, extra bool) {
		src := scanSources[int(srcSel)%len(scanSources)](i, fl, s, b)
		dst := scanDests[int(dstSel)%len(scanDests)]()
		row := Row{vals: []any{src}, meta: &resultMeta{cols: []compile.ResultColumn{{Name: "c0"}}}}
		dests := []any{dst}
		if extra {
			dests = append(dests, new(any))
		}
		err := row.Scan(dests...)
		if extra {
			var ce *ScanCountError
			if !errors.As(err, &ce) || ce.Columns != 1 || ce.Dest != 2 {
				t.Fatalf("Scan with 2 destinations for 1 column: %v, want a *ScanCountError", err)
			}
			return
		}
		if err != nil {
			var se *ScanError
			if !errors.As(err, &se) {
				t.Fatalf("Scan(%T) of %T: error %v (%T) is not a *ScanError", dst, src, err, err)
			}
			if se.Index != 0 || se.Column != "c0" || se.Src == "" || se.Dest == "" {
				t.Fatalf("Scan(%T) of %T: error %#v does not name the column and types", dst, src, se)
			}
			return
		}
		// Spot checks of what was assigned.
		switch d := dst.(type) {
		case *any:
			if !reflect.DeepEqual(*d, src) && !(isNaN(src) && isNaN(*d)) {
				t.Fatalf("Scan(*any) of %#v gave %#v", src, *d)
			}
		case *int64:
			if n, ok := src.(int64); ok && *d != n {
				t.Fatalf("Scan(*int64) of %d gave %d", n, *d)
			}
		case *int8:
			if n, ok := src.(int64); ok && int64(*d) != n {
				t.Fatalf("Scan(*int8) of %d gave %d", n, *d)
			}
		case *uint64:
			if n, ok := src.(int64); ok && (n < 0 || uint64(n) != *d) {
				t.Fatalf("Scan(*uint64) of %d gave %d", n, *d)
			}
		case *string:
			if x, ok := src.(string); ok && *d != x {
				t.Fatalf("Scan(*string) of %q gave %q", x, *d)
			}
		case **string:
			if src == nil && *d != nil {
				t.Fatalf("Scan(**string) of NULL gave a non-nil pointer")
			}
			if x, ok := src.(string); ok && (*d == nil || **d != x) {
				t.Fatalf("Scan(**string) of %q gave %v", x, *d)
			}
		case *types.Null[int64]:
			if src == nil && d.Valid {
				t.Fatalf("Scan(*types.Null[int64]) of NULL is valid")
			}
			if n, ok := src.(int64); ok && (!d.Valid || d.V != n) {
				t.Fatalf("Scan(*types.Null[int64]) of %d gave %+v", n, *d)
			}
		}
		if src == nil {
			switch dst.(type) {
			case *any, *sql.NullString, *sql.NullInt64, *sql.NullTime, *sql.NullFloat64, *types.Null[int64],
				*types.Null[string], *types.Null[time.Time], *types.Null[*int], **string, **int64, **time.Time, ***int:
			default:
				t.Fatalf("Scan(%T) of NULL succeeded", dst)
			}
		}
	})
}

func isNaN(v any) bool {
	f, ok := v.(float64)
	return ok && f != f
}

// TestScanNilPointerDestinations pins the error for typed nil destinations, which used
// to panic (a nil *int64, *any or sql.Scanner was written through).
func TestScanNilPointerDestinations(t *testing.T) {
	row := Row{vals: []any{int64(1)}, meta: &resultMeta{cols: []compile.ResultColumn{{Name: "n"}}}}
	null := Row{vals: []any{nil}, meta: &resultMeta{cols: []compile.ResultColumn{{Name: "n"}}}}
	for _, d := range []any{(*int64)(nil), (*any)(nil), (*sql.NullInt64)(nil), (*string)(nil), (*scanNamedInt)(nil)} {
		for _, r := range []Row{row, null} {
			err := r.Scan(d)
			var se *ScanError
			if !errors.As(err, &se) {
				t.Errorf("Scan(%T) of %v: %v, want a *ScanError", d, r.vals[0], err)
				continue
			}
			if se.Reason != nilDest && se.Reason != "destination is not a non-nil pointer" {
				t.Errorf("Scan(%T) of %v: reason %q", d, r.vals[0], se.Reason)
			}
		}
	}
	err := row.Scan((*int64)(nil))
	if want := `engine: scan column 0 "n": cannot assign int64 to *int64: destination is a nil pointer`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
