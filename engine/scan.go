package engine

import (
	"database/sql"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/retortdb/retort/types"
)

// ScanError reports a value that Row.Scan could not assign to its destination: a type
// mismatch, a NULL into a non-nullable destination, or a number out of the destination's
// range.
// It is safe for concurrent reads once returned and lives as long as the caller keeps it.
type ScanError struct {
	Index  int    // 0-based column index
	Column string // column name
	Src    string // the Go type of the value ("NULL" for SQL NULL)
	Dest   string // the Go type of the destination pointer
	Reason string // what went wrong, when more than a type mismatch
}

// Error returns "engine: scan column i "name": cannot assign <src> to <dest>[: reason]".
func (e *ScanError) Error() string {
	s := "engine: scan column " + strconv.Itoa(e.Index) + " " + strconv.Quote(e.Column) +
		": cannot assign " + e.Src + " to " + e.Dest
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// ScanCountError reports a Row.Scan call with the wrong number of destinations.
// It is safe for concurrent reads once returned and lives as long as the caller keeps it.
type ScanCountError struct {
	Columns, Dest int
}

// Error returns "engine: Scan got N destinations for M columns".
func (e *ScanCountError) Error() string {
	return "engine: Scan got " + strconv.Itoa(e.Dest) + " destinations for " + strconv.Itoa(e.Columns) + " columns"
}

// Scan copies the row's values into dest, one pointer per column. Values convert as
// follows (src is the canonical value, see types.Kind):
//
//   - *any receives the value as is; a sql.Scanner receives it through Scan.
//   - integer pointers (*int, *int8 ... *uint64 and named integer types) accept integers in
//     range and decimal strings (numeric columns); float pointers accept floats, integers
//     and decimal strings; *bool accepts booleans and the integers 0 and 1.
//   - *string accepts strings, []byte, JSON and UUIDs (as text); *[]byte and
//     *json.RawMessage accept []byte, JSON and strings (copied).
//   - *time.Time, *time.Duration and *types.UUID accept their own type (UUIDs also from
//     text; times also from timestamp text, "2006-01-02 15:04:05[.ffffff]", RFC 3339 or
//     a date, read as UTC unless it has a zone, as raw results on SQLite carry them).
//   - integer and float destinations also accept numeric text as []byte, and integer
//     destinations floats that hold an integer (untyped aggregates).
//   - SQL NULL goes only into *any, a pointer to a pointer (set to nil), a *types.Null[T]
//     (Valid false), or a sql.Scanner; any other destination is an error.
//
// Any other combination is a *ScanError naming the column, the source and destination types.
func (r Row) Scan(dest ...any) error {
	if len(dest) != len(r.vals) {
		return &ScanCountError{Columns: len(r.vals), Dest: len(dest)}
	}
	for i, d := range dest {
		if reason, ok := assign(d, r.vals[i]); !ok {
			name := ""
			if r.meta != nil && i < len(r.meta.cols) {
				name = r.meta.cols[i].Name
			}
			return &ScanError{Index: i, Column: name, Src: srcTypeName(r.vals[i]), Dest: destTypeName(d), Reason: reason}
		}
	}
	return nil
}

func srcTypeName(v any) string {
	if v == nil {
		return "NULL"
	}
	return reflect.TypeOf(v).String()
}

func destTypeName(d any) string {
	if d == nil {
		return "nil"
	}
	return reflect.TypeOf(d).String()
}

// nilDest is the reason given for a destination that is a nil pointer of its type.
const nilDest = "destination is a nil pointer"

// isNilPointer reports whether v is a nil pointer (a sql.Scanner of pointer type that
// would be called with a nil receiver).
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// assign stores src into the pointer dst. It reports false (with an optional reason) when
// it cannot. The common destinations are handled without reflection.
func assign(dst, src any) (string, bool) {
	if src == nil {
		return assignNull(dst)
	}
	switch d := dst.(type) {
	case *any:
		if d == nil {
			return nilDest, false
		}
		*d = src
		return "", true
	case *string:
		if d == nil {
			return nilDest, false
		}
		switch s := src.(type) {
		case string:
			*d = s
			return "", true
		case []byte:
			*d = string(s)
			return "", true
		case json.RawMessage:
			*d = string(s)
			return "", true
		case types.UUID:
			*d = s.String()
			return "", true
		}
	case *int64:
		if d == nil {
			return nilDest, false
		}
		n, reason, ok := toInt64(src)
		if ok {
			*d = n
		}
		return reason, ok
	case *int:
		if d == nil {
			return nilDest, false
		}
		n, reason, ok := toInt64(src)
		if ok {
			if int64(int(n)) != n {
				return "value out of range", false
			}
			*d = int(n)
		}
		return reason, ok
	case *int32:
		if d == nil {
			return nilDest, false
		}
		n, reason, ok := toInt64(src)
		if ok {
			if n < math.MinInt32 || n > math.MaxInt32 {
				return "value " + strconv.FormatInt(n, 10) + " out of range", false
			}
			*d = int32(n)
		}
		return reason, ok
	case *float64:
		if d == nil {
			return nilDest, false
		}
		f, reason, ok := toFloat64(src)
		if ok {
			*d = f
		}
		return reason, ok
	case *bool:
		if d == nil {
			return nilDest, false
		}
		switch s := src.(type) {
		case bool:
			*d = s
			return "", true
		case int64:
			if s == 0 || s == 1 {
				*d = s == 1
				return "", true
			}
			return "integer " + strconv.FormatInt(s, 10) + " is not 0 or 1", false
		}
	case *[]byte:
		if d == nil {
			return nilDest, false
		}
		switch s := src.(type) {
		case []byte:
			*d = append([]byte(nil), s...)
			return "", true
		case json.RawMessage:
			*d = append([]byte(nil), s...)
			return "", true
		case string:
			*d = []byte(s)
			return "", true
		}
	case *json.RawMessage:
		if d == nil {
			return nilDest, false
		}
		switch s := src.(type) {
		case json.RawMessage:
			*d = append(json.RawMessage(nil), s...)
			return "", true
		case []byte:
			*d = append(json.RawMessage(nil), s...)
			return "", true
		case string:
			*d = json.RawMessage(s)
			return "", true
		}
	case *time.Time:
		if d == nil {
			return nilDest, false
		}
		switch s := src.(type) {
		case time.Time:
			*d = s
			return "", true
		case string:
			return parseTimestampInto(d, s)
		case []byte:
			return parseTimestampInto(d, string(s))
		}
	case *time.Duration:
		if d == nil {
			return nilDest, false
		}
		if t, ok := src.(time.Duration); ok {
			*d = t
			return "", true
		}
	case *types.UUID:
		if d == nil {
			return nilDest, false
		}
		switch s := src.(type) {
		case types.UUID:
			*d = s
			return "", true
		case string:
			u, err := types.ParseUUID(s)
			if err != nil {
				return "not a UUID", false
			}
			*d = u
			return "", true
		case []byte:
			if len(s) == 16 {
				copy(d[:], s)
				return "", true
			}
		}
	case sql.Scanner:
		if isNilPointer(d) {
			return nilDest, false
		}
		if err := d.Scan(src); err != nil {
			return err.Error(), false
		}
		return "", true
	case nil:
		return "destination is nil", false
	}
	return assignReflect(dst, src)
}

// assignNull stores SQL NULL into dst when dst can hold it: *any, a sql.Scanner, **T or
// *types.Null[T].
func assignNull(dst any) (string, bool) {
	switch d := dst.(type) {
	case *any:
		if d == nil {
			return nilDest, false
		}
		*d = nil
		return "", true
	case sql.Scanner:
		if isNilPointer(d) {
			return nilDest, false
		}
		if err := d.Scan(nil); err != nil {
			return err.Error(), false
		}
		return "", true
	case nil:
		return "destination is nil", false
	}
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return "destination is not a non-nil pointer", false
	}
	e := rv.Elem()
	if e.Kind() == reflect.Pointer || isNullType(e.Type()) {
		e.SetZero()
		return "", true
	}
	return "NULL needs a pointer, types.Null or *any destination", false
}

