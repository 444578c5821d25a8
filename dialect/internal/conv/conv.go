package conv

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/types"
)

// ErrConvert is dialect.ErrConvert, matched by every conversion error of the dialect packages.
var ErrConvert = dialect.ErrConvert

// ConvertError reports a Go value that cannot stand for a SQL type.
// It is safe for concurrent reads once returned and lives as long as the caller keeps it.
type ConvertError struct {
	Dialect string     // "sqlite", "postgresql", "mysql", ...
	Type    types.Type // the column type
	GoType  string     // the value's Go type, as fmt's %T prints it
	Reason  string     // optional detail
	Result  bool       // true when converting a result read from the database
	Err     error      // the cause, such as the error of a driver.Valuer; may be nil
}

// Error returns "<dialect>: cannot convert <Go type> to <type> column[: reason]".
func (e *ConvertError) Error() string {
	var b strings.Builder
	b.WriteString(e.Dialect)
	b.WriteString(": cannot convert ")
	if e.Result {
		b.WriteString("database value of type ")
	}
	b.WriteString(e.GoType)
	if e.Result {
		b.WriteString(" from ")
	} else {
		b.WriteString(" to ")
	}
	b.WriteString(e.Type.String())
	b.WriteString(" column")
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrConvert) true.
func (e *ConvertError) Is(target error) bool { return target == ErrConvert }

// Unwrap returns the cause, or nil.
func (e *ConvertError) Unwrap() error { return e.Err }

// ArgError returns the error for a bound value v that cannot be converted to t.
func ArgError(dialect string, v any, t types.Type, reason string) error {
	return &ConvertError{Dialect: dialect, Type: t, GoType: goTypeName(v), Reason: reason}
}

// ResultError returns the error for a database value src that cannot be read as t.
func ResultError(dialect string, src any, t types.Type, reason string) error {
	return &ConvertError{Dialect: dialect, Type: t, GoType: goTypeName(src), Reason: reason, Result: true}
}

func goTypeName(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("%T", v)
}

// Unwrap reduces a bound value to a plain value: pointers are dereferenced (nil → nil),
// types.Null values and driver.Valuer implementations are unwrapped, and values of named
// types whose underlying type is a Go basic kind become that basic kind (a `type Level
// int8` becomes int64). Common concrete types return at once without reflection.
func Unwrap(v any) (any, error) {
	for range 8 { // bounded: Valuer chains and pointer chains
		switch x := v.(type) {
		case nil, string, []byte, int64, int, int32, int16, int8, uint8, uint16, uint32, uint64, uint,
			float64, float32, bool, time.Time, time.Duration, types.UUID, json.RawMessage:
			return v, nil
		case *string:
			if x == nil {
				return nil, nil
			}
			return *x, nil
		case *int64:
			if x == nil {
				return nil, nil
			}
			return *x, nil
		case *int:
			if x == nil {
				return nil, nil
			}
			return *x, nil
		case *bool:
			if x == nil {
				return nil, nil
			}
			return *x, nil
		case *float64:
			if x == nil {
				return nil, nil
			}
			return *x, nil
		case *time.Time:
			if x == nil {
				return nil, nil
			}
			return *x, nil
		case driver.Valuer:
			rv := reflect.ValueOf(v)
			if rv.Kind() == reflect.Pointer && rv.IsNil() {
				return nil, nil
			}
			dv, err := x.Value()
			if err != nil {
				return nil, err
			}
			v = dv
			continue
		}
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Pointer:
			if rv.IsNil() {
				return nil, nil
			}
			v = rv.Elem().Interface()
			continue
		case reflect.Struct:
			if isNull(rv.Type()) {
				if !rv.Field(1).Bool() {
					return nil, nil
				}
				v = rv.Field(0).Interface()
				continue
			}
			return v, nil
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return rv.Int(), nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			return rv.Uint(), nil
		case reflect.Float32, reflect.Float64:
			return rv.Float(), nil
		case reflect.Bool:
			return rv.Bool(), nil
		case reflect.String:
			return rv.String(), nil
		case reflect.Slice:
			if rv.Type().Elem().Kind() == reflect.Uint8 {
				return rv.Bytes(), nil
			}
		case reflect.Array:
			if rv.Type().Elem().Kind() == reflect.Uint8 && rv.Len() == 16 {
				var u types.UUID
				reflect.Copy(reflect.ValueOf(&u).Elem(), rv)
				return u, nil
			}
		}
		return v, nil
	}
	return nil, fmt.Errorf("value nests too deeply (pointer or driver.Valuer chain)")
}

