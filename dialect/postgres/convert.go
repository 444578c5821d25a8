package postgres

import (
	"math"
	"math/big"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/retortdb/retort/dialect/internal/conv"
	"github.com/retortdb/retort/types"
)

// ConvertArg converts v, bound for a column of type t, into a value pgx encodes as that
// PostgreSQL type: int64, bool, float64, decimal text for NUMERIC (sent in text format),
// string, []byte, time.Time (UTC; a date at midnight), pgtype.Time for TIME,
// pgtype.Interval for INTERVAL (microseconds), JSON text as []byte, pgtype.UUID.
// nil, nil pointers and invalid types.Null values become NULL.
func (d *Dialect) ConvertArg(v any, t types.Type) (any, error) {
	if conv.Passthrough(v, t) {
		return v, nil
	}
	var a conv.Arg
	if err := conv.CanonicalArg(&a, "postgresql", v, t); err != nil || a.Null {
		return nil, err
	}
	switch t.Kind {
	case types.KindInteger, types.KindBigInt, types.KindSmallInt:
		return a.Int, nil
	case types.KindBoolean:
		return a.Bool, nil
	case types.KindFloat, types.KindDouble:
		return a.Float, nil
	case types.KindNumeric, types.KindString, types.KindText, types.KindEnum:
		return a.Str, nil
	case types.KindBytes:
		return a.Bytes, nil
	case types.KindDate, types.KindTimestamp:
		return a.Time, nil
	case types.KindTime:
		return pgtype.Time{Microseconds: int64(a.Dur / time.Microsecond), Valid: true}, nil
	case types.KindInterval:
		return pgtype.Interval{Microseconds: a.Dur.Microseconds(), Valid: true}, nil
	case types.KindJSON:
		return a.Bytes, nil
	case types.KindUUID:
		return pgtype.UUID{Bytes: a.UUID, Valid: true}, nil
	}
	// An untyped value: pgx encodes it by its Go type, except these.
	switch x := a.Any.(type) {
	case types.UUID:
		return pgtype.UUID{Bytes: x, Valid: true}, nil
	case uint64:
		if n, ok, err := conv.Int(x); ok && err == nil {
			return n, nil
		}
	}
	return a.Any, nil
}

