// Package sqlite is retort's SQLite dialect, on the pure-Go driver modernc.org/sqlite
// (no cgo). Foreign keys are enforced on every connection; file databases use WAL and a
// busy timeout; an in-memory database is shared by all the connections of its pool, so its
// tables persist and one held connection does not block another.
package sqlite