// isNull reports whether t is an instance of types.Null[T].
func isNull(t reflect.Type) bool {
	return t.PkgPath() == nullPkg && strings.HasPrefix(t.Name(), "Null[") && t.NumField() == 2 &&
		t.Field(0).Name == "V" && t.Field(1).Name == "Valid" && t.Field(1).Type.Kind() == reflect.Bool
}

var nullPkg = reflect.TypeFor[types.Null[int]]().PkgPath()

// Int returns v (already Unwrapped) as an int64. ok is false when v is not an integer;
// err is set for an unsigned value beyond the int64 range.
func Int(v any) (n int64, ok bool, err error) {
	switch x := v.(type) {
	case int64:
		return x, true, nil
	case int:
		return int64(x), true, nil
	case int32:
		return int64(x), true, nil
	case int16:
		return int64(x), true, nil
	case int8:
		return int64(x), true, nil
	case uint8:
		return int64(x), true, nil
	case uint16:
		return int64(x), true, nil
	case uint32:
		return int64(x), true, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, true, fmt.Errorf("%d overflows int64", x)
		}
		return int64(x), true, nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return 0, true, fmt.Errorf("%d overflows int64", x)
		}
		return int64(x), true, nil
	}
	return 0, false, nil
}

// Float returns v (already Unwrapped) as a float64: floats and integers are accepted.
func Float(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	if n, ok, err := Int(v); ok && err == nil {
		return float64(n), true
	}
	if x, ok := v.(uint64); ok {
		return float64(x), true
	}
	if x, ok := v.(uint); ok {
		return float64(x), true
	}
	return 0, false
}

// --- numeric ---------------------------------------------------------------------------

// ValidDecimal reports whether s is a decimal number: an optional sign, digits with an
// optional decimal point (at least one digit), and an optional exponent.
func ValidDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		ed := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			ed++
		}
		if ed == 0 {
			return false
		}
	}
	return i == len(s)
}

// NumericArg converts a bound value (already Unwrapped) for a numeric column into a
// decimal string: strings are checked, integers and floats are formatted.
func NumericArg(v any) (string, string) {
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		if !ValidDecimal(s) {
			return "", fmt.Sprintf("%q is not a decimal number", x)
		}
		return s, ""
	case []byte:
		return NumericArg(string(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", fmt.Sprintf("%v is not a finite number", x)
		}
		return strconv.FormatFloat(x, 'f', -1, 64), ""
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return "", fmt.Sprintf("%v is not a finite number", x)
		}
		return strconv.FormatFloat(float64(x), 'f', -1, 32), ""
	case uint64:
		return strconv.FormatUint(x, 10), ""
	case uint:
		return strconv.FormatUint(uint64(x), 10), ""
	}
	if n, ok, _ := Int(v); ok {
		return strconv.FormatInt(n, 10), ""
	}
	return "", "want a decimal string, an integer or a float"
}