var typesPkgPath = reflect.TypeFor[types.UUID]().PkgPath()

// isNullType reports whether t is an instance of types.Null[T].
func isNullType(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t.PkgPath() == typesPkgPath && strings.HasPrefix(t.Name(), "Null[") &&
		t.NumField() == 2 && t.Field(0).Name == "V" && t.Field(1).Name == "Valid"
}

// assignReflect handles destinations the type switch does not: pointers to pointers,
// types.Null[T], named types and the remaining integer and float widths.
func assignReflect(dst, src any) (string, bool) {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return "destination is not a non-nil pointer", false
	}
	e := rv.Elem()
	switch {
	case e.Kind() == reflect.Pointer:
		p := reflect.New(e.Type().Elem())
		if reason, ok := assign(p.Interface(), src); !ok {
			return reason, false
		}
		e.Set(p)
		return "", true
	case isNullType(e.Type()):
		if reason, ok := assign(e.Field(0).Addr().Interface(), src); !ok {
			return reason, false
		}
		e.Field(1).SetBool(true)
		return "", true
	}
	sv := reflect.ValueOf(src)
	if sv.Type().AssignableTo(e.Type()) {
		e.Set(sv)
		return "", true
	}
	switch e.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if e.Type() == reflect.TypeFor[time.Duration]() {
			break
		}
		n, reason, ok := toInt64(src)
		if !ok {
			return reason, false
		}
		if e.OverflowInt(n) {
			return "value " + strconv.FormatInt(n, 10) + " out of range", false
		}
		e.SetInt(n)
		return "", true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, reason, ok := toInt64(src)
		if !ok {
			return reason, false
		}
		if n < 0 || e.OverflowUint(uint64(n)) {
			return "value " + strconv.FormatInt(n, 10) + " out of range", false
		}
		e.SetUint(uint64(n))
		return "", true
	case reflect.Float32, reflect.Float64:
		f, reason, ok := toFloat64(src)
		if !ok {
			return reason, false
		}
		if e.Kind() == reflect.Float32 && !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
			return "value out of float32 range", false
		}
		e.SetFloat(f)
		return "", true
	case reflect.String:
		if e.Type() == reflect.TypeFor[string]() {
			break // *string was handled by assign
		}
		var s string
		if reason, ok := assign(&s, src); !ok {
			return reason, false
		}
		e.SetString(s)
		return "", true
	case reflect.Bool:
		if e.Type() == reflect.TypeFor[bool]() {
			break
		}
		var b bool
		if reason, ok := assign(&b, src); !ok {
			return reason, false
		}
		e.SetBool(b)
		return "", true
	case reflect.Slice:
		if e.Type().Elem().Kind() == reflect.Uint8 && e.Type() != reflect.TypeFor[[]byte]() &&
			e.Type() != reflect.TypeFor[json.RawMessage]() {
			var b []byte
			if reason, ok := assign(&b, src); !ok {
				return reason, false
			}
			e.SetBytes(b)
			return "", true
		}
	}
	if sv.Type().ConvertibleTo(e.Type()) && sv.Kind() == e.Kind() && sv.Kind() == reflect.Struct {
		e.Set(sv.Convert(e.Type()))
		return "", true
	}
	return "", false
}

