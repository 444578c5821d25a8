package dialect

import (
	"errors"
	"strconv"
	"strings"
)

// ErrConnectionLost is matched (errors.Is) by every ConnectionLostError: the connection
// to the server broke (the server restarted, the backend was terminated or killed, the
// network failed). What the failed statement did is unknown unless it ran in a
// transaction, which the server then rolled back.
var ErrConnectionLost = errors.New("dialect: the connection to the database was lost")

// ErrRetryable is matched (errors.Is) by every RetryableError: a transaction that failed
// because of concurrent transactions and may succeed when run again from the start.
var ErrRetryable = errors.New("dialect: the transaction failed because of a conflict and may be retried")

// ErrPoolTimeout is matched (errors.Is) by the error of a connection checkout that waited
// the whole pool timeout without a connection becoming free. Nothing was sent.
var ErrPoolTimeout = errors.New("dialect: no connection became free within the pool timeout")

// ErrData is matched (errors.Is) by every DataError.
var ErrData = errors.New("dialect: invalid value for its column")

// ConnectionLostError reports a statement, commit or rollback that failed because the
// connection to the server broke. The connection is discarded; a transaction on it is
// gone (the server rolls it back). A plain value, safe for concurrent reads; it lives as
// long as the caller keeps it.
type ConnectionLostError struct {
	Err error // the driver's error
}

// Error returns "dialect: connection lost: <driver's error>".
func (e *ConnectionLostError) Error() string {
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return "dialect: connection lost: " + msg
}

// Unwrap returns the driver's error.
func (e *ConnectionLostError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrConnectionLost) true.
func (e *ConnectionLostError) Is(target error) bool { return target == ErrConnectionLost }

// RetryKind is the kind of conflict a RetryableError reports.
type RetryKind uint8

// The kinds of retryable failures, classified the same way on every dialect.
const (
	// SerializationFailure: a SERIALIZABLE or REPEATABLE READ transaction could not be
	// serialized with concurrent ones (PostgreSQL 40001).
	SerializationFailure RetryKind = iota + 1
	// Deadlock: the server chose the transaction as a deadlock victim and rolled it back
	// (PostgreSQL 40P01, MySQL/MariaDB 1213).
	Deadlock
	// LockTimeout: a lock was not granted in time (MySQL/MariaDB 1205
	// innodb_lock_wait_timeout, PostgreSQL 55P03 lock_not_available). MySQL/MariaDB roll
	// back only the statement; a retry helper rolls back the whole transaction.
	LockTimeout
	// CertificationFailure: a Galera cluster node rejected the transaction because a
	// conflicting one committed first on another node (reported as a deadlock, 1213,
	// with a "wsrep" message, or 1180/1317 during replication).
	CertificationFailure
	// Busy: SQLite could not get a lock within the busy timeout (SQLITE_BUSY,
	// SQLITE_LOCKED: "database is locked").
	Busy
	// NotPrimary: a Galera cluster node is outside the primary component for a moment
	// (a member was lost and the rest are re-forming the cluster, or the node is still
	// joining): the statement or COMMIT was refused and nothing was committed
	// (MySQL/MariaDB 1047 "WSREP has not yet prepared node", 1180 "Not connected to
	// Primary Component").
	NotPrimary
)

var retryNames = [...]string{"", "serialization failure", "deadlock", "lock wait timeout", "certification failure", "database busy", "cluster node not primary"}

// String names the kind, as "deadlock" or "serialization failure".
func (k RetryKind) String() string {
	if int(k) < len(retryNames) && k > 0 {
		return retryNames[k]
	}
	return "retryable conflict"
}

// RetryableError is a failure caused by concurrent transactions that may go away when the
// transaction is run again from its start (see engine.Retry). The server has rolled back
// the statement, and for every kind but LockTimeout on MySQL/MariaDB the whole
// transaction. A plain value, safe for concurrent reads; it lives as long as the caller
// keeps it.
type RetryableError struct {
	Kind RetryKind
	Err  error // the driver's error
}

