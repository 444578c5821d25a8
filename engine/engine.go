package engine

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/retortdb/retort/dialect"
)

// Engine is a database: a dialect and a pool of connections, built from a URL by Create.
// It is safe for concurrent use by any number of goroutines and lives until Close; create
// one per database and share it.
type Engine struct {
	url     URL
	dialect dialect.Dialect
	pool    dialect.Pool
	echo    *slog.Logger  // nil unless Echo(true)
	logger  *slog.Logger  // WithLogger's, or nil for slog.Default()
	slow    time.Duration // SlowStatements' threshold, or 0

	// lastMeta describes the columns of the last result read, shared by the statements of
	// one compiled shape (see Conn.metaFor).
	lastMeta atomic.Pointer[resultMeta]
	// autocommitReads: see AutocommitReads.
	autocommitReads bool
	replicas        *ReplicaSet // Replicas' set, or nil

	closeOnce sync.Once
	closed    atomic.Bool
	closeErr  error
	inUse     atomic.Int64
	acquired  atomic.Int64
}

// Option configures an Engine at Create.
type Option func(*options)

type options struct {
	echo        bool
	slow        time.Duration
	logger      *slog.Logger
	poolSize    int
	maxOverflow int
	poolTimeout time.Duration
	timeoutSet  bool // PoolTimeout was given
	poolRecycle time.Duration
	prePing     bool
	isolation   string
	connectSQL  []string
	replicaURLs []string
	replicaOpts []ReplicaOption
}

// Echo makes the engine log every statement it runs and every BEGIN / COMMIT / ROLLBACK
// / SAVEPOINT, through log/slog at level Info, as SQLAlchemy's echo=True does. The logger
// is slog.Default() unless WithLogger is given. A statement is logged once it has run:
// the message is its SQL with whitespace normalised (see NormalizeSQL), and the
// attributes are "args" (the bound parameters, long values shortened, times in RFC 3339
// without Go's monotonic clock reading), "duration", "rows" (rows affected, or rows
// returned by a query; absent for streams) and "error" when it failed. The URL's
// password is never logged.
func Echo(on bool) Option { return func(o *options) { o.echo = on } }

// SlowStatements logs every statement that takes d or longer at level Warn, with the
// attributes Echo gives, whether Echo is on or not (through WithLogger's logger or
// slog.Default()). With Echo on, such a statement is logged once, at Warn instead of
// Info. Zero (the default) turns it off.
func SlowStatements(d time.Duration) Option { return func(o *options) { o.slow = d } }

// WithLogger sets the logger that Echo writes to.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// PoolSize sets how many connections the pool keeps open (default: the driver's).
func PoolSize(n int) Option { return func(o *options) { o.poolSize = n } }

// MaxOverflow sets how many connections the pool may open beyond PoolSize under load.
func MaxOverflow(n int) Option { return func(o *options) { o.maxOverflow = n } }

// DefaultPoolTimeout is how long Connect waits for a free connection when neither the
// PoolTimeout option nor the URL's pool_timeout option says otherwise (SQLAlchemy's
// pool_timeout default).
const DefaultPoolTimeout = 30 * time.Second

// PoolTimeout sets how long Connect (and every session or transaction that needs a
// connection) waits for a free connection before failing with an error matching
// ErrPoolTimeout. The default is DefaultPoolTimeout; the URL option pool_timeout (seconds,
// e.g. ?pool_timeout=2.5) sets it too, and this option wins over it. A zero or negative d
// waits until the caller's context ends.
func PoolTimeout(d time.Duration) Option {
	return func(o *options) { o.poolTimeout, o.timeoutSet = d, true }
}

// PoolRecycle closes and replaces connections older than d (default: never).
func PoolRecycle(d time.Duration) Option { return func(o *options) { o.poolRecycle = d } }

// PoolPrePing makes the pool test each connection with a ping before handing it out, so
// that connections dropped by the server are replaced instead of failing a statement.
func PoolPrePing(on bool) Option { return func(o *options) { o.prePing = on } }

