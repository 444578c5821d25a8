package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/internal/conv"
)

// Driver opens MySQL and MariaDB databases through go-sql-driver/mysql. It is registered
// for the "mysql" and "mariadb" URL schemes; either scheme works with either server, the
// dialect follows what the server reports (SELECT VERSION()). The zero value is ready to
// use and safe for concurrent use.
//
// Every connection runs with time_zone '+00:00' and sql_mode STRICT_ALL_TABLES,
// NO_ZERO_IN_DATE, NO_ZERO_DATE, ERROR_FOR_DIVISION_BY_ZERO, NO_ENGINE_SUBSTITUTION (no
// ANSI_QUOTES: identifiers are backquoted). Statements with arguments are prepared on the
// server (no client-side interpolation); multi-statements are off. DATETIME values are
// read as time.Time in UTC. The CLIENT_FOUND_ROWS flag is set, so the rows affected by an
// UPDATE are the rows it matched, even those whose values it did not change (as on the
// other databases).
//
// When a statement's context ends, the driver closes its connection and retort sends
// KILL QUERY for it from a separate connection, so the statement stops on the server too;
// the interrupted connection is discarded.
//
// URL options (Config.Query): charset, collation, timeout / connect_timeout (dial
// timeout, seconds or a Go duration), read_timeout, write_timeout, tls (true, false,
// skip-verify, preferred), unix_socket, and features. Others are an error.
//
// features=mysql limits the dialect to what MySQL supports, whatever the server: on
// MariaDB it turns off INSERT and DELETE ... RETURNING (the features MariaDB has and
// MySQL 8 lacks), so that statements compile, and the ORM flushes, exactly as they would
// for MySQL while running on a MariaDB server; the SQL spelling and the dialect's name
// stay MariaDB's. It exists to test MySQL's code paths where only MariaDB is at hand.
// features=server (the default) uses everything the detected server has.
// It is stateless and lives for the whole program.
type Driver struct{}

// SQLMode is the sql_mode of every connection.
const SQLMode = "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

const sessionSetup = "SET SESSION time_zone = '+00:00', sql_mode = '" + SQLMode + "'"

// Open connects (one connection, to check the address, credentials and database),
// detects the server's flavor and version, and returns the matching dialect and the pool.
func (Driver) Open(ctx context.Context, cfg dialect.Config) (dialect.Dialect, dialect.Pool, error) {
	iso := conv.Isolation(cfg.IsolationLevel)
	if err := checkIsolation(iso); err != nil {
		return nil, nil, err
	}
	mcfg, err := driverConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	inner, err := gomysql.NewConnector(mcfg)
	if err != nil {
		return nil, nil, fmt.Errorf("mysql: invalid connection options for %s: %s", conv.Target(cfg, 3306), conv.Redact(err.Error(), cfg.Password))
	}
	killInner, _ := gomysql.NewConnector(mcfg)

	p := &pool{db: sql.OpenDB(&connector{inner: inner, setup: cfg.ConnectSQL}), killer: sql.OpenDB(killInner),
		isolation: iso, timeout: cfg.PoolTimeout, prePing: cfg.PoolPrePing}
	size := cfg.PoolSize
	if size <= 0 {
		size = 5
	}
	p.db.SetMaxIdleConns(size)
	switch {
	case cfg.MaxOverflow < 0:
		p.db.SetMaxOpenConns(0)
	case cfg.PoolSize > 0:
		p.db.SetMaxOpenConns(cfg.PoolSize + cfg.MaxOverflow)
	}
	p.db.SetConnMaxLifetime(cfg.PoolRecycle)
	p.killer.SetMaxOpenConns(2)
	p.killer.SetMaxIdleConns(1)
	p.killer.SetConnMaxIdleTime(time.Minute)

	var version string
	if err := p.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		p.Close()
		return nil, nil, connectError(ctx, cfg, err)
	}
	flavor, major, minor, patch, err := ParseVersion(version)
	if err != nil {
		p.Close()
		return nil, nil, err
	}
	d := New(flavor, major, minor, patch)
	if vs := cfg.Query["features"]; len(vs) > 0 && vs[len(vs)-1] == "mysql" {
		d = d.limitTo(mysqlFeatures)
	}
	// A Galera node has wsrep_on=ON; MySQL and servers without wsrep have no such
	// variable (no row).
	var name, on string
	switch err := p.db.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'").Scan(&name, &on); {
	case err == nil:
		d.galera = strings.EqualFold(on, "ON")
	case !errors.Is(err, sql.ErrNoRows):
		p.Close()
		return nil, nil, connectError(ctx, cfg, err)
	}
	p.name = d.Name()
	return d, p, nil
}

