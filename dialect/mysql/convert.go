package mysql

import (
	"strconv"
	"strings"
	"time"

	"github.com/retortdb/retort/dialect/internal/conv"
	"github.com/retortdb/retort/types"
)

// Storage of each kind (what ConvertArg produces and ConvertResult reads back): integers
// as int64; booleans 0/1 (BOOL is TINYINT(1)); floats float64; numerics decimal text;
// dates "2006-01-02"; times of day "15:04:05.000000" (TIME(6)); timestamps time.Time in
// UTC (DATETIME(6), the session time zone is UTC); intervals BIGINT microseconds; JSON
// text; UUIDs CHAR(36) canonical text; enums their text.

// ConvertArg converts v, bound for a column of type t, into a value go-sql-driver/mysql
// sends as described above. nil, nil pointers and invalid types.Null values become NULL.
func (d *Dialect) ConvertArg(v any, t types.Type) (any, error) {
	if conv.Passthrough(v, t) {
		return v, nil
	}
	var a conv.Arg
	if err := conv.CanonicalArg(&a, d.Name(), v, t); err != nil || a.Null {
		return nil, err
	}
	switch t.Kind {
	case types.KindInteger, types.KindBigInt, types.KindSmallInt:
		return a.Int, nil
	case types.KindBoolean:
		if a.Bool {
			return int64(1), nil
		}
		return int64(0), nil
	case types.KindFloat, types.KindDouble:
		return a.Float, nil
	case types.KindNumeric, types.KindString, types.KindText, types.KindEnum:
		return a.Str, nil
	case types.KindBytes:
		return a.Bytes, nil
	case types.KindDate:
		return a.Time.Format(conv.DateLayout), nil
	case types.KindTime:
		return string(conv.AppendClock(make([]byte, 0, 16), a.Dur)), nil
	case types.KindTimestamp:
		return a.Time, nil
	case types.KindInterval:
		return a.Dur.Microseconds(), nil
	case types.KindJSON:
		// Text, not bytes: MySQL refuses JSON documents sent with the binary character set.
		return string(a.Bytes), nil
	case types.KindUUID:
		return a.UUID.String(), nil
	}
	// An untyped value: the driver sends it by its Go type, except these.
	switch x := a.Any.(type) {
	case types.UUID:
		return x.String(), nil
	case time.Time:
		return x.UTC(), nil
	}
	return a.Any, nil
}

// ConvertResult converts a value go-sql-driver/mysql returned for a column of type t into
// t's canonical Go value. nil stays nil. Values of unknown type are left as the driver
// returned them ([]byte for text, numbers and JSON; time.Time for dates and DATETIMEs).
func (d *Dialect) ConvertResult(src any, t types.Type) (any, error) {
	if src == nil {
		return nil, nil
	}
	name := d.Name()
	switch t.Kind {
	case types.KindUnknown:
		return src, nil
	case types.KindInteger, types.KindBigInt, types.KindSmallInt:
		return conv.IntResult(name, src, t)
	case types.KindBoolean:
		return conv.BoolResult(name, src, t)
	case types.KindFloat, types.KindDouble:
		return conv.FloatResult(name, src, t)
	case types.KindNumeric:
		s, err := conv.NumericResult(name, src, t)
		if err != nil {
			return nil, err
		}
		if t.Precision == 0 && t.Scale == 0 {
			// An unconstrained numeric is DECIMAL(65, 30) here: drop the padding zeros.
			str := s.(string)
			if strings.IndexByte(str, '.') >= 0 {
				str = strings.TrimRight(strings.TrimRight(str, "0"), ".")
			}
			return str, nil
		}
		return s, nil
	case types.KindString, types.KindText:
		return conv.StringResult(name, src, t)
	case types.KindBytes:
		return conv.BytesResult(name, src, t)
	case types.KindDate:
		switch x := src.(type) {
		case time.Time:
			return conv.Date(x), nil
		case []byte:
			return parseDate(name, src, string(x), t)
		case string:
			return parseDate(name, src, x, t)
		}
	case types.KindTime:
		var s string
		switch x := src.(type) {
		case []byte:
			s = string(x)
		case string:
			s = x
		case time.Duration:
			return x, nil
		default:
			return nil, conv.ResultError(name, src, t, "")
		}
		dur, err := conv.ParseClock(s)
		if err != nil {
			return nil, conv.ResultError(name, src, t, err.Error())
		}
		return dur, nil
	case types.KindTimestamp:
		switch x := src.(type) {
		case time.Time:
			return x.UTC(), nil
		case []byte:
			return parseTimestamp(name, src, string(x), t)
		case string:
			return parseTimestamp(name, src, x, t)
		}
	case types.KindInterval:
		return conv.MicrosResult(name, src, t)
	case types.KindJSON:
		return conv.JSONResult(name, src, t)
	case types.KindUUID:
		return conv.UUIDResult(name, src, t)
	case types.KindEnum:
		return conv.EnumResult(name, src, t)
	default:
		return src, nil
	}
	return nil, conv.ResultError(name, src, t, "")
}

func parseDate(name string, src any, s string, t types.Type) (any, error) {
	day, err := time.Parse(conv.DateLayout, s)
	if err != nil {
		return nil, conv.ResultError(name, src, t, strconv.Quote(s)+" is not a date")
	}
	return day, nil
}

func parseTimestamp(name string, src any, s string, t types.Type) (any, error) {
	ts, err := conv.ParseTimestamp(s)
	if err != nil {
		return nil, conv.ResultError(name, src, t, err.Error())
	}
	return ts, nil
}
