// Package schema describes database schemas: MetaData, Table, Column, keys, constraints
// and indexes, and the DDL elements that create and drop them in dependency order.
//
// Tables are defined through a MetaData:
//
//	md := schema.NewMetaData()
//	users := md.MustTable("users",
//		schema.Col("id", types.Integer(), schema.PrimaryKey()),
//		schema.Col("email", types.String(200), schema.NotNull(), schema.Unique()),
//		schema.Col("created", types.Timestamp(true), schema.ServerDefault(expr.Now())),
//	)
//
// Definition mistakes (a duplicate column, a constraint naming a column the table does
// not have, two autoincrement columns, ...) are reported by MetaData.Table as errors
// prefixed "schema:" that name the table and column. Foreign key targets are resolved
// lazily, so tables may refer to tables defined later; an unresolvable target is
// reported by MetaData.SortedTables (and so by CreateAll).
//
// Dependency order: MetaData.SortedTables puts every table after the tables it references
// (keeping definition order among independent tables). Foreign keys inside a dependency
// cycle are marked UseAlter: engine.CreateAll then adds them with ALTER TABLE after all
// tables exist and engine.DropAll drops them first. SQLite cannot add a foreign key to an
// existing table, so there they stay inside CREATE TABLE, which SQLite accepts because it
// resolves references only when rows are written.
//
// The DDL elements (CreateTable, DropTable, CreateIndex, DropIndex, AddConstraint,
// DropConstraint, CreateEnumType, DropEnumType) are expr.Statements: compile.Compile
// renders them for a dialect and engine.Conn.Execute runs them. engine.Conn.CreateAll and
// DropAll run them for a whole MetaData. How each types.Kind is spelled per database is
// described in dialect/sqlite, dialect/postgres and dialect/mysql (ddl.go); in short,
// intervals are native on PostgreSQL and BIGINT microseconds elsewhere, UUIDs are native
// on PostgreSQL and CHAR(36) elsewhere, and enums are CREATE TYPE ... AS ENUM on
// PostgreSQL, ENUM('a', 'b') on MySQL and VARCHAR plus a CHECK constraint on SQLite.
//
// A MetaData and its tables are built once, at start-up, by one goroutine; after that they
// are immutable (except for the UseAlter marks SortedTables sets on foreign keys of
// dependency cycles, under the MetaData's lock) and safe for concurrent use.
package schema
