package dialect

import (
	"context"
	"net/url"
	"time"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/types"
)

// Dialect is a compile.Dialect with the runtime hooks the engine needs. Implementations
// are safe for concurrent use and live as long as their engine.
type Dialect interface {
	compile.Dialect

	// ConvertArg converts a Go value bound as type t into what the driver accepts
	// (for example a time.Time into text on SQLite). It returns an error naming the
	// value's Go type and t when v cannot stand for t.
	ConvertArg(v any, t types.Type) (any, error)

	// ConvertResult converts a value read by the driver for a column of type t into
	// t's canonical Go type (see types.Kind). nil stays nil (SQL NULL).
	ConvertResult(src any, t types.Type) (any, error)

	// ClassifyError wraps a driver error into retort's error types (IntegrityError, ...);
	// errors it does not recognise are returned unchanged.
	ClassifyError(err error) error
}

// Driver opens connections for one family of URLs. It is registered by URL scheme.
// Implementations are stateless and safe for concurrent use; they live for the whole
// program.
type Driver interface {
	// Open connects to the database described by cfg, detects the server version where
	// that matters, and returns the dialect to compile with and the connection pool.
	Open(ctx context.Context, cfg Config) (Dialect, Pool, error)
}

// Config is a parsed database URL plus engine options, as a Driver receives it. It is a
// plain value, safe for concurrent reads; a Driver may keep a copy for as long as the pool
// it opens lives.
type Config struct {
	Scheme   string // the URL's dialect name, e.g. "postgresql", "mysql", "mariadb", "sqlite"
	Driver   string // the URL's "+driver" part, e.g. "pgx", or empty
	User     string
	Password string // never logged or put into an error
	Host     string
	Port     int
	Database string // for SQLite: the file path, or "" / ":memory:" for an in-memory database
	Query    url.Values

	PoolSize       int           // connections kept open (0: driver default)
	MaxOverflow    int           // extra connections allowed beyond PoolSize under load
	PoolTimeout    time.Duration // how long Acquire waits for a free connection (0: until ctx ends)
	PoolRecycle    time.Duration // connections older than this are closed and replaced (0: never)
	PoolPrePing    bool          // test a connection with a ping before handing it out
	IsolationLevel string        // default isolation level, e.g. "SERIALIZABLE"; "" leaves the server's
	// ConnectSQL holds statements every new connection runs, in order, after the
	// driver's own session set-up and before its first use (session variables such as
	// wsrep_sync_wait, search_path or a time zone). A failing statement fails the
	// connection attempt.
	ConnectSQL []string
}

// Pool is a connection pool. Safe for concurrent use; lives until Close.
type Pool interface {
	// Acquire returns a connection for the caller's exclusive use until Release.
	Acquire(ctx context.Context) (Conn, error)
	// Close closes all connections.
	Close() error
}

// TxOptions are the options of a transaction. It is a plain value, safe for concurrent
// reads, that lives as long as the caller keeps it.
type TxOptions struct {
	IsolationLevel string // "" for the engine default
	ReadOnly       bool
}

// Conn is one database connection checked out of a Pool. It is used by one goroutine at a
// time. Every method that does I/O honours ctx: when ctx ends, the running statement is
// cancelled on the server and the method returns ctx's error. It lives until Release.
type Conn interface {
	// Exec runs a statement that returns no rows and reports its rows affected and, where
	// the database reports it, the last insert id.
	Exec(ctx context.Context, sql string, args []any) (ExecResult, error)
	// Query runs a statement that returns rows; the Rows must be closed before the next
	// call on the Conn.
	Query(ctx context.Context, sql string, args []any) (Rows, error)
	// Begin starts a transaction with opts.
	Begin(ctx context.Context, opts TxOptions) error
	// Commit commits the transaction.
	Commit(ctx context.Context) error
	// Rollback rolls the transaction back.
	Rollback(ctx context.Context) error
	// Ping checks that the connection still works.
	Ping(ctx context.Context) error
	// Release returns the connection to its pool; with discard true the connection is
	// closed instead (after an error that may have left it unusable).
	Release(discard bool)
}

