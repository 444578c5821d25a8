// Package compile turns expr statements and schema DDL elements into SQL text and bound
// arguments for a dialect, and caches compiled statements by their shape.
//
// Compile renders a statement into a []byte: identifiers through Dialect.AppendIdent
// (quoted only when needed), every value as a placeholder (Dialect.AppendPlaceholder:
// ? or $n), LIMIT and OFFSET included, and parentheses only where operator precedence
// needs them. The result, a *Compiled, also carries the argument types (for the
// dialect's value conversion) and the names and types of the result columns.
//
// Dialects differ only through what they declare: Features bits (RETURNING, FULL OUTER
// JOIN, NULLS FIRST, ILIKE, window functions, ...), the Syntax spellings (LIMIT without
// OFFSET, concat(), shared locks, DEFAULT VALUES, integer division), FuncName
// (now() is CURRENT_TIMESTAMP on SQLite) and AppendCastType. Missing features are
// emulated where SQL allows it (ILIKE as lower(x) LIKE lower(y); NULLS FIRST/LAST as an
// extra "x IS NULL" sort key) and reported otherwise, as an error wrapping ErrUnsupported
// that names the dialect. Malformed statements give errors wrapping ErrCompile.
//
// The statement cache: before rendering, Compile walks the statement once to compute its
// shape (structure, identifiers and types, but not bound values; the length of an IN list
// is part of the shape) and to collect its bound values. Statements of the same shape
// share one rendering per dialect, so a cache hit costs that walk and two small
// allocations. The cache is a bounded LRU (DefaultCacheSize entries, see SetCacheSize);
// client-side column defaults are evaluated on every compile, hit or miss.
//
// Compiling is safe for concurrent use; the cache is shared by all goroutines. Compiled
// values are immutable and may share their ArgTypes and Columns slices with the cache.
package compile
