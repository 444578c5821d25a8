// Package compile turns expr statements and schema DDL elements into SQL text and bound
// arguments for a dialect, and caches compiled statements by their shape.
//
// Compiling is safe for concurrent use; the cache is shared by all goroutines.
package compile
