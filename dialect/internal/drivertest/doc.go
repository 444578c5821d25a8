// Package drivertest holds the test scaffolding shared by the tests of retort's dialect
// packages (dialect/sqlite, dialect/postgres, dialect/mysql): helpers that acquire a
// connection, run a statement or read one row through dialect.Pool and dialect.Conn and
// fail the test on error, the values of the round-trip tables and their comparison, a
// round trip of a table of columns through ConvertArg and ConvertResult, and the
// conversion benchmarks.
//
// It imports no driver: each dialect's tests open their own pool and pass it in.
package drivertest