// mysqlFeatures are the features of the newest MySQL the dialect knows.
var mysqlFeatures = New(MySQL, 8, 4, 0).Features()

// limitTo returns a copy of d without the features that fs lacks.
func (d *Dialect) limitTo(fs compile.Features) *Dialect {
	c := *d
	c.features = compile.Features(uint64(d.features) & uint64(fs))
	return &c
}

// ParseVersion reads what SELECT VERSION() returns: "10.11.19-MariaDB-0+deb12u1" is
// MariaDB 10.11.19, "8.0.36" or "8.4.0-log" is MySQL. The "5.5.5-" prefix some MariaDB
// servers put in front for old clients is skipped.
func ParseVersion(v string) (flavor Flavor, major, minor, patch int, err error) {
	s := v
	if strings.Contains(strings.ToLower(s), "mariadb") {
		flavor = MariaDB
		s = strings.TrimPrefix(s, "5.5.5-")
	}
	num, _, _ := strings.Cut(s, "-")
	parts := strings.SplitN(num, ".", 3)
	var nums [3]int
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil {
			return 0, 0, 0, 0, fmt.Errorf("mysql: cannot read the server version %q", v)
		}
		nums[i] = n
	}
	if len(parts) < 2 {
		return 0, 0, 0, 0, fmt.Errorf("mysql: cannot read the server version %q", v)
	}
	return flavor, nums[0], nums[1], nums[2], nil
}

// connectError wraps a connection failure without the password (see conv.NewConnectError).
func connectError(ctx context.Context, cfg dialect.Config, err error) error {
	var cause error
	if me := (*gomysql.MySQLError)(nil); errors.As(err, &me) {
		cause = me
	}
	return conv.NewConnectError(ctx, "mysql", conv.Target(cfg, 3306), cfg.Password, err, cause)
}

// driverConfig builds the go-sql-driver configuration from cfg.
func driverConfig(cfg dialect.Config) (*gomysql.Config, error) {
	m := gomysql.NewConfig()
	m.User = cfg.User
	if m.User == "" {
		m.User = "root"
	}
	m.Passwd = cfg.Password
	m.Net = "tcp"
	host := cfg.Host
	if host == "" {
		host = "localhost"
	}
	port := cfg.Port
	if port == 0 {
		port = 3306
	}
	m.Addr = net.JoinHostPort(host, strconv.Itoa(port))
	m.DBName = cfg.Database
	m.ParseTime = true
	m.Loc = time.UTC
	m.MultiStatements = false
	m.InterpolateParams = false
	// Rows affected are the rows an UPDATE matched, not only those it changed (the
	// CLIENT_FOUND_ROWS flag, as SQLAlchemy sets it): an UPDATE writing a row's current
	// values reports 1, as on PostgreSQL and SQLite, which the ORM's stale-data check needs.
	m.ClientFoundRows = true
	m.Timeout = 10 * time.Second
	m.Logger = &gomysql.NopLogger{}
	var charset, collation string
	for k, vs := range cfg.Query {
		if len(vs) == 0 {
			continue
		}
		v := vs[len(vs)-1]
		switch k {
		case "charset":
			charset = v
		case "collation":
			collation = v
		case "timeout", "connect_timeout", "read_timeout", "write_timeout":
			d, err := parseSeconds(v)
			if err != nil {
				return nil, fmt.Errorf("mysql: URL option %s=%q is not a duration", k, v)
			}
			switch k {
			case "read_timeout":
				m.ReadTimeout = d
			case "write_timeout":
				m.WriteTimeout = d
			default:
				m.Timeout = d
			}
		case "tls", "ssl":
			switch v {
			case "true", "false", "skip-verify", "preferred":
				m.TLSConfig = v
			default:
				return nil, fmt.Errorf("mysql: URL option %s=%q is not one of true, false, skip-verify, preferred", k, v)
			}
		case "unix_socket":
			m.Net, m.Addr = "unix", v
		case "features":
			if v != "mysql" && v != "server" {
				return nil, fmt.Errorf("mysql: URL option features=%q is not one of mysql, server", v)
			}
		default:
			return nil, fmt.Errorf("mysql: unknown URL option %q", k)
		}
	}
	if charset != "" || collation != "" {
		if charset == "" {
			charset, _, _ = strings.Cut(collation, "_")
		}
		if err := m.Apply(gomysql.Charset(charset, collation)); err != nil {
			return nil, fmt.Errorf("mysql: URL options charset/collation: %v", err)
		}
	}
	return m, nil
}

