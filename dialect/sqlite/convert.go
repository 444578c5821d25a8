package sqlite

import (
	"strconv"
	"time"

	"github.com/retortdb/retort/dialect/internal/conv"
	"github.com/retortdb/retort/types"
)

// SQLite storage of each kind (what ConvertArg produces and ConvertResult reads back):
// integers INTEGER; booleans 0/1; floats REAL; numerics the decimal text (stored with the
// column's NUMERIC affinity, read back as INTEGER/REAL/TEXT and formatted with Scale
// digits); dates TEXT "2006-01-02"; times of day TEXT "15:04:05.000000"; timestamps TEXT
// "2006-01-02 15:04:05.000000" in UTC (CURRENT_TIMESTAMP's "2006-01-02 15:04:05" is read
// too); intervals INTEGER microseconds; JSON TEXT; UUIDs TEXT in canonical form; enums TEXT.

// ConvertArg converts v, bound for a column of type t, into a value the SQLite driver
// stores as described above. nil, nil pointers and invalid types.Null values become NULL.
func (d *Dialect) ConvertArg(v any, t types.Type) (any, error) {
	if conv.Passthrough(v, t) {
		return v, nil
	}
	var a conv.Arg
	if err := conv.CanonicalArg(&a, "sqlite", v, t); err != nil || a.Null {
		return nil, err
	}
	if t.Kind == types.KindDate || t.Kind == types.KindTimestamp {
		// Dates are stored as text with a four-digit year; any other year would be
		// written but could not be read back.
		if y := a.Time.Year(); y < 0 || y > 9999 {
			return nil, conv.ArgError("sqlite", v, t, "year "+strconv.Itoa(y)+" is outside 0000-9999, which SQLite's text dates hold")
		}
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
		if a.Float != a.Float {
			return nil, conv.ArgError("sqlite", v, t, "NaN cannot be stored: SQLite would store NULL")
		}
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
		return a.Time.Format(conv.TimestampLayout), nil
	case types.KindInterval:
		return a.Dur.Microseconds(), nil
	case types.KindJSON:
		return string(a.Bytes), nil
	case types.KindUUID:
		return a.UUID.String(), nil
	}
	// An untyped value: what the driver cannot store as is is stored as above.
	switch x := a.Any.(type) {
	case time.Time:
		return x.UTC().Format(conv.TimestampLayout), nil
	case types.UUID:
		return x.String(), nil
	case uint64:
		if n, ok, err := conv.Int(x); ok && err == nil {
			return n, nil
		}
	case float64:
		if x != x {
			return nil, conv.ArgError("sqlite", v, t, "NaN cannot be stored: SQLite would store NULL")
		}
	case float32:
		if x != x {
			return nil, conv.ArgError("sqlite", v, t, "NaN cannot be stored: SQLite would store NULL")
		}
	}
	return a.Any, nil
}

// ConvertResult converts a value the SQLite driver returned for a column of type t into
// t's canonical Go value. nil stays nil.
func (d *Dialect) ConvertResult(src any, t types.Type) (any, error) {
	if src == nil {
		return nil, nil
	}
	switch t.Kind {
	case types.KindUnknown:
		return src, nil
	case types.KindInteger, types.KindBigInt, types.KindSmallInt:
		return conv.IntResult("sqlite", src, t)
	case types.KindBoolean:
		return conv.BoolResult("sqlite", src, t)
	case types.KindFloat, types.KindDouble:
		return conv.FloatResult("sqlite", src, t)
	case types.KindNumeric:
		return conv.NumericResult("sqlite", src, t)
	case types.KindString, types.KindText:
		return conv.StringResult("sqlite", src, t)
	case types.KindBytes:
		return conv.BytesResult("sqlite", src, t)
	case types.KindDate:
		switch x := src.(type) {
		case time.Time: // the driver parses columns declared DATE
			return conv.Date(x), nil
		case string:
			return parseDate(src, x, t)
		case []byte:
			return parseDate(src, string(x), t)
		case int64: // unix seconds
			return conv.Date(time.Unix(x, 0).UTC()), nil
		}
	case types.KindTime:
		var s string
		switch x := src.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		case time.Time:
			return conv.TimeOfDay(x), nil
		default:
			return nil, conv.ResultError("sqlite", src, t, "")
		}
		dur, err := conv.ParseClock(s)
		if err != nil {
			return nil, conv.ResultError("sqlite", src, t, err.Error())
		}
		return dur, nil
	case types.KindTimestamp:
		switch x := src.(type) {
		case time.Time: // the driver parses columns declared DATETIME / TIMESTAMP
			return x.UTC(), nil
		case string:
			return parseTimestamp(src, x, t)
		case []byte:
			return parseTimestamp(src, string(x), t)
		case int64: // unix seconds
			return time.Unix(x, 0).UTC(), nil
		}
	case types.KindInterval:
		return conv.MicrosResult("sqlite", src, t)
	case types.KindJSON:
		return conv.JSONResult("sqlite", src, t)
	case types.KindUUID:
		return conv.UUIDResult("sqlite", src, t)
	case types.KindEnum:
		return conv.EnumResult("sqlite", src, t)
	default:
		return src, nil
	}
	return nil, conv.ResultError("sqlite", src, t, "")
}

func parseDate(src any, s string, t types.Type) (any, error) {
	if len(s) > 10 { // a timestamp stored in a date column
		ts, err := conv.ParseTimestamp(s)
		if err != nil {
			return nil, conv.ResultError("sqlite", src, t, strconv.Quote(s)+" is not a date")
		}
		return conv.Date(ts), nil
	}
	day, err := time.Parse(conv.DateLayout, s)
	if err != nil {
		return nil, conv.ResultError("sqlite", src, t, strconv.Quote(s)+" is not a date")
	}
	return day, nil
}

func parseTimestamp(src any, s string, t types.Type) (any, error) {
	ts, err := conv.ParseTimestamp(s)
	if err != nil {
		return nil, conv.ResultError("sqlite", src, t, err.Error())
	}
	return ts, nil
}
