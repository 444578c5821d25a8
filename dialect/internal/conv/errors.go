package conv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/retortdb/retort/dialect"
)

// CanceledError is returned by a connection operation that stopped because its context
// ended. It matches (errors.Is) the context's error and unwraps to the driver's error too.
// It is safe for concurrent reads once returned and lives as long as the caller keeps it.
type CanceledError struct {
	Dialect string
	Ctx     error // context.Canceled or context.DeadlineExceeded
	Err     error // what the driver returned, may be nil
}

// Error returns "<dialect>: statement interrupted: <context error> (<driver error>)".
func (e *CanceledError) Error() string {
	msg := e.Dialect + ": statement interrupted: " + e.Ctx.Error()
	if e.Err != nil && !errors.Is(e.Err, e.Ctx) {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

// Unwrap returns the context's error and the driver's error.
func (e *CanceledError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Ctx}
	}
	return []error{e.Ctx, e.Err}
}

// DriverError is an error a database driver returned, passed on by a dialect package with
// the dialect's name in front of the driver's own text ("postgresql: ERROR: ..."). It
// unwraps to the driver's error, so errors.As still finds the driver's type
// (*pgconn.PgError, *mysql.MySQLError, *sqlite.Error). A plain value, safe for concurrent
// reads; it lives as long as the caller keeps it.
type DriverError struct {
	Dialect string
	Err     error
}

// Error returns "<dialect>: <driver's message>".
func (e *DriverError) Error() string { return e.Dialect + ": " + e.Err.Error() }

// Unwrap returns the driver's error.
func (e *DriverError) Unwrap() error { return e.Err }

// DriverErr returns the error of a driver call made under ctx: nil for nil; a
// *CanceledError when ctx has ended (whatever the driver reported for the interruption);
// otherwise err with the dialect's name in front (a *DriverError), unless its text
// already starts with "<dialect>: " (the dialect's own errors).
func DriverErr(ctx context.Context, dialect string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		var ce *CanceledError
		if errors.As(err, &ce) {
			return err
		}
		return &CanceledError{Dialect: dialect, Ctx: cerr, Err: err}
	}
	if strings.HasPrefix(err.Error(), dialect+": ") {
		return err
	}
	return &DriverError{Dialect: dialect, Err: err}
}

// ConnectError is the error of opening a database. Its text names the server, database
// and user, never the password; it unwraps to Cause, an error that carries no password
// either (a server error code or a network error), when there is one.
// It is safe for concurrent reads once returned and lives as long as the caller keeps it.
type ConnectError struct {
	Dialect string
	Target  string // "user@host:port/database"
	Msg     string // the driver's message with the password removed
	Cause   error
}

// Error returns "<dialect>: cannot connect to <target>: <message>".
func (e *ConnectError) Error() string {
	return e.Dialect + ": cannot connect to " + e.Target + ": " + e.Msg
}

// Unwrap returns the password-free cause, or nil.
func (e *ConnectError) Unwrap() error { return e.Cause }

// Redact returns msg with every occurrence of password (plain and URL-encoded) replaced.
func Redact(msg, password string) string {
	if password == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, password, "xxxxx")
	if e := url.QueryEscape(password); e != password {
		msg = strings.ReplaceAll(msg, e, "xxxxx")
	}
	if e := url.PathEscape(password); e != password {
		msg = strings.ReplaceAll(msg, e, "xxxxx")
	}
	return msg
}

// Isolation normalises an isolation level name ("read committed", "READ_COMMITTED") to
// the SQL spelling in upper case ("READ COMMITTED"). "" stays "".
func Isolation(level string) string {
	return strings.Join(strings.Fields(strings.ToUpper(strings.ReplaceAll(level, "_", " "))), " ")
}