// FormatNumeric formats the decimal number s for a column of type t: with t.Precision
// set, the result has exactly t.Scale digits after the point (rounded half away from
// zero); otherwise s is only normalised (exponent expanded). s must be ValidDecimal.
func FormatNumeric(s string, t types.Type) string {
	neg, intPart, frac := splitDecimal(s)
	if t.Precision > 0 || t.Scale > 0 {
		intPart, frac = rescale(intPart, frac, t.Scale)
	}
	var b strings.Builder
	b.Grow(len(intPart) + len(frac) + 2)
	if neg && !(allZero(intPart) && allZero(frac)) {
		b.WriteByte('-')
	}
	b.WriteString(intPart)
	if len(frac) > 0 {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

func allZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// splitDecimal splits a ValidDecimal into sign, integer digits (no leading zeros, at least
// "0") and fraction digits, with any exponent applied.
func splitDecimal(s string) (neg bool, intPart, frac string) {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err == nil && e > -100000 && e < 100000 {
			exp = e
		}
		s = s[:i]
	}
	intPart, frac, _ = strings.Cut(s, ".")
	if exp > 0 {
		if exp >= len(frac) {
			intPart += frac + strings.Repeat("0", exp-len(frac))
			frac = ""
		} else {
			intPart += frac[:exp]
			frac = frac[exp:]
		}
	} else if exp < 0 {
		n := -exp
		if n >= len(intPart) {
			frac = strings.Repeat("0", n-len(intPart)) + intPart + frac
			intPart = ""
		} else {
			frac = intPart[len(intPart)-n:] + frac
			intPart = intPart[:len(intPart)-n]
		}
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	return neg, intPart, frac
}

// rescale returns intPart and frac with exactly scale fraction digits, rounding half away
// from zero.
func rescale(intPart, frac string, scale int) (string, string) {
	if scale < 0 {
		scale = 0
	}
	if len(frac) <= scale {
		return intPart, frac + strings.Repeat("0", scale-len(frac))
	}
	roundUp := frac[scale] >= '5'
	frac = frac[:scale]
	if !roundUp {
		return intPart, frac
	}
	digits := []byte(intPart + frac)
	i := len(digits) - 1
	for ; i >= 0; i-- {
		if digits[i] == '9' {
			digits[i] = '0'
			continue
		}
		digits[i]++
		break
	}
	if i < 0 {
		digits = append([]byte{'1'}, digits...)
	}
	n := len(digits) - scale
	return string(digits[:n]), string(digits[n:])
}

// NumericResult converts what a driver returned for a numeric column into the canonical
// decimal string formatted with t.Scale digits.
func NumericResult(dialect string, src any, t types.Type) (any, error) {
	var s string
	switch x := src.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, ResultError(dialect, src, t, "not a finite number")
		}
		if t.Precision > 0 || t.Scale > 0 {
			return strconv.FormatFloat(x, 'f', max(t.Scale, 0), 64), nil
		}
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return NumericResult(dialect, float64(x), t)
	default:
		if n, ok, _ := Int(src); ok {
			s = strconv.FormatInt(n, 10)
			break
		}
		return nil, ResultError(dialect, src, t, "")
	}
	s = strings.TrimSpace(s)
	if !ValidDecimal(s) {
		return nil, ResultError(dialect, src, t, fmt.Sprintf("%q is not a decimal number", s))
	}
	return FormatNumeric(s, t), nil
}

// --- times -----------------------------------------------------------------------------

