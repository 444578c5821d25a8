package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/internal/conv"
)

// Driver opens SQLite databases through modernc.org/sqlite (pure Go, no cgo). It is
// registered for the "sqlite" URL scheme. The zero value is ready to use and safe for
// concurrent use.
//
// Every connection has foreign keys enforced and a busy timeout (5 s unless the URL's
// ?timeout= option gives seconds). File databases use WAL journaling (?journal_mode=
// overrides it). An in-memory database (Database "" or ":memory:") lives in the driver's
// memdb VFS under a name private to the pool, shared by all the pool's connections (five
// unless PoolSize says otherwise), so that a connection held by one part of a program does
// not stop another from running statements. memdb has no WAL: a write waits (up to the
// busy timeout, then fails with "database is locked") while another connection is reading
// through an open cursor or holds a transaction that wrote. The pool keeps one more
// connection open only so that the database outlives discarded connections; the database
// vanishes when the pool is closed.
//
// Transactions that may write start with BEGIN IMMEDIATE, which takes the database's
// write lock at once, waiting for it up to the busy timeout. A deferred BEGIN would take
// the lock only at the transaction's first write, and a transaction that has read
// first cannot wait for it there: SQLite fails it at once with "database is locked"
// (SQLITE_BUSY, whatever the busy timeout) because its snapshot may be stale. With
// BEGIN IMMEDIATE, concurrent writing transactions queue on the lock instead, and
// readers are not blocked (WAL). Read-only transactions (engine.ReadOnly) use a deferred
// BEGIN and never take the write lock. The URL option txlock=deferred (or exclusive)
// changes what writing transactions use.
//
// SQLite does not enforce declared lengths: String(n) is stored as VARCHAR(n), which
// SQLite reads as TEXT, and a longer value is stored whole (no error, no truncation).
// Integer columns hold any 64-bit integer whatever their declared size.
//
// URL options (Config.Query): timeout (busy timeout in seconds), journal_mode, txlock
// (immediate, deferred or exclusive), and the SQLite URI options mode, cache, immutable,
// nolock and vfs; "uri" and "check_same_thread" (SQLAlchemy's) are accepted and ignored.
// Others are an error.
type Driver struct{}

// defaultBusyTimeout is how long a connection waits for a lock held by another one.
const defaultBusyTimeout = 5 * time.Second

var memSeq atomic.Uint64

