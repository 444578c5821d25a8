package compile

import "errors"

// ErrCompile is wrapped by every error that compiling a malformed statement returns.
var ErrCompile = errors.New("compile: invalid statement")

// ErrUnsupported is wrapped by errors for a construct the dialect does not have (FULL
// OUTER JOIN on MySQL, RETURNING on MySQL, ...). It also wraps ErrCompile.
var ErrUnsupported = errors.New("compile: not supported by dialect")
