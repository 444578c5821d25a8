// Package types describes SQL column types and the Go values that stand for them.
//
// A Type is a small value (safe to copy and share between goroutines) that names a
// SQL type family and its parameters. Dialects decide how each Type is spelled in DDL
// and how Go values are converted on the way in and out. Every Type has one canonical
// Go representation, listed on its Kind; results of that type come back as that Go type
// on every dialect, so a value written and read back is the same Go value.
package types
