package dialect

import "errors"

// ErrReadOnly is matched (errors.Is) by every ReadOnlyError: the server refused a write
// because it accepts only reads (a PostgreSQL hot standby, a transaction begun READ ONLY,
// a MySQL or MariaDB server running with read_only).
var ErrReadOnly = errors.New("dialect: the server accepts only reads")

// ReadOnlyError reports a write (INSERT, UPDATE, DELETE, DDL, a locking read) that the
// server refused because the server or the transaction is read-only: PostgreSQL SQLSTATE
// 25006 read_only_sql_transaction (a hot standby, or a READ ONLY transaction),
// MySQL/MariaDB 1290 (--read-only) and 1792 (a READ ONLY transaction), SQLite
// SQLITE_READONLY. Nothing was written. With read replicas it means a write was routed to
// a replica. A plain value, safe for concurrent reads; it lives as long as the caller
// keeps it.
type ReadOnlyError struct {
	Err error // the driver's error
}

// Error returns "dialect: read-only: <driver's error>".
func (e *ReadOnlyError) Error() string {
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return "dialect: read-only: " + msg
}

// Unwrap returns the driver's error.
func (e *ReadOnlyError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrReadOnly) true.
func (e *ReadOnlyError) Is(target error) bool { return target == ErrReadOnly }
