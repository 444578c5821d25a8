package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/internal/conv"
	"github.com/retortdb/retort/types"
)

// Driver opens PostgreSQL databases with pgx v5 through its own pool (pgxpool), not
// database/sql. It is registered for the "postgresql" and "postgres" URL schemes (and the
// "+pgx" driver suffix). The zero value is ready to use and safe for concurrent use.
//
// Statements use pgx's default execution mode: each connection prepares every distinct
// SQL text once and caches the prepared statement (QueryExecModeCacheStatement, 512
// statements per connection), so repeated statements cost one round trip with binary
// parameters and results. Add ?default_query_exec_mode=exec (or simple_protocol) to the
// URL for servers behind a pooler without prepared-statement support.
//
// URL options (Config.Query) are libpq/pgx connection parameters (sslmode, sslrootcert,
// application_name, connect_timeout, search_path, ...); "password" there is taken as the
// password. The password is never written into the connection string pgx parses, so no
// error can quote it.
//
// When a statement's context ends, pgx sends the server a cancel request at once (the
// statement stops on the server), and the connection is discarded when it is released.
// It is stateless and lives for the whole program.
type Driver struct{}

// deadlineDelay is how long after a cancel request an unresponsive connection is given
// before its socket is closed.
const deadlineDelay = 2 * time.Second

// Open connects to the server (one connection, to check the address, credentials and
// database) and returns the dialect and pool.
func (Driver) Open(ctx context.Context, cfg dialect.Config) (dialect.Dialect, dialect.Pool, error) {
	iso := conv.Isolation(cfg.IsolationLevel)
	if err := checkIsolation(iso); err != nil {
		return nil, nil, err
	}
	pcfg, err := poolConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	pp, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, nil, connectError(ctx, cfg, err)
	}
	if err := pp.Ping(ctx); err != nil {
		pp.Close()
		return nil, nil, connectError(ctx, cfg, err)
	}
	return New(), &pool{p: pp, isolation: iso, timeout: cfg.PoolTimeout, prePing: cfg.PoolPrePing}, nil
}

// connectError wraps a connection failure without the password (see conv.NewConnectError).
func connectError(ctx context.Context, cfg dialect.Config, err error) error {
	var cause error
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) {
		cause = pgErr
	}
	return conv.NewConnectError(ctx, "postgresql", conv.Target(cfg, 5432), cfg.Password, err, cause)
}

// poolConfig builds the pgxpool configuration from cfg.
func poolConfig(cfg dialect.Config) (*pgxpool.Config, error) {
	password := cfg.Password
	params := map[string]string{}
	for k, vs := range cfg.Query {
		if len(vs) == 0 {
			continue
		}
		v := vs[len(vs)-1]
		switch k {
		case "password":
			if password == "" {
				password = v
			}
			continue
		case "host", "hostaddr", "port", "user", "dbname", "database":
			return nil, fmt.Errorf("postgresql: URL option %q must be given in the URL itself", k)
		}
		if k == "" || strings.ContainsAny(k, " ='\\") {
			return nil, fmt.Errorf("postgresql: invalid URL option name %q", k)
		}
		params[k] = v
	}
	if cfg.Host != "" {
		params["host"] = cfg.Host
	}
	if cfg.Port != 0 {
		params["port"] = strconv.Itoa(cfg.Port)
	}
	if cfg.User != "" {
		params["user"] = cfg.User
	}
	if cfg.Database != "" {
		params["dbname"] = cfg.Database
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteString("='")
		v := params[k]
		for i := 0; i < len(v); i++ {
			if v[i] == '\'' || v[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[i])
		}
		b.WriteByte('\'')
	}
	pcfg, err := pgxpool.ParseConfig(b.String())
	if err != nil {
		// The string holds no password; still, report only the cause.
		msg := err.Error()
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) && pe.Unwrap() != nil {
			msg = pe.Unwrap().Error()
		}
		return nil, fmt.Errorf("postgresql: invalid connection options for %s: %s", conv.Target(cfg, 5432), conv.Redact(msg, password))
	}
	if password != "" {
		pcfg.ConnConfig.Password = password
	}
	pcfg.ConnConfig.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: deadlineDelay}
	}
	if cfg.PoolSize > 0 {
		pcfg.MaxConns = int32(cfg.PoolSize + max(cfg.MaxOverflow, 0))
		if cfg.MaxOverflow < 0 { // SQLAlchemy's max_overflow=-1: no limit
			pcfg.MaxConns = 1 << 20
		}
	}
	pcfg.MinConns = 0
	pcfg.MaxConnLifetime = cfg.PoolRecycle // 0: never
	pcfg.MaxConnLifetimeJitter = cfg.PoolRecycle / 10
	if cfg.PoolPrePing {
		pcfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return true }
	}
	return pcfg, nil
}