// Date returns the calendar date of t (read in t's own location) at midnight UTC.
func Date(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// TimeOfDay returns the time of day of t (in t's own location) as a duration since midnight.
func TimeOfDay(t time.Time) time.Duration {
	h, m, s := t.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second +
		time.Duration(t.Nanosecond())
}

// TimeArg converts a bound value (already Unwrapped) for a time-of-day column into a
// duration since midnight in [0, 24h).
func TimeArg(v any) (time.Duration, string) {
	var d time.Duration
	switch x := v.(type) {
	case time.Duration:
		d = x
	case time.Time:
		return TimeOfDay(x), ""
	case string:
		p, err := ParseClock(x)
		if err != nil {
			return 0, err.Error()
		}
		d = p
	default:
		return 0, "want a time.Duration since midnight or a time.Time"
	}
	if d < 0 || d >= 24*time.Hour {
		return 0, fmt.Sprintf("%v is not a time of day (want 0 <= d < 24h)", d)
	}
	return d, ""
}

// AppendClock appends d (a time of day) as "15:04:05.000000".
func AppendClock(b []byte, d time.Duration) []byte {
	if d < 0 {
		b = append(b, '-')
		d = -d
	}
	us := int64(d / time.Microsecond)
	h := us / 3_600_000_000
	us -= h * 3_600_000_000
	m := us / 60_000_000
	us -= m * 60_000_000
	s := us / 1_000_000
	us -= s * 1_000_000
	b = appendPadded(b, h, 2)
	b = append(b, ':')
	b = appendPadded(b, m, 2)
	b = append(b, ':')
	b = appendPadded(b, s, 2)
	b = append(b, '.')
	return appendPadded(b, us, 6)
}

func appendPadded(b []byte, n int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], n, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// maxClockHours is the largest hour count ParseClock accepts: with minutes, seconds and
// fraction added, the duration stays within time.Duration's range.
const maxClockHours = math.MaxInt64/int64(time.Hour) - 1

// ParseClock parses "[-]H+:MM[:SS[.ffffff]]" into a duration.
func ParseClock(s string) (time.Duration, error) {
	orig := s
	neg := false
	if strings.HasPrefix(s, "-") {
		neg = true
		s = s[1:]
	}
	hs, rest, ok := strings.Cut(s, ":")
	if !ok {
		return 0, fmt.Errorf("%q is not a time of day", orig)
	}
	ms, ss, _ := strings.Cut(rest, ":")
	h, err1 := strconv.ParseInt(hs, 10, 64)
	m, err2 := strconv.ParseInt(ms, 10, 64)
	// More hours than a time.Duration holds would wrap around (5124096:00:00 would
	// read as 00:25:26): refuse them.
	if err1 != nil || err2 != nil || h < 0 || h > maxClockHours || m < 0 || m > 59 || len(ms) != 2 {
		return 0, fmt.Errorf("%q is not a time of day", orig)
	}
	var sec, frac int64
	if ss != "" {
		secStr, fracStr, _ := strings.Cut(ss, ".")
		var err error
		sec, err = strconv.ParseInt(secStr, 10, 64)
		if err != nil || sec < 0 || sec > 60 || len(secStr) != 2 {
			return 0, fmt.Errorf("%q is not a time of day", orig)
		}
		if fracStr != "" {
			if len(fracStr) > 9 {
				fracStr = fracStr[:9]
			}
			f, err := strconv.ParseInt(fracStr, 10, 64)
			if err != nil || f < 0 {
				return 0, fmt.Errorf("%q is not a time of day", orig)
			}
			for i := len(fracStr); i < 9; i++ {
				f *= 10
			}
			frac = f
		}
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second + time.Duration(frac)
	if neg {
		d = -d
	}
	return d, nil
}

// TimestampLayout is how SQLite stores timestamps (always UTC): "2006-01-02 15:04:05.000000".
const TimestampLayout = "2006-01-02 15:04:05.000000"

// DateLayout is how dates are written as text: "2006-01-02".
const DateLayout = "2006-01-02"

// ParseTimestamp parses the text forms of a timestamp that SQLite and its tools produce:
// "2006-01-02 15:04:05[.ffffff]", with a 'T' instead of the space, with an optional zone
// ("Z", "+07:00", "-0700"), or a bare date. A value without a zone is UTC.
func ParseTimestamp(s string) (time.Time, error) {
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp", s)
}

var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999-0700",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// TimestampArg converts a bound value (already Unwrapped) for a timestamp column into a
// UTC time.Time.
func TimestampArg(v any) (time.Time, string) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), ""
	case string:
		t, err := ParseTimestamp(x)
		if err != nil {
			return time.Time{}, err.Error()
		}
		return t, ""
	}
	return time.Time{}, "want a time.Time"
}

// DateArg converts a bound value (already Unwrapped) for a date column into midnight UTC.
func DateArg(v any) (time.Time, string) {
	switch x := v.(type) {
	case time.Time:
		return Date(x), ""
	case string:
		t, err := time.Parse(DateLayout, x)
		if err != nil {
			return time.Time{}, fmt.Sprintf("%q is not a date (want 2006-01-02)", x)
		}
		return t, ""
	}
	return time.Time{}, "want a time.Time"
}