// IsolationLevel sets the default isolation level of transactions, such as "SERIALIZABLE",
// "REPEATABLE READ", "READ COMMITTED" or "READ UNCOMMITTED" (what the dialect accepts).
// Conn.Begin's Isolation option overrides it for one transaction.
func IsolationLevel(level string) Option {
	return func(o *options) { o.isolation = strings.ToUpper(strings.TrimSpace(level)) }
}

// OnConnect adds statements that every new pooled connection runs, in order, before its
// first use: the place for session settings that must hold on every connection, such as
// "SET SESSION wsrep_sync_wait = 1" (read-your-writes on a Galera cluster),
// "SET search_path TO app, public" or "SET TIME ZONE 'UTC'". The URL option init_command
// (repeatable, one statement each) adds statements the same way; the URL's run first. A
// statement that fails makes the connection attempt fail (Create reports it).
//
// A SET (other than PostgreSQL's transaction-scoped SET LOCAL), a USE or an assigning
// SQLite PRAGMA run through a Conn changes only that connection: the engine closes such a connection when the Conn lets
// it go instead of returning it to the pool, so that the next user gets a connection set
// up by OnConnect alone.
func OnConnect(stmts ...string) Option {
	return func(o *options) { o.connectSQL = append(o.connectSQL, stmts...) }
}

// Create parses url (see URL for the accepted forms), opens the dialect's connection pool
// and returns the engine. ctx bounds the initial connection (drivers connect once to check
// the server and detect its version). Errors never contain the password.
func Create(ctx context.Context, url string, opts ...Option) (*Engine, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	e, err := create(ctx, url, o)
	if err != nil {
		return nil, err
	}
	if err := e.openReplicas(ctx, o); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// create opens the engine of url with the options o (its replicas left aside).
func create(ctx context.Context, url string, o options) (*Engine, error) {
	u, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	query, timeout, err := poolTimeoutOption(u, o)
	if err != nil {
		return nil, err
	}
	drv, ok := lookupDriver(u.Dialect)
	if !ok {
		return nil, &URLError{URL: u.String(), Part: "dialect", Reason: "no driver is registered for " + u.Dialect, Err: ErrUnknownDialect}
	}
	query, connectSQL := splitInitCommands(query)
	connectSQL = append(connectSQL, o.connectSQL...)
	cfg := dialect.Config{
		Scheme:         u.Dialect,
		Driver:         u.Driver,
		User:           u.Username,
		Password:       u.Password,
		Host:           u.Host,
		Port:           u.Port,
		Database:       u.Database,
		Query:          query,
		ConnectSQL:     connectSQL,
		PoolSize:       o.poolSize,
		MaxOverflow:    o.maxOverflow,
		PoolTimeout:    timeout,
		PoolRecycle:    o.poolRecycle,
		PoolPrePing:    o.prePing,
		IsolationLevel: o.isolation,
	}
	d, pool, err := drv.Open(ctx, cfg)
	if err != nil {
		return nil, &connectError{url: u.String(), err: scrub(err, u.Password)}
	}
	e := &Engine{url: *u, dialect: d, pool: pool, logger: o.logger, slow: o.slow}
	if ss, ok := d.(dialect.StatementSnapshots); ok {
		e.autocommitReads = ss.StatementSnapshots(o.isolation)
	}
	if o.echo {
		e.echo = o.logger
		if e.echo == nil {
			e.echo = slog.Default()
		}
		e.echo.LogAttrs(ctx, slog.LevelInfo, "retort: engine created",
			slog.String("url", u.String()), slog.String("dialect", d.Name()))
	}
	return e, nil
}

// poolTimeoutOption returns the URL's query without the engine's own pool_timeout option,
// and the pool timeout to use (0: wait until the caller's context ends).
func poolTimeoutOption(u *URL, o options) (url.Values, time.Duration, error) {
	timeout := DefaultPoolTimeout
	query := u.Query
	if vs, ok := u.Query["pool_timeout"]; ok {
		v := ""
		if len(vs) > 0 {
			v = vs[len(vs)-1]
		}
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs < 0 || math.IsInf(secs, 0) || math.IsNaN(secs) || secs > 1e9 {
			return nil, 0, &URLError{URL: u.String(), Part: "query", Reason: "pool_timeout=" + strconv.Quote(v) + " is not a number of seconds"}
		}
		timeout = time.Duration(secs * float64(time.Second))
		query = make(url.Values, len(u.Query))
		for k, v := range u.Query {
			if k != "pool_timeout" {
				query[k] = v
			}
		}
	}
	if o.timeoutSet {
		timeout = o.poolTimeout
	}
	if timeout < 0 {
		timeout = 0
	}
	return query, timeout, nil
}

// Dialect returns the engine's dialect (for MySQL-family URLs, the server detected).
func (e *Engine) Dialect() dialect.Dialect { return e.dialect }

// URL returns a copy of the engine's URL. Its String method masks the password.
func (e *Engine) URL() *URL {
	u := e.url
	u.Query = make(map[string][]string, len(e.url.Query))
	for k, v := range e.url.Query {
		u.Query[k] = append([]string(nil), v...)
	}
	return &u
}

// Connect checks a connection out of the pool. The Conn is for one goroutine; Close returns
// it to the pool.
func (e *Engine) Connect(ctx context.Context) (*Conn, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	c := &Conn{eng: e}
	if _, err := c.conn(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Begin runs fn inside a transaction on a connection of its own, as SQLAlchemy's
// "with engine.begin() as conn". The transaction commits when fn returns nil and rolls
// back when it returns an error or panics (the panic then continues). The connection
// goes back to the pool afterwards.
func (e *Engine) Begin(ctx context.Context, fn func(ctx context.Context, c *Conn) error, opts ...TxOption) error {
	c, err := e.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Transaction(ctx, fn, opts...)
}

// Stats describes the engine's use of its pool.
// It is a snapshot: a plain value, safe for concurrent reads, that lives as long as the
// caller keeps it.
type Stats struct {
	InUse    int64 // connections checked out by Conns right now
	Acquired int64 // connections checked out since the engine was created
}

// Stats returns the engine's current pool usage.
func (e *Engine) Stats() Stats {
	return Stats{InUse: e.inUse.Load(), Acquired: e.acquired.Load()}
}

// Close closes the pool; new Connect calls fail with ErrClosed. Close every Conn first:
// the driver waits (a few seconds at most) for connections still checked out and reports
// them in its error. Closing twice returns the first result.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		e.closed.Store(true)
		e.closeErr = errors.Join(e.pool.Close(), e.closeReplicas())
	})
	return e.closeErr
}

