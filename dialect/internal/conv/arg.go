package conv

import (
	"time"

	"github.com/retortdb/retort/types"
)

// Arg is a bound value reduced to the canonical Go value of its column's kind (see
// types.Kind), kept unboxed so that a dialect encodes it without further allocation. Only
// the field of the kind is set. It is a plain value, safe for concurrent reads, and lives
// for the one conversion that made it.
type Arg struct {
	Null  bool          // SQL NULL: nil, a nil pointer, an invalid types.Null
	Any   any           // KindUnknown (or a kind retort does not know): the unwrapped value as is
	Int   int64         // KindInteger, KindBigInt, KindSmallInt
	Bool  bool          // KindBoolean
	Float float64       // KindFloat, KindDouble
	Str   string        // KindNumeric (checked decimal text), KindString, KindText, KindEnum (an allowed value)
	Bytes []byte        // KindBytes; KindJSON (the encoded, checked document)
	Time  time.Time     // KindDate (midnight UTC), KindTimestamp (UTC)
	Dur   time.Duration // KindTime (since midnight, in [0, 24h)), KindInterval
	UUID  types.UUID    // KindUUID
}

// Passthrough reports whether v is already the value every dialect sends for a column of
// type t (an int64 for an integer kind, a string for a string or text column), so that
// ConvertArg can return v itself: the common case, without conversion or allocation.
func Passthrough(v any, t types.Type) bool {
	switch t.Kind {
	case types.KindInteger, types.KindBigInt, types.KindSmallInt:
		_, ok := v.(int64)
		return ok
	case types.KindString, types.KindText:
		_, ok := v.(string)
		return ok
	}
	return false
}

// CanonicalArg sets a (a zero Arg) to v, bound for a column of type t, to the canonical value of t's
// kind: it unwraps pointers, types.Null, driver.Valuer and named basic types (see Unwrap),
// then checks and converts the value the way every dialect accepts it (integers of any
// width, decimal text or numbers for numerics, dates and timestamps in UTC, clock text or
// durations for times of day, ...). A value that cannot stand for t is a *ConvertError
// naming dialect, the Go type and the reason.
func CanonicalArg(a *Arg, dialect string, v any, t types.Type) error {
	orig := v
	v, err := Unwrap(v)
	if err != nil {
		// Name the value given (Unwrap returned nil) and keep the cause for errors.Is.
		return &ConvertError{Dialect: dialect, Type: t, GoType: goTypeName(orig), Reason: err.Error(), Err: err}
	}
	if v == nil {
		a.Null = true
		return nil
	}
	var (
		reason string
		ok     = true
	)
	switch t.Kind {
	case types.KindInteger, types.KindBigInt, types.KindSmallInt:
		var ierr error
		a.Int, ok, ierr = Int(v)
		if ok && ierr != nil {
			reason = ierr.Error()
		}
	case types.KindBoolean:
		a.Bool, ok = v.(bool)
	case types.KindFloat, types.KindDouble:
		a.Float, ok = Float(v)
	case types.KindNumeric:
		a.Str, reason = NumericArg(v)
	case types.KindString, types.KindText:
		a.Str, ok = StringArg(v)
	case types.KindBytes:
		a.Bytes, ok = BytesArg(v)
	case types.KindDate:
		a.Time, reason = DateArg(v)
	case types.KindTime:
		a.Dur, reason = TimeArg(v)
	case types.KindTimestamp:
		a.Time, reason = TimestampArg(v)
	case types.KindInterval:
		a.Dur, reason = DurationArg(v)
	case types.KindJSON:
		a.Bytes, reason = JSONArg(v)
	case types.KindUUID:
		a.UUID, reason = UUIDArg(v)
	case types.KindEnum:
		a.Str, reason = EnumArg(v, t)
	default:
		a.Any = v
	}
	if !ok || reason != "" {
		return ArgError(dialect, v, t, reason)
	}
	return nil
}
