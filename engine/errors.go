package engine

import (
	"errors"

	"github.com/retortdb/retort/dialect"
)

// Sentinel errors of package engine. They are matched with errors.Is.
var (
	// ErrNoResult is returned when a row was required and the result had none
	// (Result.One, Result.First, Result.Scalar, ...).
	ErrNoResult = errors.New("engine: no row was found")

	// ErrMultipleResults is returned by Result.One and its relatives when the result has
	// more than one row.
	ErrMultipleResults = errors.New("engine: multiple rows were found when one was required")

	// ErrClosed is returned by every method of an Engine, Conn or Tx that has been closed
	// (or committed or rolled back, for a Tx).
	ErrClosed = errors.New("engine: use of a closed resource")

	// ErrInvalidURL is wrapped by every error about a database URL that cannot be used:
	// malformed, with an unknown dialect or driver, a bad port, ...
	ErrInvalidURL = errors.New("engine: invalid database URL")

	// ErrUnknownDialect is wrapped (together with ErrInvalidURL) by the error for a URL
	// whose dialect or driver retort does not know.
	ErrUnknownDialect = errors.New("engine: unknown dialect")

	// ErrBusy is returned when a Conn is used while another operation holds it: a call from
	// a second goroutine, or a statement issued while a Stream over the same Conn is open.
	ErrBusy = errors.New("engine: connection is in use by another operation")

	// ErrTxActive is returned by Conn.Begin and Conn.Transaction when the connection already
	// has a transaction; use Tx.BeginNested or Conn.Nested for a savepoint.
	ErrTxActive = errors.New("engine: a transaction is already active on this connection")

	// ErrNoTx is returned by Conn.Nested when the connection has no transaction to nest in.
	ErrNoTx = errors.New("engine: no transaction is active on this connection")

	// ErrTxInvalid is returned for statements issued on a connection whose transaction was
	// lost (the connection was discarded after a cancelled statement). Roll the transaction
	// back to use the Conn again.
	ErrTxInvalid = errors.New("engine: the transaction was lost with its connection; roll it back first")

	// ErrUnsupported is returned for an operation the dialect cannot perform (savepoints on
	// a dialect without them).
	ErrUnsupported = errors.New("engine: not supported by the dialect")
)

// IntegrityError is a constraint violation reported by the database, classified the same
// way on every dialect (see dialect.IntegrityError). Statement errors unwrap to it. For a
// statement on a schema table (an INSERT, UPDATE or DELETE built with package expr, and
// so every ORM flush), the engine completes it from the table's definition: the columns
// of the constraint the database names (users_email_key is UNIQUE (email)), the name of
// the constraint over the columns it names (SQLite reports no names), and on SQLite's
// bare foreign key failure the one foreign key the statement sets. A constraint left
// unnamed in the definition is known by the name the database gives it (PostgreSQL's
// t_c_key, t_pkey, t_c_fkey; MariaDB's key named after its first column, PRIMARY), so
// SQLite's unnamed constraints keep an empty Constraint.
type IntegrityError = dialect.IntegrityError

// IntegrityKind is the kind of constraint an IntegrityError violated.
type IntegrityKind = dialect.IntegrityKind

// The kinds of integrity violations (see dialect.IntegrityKind).
const (
	UniqueViolation     = dialect.UniqueViolation
	ForeignKeyViolation = dialect.ForeignKeyViolation
	NotNullViolation    = dialect.NotNullViolation
	CheckViolation      = dialect.CheckViolation
)

// ErrIntegrity is matched (errors.Is) by every IntegrityError.
var ErrIntegrity = dialect.ErrIntegrity

// maxSQLInError bounds how much SQL text a StatementError message repeats.
const maxSQLInError = 2000

// StatementError is returned when the database rejects or fails a statement. It carries the
// SQL text (never the bound arguments, which may hold secrets) and unwraps to the cause:
// an *IntegrityError, the context's error after cancellation, or the driver's error.
// It is safe for concurrent reads once returned and lives as long as the caller keeps it.
type StatementError struct {
	SQL string
	Err error
}

// Error returns "engine: statement failed: <cause> [SQL: <text>]".
func (e *StatementError) Error() string {
	sql := e.SQL
	if len(sql) > maxSQLInError {
		sql = sql[:maxSQLInError] + "..."
	}
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return "engine: statement failed: " + msg + " [SQL: " + sql + "]"
}

// Unwrap returns the cause.
func (e *StatementError) Unwrap() error { return e.Err }

// ErrConnectionLost is matched (errors.Is) by the error of a statement, commit or
// rollback whose connection broke (server restart, pg_terminate_backend, KILL
// CONNECTION, network failure). The Conn discards the broken connection: outside a
// transaction its next statement runs on a fresh one; inside one, the transaction is
// gone (ErrTxInvalid until Rollback, which then succeeds without a round trip). See
// ConnectionLostError.
var ErrConnectionLost = dialect.ErrConnectionLost

// ConnectionLostError is the cause of a statement error whose connection broke; it
// matches ErrConnectionLost and unwraps to the driver's error.
type ConnectionLostError = dialect.ConnectionLostError

// ErrRetryable is matched (errors.Is) by every RetryableError: serialization failures,
// deadlocks, lock wait timeouts, Galera certification failures and SQLite's "database is
// locked". Run the whole transaction again (see Retry).
var ErrRetryable = dialect.ErrRetryable

// RetryableError is the cause of a statement or commit error that came from a conflict
// with concurrent transactions, classified the same way on every dialect; its Kind says
// which conflict.
type RetryableError = dialect.RetryableError

// RetryKind is the kind of conflict of a RetryableError.
type RetryKind = dialect.RetryKind

// The kinds of retryable conflicts (see dialect.RetryKind).
const (
	SerializationFailure = dialect.SerializationFailure
	Deadlock             = dialect.Deadlock
	LockTimeout          = dialect.LockTimeout
	CertificationFailure = dialect.CertificationFailure
	Busy                 = dialect.Busy
)

// ErrPoolTimeout is matched (errors.Is) by the error of a checkout that waited the whole
// PoolTimeout for a free connection. It also matches context.DeadlineExceeded. A wait
// ended by the caller's context instead says "gave up waiting for a connection" and
// matches only the context's error.
var ErrPoolTimeout = dialect.ErrPoolTimeout

// ErrData is matched (errors.Is) by every DataError.
var ErrData = dialect.ErrData

// DataError is the cause of a statement error about a value its column cannot hold (too
// long, out of range, not readable as the column's type, a division by zero), classified
// the same way on every dialect. Column names the column when the database or the
// driver's encoder reports it, or when the statement shows which value was bad (the
// value written to a column of an INSERT or UPDATE that is too long for its String(n)
// or outside its SmallInt or Integer range).
type DataError = dialect.DataError

// DataKind is the kind of a DataError.
type DataKind = dialect.DataKind

// The kinds of data errors (see dialect.DataKind).
const (
	TooLong         = dialect.TooLong
	OutOfRange      = dialect.OutOfRange
	InvalidText     = dialect.InvalidText
	DivisionByZero  = dialect.DivisionByZero
	InvalidDatetime = dialect.InvalidDatetime
	InvalidValue    = dialect.InvalidValue
)
