// Package expr is retort's SQL expression language: columns, operators, functions and the
// SELECT / INSERT / UPDATE / DELETE statements built from them.
//
// Every node is an immutable value: builder methods return a new node and never modify
// their receiver, so statements may be built once, shared between goroutines and cached.
// Node fields are exported so that compilers (package compile) can read them; they must be
// treated as read-only. Nothing in this package renders SQL: package compile does that for
// a dialect.
//
// Row values: Tuple(a, b).Lt(x, y) is (a, b) < (?, ?), the comparison of keyset
// pagination, on every dialect. Assignments: the SET list of an UPDATE and an upsert's
// update are Assignment values, built by Set(col, v) (or an ORM handle's typed
// Column[T].Set(v)) and taken by UpdateStmt.Assign, ConflictBuilder.DoUpdateSet and
// InsertStmt.OnDuplicateKeyUpdate; UpdateStmt.Set(col, v) is the short form.
package expr
