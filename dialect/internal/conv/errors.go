package conv

import (
	"context"
	"errors"
	"net/url"
	"strings"
)

// CanceledError is returned by a connection operation that stopped because its context
// ended. It matches (errors.Is) the context's error and unwraps to the driver's error too.
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

// CtxErr returns err unchanged when ctx is still live, and a *CanceledError when ctx has
// ended (whatever the driver reported for the interruption).
func CtxErr(ctx context.Context, dialect string, err error) error {
	if err == nil {
		return nil
	}
	cerr := ctx.Err()
	if cerr == nil {
		return err
	}
	var ce *CanceledError
	if errors.As(err, &ce) {
		return err
	}
	return &CanceledError{Dialect: dialect, Ctx: cerr, Err: err}
}

// ConnectError is the error of opening a database. Its text names the server, database
// and user, never the password; it unwraps to Cause, an error that carries no password
// either (a server error code or a network error), when there is one.
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