// Open opens the database described by cfg and checks that it can be used.
func (Driver) Open(ctx context.Context, cfg dialect.Config) (dialect.Dialect, dialect.Pool, error) {
	iso := conv.Isolation(cfg.IsolationLevel)
	if err := checkIsolation(iso); err != nil {
		return nil, nil, err
	}
	busy := defaultBusyTimeout
	journal := "WAL"
	txlock := "IMMEDIATE"
	uriOpts := url.Values{}
	for k, vs := range cfg.Query {
		v := ""
		if len(vs) > 0 {
			v = vs[len(vs)-1]
		}
		switch k {
		case "timeout":
			secs, err := strconv.ParseFloat(v, 64)
			if err != nil || secs < 0 {
				return nil, nil, fmt.Errorf("sqlite: URL option timeout=%q is not a number of seconds", v)
			}
			busy = time.Duration(secs * float64(time.Second))
		case "journal_mode":
			switch strings.ToUpper(v) {
			case "DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF":
				journal = strings.ToUpper(v)
			default:
				return nil, nil, fmt.Errorf("sqlite: URL option journal_mode=%q is not a journal mode (DELETE, TRUNCATE, PERSIST, MEMORY, WAL, OFF)", v)
			}
		case "txlock":
			switch strings.ToUpper(v) {
			case "IMMEDIATE", "DEFERRED", "EXCLUSIVE":
				txlock = strings.ToUpper(v)
			default:
				return nil, nil, fmt.Errorf("sqlite: URL option txlock=%q is not one of immediate, deferred, exclusive", v)
			}
		case "mode", "cache", "immutable", "nolock", "vfs":
			uriOpts.Set(k, v)
		case "uri", "check_same_thread":
		default:
			return nil, nil, fmt.Errorf("sqlite: unknown URL option %q", k)
		}
	}

	memory := cfg.Database == "" || cfg.Database == ":memory:" || uriOpts.Get("mode") == "memory"
	pragmas := url.Values{}
	pragmas.Add("_pragma", "busy_timeout("+strconv.FormatInt(busy.Milliseconds(), 10)+")")
	pragmas.Add("_pragma", "foreign_keys(1)")
	var dsn string
	if memory {
		// memdb: a named in-memory database shared by the connections of this process
		// that open the same name, with ordinary locking (no shared-cache mode).
		uriOpts.Del("mode")
		uriOpts.Set("vfs", "memdb")
		dsn = "file:/retort-memory-" + strconv.FormatUint(memSeq.Add(1), 10) + "?" + encode(uriOpts, pragmas)
	} else {
		pragmas.Add("_pragma", "journal_mode("+journal+")")
		dsn = "file:" + escapePath(cfg.Database) + "?" + encode(uriOpts, pragmas)
	}

	p := &pool{name: cfg.Database, isolation: iso, timeout: cfg.PoolTimeout, prePing: cfg.PoolPrePing, begin: "BEGIN " + txlock}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("sqlite: open %q: %w", cfg.Database, err)
	}
	if len(cfg.ConnectSQL) > 0 {
		// Every connection runs the set-up statements after opening.
		drv := db.Driver()
		db.Close()
		db = sql.OpenDB(&setupConnector{drv: drv, dsn: dsn, setup: cfg.ConnectSQL})
	}
	p.db = db
	size := cfg.PoolSize
	if size <= 0 {
		size = 5
	}
	db.SetMaxIdleConns(size)
	switch {
	case cfg.MaxOverflow < 0:
		db.SetMaxOpenConns(0) // no limit
	case cfg.PoolSize > 0:
		db.SetMaxOpenConns(cfg.PoolSize + cfg.MaxOverflow)
	}
	db.SetConnMaxLifetime(cfg.PoolRecycle)
	if memory {
		keepDB, err := sql.Open("sqlite", dsn)
		if err != nil {
			db.Close()
			return nil, nil, fmt.Errorf("sqlite: open in-memory database: %w", err)
		}
		keep, err := keepDB.Conn(ctx)
		if err != nil {
			keepDB.Close()
			db.Close()
			return nil, nil, conv.DriverErr(ctx, "sqlite", fmt.Errorf("sqlite: open in-memory database: %w", err))
		}
		p.keepDB, p.keep = keepDB, keep
	}
	if err := db.PingContext(ctx); err != nil {
		p.Close()
		return nil, nil, conv.DriverErr(ctx, "sqlite", fmt.Errorf("sqlite: open %q: %w", cfg.Database, err))
	}
	return New(), p, nil
}

// encode joins URI options and driver options into one query string.
func encode(a, b url.Values) string {
	s := a.Encode()
	if t := b.Encode(); t != "" {
		if s != "" {
			s += "&"
		}
		s += t
	}
	return s
}

