package bench

import "testing"

// A case is one unit of work, run by each library that takes part in it.
type libCase struct {
	lib string
	run func(b *testing.B)
}

func runCases(b *testing.B, name string, libs ...libCase) {
	b.Run(name, func(b *testing.B) {
		for _, l := range libs {
			b.Run(l.lib, l.run)
		}
	})
}

// BenchmarkPostgres runs every case on PostgreSQL with retort and its peers.
func BenchmarkPostgres(b *testing.B) {
	e := postgresEnv(b)
	std := rawDB{db: e.std, ph: dollar, returning: true, counter: e.pgCounter}
	runCases(b, "Insert",
		libCase{"retort", e.insert}, libCase{"pgx", e.pgxInsert}, libCase{"stdlib", std.insert},
		libCase{"bun", e.bunInsert}, libCase{"gorm", e.gormInsert}, libCase{"ent", e.entInsert})
	runCases(b, "InsertMulti",
		libCase{"retort", func(b *testing.B) { e.insertN(b, SliceRows) }}, libCase{"pgx", e.pgxInsertMulti},
		libCase{"stdlib", std.insertMulti}, libCase{"bun", e.bunInsertMulti}, libCase{"gorm", e.gormInsertMulti},
		libCase{"ent", e.entInsertMulti})
	runCases(b, "Update",
		libCase{"retort", e.update}, libCase{"pgx", e.pgxUpdate}, libCase{"stdlib", std.update},
		libCase{"bun", e.bunUpdate}, libCase{"gorm", e.gormUpdate}, libCase{"ent", e.entUpdate})
	runCases(b, "Read",
		libCase{"retort", e.read}, libCase{"pgx", e.pgxRead}, libCase{"stdlib", std.read},
		libCase{"bun", e.bunRead}, libCase{"gorm", e.gormRead}, libCase{"ent", e.entRead})
	runCases(b, "ReadSlice",
		libCase{"retort", e.readSlice}, libCase{"pgx", e.pgxReadSlice}, libCase{"stdlib", std.readSlice},
		libCase{"bun", e.bunReadSlice}, libCase{"gorm", e.gormReadSlice}, libCase{"ent", e.entReadSlice})
	runCases(b, "Eager",
		libCase{"retort", e.eager}, libCase{"pgx", e.pgxEager}, libCase{"stdlib", std.eager},
		libCase{"bun", e.bunEager}, libCase{"gorm", e.gormEager}, libCase{"ent", e.entEager})
	runCases(b, "Flush10k",
		libCase{"retort", func(b *testing.B) { e.insertN(b, FlushObjects) }}, libCase{"pgx", e.pgxCopy},
		libCase{"pgx_batch", e.pgxBatch})
	runCases(b, "Stream",
		libCase{"retort", e.retortStream}, libCase{"pgx", e.pgxStream}, libCase{"stdlib", e.stdlibStream})
	runCases(b, "Core", libCase{"retort", e.retortCore}, libCase{"pgx", e.pgxCore})
}

// BenchmarkMariaDB runs retort's own cases on MariaDB against go-sql-driver/mysql.
func BenchmarkMariaDB(b *testing.B) {
	e := mysqlEnv(b)
	rawSections(b, e, "mysql")
}

// BenchmarkSQLite runs retort's own cases on SQLite against database/sql over
// modernc.org/sqlite.
func BenchmarkSQLite(b *testing.B) {
	e := sqliteEnv(b)
	rawSections(b, e, "sqlite")
}

func rawSections(b *testing.B, e *rawEnv, raw string) {
	runCases(b, "Insert", libCase{"retort", e.insert}, libCase{raw, e.raw.insert})
	runCases(b, "InsertMulti", libCase{"retort", func(b *testing.B) { e.insertN(b, SliceRows) }}, libCase{raw, e.raw.insertMulti})
	runCases(b, "Update", libCase{"retort", e.update}, libCase{raw, e.raw.update})
	runCases(b, "Read", libCase{"retort", e.read}, libCase{raw, e.raw.read})
	runCases(b, "ReadSlice", libCase{"retort", e.readSlice}, libCase{raw, e.raw.readSlice})
}