// Target describes where cfg connects, for messages: "user@host:port/database", with
// localhost and defaultPort standing in for what cfg leaves out. It never holds the
// password.
func Target(cfg dialect.Config, defaultPort int) string {
	host := cfg.Host
	if host == "" {
		host = "localhost"
	}
	port := cfg.Port
	if port == 0 {
		port = defaultPort
	}
	s := net.JoinHostPort(host, strconv.Itoa(port)) + "/" + cfg.Database
	if cfg.User != "" {
		s = cfg.User + "@" + s
	}
	return s
}

// NewConnectError returns the error of a failure to open the database at target: its
// text is err's with password removed, and it unwraps only to a password-free cause: ctx's
// error when ctx ended, else driverErr (the driver's own error type found in err by the
// caller, or nil), else a net.Error in err.
func NewConnectError(ctx context.Context, dialect, target, password string, err, driverErr error) *ConnectError {
	e := &ConnectError{Dialect: dialect, Target: target, Msg: Redact(err.Error(), password)}
	var netErr net.Error
	switch {
	case ctx.Err() != nil:
		e.Cause = ctx.Err()
	case driverErr != nil:
		e.Cause = driverErr
	case errors.As(err, &netErr):
		e.Cause = netErr
	}
	return e
}

// WithPoolTimeout returns the context an acquisition from a pool waits under: ctx bounded
// by timeout when timeout is positive. Call cancel when the acquisition is done.
func WithPoolTimeout(ctx context.Context, timeout time.Duration) (actx context.Context, cancel context.CancelFunc) {
	if timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, timeout)
}

// PoolError returns the error of a failed acquisition from a pool that waited under actx
// (see WithPoolTimeout): the pool timeout, when actx ended but ctx did not, as
// "<dialect>: no connection became free within the pool timeout (T)" matching
// dialect.ErrPoolTimeout and context.DeadlineExceeded; the caller's context ending first
// as "<dialect>: gave up waiting for a connection: <context error>" matching the
// context's error (nothing was sent, so it does not say that a statement was
// interrupted); a closed pool as "<dialect>: the pool is closed"; any other failure (a
// new connection that could not be opened) as the driver's error behind the dialect's
// name. The engine says that it was acquiring a connection.
func PoolError(ctx, actx context.Context, dialectName string, timeout time.Duration, closed bool, err error) error {
	switch {
	case ctx.Err() == nil && actx.Err() != nil:
		return &PoolWaitError{Dialect: dialectName, Timeout: timeout, Err: actx.Err()}
	case ctx.Err() != nil:
		return &PoolWaitError{Dialect: dialectName, Err: ctx.Err(), Cause: err}
	case closed:
		return fmt.Errorf("%s: the pool is closed: %w", dialectName, err)
	}
	return DriverErr(ctx, dialectName, err)
}

// PoolWaitError is the error of a connection checkout that ended before a connection was
// available: the pool timeout (Timeout > 0; it matches dialect.ErrPoolTimeout) or the
// caller's context. It matches (errors.Is) the context error that ended the wait. A plain
// value, safe for concurrent reads; it lives as long as the caller keeps it.
type PoolWaitError struct {
	Dialect string
	Timeout time.Duration // the pool timeout that ran out, or 0 when the caller's context ended
	Err     error         // context.DeadlineExceeded or context.Canceled
	Cause   error         // what the pool reported, may be nil
}

// Error returns "<dialect>: no connection became free within the pool timeout (T)" or
// "<dialect>: gave up waiting for a connection: <context error>".
func (e *PoolWaitError) Error() string {
	if e.Timeout > 0 {
		return e.Dialect + ": no connection became free within the pool timeout (" + e.Timeout.String() + ")"
	}
	return e.Dialect + ": gave up waiting for a connection: " + e.Err.Error()
}

// Is makes errors.Is(err, dialect.ErrPoolTimeout) true after a pool timeout.
func (e *PoolWaitError) Is(target error) bool {
	return e.Timeout > 0 && target == dialect.ErrPoolTimeout
}

// Unwrap returns the context's error and the pool's.
func (e *PoolWaitError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}
