// Command opsgen writes expr/ops_gen.go: the operator methods (Eq, In, Like, Add, Asc,
// Label, ...) of every expression type that has them. Run it with go generate ./expr.
package main