// parseSeconds reads "10", "2.5" (seconds) or a Go duration "500ms".
func parseSeconds(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("bad duration")
	}
	return d, nil
}

func checkIsolation(level string) error {
	switch level {
	case "", "SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED", "READ UNCOMMITTED":
		return nil
	}
	return fmt.Errorf("mysql: isolation level %q is not supported (SERIALIZABLE, REPEATABLE READ, READ COMMITTED, READ UNCOMMITTED)", level)
}

// connector wraps the driver's connector: each new connection gets the session settings
// and remembers its server connection id (for KILL QUERY).
type connector struct {
	inner driver.Connector
	setup []string // Config.ConnectSQL, run after sessionSetup
}

func (c *connector) Driver() driver.Driver { return c.inner.Driver() }

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ec, ok1 := dc.(driver.ExecerContext)
	qc, ok2 := dc.(driver.QueryerContext)
	if !ok1 || !ok2 {
		dc.Close()
		return nil, errors.New("mysql: the driver's connection cannot execute statements")
	}
	if _, err := ec.ExecContext(ctx, sessionSetup, nil); err != nil {
		dc.Close()
		return nil, err
	}
	for _, stmt := range c.setup {
		if _, err := ec.ExecContext(ctx, stmt, nil); err != nil {
			dc.Close()
			return nil, fmt.Errorf("mysql: connection set-up statement %q: %w", stmt, err)
		}
	}
	rows, err := qc.QueryContext(ctx, "SELECT CONNECTION_ID()", nil)
	if err != nil {
		dc.Close()
		return nil, err
	}
	vals := make([]driver.Value, 1)
	err = rows.Next(vals)
	rows.Close()
	if err != nil {
		dc.Close()
		if err == io.EOF {
			err = errors.New("mysql: SELECT CONNECTION_ID() returned no row")
		}
		return nil, err
	}
	var id int64
	switch x := vals[0].(type) {
	case int64:
		id = x
	case uint64:
		id = int64(x)
	case []byte:
		id, err = strconv.ParseInt(string(x), 10, 64)
	default:
		err = fmt.Errorf("mysql: unexpected CONNECTION_ID() value %T", x)
	}
	if err != nil {
		dc.Close()
		return nil, err
	}
	return &idConn{Conn: dc, id: id}, nil
}

// idConn is a driver connection with its server connection id. It forwards the
// optional interfaces go-sql-driver's connection implements.
type idConn struct {
	driver.Conn
	id int64
}