// toInt64 converts integer values (any width) and decimal strings to int64.
func toInt64(src any) (int64, string, bool) {
	switch s := src.(type) {
	case int64:
		return s, "", true
	case int:
		return int64(s), "", true
	case int32:
		return int64(s), "", true
	case int16:
		return int64(s), "", true
	case int8:
		return int64(s), "", true
	case uint64:
		if s > math.MaxInt64 {
			return 0, "value out of range", false
		}
		return int64(s), "", true
	case uint32:
		return int64(s), "", true
	case uint16:
		return int64(s), "", true
	case uint8:
		return int64(s), "", true
	case string:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, strconv.Quote(truncate(s, 40)) + " is not an integer", false
		}
		return n, "", true
	case []byte: // the text of an untyped raw result
		return toInt64(string(s))
	case float64: // an untyped aggregate (SQLite's sum, avg) that holds an integer
		if s != math.Trunc(s) || s < math.MinInt64 || s >= math.MaxInt64 {
			return 0, strconv.FormatFloat(s, 'g', -1, 64) + " is not an integer", false
		}
		return int64(s), "", true
	}
	return 0, "", false
}

// timestampLayouts are the text forms of timestamps that raw results carry (SQLite's
// stored text, MySQL's text protocol, RFC 3339).
var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999-07",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseTimestampInto parses the text of a timestamp (UTC unless it carries a zone).
func parseTimestampInto(d *time.Time, s string) (string, bool) {
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			*d = t.UTC()
			return "", true
		}
	}
	return strconv.Quote(truncate(s, 40)) + " is not a timestamp", false
}

// toFloat64 converts floats, integers and decimal strings to float64.
func toFloat64(src any) (float64, string, bool) {
	switch s := src.(type) {
	case float64:
		return s, "", true
	case float32:
		return float64(s), "", true
	case string:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, strconv.Quote(truncate(s, 40)) + " is not a number", false
		}
		return f, "", true
	case []byte:
		return toFloat64(string(s))
	}
	if n, _, ok := toInt64(src); ok {
		if _, isFloat := src.(float64); !isFloat {
			return float64(n), "", true
		}
	}
	return 0, "", false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
