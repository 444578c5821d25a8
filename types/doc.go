// Package types describes SQL column types and the Go values that stand for them.
//
// A Type is a small value (safe to copy and share between goroutines) that names a
// SQL type family and its parameters. Build one with its constructor:
//
//	Constructor              SQL type (PostgreSQL spelling)       Go value read back
//	Integer()                INTEGER                              int64
//	BigInt()                 BIGINT                               int64
//	SmallInt()               SMALLINT                             int64
//	Boolean()                BOOLEAN                              bool
//	Float()                  REAL                                 float64
//	Double()                 DOUBLE PRECISION                     float64
//	Numeric(p, s)            NUMERIC(p, s)                        string ("12.50")
//	String(n)                VARCHAR(n)                           string
//	Text()                   TEXT                                 string
//	Bytes()                  BYTEA                                []byte
//	Date()                   DATE                                 time.Time, midnight UTC
//	Time()                   TIME                                 time.Duration since midnight
//	Timestamp(true)          TIMESTAMP WITH TIME ZONE (instant)   time.Time in UTC
//	Timestamp(false)         TIMESTAMP (naive date and time)      time.Time in UTC
//	Interval()               INTERVAL                             time.Duration
//	JSON()                   JSON                                 json.RawMessage
//	UUIDType()               UUID                                 UUID
//	Enum(name, values...)    an enum type, or a checked string    string
//	Unknown()                none: values pass through unconverted
//
// Dialects decide how each Type is spelled in DDL (MySQL and SQLite store timestamps as
// DATETIME(6) and text, always in UTC) and how Go values are converted on the way in and
// out. Every Type has one canonical Go representation, listed on its Kind; results of
// that type come back as that Go type on every dialect, so a value written and read back
// is the same Go value. Null[T] holds a value that may be NULL; UUID is a UUID value.
package types
