// Package postgres is retort's PostgreSQL dialect, on pgx v5 used natively through pgxpool
// (binary protocol, server-side cancellation), not through database/sql.
package postgres