func checkIsolation(level string) error {
	switch level {
	case "", "SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED", "READ UNCOMMITTED":
		return nil
	}
	return fmt.Errorf("postgresql: isolation level %q is not supported (SERIALIZABLE, REPEATABLE READ, READ COMMITTED, READ UNCOMMITTED)", level)
}

// pool is a dialect.Pool over pgxpool. Safe for concurrent use.
type pool struct {
	p         *pgxpool.Pool
	isolation string
	timeout   time.Duration
	prePing   bool
}

// Acquire returns a connection, waiting at most the pool timeout (if set) and until ctx ends.
func (p *pool) Acquire(ctx context.Context) (dialect.Conn, error) {
	actx, cancel := conv.WithPoolTimeout(ctx, p.timeout)
	defer cancel()
	c, err := p.p.Acquire(actx)
	if err != nil {
		return nil, conv.PoolError(ctx, actx, "postgresql", p.timeout, errors.Is(err, puddle.ErrClosedPool), err)
	}
	return &conn{pool: p, c: c}, nil
}

// closeWait bounds how long Close waits for acquired connections to be released.
const closeWait = 5 * time.Second

// Close closes the pool's connections and refuses new acquisitions. Connections still
// acquired are closed when released; if some are not released within a few seconds,
// Close returns an error saying how many (the pool finishes closing in the background).
func (p *pool) Close() error {
	done := make(chan struct{})
	go func() {
		p.p.Close() // waits for acquired connections to come back
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(closeWait):
		return fmt.Errorf("postgresql: pool closed with %d connection(s) still acquired", p.p.Stat().AcquiredConns())
	}
}

// conn is a dialect.Conn over one acquired pgx connection. Transactions are plain
// BEGIN / COMMIT / ROLLBACK statements, so SAVEPOINT statements issued through Exec nest
// in them. Used by one goroutine at a time.
type conn struct {
	pool        *pool
	c           *pgxpool.Conn
	interrupted bool // a statement was cut short by its context: discard on release
	released    bool
}

// fail records an interruption and returns err, as a context error if ctx ended.
func (c *conn) fail(ctx context.Context, err error) error {
	if ctx.Err() != nil || c.c.Conn().IsClosed() {
		c.interrupted = true
	}
	return conv.DriverErr(ctx, "postgresql", err)
}

// Exec runs a statement and reports its rows affected. PostgreSQL has no last insert id
// (INSERT ... RETURNING reads generated keys), so HasLastInsertID is always false.
func (c *conn) Exec(ctx context.Context, sql string, args []any) (dialect.ExecResult, error) {
	tag, err := c.c.Exec(ctx, sql, args...)
	if err != nil {
		return dialect.ExecResult{}, c.fail(ctx, err)
	}
	return dialect.ExecResult{RowsAffected: tag.RowsAffected()}, nil
}

func (c *conn) Query(ctx context.Context, sql string, args []any) (dialect.Rows, error) {
	r, err := c.c.Query(ctx, sql, args...)
	if err != nil {
		return nil, c.fail(ctx, err)
	}
	return newRows(ctx, c, r), nil
}

// Begin starts a transaction with the requested (or the engine's default) isolation level.
func (c *conn) Begin(ctx context.Context, opts dialect.TxOptions) error {
	level := conv.Isolation(opts.IsolationLevel)
	if level == "" {
		level = c.pool.isolation
	}
	if err := checkIsolation(level); err != nil {
		return err
	}
	sql := "BEGIN"
	if level != "" {
		sql += " ISOLATION LEVEL " + level
	}
	if opts.ReadOnly {
		sql += " READ ONLY"
	}
	_, err := c.Exec(ctx, sql, nil)
	return err
}

// ErrRolledBack is returned by Commit when the transaction had failed (a statement in it
// raised an error) and the server rolled it back instead of committing.
var ErrRolledBack = errors.New("postgresql: the transaction was rolled back, not committed: a statement in it had failed")

