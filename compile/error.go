package compile

import (
	"errors"
	"fmt"
	"strings"

	"github.com/retortdb/retort/expr"
)

// Error is the error compiling a statement returns. It wraps ErrCompile, ErrUnsupported
// when the dialect lacks the construct, and the underlying cause when there is one (such
// as an *expr.UnknownColumnError).
// It is safe for concurrent reads once returned and lives as long as the caller keeps it.
type Error struct {
	Msg         string // what is wrong, without the "compile: " prefix
	Unsupported bool
	Cause       error
}

// Error returns "compile: " and the message.
func (e *Error) Error() string { return "compile: " + e.Msg }

// Unwrap returns ErrCompile, ErrUnsupported (for unsupported constructs) and the cause.
func (e *Error) Unwrap() []error {
	errs := []error{ErrCompile}
	if e.Unsupported {
		errs = append(errs, ErrUnsupported)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

func errorf(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

func wrapf(cause error, format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), Cause: cause}
}

// unsupported reports that d does not have the construct what.
func unsupported(d Dialect, what string) error {
	return &Error{Msg: what + " is not supported by " + d.Name(), Unsupported: true}
}

// trimPrefix removes a package prefix ("expr: ") from an error message.
func trimPrefix(msg string) string {
	for _, p := range []string{"expr: ", "compile: ", "schema: "} {
		if strings.HasPrefix(msg, p) {
			return msg[len(p):]
		}
	}
	return msg
}

// exprError turns an error recorded while a statement was built (expr's Err fields) into
// a compile error: an unknown column always reads "unknown column: table T has no column C".
func exprError(err error) error {
	var uc *expr.UnknownColumnError
	if errors.As(err, &uc) {
		return &Error{Msg: "unknown column: table " + uc.Table + " has no column " + uc.Column, Cause: err}
	}
	return wrapf(err, "%s", trimPrefix(err.Error()))
}

func columnError(c *expr.ColumnClause) error {
	var uc *expr.UnknownColumnError
	if errors.As(c.Err, &uc) {
		return exprError(c.Err)
	}
	return wrapf(c.Err, "column %s: %s", c.Name, trimPrefix(c.Err.Error()))
}