// ConvertResult converts a value pgx returned for a column of type t into t's canonical
// Go value. nil stays nil. For KindUnknown, pgx's own types are still normalised:
// pgtype.Numeric becomes a decimal string, pgtype.Time and pgtype.Interval a
// time.Duration, a [16]byte UUID a types.UUID, a time.Time is put in UTC, and int2,
// int4 and float4 values become int64 and float64, as on the other dialects.
func (d *Dialect) ConvertResult(src any, t types.Type) (any, error) {
	if src == nil {
		return nil, nil
	}
	switch t.Kind {
	case types.KindUnknown:
		switch x := src.(type) {
		case pgtype.Numeric:
			if s, ok := numericText(x); ok {
				return s, nil
			}
		case pgtype.Time:
			if x.Valid {
				return time.Duration(x.Microseconds) * time.Microsecond, nil
			}
		case pgtype.Interval:
			if dur, ok := intervalDuration(x); ok {
				return dur, nil
			}
		case [16]byte:
			return types.UUID(x), nil
		case time.Time:
			return x.UTC(), nil
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		case float32:
			return float64(x), nil
		}
		return src, nil
	case types.KindInteger, types.KindBigInt, types.KindSmallInt:
		if n, ok := src.(pgtype.Numeric); ok {
			// sum() of integers is numeric on PostgreSQL: read an integral value.
			if s, ok := numericText(n); ok {
				if i, err := strconv.ParseInt(s, 10, 64); err == nil {
					return i, nil
				}
			}
		}
		return conv.IntResult("postgresql", src, t)
	case types.KindBoolean:
		return conv.BoolResult("postgresql", src, t)
	case types.KindFloat, types.KindDouble:
		if n, ok := src.(pgtype.Numeric); ok {
			// avg() and other numeric-valued expressions typed as floating point.
			if s, ok := numericText(n); ok {
				if f, err := strconv.ParseFloat(s, 64); err == nil {
					return f, nil
				}
			}
		}
		return conv.FloatResult("postgresql", src, t)
	case types.KindNumeric:
		if n, ok := src.(pgtype.Numeric); ok {
			s, ok := numericText(n)
			if !ok {
				return nil, conv.ResultError("postgresql", src, t, "NaN or infinity is not a decimal number")
			}
			return conv.FormatNumeric(s, t), nil
		}
		return conv.NumericResult("postgresql", src, t)
	case types.KindString, types.KindText:
		return conv.StringResult("postgresql", src, t)
	case types.KindBytes:
		return conv.BytesResult("postgresql", src, t)
	case types.KindDate:
		switch x := src.(type) {
		case time.Time:
			return conv.Date(x), nil
		case string:
			day, err := time.Parse(conv.DateLayout, x)
			if err != nil {
				return nil, conv.ResultError("postgresql", src, t, strconv.Quote(x)+" is not a date")
			}
			return day, nil
		case pgtype.InfinityModifier:
			return nil, conv.ResultError("postgresql", src, t, "an infinite date has no time.Time")
		}
	case types.KindTime:
		switch x := src.(type) {
		case pgtype.Time:
			if x.Valid {
				return time.Duration(x.Microseconds) * time.Microsecond, nil
			}
			return nil, nil
		case string:
			dur, err := conv.ParseClock(x)
			if err != nil {
				return nil, conv.ResultError("postgresql", src, t, err.Error())
			}
			return dur, nil
		}
	case types.KindTimestamp:
		switch x := src.(type) {
		case time.Time:
			return x.UTC(), nil
		case string:
			ts, err := conv.ParseTimestamp(x)
			if err != nil {
				return nil, conv.ResultError("postgresql", src, t, err.Error())
			}
			return ts, nil
		case pgtype.InfinityModifier:
			return nil, conv.ResultError("postgresql", src, t, "an infinite timestamp has no time.Time")
		}
	case types.KindInterval:
		switch x := src.(type) {
		case pgtype.Interval:
			dur, ok := intervalDuration(x)
			if !ok {
				return nil, conv.ResultError("postgresql", src, t, "the interval overflows time.Duration")
			}
			return dur, nil
		case time.Duration:
			return x, nil
		}
		return conv.MicrosResult("postgresql", src, t)
	case types.KindJSON:
		return conv.JSONResult("postgresql", src, t)
	case types.KindUUID:
		return conv.UUIDResult("postgresql", src, t)
	case types.KindEnum:
		return conv.EnumResult("postgresql", src, t)
	default:
		return src, nil
	}
	return nil, conv.ResultError("postgresql", src, t, "")
}

// numericText renders n as a decimal number ("123e-2" style is avoided: digits, point).
// ok is false for NaN, infinities and invalid values.
func numericText(n pgtype.Numeric) (string, bool) {
	if !n.Valid || n.NaN || n.InfinityModifier != pgtype.Finite || n.Int == nil {
		return "", false
	}
	digits := new(big.Int).Abs(n.Int).String()
	neg := n.Int.Sign() < 0
	var s string
	switch {
	case n.Exp >= 0:
		s = digits + zeros(int(n.Exp))
	case int(-n.Exp) < len(digits):
		k := len(digits) + int(n.Exp)
		s = digits[:k] + "." + digits[k:]
	default:
		s = "0." + zeros(int(-n.Exp)-len(digits)) + digits
	}
	if neg {
		s = "-" + s
	}
	return s, true
}

func zeros(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return string(b)
}

// intervalDuration converts an interval to a duration, counting a day as 24 hours and a
// month as 30 days (PostgreSQL's own convention in EXTRACT(EPOCH ...)).
func intervalDuration(iv pgtype.Interval) (time.Duration, bool) {
	if !iv.Valid {
		return 0, false
	}
	const usPerDay = 24 * 3600 * 1_000_000
	const maxDays = math.MaxInt64 / 1000 / usPerDay // what time.Duration can hold
	days := int64(iv.Days) + int64(iv.Months)*30
	if days > maxDays || days < -maxDays {
		return 0, false
	}
	us := days*usPerDay + iv.Microseconds // |days*usPerDay| < MaxInt64/1000: no overflow
	if (iv.Microseconds > 0 && us < days*usPerDay) || us > math.MaxInt64/1000 || us < math.MinInt64/1000 {
		return 0, false
	}
	return time.Duration(us) * time.Microsecond, true
}