// Commit commits; a failed transaction is rolled back by the server and reported as
// ErrRolledBack.
func (c *conn) Commit(ctx context.Context) error {
	tag, err := c.c.Exec(ctx, "COMMIT")
	if err != nil {
		return c.fail(ctx, err)
	}
	if tag.String() == "ROLLBACK" {
		return ErrRolledBack
	}
	return nil
}

func (c *conn) Rollback(ctx context.Context) error {
	_, err := c.Exec(ctx, "ROLLBACK", nil)
	return err
}

func (c *conn) Ping(ctx context.Context) error {
	if err := c.c.Ping(ctx); err != nil {
		return c.fail(ctx, err)
	}
	return nil
}

// Release returns the connection to the pool. It is closed instead when discard is set,
// when a statement on it was interrupted by its context, or when a transaction left open
// cannot be rolled back.
func (c *conn) Release(discard bool) {
	if c.released {
		return
	}
	c.released = true
	pc := c.c.Conn()
	if !discard && !c.interrupted && !pc.IsClosed() && pc.PgConn().TxStatus() != 'I' {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := pc.Exec(ctx, "ROLLBACK"); err != nil {
			discard = true
		}
		cancel()
	}
	if discard || c.interrupted {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = pc.Close(ctx)
		cancel()
	}
	c.c.Release()
}

// OIDs of the types whose results Rows hands over as raw text.
const (
	oidJSON  = 114
	oidJSONB = 3802
)

// rows adapts pgx.Rows to dialect.Rows. JSON and JSONB columns are returned as
// types.RawJSON (the document's text) instead of pgx's decoded Go values.
type rows struct {
	ctx  context.Context
	c    *conn
	r    pgx.Rows
	cols []string
	json []int // indexes of JSON columns
	dest []any // scratch destination slice when json is not empty
	init bool
}

func newRows(ctx context.Context, c *conn, r pgx.Rows) *rows {
	return &rows{ctx: ctx, c: c, r: r}
}

func (r *rows) describe() {
	if r.init {
		return
	}
	r.init = true
	fds := r.r.FieldDescriptions()
	r.cols = make([]string, len(fds))
	for i, fd := range fds {
		r.cols[i] = fd.Name
		if fd.DataTypeOID == oidJSON || fd.DataTypeOID == oidJSONB {
			r.json = append(r.json, i)
		}
	}
}

func (r *rows) Columns() []string {
	r.describe()
	return r.cols
}

func (r *rows) Next() bool {
	if r.r.Next() {
		return true
	}
	if r.r.Err() != nil {
		r.c.fail(r.ctx, r.r.Err())
	}
	return false
}

// Scan copies the current row into dest. *any destinations receive pgx's Go value for the
// column's type (int32, pgtype.Numeric, pgtype.Interval, [16]byte, ...), or types.RawJSON
// for JSON columns.
func (r *rows) Scan(dest ...any) error {
	r.describe()
	if len(r.json) == 0 || len(dest) != len(r.cols) {
		return r.scanErr(r.r.Scan(dest...))
	}
	raw := r.r.RawValues()
	fds := r.r.FieldDescriptions()
	r.dest = append(r.dest[:0], dest...)
	for _, i := range r.json {
		p, ok := dest[i].(*any)
		if !ok {
			continue
		}
		r.dest[i] = nil // skipped by pgx
		b := raw[i]
		if b == nil {
			*p = nil
			continue
		}
		if fds[i].DataTypeOID == oidJSONB && fds[i].Format == pgx.BinaryFormatCode && len(b) > 0 {
			b = b[1:] // the binary format's version byte
		}
		*p = types.RawJSON(append([]byte(nil), b...))
	}
	return r.scanErr(r.r.Scan(r.dest...))
}

// scanErr passes a Scan error on with the dialect's name.
func (r *rows) scanErr(err error) error {
	if err != nil {
		return r.c.fail(r.ctx, err)
	}
	return nil
}

func (r *rows) Err() error {
	if err := r.r.Err(); err != nil {
		return r.c.fail(r.ctx, err)
	}
	return nil
}

func (r *rows) Close() error {
	r.r.Close()
	if err := r.r.Err(); err != nil {
		return r.c.fail(r.ctx, err)
	}
	return nil
}