// escapePath escapes the characters that would end or change the path of a file: URI.
func escapePath(p string) string {
	if !strings.ContainsAny(p, "?#%") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '?', '#', '%':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func checkIsolation(level string) error {
	switch level {
	case "", "SERIALIZABLE", "READ UNCOMMITTED":
		return nil
	}
	return fmt.Errorf("sqlite: isolation level %q is not supported (SQLite has SERIALIZABLE and READ UNCOMMITTED)", level)
}

// pool is a dialect.Pool over database/sql. Safe for concurrent use.
type pool struct {
	name      string
	db        *sql.DB
	keepDB    *sql.DB   // in-memory databases: keeps the database alive
	keep      *sql.Conn // the connection that does it
	isolation string    // default isolation level, normalised
	timeout   time.Duration
	prePing   bool
	begin     string // the BEGIN statement of transactions that may write
}

// Acquire returns a connection, waiting at most the pool timeout (if set) and until ctx ends.
func (p *pool) Acquire(ctx context.Context) (dialect.Conn, error) {
	actx, cancel := conv.WithPoolTimeout(ctx, p.timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		c, err := p.db.Conn(actx)
		if err != nil {
			return nil, conv.PoolError(ctx, actx, "sqlite", p.timeout, errors.Is(err, sql.ErrConnDone), err)
		}
		if p.prePing {
			if err := c.PingContext(actx); err != nil {
				discard(c)
				if attempt < 3 && actx.Err() == nil {
					continue
				}
				return nil, conv.DriverErr(ctx, "sqlite", fmt.Errorf("sqlite: connection failed its ping: %w", err))
			}
		}
		return &conn{pool: p, c: c}, nil
	}
}

// Close closes every connection; an in-memory database is gone afterwards.
func (p *pool) Close() error {
	err := p.db.Close()
	if p.keep != nil {
		err = errors.Join(err, p.keep.Close(), p.keepDB.Close())
	}
	return err
}

// discard closes c's driver connection instead of returning it to the pool.
func discard(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}

// conn is a dialect.Conn over one *sql.Conn. Transactions are plain BEGIN / COMMIT /
// ROLLBACK statements on that connection, so that SAVEPOINT, RELEASE and ROLLBACK TO
// issued through Exec nest inside them. Used by one goroutine at a time.
type conn struct {
	pool     *pool
	c        *sql.Conn
	inTx     bool
	pragmas  bool // read_uncommitted or query_only was set for the transaction
	released bool
}

// Exec runs a statement and reports its rows affected and, after an INSERT or REPLACE
// that inserted rows, the rowid of the last row inserted (sqlite3_last_insert_rowid,
// which otherwise still holds the connection's previous insert).
func (c *conn) Exec(ctx context.Context, query string, args []any) (dialect.ExecResult, error) {
	res, err := c.c.ExecContext(ctx, query, args...)
	if err != nil {
		return dialect.ExecResult{}, conv.DriverErr(ctx, "sqlite", err)
	}
	var r dialect.ExecResult
	if n, err := res.RowsAffected(); err == nil {
		r.RowsAffected = n
	}
	if r.RowsAffected > 0 && isInsert(query) {
		if id, err := res.LastInsertId(); err == nil {
			r.LastInsertID, r.HasLastInsertID = id, true
		}
	}
	return r, nil
}

// isInsert reports whether query's first keyword is INSERT or REPLACE.
func isInsert(query string) bool {
	i := 0
	for i < len(query) && (query[i] == ' ' || query[i] == '\t' || query[i] == '\n' || query[i] == '\r') {
		i++
	}
	word := query[i:]
	if j := strings.IndexAny(word, " \t\r\n("); j >= 0 {
		word = word[:j]
	}
	return strings.EqualFold(word, "INSERT") || strings.EqualFold(word, "REPLACE")
}

func (c *conn) Query(ctx context.Context, query string, args []any) (dialect.Rows, error) {
	r, err := c.c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, conv.DriverErr(ctx, "sqlite", err)
	}
	return &rows{ctx: ctx, r: r}, nil
}

// Begin starts a transaction: BEGIN IMMEDIATE (the pool's txlock) unless it is read-only,
// a deferred BEGIN then (see Driver). SERIALIZABLE (SQLite's only real level) is the
// default; READ UNCOMMITTED sets PRAGMA read_uncommitted for the transaction (it matters
// only between connections sharing a cache); ReadOnly sets PRAGMA query_only.
func (c *conn) Begin(ctx context.Context, opts dialect.TxOptions) error {
	level := conv.Isolation(opts.IsolationLevel)
	if level == "" {
		level = c.pool.isolation
	}
	if err := checkIsolation(level); err != nil {
		return err
	}
	if level == "READ UNCOMMITTED" {
		if _, err := c.c.ExecContext(ctx, "PRAGMA read_uncommitted = 1"); err != nil {
			return conv.DriverErr(ctx, "sqlite", err)
		}
		c.pragmas = true
	}
	if opts.ReadOnly {
		if _, err := c.c.ExecContext(ctx, "PRAGMA query_only = 1"); err != nil {
			c.resetPragmas()
			return conv.DriverErr(ctx, "sqlite", err)
		}
		c.pragmas = true
	}
	begin := c.pool.begin
	if opts.ReadOnly {
		begin = "BEGIN"
	}
	if _, err := c.c.ExecContext(ctx, begin); err != nil {
		c.resetPragmas()
		return conv.DriverErr(ctx, "sqlite", err)
	}
	c.inTx = true
	return nil
}

