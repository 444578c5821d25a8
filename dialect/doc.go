// Package dialect defines what the engine needs from a database: a compile.Dialect for
// SQL generation, plus a Driver that opens connection pools, converts values and classifies
// errors. The implementations are dialect/sqlite, dialect/postgres and dialect/mysql; they
// are the only packages that import database drivers.
package dialect
