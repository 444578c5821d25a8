package sqlite

import (
	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
)

// Dialect is the SQLite dialect. Its zero value is not usable; use New. Safe for concurrent use.
// It holds no connection and lives as long as the engines that use it.
type Dialect struct {
	features compile.Features
	reserved map[string]struct{}
}

// New returns the SQLite dialect (SQLite 3.35 or newer: RETURNING, NULLS FIRST/LAST).
func New() *Dialect {
	f := compile.Features(0)
	for _, x := range []compile.Feature{
		compile.InsertReturning, compile.UpdateReturning, compile.DeleteReturning,
		compile.MultiValuesInsert, compile.Savepoints, compile.NullsOrdering,
		compile.IntersectExcept, compile.WindowFunctions, compile.CTEs, compile.OnConflict,
		compile.TransactionalDDL, compile.BooleanLiterals, compile.FullOuterJoin, compile.PartialIndexes,
	} {
		f = f.With(x)
	}
	return &Dialect{features: f, reserved: dialect.ReservedWords(append(dialect.CommonReserved,
		"abort", "autoincrement", "glob", "regexp", "pragma", "temp", "transaction", "vacuum")...)}
}

// Name returns "sqlite".
func (d *Dialect) Name() string { return "sqlite" }

// Features returns SQLite's capabilities.
func (d *Dialect) Features() compile.Features { return d.features }

// AppendIdent appends name, double-quoted when needed.
func (d *Dialect) AppendIdent(b []byte, name string) []byte {
	return dialect.AppendQuoted(b, name, '"', d.reserved)
}

// AppendPlaceholder appends "?".
func (d *Dialect) AppendPlaceholder(b []byte, index int) []byte { return append(b, '?') }

// StatementSnapshots reports true: a session reads outside a transaction until its first
// write, as Python's sqlite3 module (under SQLAlchemy) does by sending BEGIN only before
// the first INSERT, UPDATE or DELETE. Transactions that may write begin with BEGIN
// IMMEDIATE, which takes the database's write lock, so a session that has only read holds
// no lock and does not keep writers waiting; reads of a session before its first write do
// not share one snapshot.
func (d *Dialect) StatementSnapshots(string) bool { return true }