// DurationArg converts a bound value (already Unwrapped) for an interval column.
func DurationArg(v any) (time.Duration, string) {
	switch x := v.(type) {
	case time.Duration:
		return x, ""
	case string:
		d, err := time.ParseDuration(x)
		if err != nil {
			return 0, fmt.Sprintf("%q is not a duration", x)
		}
		return d, ""
	}
	return 0, "want a time.Duration"
}

// --- JSON, UUID, enum ------------------------------------------------------------------

// JSONArg converts a bound value (already Unwrapped) for a JSON column into encoded JSON:
// types.RawJSON, []byte and string are taken as already encoded (and checked), anything
// else is marshalled with encoding/json.
func JSONArg(v any) ([]byte, string) {
	var b []byte
	switch x := v.(type) {
	case json.RawMessage:
		b = x
	case []byte:
		b = x
	case string:
		b = []byte(x)
	default:
		enc, err := json.Marshal(v)
		if err != nil {
			return nil, err.Error()
		}
		return enc, ""
	}
	if !json.Valid(b) {
		return nil, "the value is not valid JSON text"
	}
	return b, ""
}

// JSONResult converts what a driver returned for a JSON column into types.RawJSON.
func JSONResult(dialect string, src any, t types.Type) (any, error) {
	switch x := src.(type) {
	case json.RawMessage:
		return x, nil
	case []byte:
		return types.RawJSON(append([]byte(nil), x...)), nil
	case string:
		return types.RawJSON(x), nil
	}
	b, err := json.Marshal(src)
	if err != nil {
		return nil, ResultError(dialect, src, t, err.Error())
	}
	return types.RawJSON(b), nil
}

// UUIDArg converts a bound value (already Unwrapped) for a UUID column.
func UUIDArg(v any) (types.UUID, string) {
	switch x := v.(type) {
	case types.UUID:
		return x, ""
	case [16]byte:
		return types.UUID(x), ""
	case string:
		u, err := types.ParseUUID(x)
		if err != nil {
			return u, err.Error()
		}
		return u, ""
	case []byte:
		if len(x) == 16 {
			return types.UUID(x), ""
		}
		u, err := types.ParseUUID(string(x))
		if err != nil {
			return u, err.Error()
		}
		return u, ""
	}
	return types.UUID{}, "want a types.UUID, [16]byte or string"
}

// UUIDResult converts what a driver returned for a UUID column into types.UUID.
func UUIDResult(dialect string, src any, t types.Type) (any, error) {
	switch x := src.(type) {
	case types.UUID:
		return x, nil
	case [16]byte:
		return types.UUID(x), nil
	case string:
		u, err := types.ParseUUID(strings.TrimSpace(x))
		if err != nil {
			return nil, ResultError(dialect, src, t, err.Error())
		}
		return u, nil
	case []byte:
		if len(x) == 16 {
			return types.UUID(x), nil
		}
		u, err := types.ParseUUID(strings.TrimSpace(string(x)))
		if err != nil {
			return nil, ResultError(dialect, src, t, err.Error())
		}
		return u, nil
	}
	return nil, ResultError(dialect, src, t, "")
}

// EnumArg checks a bound value (already Unwrapped) for an enum column.
func EnumArg(v any, t types.Type) (string, string) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return "", "want a string"
	}
	if len(t.EnumValues) == 0 {
		return s, ""
	}
	for _, e := range t.EnumValues {
		if e == s {
			return s, ""
		}
	}
	return "", fmt.Sprintf("%q is not one of the allowed values %s", s, quoteList(t.EnumValues))
}

func quoteList(vals []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(v))
	}
	b.WriteByte(']')
	return b.String()
}

// StringArg converts a bound value (already Unwrapped) for a string or text column.
func StringArg(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// BytesArg converts a bound value (already Unwrapped) for a binary column.
func BytesArg(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, true
	case json.RawMessage:
		return x, true
	case string:
		return []byte(x), true
	}
	return nil, false
}