// Error returns "dialect: <kind> (retryable): <driver's error>".
func (e *RetryableError) Error() string {
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return "dialect: " + e.Kind.String() + " (retryable): " + msg
}

// Unwrap returns the driver's error.
func (e *RetryableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrRetryable) true.
func (e *RetryableError) Is(target error) bool { return target == ErrRetryable }

// DataKind is the kind of invalid value a DataError reports.
type DataKind uint8

// The kinds of data errors, classified the same way on every dialect.
const (
	// TooLong: a string or byte value longer than its column allows (PostgreSQL 22001,
	// MySQL/MariaDB 1406, SQLite SQLITE_TOOBIG). SQLite does not enforce String(n).
	TooLong DataKind = iota + 1
	// OutOfRange: a number outside its column's range or an arithmetic overflow
	// (PostgreSQL 22003 and pgx's encoder, MySQL/MariaDB 1264 and 1690, SQLite "integer
	// overflow").
	OutOfRange
	// InvalidText: text that cannot be read as the column's type (PostgreSQL 22P02,
	// MySQL/MariaDB 1366 and 1292, SQLite "datatype mismatch").
	InvalidText
	// DivisionByZero: PostgreSQL 22012, MySQL/MariaDB 1365 (SQLite returns NULL instead).
	DivisionByZero
	// InvalidDatetime: a date or time that does not exist or cannot be read (PostgreSQL
	// 22007 and 22008, MySQL/MariaDB 1292 on a date or time column).
	InvalidDatetime
	// InvalidValue: any other data exception (PostgreSQL class 22, MySQL/MariaDB 1265).
	InvalidValue
)

var dataNames = [...]string{"", "value too long", "value out of range", "invalid text representation", "division by zero", "invalid date or time", "invalid value"}

// String names the kind, as "value too long".
func (k DataKind) String() string {
	if int(k) < len(dataNames) && k > 0 {
		return dataNames[k]
	}
	return "invalid value"
}

// DataError is a value the database (or the driver's encoder) refused for its column:
// too long, out of range, not readable as the column's type, a division by zero. Its
// text is built from the classified fields only, never from the driver's message, which
// may quote the value; Unwrap reaches the driver's error. A plain value, safe for
// concurrent reads once returned; it lives as long as the caller keeps it.
type DataError struct {
	Kind   DataKind
	Table  string // the table, when known
	Column string // the column, when the database, the encoder or the statement knows it
	Type   string // the SQL type the value was meant for, when known ("int4", "varchar(5)")
	Param  int    // the 1-based number of the bound parameter, when the driver reports it
	Err    error  // the driver's error
}

// Error returns "dialect: <kind> (table T, column C, type X, parameter N)", the
// parenthesised part only as far as it is known.
func (e *DataError) Error() string {
	var b strings.Builder
	b.WriteString("dialect: ")
	b.WriteString(e.Kind.String())
	var parts []string
	if e.Table != "" {
		parts = append(parts, "table "+e.Table)
	}
	if e.Column != "" {
		parts = append(parts, "column "+e.Column)
	}
	if e.Type != "" {
		parts = append(parts, "type "+e.Type)
	}
	if e.Param > 0 {
		parts = append(parts, "parameter "+strconv.Itoa(e.Param))
	}
	if len(parts) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(parts, ", "))
		b.WriteByte(')')
	}
	return b.String()
}

// Unwrap returns the driver's error.
func (e *DataError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrData) true.
func (e *DataError) Is(target error) bool { return target == ErrData }

// Classified reports whether err already holds one of retryable, data, connection-lost,
// read-only or integrity errors, so that a dialect's ClassifyError leaves it as it is.
func Classified(err error) bool {
	var (
		ie *IntegrityError
		re *RetryableError
		de *DataError
		ce *ConnectionLostError
		ro *ReadOnlyError
	)
	return errors.As(err, &ie) || errors.As(err, &re) || errors.As(err, &de) || errors.As(err, &ce) || errors.As(err, &ro)
}