// ExecResult is what Conn.Exec reports about a statement. It is a small value, returned
// without allocation, safe for concurrent reads; it lives as long as the caller keeps it.
type ExecResult struct {
	// RowsAffected is the number of rows the statement inserted, deleted or updated (on
	// MySQL and MariaDB, the rows an UPDATE matched, changed or not).
	RowsAffected int64
	// LastInsertID is the key of a row the statement inserted, as the database reports
	// it; valid only when HasLastInsertID is set. SQLite: the rowid of the last row
	// inserted. MySQL and MariaDB: the AUTO_INCREMENT key of the first row inserted (the
	// generated one, or the one given explicitly).
	LastInsertID int64
	// HasLastInsertID reports that the statement inserted a row and the database
	// reported its key. Always false on PostgreSQL, which has no last insert id (use
	// INSERT ... RETURNING). On SQLite it is set after an INSERT or REPLACE statement
	// (not one behind a WITH clause) that inserted rows; after an upsert that updated
	// instead, SQLite reports the key of the connection's previous insert. On MySQL and
	// MariaDB it is set when the server reports a non-zero id (a table without
	// AUTO_INCREMENT key gives none).
	HasLastInsertID bool
}

// Rows is an open result set. It must be closed. It is used by the goroutine that ran the
// query and lives until Close.
type Rows interface {
	// Columns returns the result's column names.
	Columns() []string
	// Next advances to the next row; false at the end or on an error (see Err).
	Next() bool
	// Scan copies the current row into dest, one pointer per column. *any receives the
	// driver's value.
	Scan(dest ...any) error
	// Err returns the error that ended the iteration, or nil.
	Err() error
	// Close ends the result set; the Conn can then run its next statement.
	Close() error
}

// StatementSnapshots is implemented by dialects on which a read-only statement run outside
// a transaction observes the same data as inside a transaction of the given isolation
// level ("" for the server's default): at READ COMMITTED and below every statement takes
// a snapshot of its own either way. A session may then read without BEGIN and ROLLBACK.
// Dialects that do not implement it are taken to answer false. Implementations are safe
// for concurrent use and live as long as their dialect.
type StatementSnapshots interface {
	// StatementSnapshots reports whether reads outside a transaction are equivalent at
	// the isolation level (upper case, "" for the server's default).
	StatementSnapshots(isolation string) bool
}

// CommitPipeliner is implemented by connections that can send the last statement of a
// transaction together with its COMMIT, in one round trip (with the transaction's BEGIN
// too when nothing was sent yet). Implementations belong to their Conn: one goroutine at
// a time, until Release.
//
// When the statement fails, nothing is committed and the error is the statement's; the
// transaction is left for the caller to roll back (as after any failed statement). When
// COMMIT fails, the transaction is over and the error says so.
type CommitPipeliner interface {
	// PipelinesCommit reports whether the connection pipelines statements with COMMIT
	// (it may depend on its configuration); when false the other methods are not called.
	PipelinesCommit() bool
	// ExecCommit runs sql (no result rows) and commits.
	ExecCommit(ctx context.Context, sql string, args []any) (ExecResult, error)
	// QueryCommit runs sql, which returns rows, and commits; the outcome of COMMIT is
	// Close's error (nil: committed).
	QueryCommit(ctx context.Context, sql string, args []any) (Rows, error)
}

// Batcher is implemented by connections that can send several statements that return no
// rows in one round trip (PostgreSQL's pipeline: SQLAlchemy's executemany). Implementations
// belong to their Conn: one goroutine at a time, until Release.
type Batcher interface {
	// ExecBatch runs sqls[i] with args[i], in order, with the transaction's deferred
	// BEGIN in front when it has not been sent, and returns the result of each statement
	// that ran. At the first failure it stops, returning the results of the statements
	// before the failed one and the error; the transaction is then left for the caller
	// to roll back.
	ExecBatch(ctx context.Context, sqls []string, args [][]any) ([]ExecResult, error)
}