// StringResult converts a driver value for a text column into a string.
func StringResult(dialect string, src any, t types.Type) (any, error) {
	switch x := src.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	}
	return nil, ResultError(dialect, src, t, "")
}

// BytesResult converts a driver value for a binary column into []byte.
func BytesResult(dialect string, src any, t types.Type) (any, error) {
	switch x := src.(type) {
	case []byte:
		if x == nil {
			// An empty (not NULL) value: some drivers (SQLite) hand over a nil slice for
			// a zero-length blob. SQL NULL never gets here.
			return []byte{}, nil
		}
		return x, nil
	case string:
		return []byte(x), nil
	}
	return nil, ResultError(dialect, src, t, "")
}

// IntResult converts a driver value for an integer column into int64.
func IntResult(dialect string, src any, t types.Type) (any, error) {
	switch x := src.(type) {
	case int64:
		return x, nil
	case []byte:
		n, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			return nil, ResultError(dialect, src, t, fmt.Sprintf("%q is not an integer", x))
		}
		return n, nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return nil, ResultError(dialect, src, t, fmt.Sprintf("%q is not an integer", x))
		}
		return n, nil
	case float64:
		// float64(math.MaxInt64) is 2^63, itself out of range: compare with >=.
		if x != math.Trunc(x) || x >= math.MaxInt64 || x < math.MinInt64 {
			return nil, ResultError(dialect, src, t, fmt.Sprintf("%v is not an integer", x))
		}
		return int64(x), nil
	}
	n, ok, err := Int(src)
	if !ok {
		return nil, ResultError(dialect, src, t, "")
	}
	if err != nil {
		return nil, ResultError(dialect, src, t, err.Error())
	}
	return n, nil
}

// FloatResult converts a driver value for a float column into float64.
func FloatResult(dialect string, src any, t types.Type) (any, error) {
	switch x := src.(type) {
	case float64:
		return x, nil
	case float32:
		// Single-precision columns: print the shortest float32 form and parse it back so
		// that 1.1 (stored as float32) reads as 1.1, not 1.100000023841858.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f, nil
	case []byte:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, ResultError(dialect, src, t, fmt.Sprintf("%q is not a number", x))
		}
		return f, nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil {
			return nil, ResultError(dialect, src, t, fmt.Sprintf("%q is not a number", x))
		}
		return f, nil
	}
	if f, ok := Float(src); ok {
		return f, nil
	}
	return nil, ResultError(dialect, src, t, "")
}

// BoolResult converts a driver value for a boolean column (0/1 integers on SQLite and
// MySQL) into bool.
func BoolResult(dialect string, src any, t types.Type) (any, error) {
	switch x := src.(type) {
	case bool:
		return x, nil
	case int64:
		return x != 0, nil
	case []byte:
		return BoolResult(dialect, string(x), t)
	case string:
		switch strings.ToLower(x) {
		case "1", "t", "true":
			return true, nil
		case "0", "f", "false":
			return false, nil
		}
		return nil, ResultError(dialect, src, t, fmt.Sprintf("%q is not a boolean", x))
	}
	if n, ok, _ := Int(src); ok {
		return n != 0, nil
	}
	return nil, ResultError(dialect, src, t, "")
}

// MicrosResult converts a driver value holding microseconds (intervals stored as BIGINT)
// into a time.Duration.
func MicrosResult(dialect string, src any, t types.Type) (any, error) {
	n, err := IntResult(dialect, src, t)
	if err != nil {
		return nil, err
	}
	us := n.(int64)
	if us > math.MaxInt64/1000 || us < math.MinInt64/1000 {
		return nil, ResultError(dialect, src, t, "the interval overflows time.Duration")
	}
	return time.Duration(us) * time.Microsecond, nil
}

// EnumResult converts a driver value for an enum column into a string.
func EnumResult(dialect string, src any, t types.Type) (any, error) {
	return StringResult(dialect, src, t)
}
