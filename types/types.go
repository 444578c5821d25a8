package types

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Kind is the family of a SQL type.
type Kind uint8

// The kinds of SQL types retort knows. The comment on each gives its canonical Go type.
const (
	KindUnknown   Kind = iota // any: no conversion is applied
	KindInteger               // int64
	KindBigInt                // int64
	KindSmallInt              // int64
	KindBoolean               // bool
	KindFloat                 // float64 (single precision on the server)
	KindDouble                // float64
	KindNumeric               // string holding a decimal number, formatted with Scale digits
	KindString                // string (VARCHAR(Length); Length 0 means the dialect default)
	KindText                  // string
	KindBytes                 // []byte
	KindDate                  // time.Time at midnight UTC
	KindTime                  // time.Duration since midnight
	KindTimestamp             // time.Time in UTC
	KindInterval              // time.Duration
	KindJSON                  // json.RawMessage
	KindUUID                  // types.UUID
	KindEnum                  // string, one of EnumValues
)

var kindNames = [...]string{
	KindUnknown: "unknown", KindInteger: "integer", KindBigInt: "bigint", KindSmallInt: "smallint",
	KindBoolean: "boolean", KindFloat: "float", KindDouble: "double", KindNumeric: "numeric",
	KindString: "string", KindText: "text", KindBytes: "bytes", KindDate: "date", KindTime: "time",
	KindTimestamp: "timestamp", KindInterval: "interval", KindJSON: "json", KindUUID: "uuid", KindEnum: "enum",
}

// String returns the kind's lower-case name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Type is a SQL type with its parameters. The zero Type is KindUnknown. Type values are
// immutable once built (EnumValues must not be modified) and safe for concurrent use.
// It holds no resources and lives as long as the caller keeps it.
type Type struct {
	Kind       Kind
	Length     int      // KindString: VARCHAR length (0: dialect default)
	Precision  int      // KindNumeric: total digits
	Scale      int      // KindNumeric: digits after the decimal point
	Timezone   bool     // KindTimestamp: WITH TIME ZONE
	EnumName   string   // KindEnum: type name (PostgreSQL CREATE TYPE name)
	EnumValues []string // KindEnum: allowed values in order
}

// Constructors for each type family.

// Unknown is the type of a value whose SQL type is not known; values pass through unconverted.
func Unknown() Type { return Type{} }

// Integer is a 32-bit or wider integer column (INTEGER).
func Integer() Type { return Type{Kind: KindInteger} }

// BigInt is a 64-bit integer column (BIGINT).
func BigInt() Type { return Type{Kind: KindBigInt} }

// SmallInt is a 16-bit integer column (SMALLINT).
func SmallInt() Type { return Type{Kind: KindSmallInt} }

// Boolean is a true/false column.
func Boolean() Type { return Type{Kind: KindBoolean} }

// Float is a single-precision floating point column.
func Float() Type { return Type{Kind: KindFloat} }

// Double is a double-precision floating point column.
func Double() Type { return Type{Kind: KindDouble} }

// Numeric is an exact decimal column NUMERIC(precision, scale).
func Numeric(precision, scale int) Type {
	return Type{Kind: KindNumeric, Precision: precision, Scale: scale}
}

// String is a VARCHAR(length) column; length 0 leaves the length to the dialect.
// PostgreSQL and MySQL/MariaDB refuse a longer value (engine.DataError, kind TooLong);
// SQLite does not enforce the length and stores the whole value.
func String(length int) Type { return Type{Kind: KindString, Length: length} }

// Text is an unbounded text column.
func Text() Type { return Type{Kind: KindText} }

// Bytes is a binary column (BYTEA, BLOB, LONGBLOB).
func Bytes() Type { return Type{Kind: KindBytes} }

// Date is a calendar date column.
func Date() Type { return Type{Kind: KindDate} }

// Time is a time-of-day column, read and written as a time.Duration since midnight.
func Time() Type { return Type{Kind: KindTime} }

// Timestamp is a date and time column; withTimezone selects TIMESTAMP WITH TIME ZONE.
func Timestamp(withTimezone bool) Type { return Type{Kind: KindTimestamp, Timezone: withTimezone} }

// Interval is a duration column (native INTERVAL where the dialect has one).
func Interval() Type { return Type{Kind: KindInterval} }

// JSON is a JSON document column.
func JSON() Type { return Type{Kind: KindJSON} }

// UUIDType is a UUID column, read and written as types.UUID.
func UUIDType() Type { return Type{Kind: KindUUID} }

// Enum is an enumerated string column with the given type name and allowed values.
func Enum(name string, values ...string) Type {
	return Type{Kind: KindEnum, EnumName: name, EnumValues: append([]string(nil), values...)}
}

// IsZero reports whether t is the unknown type.
func (t Type) IsZero() bool { return t.Kind == KindUnknown }

// Equal reports whether t and u describe the same SQL type.
func (t Type) Equal(u Type) bool {
	if t.Kind != u.Kind || t.Length != u.Length || t.Precision != u.Precision || t.Scale != u.Scale ||
		t.Timezone != u.Timezone || t.EnumName != u.EnumName || len(t.EnumValues) != len(u.EnumValues) {
		return false
	}
	for i := range t.EnumValues {
		if t.EnumValues[i] != u.EnumValues[i] {
			return false
		}
	}
	return true
}

// String describes t for error messages, such as "numeric(10,2)".
func (t Type) String() string {
	switch t.Kind {
	case KindString:
		if t.Length > 0 {
			return fmt.Sprintf("string(%d)", t.Length)
		}
	case KindNumeric:
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale)
	case KindTimestamp:
		if t.Timezone {
			return "timestamp with time zone"
		}
	case KindEnum:
		return fmt.Sprintf("enum %s(%s)", t.EnumName, strings.Join(t.EnumValues, ","))
	}
	return t.Kind.String()
}

var (
	rtInt64    = reflect.TypeFor[int64]()
	rtBool     = reflect.TypeFor[bool]()
	rtFloat64  = reflect.TypeFor[float64]()
	rtString   = reflect.TypeFor[string]()
	rtBytes    = reflect.TypeFor[[]byte]()
	rtTime     = reflect.TypeFor[time.Time]()
	rtDuration = reflect.TypeFor[time.Duration]()
	rtRawJSON  = reflect.TypeFor[RawJSON]()
	rtUUID     = reflect.TypeFor[UUID]()
	rtAny      = reflect.TypeFor[any]()
)

// GoType returns the canonical Go type of values of t.
func (t Type) GoType() reflect.Type {
	switch t.Kind {
	case KindInteger, KindBigInt, KindSmallInt:
		return rtInt64
	case KindBoolean:
		return rtBool
	case KindFloat, KindDouble:
		return rtFloat64
	case KindNumeric, KindString, KindText, KindEnum:
		return rtString
	case KindBytes:
		return rtBytes
	case KindDate, KindTimestamp:
		return rtTime
	case KindTime, KindInterval:
		return rtDuration
	case KindJSON:
		return rtRawJSON
	case KindUUID:
		return rtUUID
	}
	return rtAny
}