// connectError reports a failure to open the pool; it names the (masked) URL and unwraps
// to the driver's error.
type connectError struct {
	url string
	err error
}

func (e *connectError) Error() string { return "engine: connect to " + e.url + ": " + e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// scrub returns err with every occurrence of secret in its message replaced by "***",
// still unwrapping to err.
func scrub(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &scrubbedError{msg: strings.ReplaceAll(err.Error(), secret, "***"), err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// Logger returns the logger of the engine's warnings (and of its echo): the one given
// with WithLogger, or slog.Default().
func (e *Engine) Logger() *slog.Logger {
	if e.logger != nil {
		return e.logger
	}
	return slog.Default()
}

// AutocommitReads reports whether the ORM's sessions read without a database transaction
// until they write (saving BEGIN and ROLLBACK), as the dialect decides for the engine's
// isolation level: true at READ COMMITTED and below (PostgreSQL's default; MySQL and
// MariaDB given IsolationLevel("READ COMMITTED")), where every statement takes its own
// snapshot inside a transaction too, and on SQLite, as Python's sqlite3 module does under
// SQLAlchemy (there a writing transaction takes the write lock at BEGIN, which a session
// that only reads should not hold); false at REPEATABLE READ and SERIALIZABLE (MySQL's
// and MariaDB's default), whose transactions read from one snapshot.
func (e *Engine) AutocommitReads() bool { return e.autocommitReads }
