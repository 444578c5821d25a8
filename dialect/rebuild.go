package dialect

// TableRebuilder is implemented by dialects whose ALTER TABLE cannot change most things
// in place (SQLite), so that a migration tool rebuilds the table instead: create the new
// table, copy the rows, drop the old one, rename the new one. Implementations are safe
// for concurrent use and live as long as their engine.
type TableRebuilder interface {
	// ForeignKeysOff returns the statement that stops enforcing foreign keys on the
	// connection and the one that resumes it; they run outside the transaction in which
	// tables are rebuilt (SQLite ignores the switch inside one), since a table that other
	// tables reference cannot be dropped and recreated while keys are enforced.
	ForeignKeysOff() (off, on string)
	// ForeignKeyCheckSQL returns a query whose rows are the rows that break a foreign
	// key, run before committing a rebuild.
	ForeignKeyCheckSQL() string
}
