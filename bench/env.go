package bench

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/retortdb/retort/engine"
)

// Environment variables read by the benchmarks.
const (
	PostgresEnv   = "RETORT_BENCH_POSTGRES"
	MySQLEnv      = "RETORT_BENCH_MYSQL"
	StreamRowsEnv = "RETORT_BENCH_STREAM_ROWS"
)

// Sizes of the seeded data.
const (
	SeedItems        = 1000 // rows of item read by Read and ReadSlice
	SliceRows        = 100  // rows of ReadSlice and objects of InsertMulti
	EagerParents     = 100  // parents of Eager
	ChildrenPer      = 10   // children of each parent
	FlushObjects     = 10000
	DefaultStreamRow = 1000000
	PoolConns        = 4 // connections of every library's pool
)

// StreamRows is the row count of the Stream case: RETORT_BENCH_STREAM_ROWS, else one million.
func StreamRows() (int, error) {
	v := os.Getenv(StreamRowsEnv)
	if v == "" {
		return DefaultStreamRow, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bench: %s must be a positive integer, got %q", StreamRowsEnv, v)
	}
	return n, nil
}

// StatementCounter counts the statements sent by a library: as a pgx tracer (every
// Query, Exec and batch statement, BEGIN and COMMIT included) or as the slog handler of
// retort's echo log (one record per statement, BEGIN and COMMIT included). It is safe for
// concurrent use and lives as long as the connections using it.
type StatementCounter struct{ n atomic.Int64 }

// Count returns the statements counted so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

// TraceQueryStart counts one statement.
func (c *StatementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

// TraceQueryEnd does nothing.
func (c *StatementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart does nothing: the statements of a batch are counted one by one.
func (c *StatementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

// TraceBatchQuery counts one statement of a batch.
func (c *StatementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.n.Add(1)
}

// TraceBatchEnd does nothing.
func (c *StatementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TraceCopyFromStart counts a COPY.
func (c *StatementCounter) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	c.n.Add(1)
	return ctx
}

// TraceCopyFromEnd does nothing.
func (c *StatementCounter) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}

// Enabled reports that every echo record is wanted.
func (c *StatementCounter) Enabled(context.Context, slog.Level) bool { return true }

// Handle counts one echoed statement.
func (c *StatementCounter) Handle(context.Context, slog.Record) error {
	c.n.Add(1)
	return nil
}

// WithAttrs returns the counter itself.
func (c *StatementCounter) WithAttrs([]slog.Attr) slog.Handler { return c }

// WithGroup returns the counter itself.
func (c *StatementCounter) WithGroup(string) slog.Handler { return c }

// withQuery adds key=value to a URL's query unless the key is already there.
func withQuery(u, key, value string) string {
	if strings.Contains(u, key+"=") {
		return u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + key + "=" + value
}

// PostgresURLs returns the retort URL and the pgx connection string of the PostgreSQL
// database named by RETORT_BENCH_POSTGRES (both without TLS, as on the loopback).
func PostgresURLs() (retortURL, pgxDSN string, ok bool) {
	raw := os.Getenv(PostgresEnv)
	if raw == "" {
		return "", "", false
	}
	retortURL = withQuery(raw, "sslmode", "disable")
	u, err := engine.ParseURL(raw)
	if err != nil {
		return retortURL, "", true // Create reports the error
	}
	port := u.Port
	if port == 0 {
		port = 5432
	}
	dsn := fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", u.Host, port, u.Username, u.Database)
	if u.Password != "" {
		dsn += " password='" + strings.ReplaceAll(u.Password, "'", `\'`) + "'"
	}
	return retortURL, dsn, true
}

// PgxPool opens a pgx pool of PoolConns connections whose statements counter counts.
func PgxPool(ctx context.Context, dsn string, counter *StatementCounter) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = PoolConns
	cfg.ConnConfig.Tracer = counter
	return pgxpool.NewWithConfig(ctx, cfg)
}

// StdlibDB opens a database/sql pool over pgx's stdlib driver whose statements counter
// counts; Bun, GORM and ent run on such a pool too.
func StdlibDB(dsn string, counter *StatementCounter) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.Tracer = counter
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(PoolConns)
	db.SetMaxIdleConns(PoolConns)
	return db, nil
}

// MySQLURLs returns the retort URL and the go-sql-driver/mysql DSN of the database named
// by RETORT_BENCH_MYSQL.
func MySQLURLs() (retortURL, dsn string, ok bool, err error) {
	raw := os.Getenv(MySQLEnv)
	if raw == "" {
		return "", "", false, nil
	}
	u, err := engine.ParseURL(raw)
	if err != nil {
		return "", "", true, err
	}
	port := u.Port
	if port == 0 {
		port = 3306
	}
	cfg := mysql.NewConfig()
	cfg.User = u.Username
	cfg.Passwd = u.Password
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(u.Host, strconv.Itoa(port))
	cfg.DBName = u.Database
	return raw, cfg.FormatDSN(), true, nil
}
