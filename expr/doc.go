// Package expr is retort's SQL expression language: columns, operators, functions and the
// SELECT / INSERT / UPDATE / DELETE statements built from them.
//
// Every node is an immutable value: builder methods return a new node and never modify
// their receiver, so statements may be built once, shared between goroutines and cached.
// Node fields are exported so that compilers (package compile) can read them; they must be
// treated as read-only. Nothing in this package renders SQL: package compile does that for
// a dialect.
package expr
