// Package retort is SQLAlchemy 2.x (Core, ORM and its asyncio extension) rebuilt as
// idiomatic Go, running on SQLite, PostgreSQL and MariaDB/MySQL. This root package holds
// no code: start with types, expr, schema and compile for the SQL toolkit, dialect and
// dialect/sqlite, dialect/postgres, dialect/mysql for the databases, engine for
// connections and results, and orm for mapped structs and sessions.
package retort