// Commit commits. When COMMIT fails (a lock, a deferred foreign key) the transaction is
// still open and must be rolled back.
func (c *conn) Commit(ctx context.Context) error {
	if _, err := c.c.ExecContext(ctx, "COMMIT"); err != nil {
		return conv.DriverErr(ctx, "sqlite", err)
	}
	c.inTx = false
	c.resetPragmas()
	return nil
}

// Rollback rolls back. A transaction SQLite already rolled back by itself (after an
// interrupted statement, for example) counts as rolled back.
func (c *conn) Rollback(ctx context.Context) error {
	_, err := c.c.ExecContext(ctx, "ROLLBACK")
	c.inTx = false
	c.resetPragmas()
	if err != nil && !strings.Contains(err.Error(), "no transaction is active") {
		return conv.DriverErr(ctx, "sqlite", err)
	}
	return nil
}

func (c *conn) resetPragmas() {
	if !c.pragmas {
		return
	}
	c.pragmas = false
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err1 := c.c.ExecContext(ctx, "PRAGMA read_uncommitted = 0")
	_, err2 := c.c.ExecContext(ctx, "PRAGMA query_only = 0")
	if err1 != nil || err2 != nil {
		c.pragmas = true // Release discards the connection
	}
}

func (c *conn) Ping(ctx context.Context) error {
	return conv.DriverErr(ctx, "sqlite", c.c.PingContext(ctx))
}

// Release returns the connection to the pool, rolling back a transaction left open; with
// discard, or when that cleanup fails, the connection is closed instead.
func (c *conn) Release(discardConn bool) {
	if c.released {
		return
	}
	c.released = true
	if !discardConn && c.inTx {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := c.Rollback(ctx); err != nil {
			discardConn = true
		}
		cancel()
	}
	if c.pragmas {
		discardConn = true
	}
	if discardConn {
		discard(c.c)
		return
	}
	_ = c.c.Close()
}

// rows adapts *sql.Rows to dialect.Rows.
type rows struct {
	ctx  context.Context // the query's context, to report its cancellation
	r    *sql.Rows
	cols []string
}

func (r *rows) Columns() []string {
	if r.cols == nil {
		r.cols, _ = r.r.Columns()
	}
	return r.cols
}

func (r *rows) Next() bool             { return r.r.Next() }
func (r *rows) Scan(dest ...any) error { return conv.DriverErr(r.ctx, "sqlite", r.r.Scan(dest...)) }
func (r *rows) Err() error             { return conv.DriverErr(r.ctx, "sqlite", r.r.Err()) }
func (r *rows) Close() error           { return conv.DriverErr(r.ctx, "sqlite", r.r.Close()) }

// setupConnector opens connections through the driver and runs Config.ConnectSQL on each
// before its first use.
type setupConnector struct {
	drv   driver.Driver
	dsn   string
	setup []string
}

func (c *setupConnector) Driver() driver.Driver { return c.drv }

func (c *setupConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	ec, ok := dc.(driver.ExecerContext)
	if !ok {
		dc.Close()
		return nil, errors.New("sqlite: the driver's connection cannot execute statements")
	}
	for _, stmt := range c.setup {
		if _, err := ec.ExecContext(ctx, stmt, nil); err != nil {
			dc.Close()
			return nil, fmt.Errorf("sqlite: connection set-up statement %q: %w", stmt, err)
		}
	}
	return dc, nil
}