func (c *idConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *idConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *idConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c *idConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (c *idConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *idConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

func (c *idConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *idConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

// pool is a dialect.Pool over database/sql. Safe for concurrent use.
type pool struct {
	db        *sql.DB
	killer    *sql.DB // a separate small pool that sends KILL QUERY
	isolation string
	timeout   time.Duration
	prePing   bool
	name      string // the dialect's name ("mysql" or "mariadb"), in front of driver errors
}

// Acquire returns a connection, waiting at most the pool timeout (if set) and until ctx ends.
func (p *pool) Acquire(ctx context.Context) (dialect.Conn, error) {
	actx, cancel := conv.WithPoolTimeout(ctx, p.timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		c, err := p.db.Conn(actx)
		if err != nil {
			closed := errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "database is closed")
			return nil, conv.PoolError(ctx, actx, "mysql", p.timeout, closed, err)
		}
		var id int64
		_ = c.Raw(func(dc any) error {
			if ic, ok := dc.(*idConn); ok {
				id = ic.id
			}
			return nil
		})
		if p.prePing {
			if err := c.PingContext(actx); err != nil {
				discard(c)
				if attempt < 3 && actx.Err() == nil {
					continue
				}
				return nil, conv.DriverErr(ctx, "mysql", fmt.Errorf("mysql: connection failed its ping: %w", err))
			}
		}
		return &conn{pool: p, c: c, id: id}, nil
	}
}

// Close closes every connection.
func (p *pool) Close() error {
	return errors.Join(p.db.Close(), p.killer.Close())
}

// kill stops the statement running on server connection id.
func (p *pool) kill(id int64) {
	if id == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = p.killer.ExecContext(ctx, "KILL QUERY "+strconv.FormatInt(id, 10))
}

func discard(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}

// conn is a dialect.Conn over one *sql.Conn. Transactions are plain statements (START
// TRANSACTION, COMMIT, ROLLBACK), so SAVEPOINT statements through Exec nest in them.
// Used by one goroutine at a time.
type conn struct {
	pool        *pool
	c           *sql.Conn
	id          int64 // CONNECTION_ID() on the server
	inTx        bool
	interrupted atomic.Bool // a statement was killed: discard on release
	released    bool
}

// watch arranges for the running statement to be killed on the server when ctx ends.
// The returned function ends the watch, given whether the statement failed: it waits for
// a KILL already under way, and sends one itself when the statement failed because ctx
// ended before the watch fired (the driver saw ctx end first and gave up on the
// connection, but the server may still be running the statement).
func (c *conn) watch(ctx context.Context) func(failed bool) {
	if ctx.Done() == nil {
		return func(bool) {}
	}
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		c.interrupted.Store(true)
		c.pool.kill(c.id)
	})
	return func(failed bool) {
		if !stop() {
			<-done
			return
		}
		if failed && ctx.Err() != nil {
			c.interrupted.Store(true)
			c.pool.kill(c.id)
		}
	}
}

// Exec runs a statement; the result has the server's rows affected (rows matched, for an
// UPDATE) and last insert id (reported when non-zero).
func (c *conn) Exec(ctx context.Context, query string, args []any) (dialect.ExecResult, error) {
	unwatch := c.watch(ctx)
	res, err := c.c.ExecContext(ctx, query, args...)
	unwatch(err != nil)
	if err != nil {
		return dialect.ExecResult{}, c.fail(ctx, err)
	}
	var r dialect.ExecResult
	if n, err := res.RowsAffected(); err == nil {
		r.RowsAffected = n
	}
	if id, err := res.LastInsertId(); err == nil && id != 0 {
		r.LastInsertID, r.HasLastInsertID = id, true
	}
	return r, nil
}

// fail records an interruption or a broken connection (either discards the connection on
// release) and returns err: as a context error if ctx ended, as a
// *dialect.ConnectionLostError if the connection broke under the statement.
func (c *conn) fail(ctx context.Context, err error) error {
	lost := ctx.Err() == nil && (lostConnection(err) || lostNumber(err))
	if ctx.Err() != nil || lost {
		c.interrupted.Store(true)
	}
	err = conv.DriverErr(ctx, c.pool.name, err)
	if lost {
		return &dialect.ConnectionLostError{Err: err}
	}
	return err
}

