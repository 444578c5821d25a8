// Package conv holds the value conversions and helpers shared by retort's dialect
// packages (dialect/sqlite, dialect/postgres, dialect/mysql): normalising the Go values an
// application binds into one canonical value per types.Kind, parsing what drivers return,
// decimal formatting, and the errors they produce. Dialects add their own encoding on top.
//
// Everything here is stateless and safe for concurrent use.
package conv