func (c *conn) Query(ctx context.Context, query string, args []any) (dialect.Rows, error) {
	unwatch := c.watch(ctx)
	r, err := c.c.QueryContext(ctx, query, args...)
	if err != nil {
		unwatch(true)
		return nil, c.fail(ctx, err)
	}
	return &rows{ctx: ctx, c: c, r: r, unwatch: unwatch}, nil
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
	if level != "" {
		if _, err := c.Exec(ctx, "SET TRANSACTION ISOLATION LEVEL "+level, nil); err != nil {
			return err
		}
	}
	sql := "START TRANSACTION"
	if opts.ReadOnly {
		sql += " READ ONLY"
	}
	if _, err := c.Exec(ctx, sql, nil); err != nil {
		return err
	}
	c.inTx = true
	return nil
}

func (c *conn) Commit(ctx context.Context) error {
	if _, err := c.Exec(ctx, "COMMIT", nil); err != nil {
		return err
	}
	c.inTx = false
	return nil
}

func (c *conn) Rollback(ctx context.Context) error {
	_, err := c.Exec(ctx, "ROLLBACK", nil)
	c.inTx = false
	return err
}

func (c *conn) Ping(ctx context.Context) error {
	unwatch := c.watch(ctx)
	err := c.c.PingContext(ctx)
	unwatch(err != nil)
	if err != nil {
		return c.fail(ctx, err)
	}
	return nil
}

// Release returns the connection to the pool, rolling back a transaction left open. It
// is closed instead with discard, after an interrupted statement, or when the rollback
// fails.
func (c *conn) Release(discardConn bool) {
	if c.released {
		return
	}
	c.released = true
	if c.interrupted.Load() {
		discardConn = true
	}
	if !discardConn && c.inTx {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := c.Rollback(ctx); err != nil {
			discardConn = true
		}
		cancel()
	}
	if discardConn {
		discard(c.c)
		return
	}
	_ = c.c.Close()
}

// rows adapts *sql.Rows to dialect.Rows; the statement stays watched until Close. Values
// of text columns (CHAR, VARCHAR, the TEXT types, ENUM, SET, JSON, DECIMAL), which the
// driver returns as []byte, are handed over as string, as the other dialects do, so
// that a column whose type the statement does not declare reads the same everywhere;
// binary columns stay []byte.
type rows struct {
	ctx     context.Context
	c       *conn
	r       *sql.Rows
	cols    []string
	text    []bool // per column: a text type (nil until the first Scan)
	unwatch func(failed bool)
}

// textTypes are the database type names (as go-sql-driver reports them) whose values
// are text.
var textTypes = map[string]bool{
	"CHAR": true, "VARCHAR": true, "TEXT": true, "TINYTEXT": true, "MEDIUMTEXT": true,
	"LONGTEXT": true, "ENUM": true, "SET": true, "JSON": true, "DECIMAL": true,
}

// textColumns reports, per column, whether its values are text.
func (r *rows) textColumns() []bool {
	if r.text == nil {
		cts, err := r.r.ColumnTypes()
		r.text = make([]bool, len(cts))
		if err == nil {
			for i, ct := range cts {
				r.text[i] = textTypes[ct.DatabaseTypeName()]
			}
		}
	}
	return r.text
}

func (r *rows) Columns() []string {
	if r.cols == nil {
		r.cols, _ = r.r.Columns()
	}
	return r.cols
}

func (r *rows) Next() bool { return r.r.Next() }
func (r *rows) Scan(dest ...any) error {
	if err := r.r.Scan(dest...); err != nil {
		return r.c.fail(r.ctx, err)
	}
	text := r.textColumns()
	for i, d := range dest {
		if i >= len(text) || !text[i] {
			continue
		}
		if p, ok := d.(*any); ok {
			if b, ok := (*p).([]byte); ok {
				*p = string(b)
			}
		}
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
	err := r.r.Close()
	if r.unwatch != nil {
		r.unwatch(err != nil || r.r.Err() != nil)
		r.unwatch = nil
	}
	if err != nil {
		return r.c.fail(r.ctx, err)
	}
	return nil
}
