package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
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
// application_name, connect_timeout, search_path, timezone, ...); "password" there is
// taken as the password. Sessions run with timezone UTC unless the URL sets timezone, so
// that a naive TIMESTAMP the server fills in (a now() default) holds the UTC wall-clock
// time, as the values retort binds do. The password is never written into the connection string pgx parses, so no
// error can quote it.
//
// An acquisition from the pool waits at most the pool timeout for a free connection;
// one that finds a slot free waits for no other (and arms no timer), and opening a new
// connection is bounded by connect_timeout, which is the pool timeout unless the URL
// sets it.
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
	if setup := cfg.ConnectSQL; len(setup) > 0 {
		pcfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
			for _, stmt := range setup {
				// The simple protocol: a set-up statement has no parameters, and SET
				// cannot be prepared with them anyway.
				if _, err := c.Exec(ctx, stmt, pgx.QueryExecModeSimpleProtocol); err != nil {
					return fmt.Errorf("postgresql: connection set-up statement %q: %w", stmt, err)
				}
			}
			return nil
		}
	}
	p, err := newPool(ctx, pcfg)
	if err != nil {
		return nil, nil, connectError(ctx, cfg, err)
	}
	if err := p.p.Ping(ctx); err != nil {
		p.p.Close()
		return nil, nil, connectError(ctx, cfg, err)
	}
	p.isolation, p.timeout, p.prePing = iso, cfg.PoolTimeout, cfg.PoolPrePing
	return New(), p, nil
}

// newPool creates the pgx pool of pcfg (connecting lazily) and the pool around it.
func newPool(ctx context.Context, pcfg *pgxpool.Config) (*pool, error) {
	p := &pool{}
	switch pcfg.ConnConfig.DefaultQueryExecMode {
	case pgx.QueryExecModeCacheStatement:
		p.prepared = true
	case pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec:
		p.precheck = true
	}
	pcfg.BeforeClose = func(c *pgx.Conn) { p.sessions.Delete(c) }
	pp, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, err
	}
	p.p = pp
	p.slots = make(chan struct{}, pcfg.MaxConns)
	return p, nil
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
	hasZone := false
	for k := range pcfg.ConnConfig.RuntimeParams {
		hasZone = hasZone || strings.EqualFold(k, "timezone")
	}
	if !hasZone {
		// Naive timestamps hold UTC wall-clock times, as bound values are written, also
		// when the server computes them (now() cast to a TIMESTAMP column's default).
		pcfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
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
	if pcfg.ConnConfig.ConnectTimeout == 0 && cfg.PoolTimeout > 0 {
		// Opening a connection for an acquisition is bounded as waiting for one is (see
		// pool.Acquire), unless the URL's connect_timeout says otherwise.
		pcfg.ConnConfig.ConnectTimeout = cfg.PoolTimeout
	}
	pcfg.MaxConnLifetime = cfg.PoolRecycle // 0: never
	pcfg.MaxConnLifetimeJitter = cfg.PoolRecycle / 10
	if cfg.PoolPrePing {
		pcfg.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return true }
	}
	return pcfg, nil
}

func checkIsolation(level string) error {
	if level == "" {
		return nil
	}
	for _, l := range isolationLevels {
		if l == level {
			return nil
		}
	}
	return fmt.Errorf("postgresql: isolation level %q is not supported (SERIALIZABLE, REPEATABLE READ, READ COMMITTED, READ UNCOMMITTED)", level)
}

// pool is a dialect.Pool over pgxpool. Safe for concurrent use.
type pool struct {
	p         *pgxpool.Pool
	isolation string
	timeout   time.Duration
	prePing   bool
	// prepared: the exec mode prepares statements (pgx's default): a transaction's first
	// statement is prepared by the driver and sent with BEGIN in one pgconn batch (see
	// conn.sendFirst).
	prepared bool
	// precheck: the exec mode describes statements and sends a pipeline's statements as
	// they are encoded, so the arguments of a transaction's first statement are checked
	// before it is sent with BEGIN in a pgx batch (see conn.checkArgs).
	precheck bool
	sessions sync.Map // *pgx.Conn -> *session, dropped when the connection closes
	// slots holds one token per connection acquired through Acquire, up to pgxpool's
	// MaxConns: an acquisition that takes a token without waiting needs no timer for the
	// pool timeout (see Acquire); Release gives the token back.
	slots chan struct{}
}

// session is what the driver keeps about one pgx connection from one acquisition to the
// next. It is used by the goroutine that holds the connection and lives as long as it.
type session struct {
	// Statements prepared by the driver (named retort_N) to be sent with BEGIN, by SQL,
	// and the names of those to deallocate with the next preparation.
	stmts map[string]*pgconn.StatementDescription
	stale []string
	seq   uint64

	params map[string][]uint32 // SQL -> parameter types, of statements sent after BEGIN (precheck)
	sd     pgconn.StatementDescription
	eqb    pgx.ExtendedQueryBuilder
	rows   rows                       // handed out by Query while not in use
	plans  map[uint64]pgtype.ScanPlan // (type OID, format) -> plan scanning into *any
}

// maxSessionParams bounds session.params; when it is full it starts over.
const maxSessionParams = 512

// maxSessionStmts bounds session.stmts; beyond it, preparing a statement deallocates
// another one. A variable for the tests.
var maxSessionStmts = 256

// session returns the session of pc, creating it on first use.
func (p *pool) session(pc *pgx.Conn) *session {
	if s, ok := p.sessions.Load(pc); ok {
		return s.(*session)
	}
	s := &session{params: make(map[string][]uint32), stmts: make(map[string]*pgconn.StatementDescription)}
	p.sessions.Store(pc, s)
	return s
}

// prepare prepares sql as a named statement of the connection, deallocating in the same
// round trip the statements that went stale (failed) or make room.
func (s *session) prepare(ctx context.Context, pgc *pgconn.PgConn, sql string) (*pgconn.StatementDescription, error) {
	if len(s.stmts) >= maxSessionStmts {
		for q, sd := range s.stmts {
			s.stale = append(s.stale, sd.Name)
			delete(s.stmts, q)
			break
		}
	}
	s.seq++
	name := "retort_" + strconv.FormatUint(s.seq, 10)
	if len(s.stale) == 0 {
		sd, err := pgc.Prepare(ctx, name, sql, nil)
		if err != nil {
			// The statement may exist if only its description failed: close it later
			// (closing a name that does not exist is no error).
			s.stale = append(s.stale, name)
			return nil, err
		}
		s.stmts[sql] = sd
		return sd, nil
	}
	pl := pgc.StartPipeline(ctx)
	for _, n := range s.stale {
		pl.SendDeallocate(n) // a Close message: no error for a name that is gone
	}
	pl.SendPrepare(name, sql, nil)
	err := pl.Sync()
	var sd *pgconn.StatementDescription
	for err == nil {
		var res any
		if res, err = pl.GetResults(); err != nil || res == nil {
			break
		}
		if d, ok := res.(*pgconn.StatementDescription); ok {
			// The pipeline's description lacks the name and text.
			sd = &pgconn.StatementDescription{Name: name, SQL: sql, ParamOIDs: d.ParamOIDs, Fields: d.Fields}
		}
		if _, ok := res.(*pgconn.PipelineSync); ok {
			break
		}
	}
	if cerr := pl.Close(); err == nil {
		err = cerr
	}
	if err == nil && sd == nil {
		err = errors.New("postgresql: the server did not describe the prepared statement")
	}
	if err != nil {
		s.stale = append(s.stale, name)
		return nil, err
	}
	s.stale = s.stale[:0]
	s.stmts[sql] = sd
	return sd, nil
}

// invalidate forgets the statement prepared for sql after it failed (its table may have
// changed, as pgx does with its own statement cache); it is deallocated with the next
// preparation.
func (s *session) invalidate(sql string) {
	if sd, ok := s.stmts[sql]; ok {
		delete(s.stmts, sql)
		s.stale = append(s.stale, sd.Name)
	}
}

// Acquire returns a connection, waiting at most the pool timeout (if set) and until ctx ends.
func (p *pool) Acquire(ctx context.Context) (dialect.Conn, error) {
	actx := ctx
	select {
	case p.slots <- struct{}{}:
		// A free slot: pgxpool has a connection for this acquisition, idle or to be
		// opened (under ConnConfig.ConnectTimeout), so it waits for no other; only a
		// pre-ping, which talks to the server, runs under the pool timeout.
		if p.prePing {
			var cancel context.CancelFunc
			actx, cancel = conv.WithPoolTimeout(ctx, p.timeout)
			defer cancel()
		}
	default:
		var cancel context.CancelFunc
		actx, cancel = conv.WithPoolTimeout(ctx, p.timeout)
		defer cancel()
		select {
		case p.slots <- struct{}{}:
		case <-actx.Done():
			return nil, conv.PoolError(ctx, actx, "postgresql", p.timeout, false, actx.Err())
		}
	}
	c, err := p.p.Acquire(actx)
	if err != nil {
		<-p.slots
		return nil, conv.PoolError(ctx, actx, "postgresql", p.timeout, errors.Is(err, puddle.ErrClosedPool), err)
	}
	return &conn{pool: p, c: c, s: p.session(c.Conn())}, nil
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
//
// Begin sends nothing: it records the BEGIN statement, and the transaction's first Exec or
// Query sends BEGIN and itself together, in one round trip (one simple-protocol query for a
// statement without arguments, otherwise one batch of BEGIN and the statement, which the
// driver prepares for the connection the first time it is sent this way). A transaction
// that never ran a statement ends without any round trip. What the server sees and reports is otherwise the
// same as with BEGIN sent on its own: BEGIN runs first and the statement inside the
// transaction, a failing first statement leaves the transaction aborted (COMMIT reports
// ErrRolledBack), and an error of BEGIN surfaces from that first statement.
type conn struct {
	pool        *pool
	c           *pgxpool.Conn
	s           *session // of c's pgx connection
	begin       string   // BEGIN statement of a transaction that has not been sent yet, or ""
	interrupted bool     // a statement was cut short by its context: discard on release
	released    bool
}

// fail records an interruption and returns err: as a context error if ctx ended, as a
// *dialect.ConnectionLostError if the connection closed under the statement (the server
// ended the backend, the socket broke).
func (c *conn) fail(ctx context.Context, err error) error {
	closed := c.c.Conn().IsClosed()
	if ctx.Err() != nil || closed {
		c.interrupted = true
	}
	err = conv.DriverErr(ctx, "postgresql", err)
	if closed && ctx.Err() == nil && !dialect.Classified(err) {
		return &dialect.ConnectionLostError{Err: err}
	}
	return err
}

// Exec runs a statement and reports its rows affected. PostgreSQL has no last insert id
// (INSERT ... RETURNING reads generated keys), so HasLastInsertID is always false.
func (c *conn) Exec(ctx context.Context, sql string, args []any) (dialect.ExecResult, error) {
	if c.begin != "" {
		return c.execBegin(ctx, sql, args)
	}
	tag, err := c.c.Exec(ctx, sql, args...)
	if err != nil {
		return dialect.ExecResult{}, c.fail(ctx, err)
	}
	return dialect.ExecResult{RowsAffected: tag.RowsAffected()}, nil
}

func (c *conn) Query(ctx context.Context, sql string, args []any) (dialect.Rows, error) {
	if c.begin != "" {
		return c.queryBegin(ctx, sql, args)
	}
	r, err := c.c.Query(ctx, sql, args...)
	if err != nil {
		return nil, c.fail(ctx, err)
	}
	return newRows(ctx, c, r, nil), nil
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
	<-c.pool.slots
}

// OIDs of the types whose results Rows hands over as raw text.
const (
	oidJSON  = 114
	oidJSONB = 3802
)

// rows adapts pgx.Rows to dialect.Rows. JSON and JSONB columns are returned as
// types.RawJSON (the document's text) instead of pgx's decoded Go values.
//
// A connection's session keeps one rows value and hands it out again for the next query
// once it is closed, together with the column names and scan plans of the last result, so
// that a query whose results look like the previous one's allocates nothing here. As
// dialect.Rows says, a Rows is not used after Close: the value may be serving the
// connection's next query by then.
type rows struct {
	ctx   context.Context
	c     *conn
	r     pgx.Rows
	br    pgx.BatchResults          // the pgx batch r is read from (BEGIN and the query), or nil
	mrr   *pgconn.MultiResultReader // the pgconn batch r is read from, or nil
	sql   string                    // with mrr: the statement the session prepared
	cols  []string                  // never modified once handed out by Columns
	plans []pgtype.ScanPlan
	json  []int // indexes of JSON columns
	init  bool
	open  bool
}

// newRows returns the session's rows value for r, or a new one while that is still open.
func newRows(ctx context.Context, c *conn, r pgx.Rows, br pgx.BatchResults) *rows {
	rs := &c.s.rows
	if rs.open {
		rs = &rows{cols: rs.cols}
	}
	rs.ctx, rs.c, rs.r, rs.br, rs.init, rs.open = ctx, c, r, br, false, true
	rs.mrr, rs.sql = nil, ""
	return rs
}

// errRowsClosed is the error of Scan after Close.
var errRowsClosed = errors.New("postgresql: Scan on closed rows")

// anyTarget is a *any for asking pgx for a plan that scans into *any.
var anyTarget any

// describe reads the result's columns: their names (the previous slice when they are the
// same), the JSON columns, and the plan that scans each into *any.
func (r *rows) describe() {
	if r.init {
		return
	}
	r.init = true
	fds := r.r.FieldDescriptions()
	same := len(r.cols) == len(fds)
	for i := 0; same && i < len(fds); i++ {
		same = r.cols[i] == fds[i].Name
	}
	if !same {
		r.cols = make([]string, len(fds))
		for i := range fds {
			r.cols[i] = fds[i].Name
		}
	}
	r.json = r.json[:0]
	r.plans = r.plans[:0]
	s := r.c.s
	m := r.c.c.Conn().TypeMap()
	for i := range fds {
		fd := &fds[i]
		if fd.DataTypeOID == oidJSON || fd.DataTypeOID == oidJSONB {
			r.json = append(r.json, i)
			r.plans = append(r.plans, nil)
			continue
		}
		r.plans = append(r.plans, s.scanPlan(m, fd.DataTypeOID, fd.Format))
	}
}

// scanPlan returns pgx's plan to scan a value of the type oid in format into *any: the
// plan pgx.Rows.Scan makes for each result set, made once per type for the connection.
func (s *session) scanPlan(m *pgtype.Map, oid uint32, format int16) pgtype.ScanPlan {
	key := uint64(oid)<<16 | uint64(uint16(format))
	if p, ok := s.plans[key]; ok {
		return p
	}
	var p pgtype.ScanPlan = binaryPlan(oid)
	if !p.(binaryPlan).fits(m, format) {
		p = m.PlanScan(oid, format, &anyTarget)
	}
	if s.plans == nil {
		s.plans = make(map[uint64]pgtype.ScanPlan)
	}
	s.plans[key] = p
	return p
}

// binaryPlan scans a value of a fixed-size type (its OID) sent in binary format into *any,
// as the Go value pgx's codec decodes (int64, int32, int16, float64, float32, bool), without
// the allocation pgx's decoding makes for each value (it scans into a fresh variable that
// escapes).
type binaryPlan uint32

// fits reports whether p decodes its type in format as the type's codec in m does.
func (p binaryPlan) fits(m *pgtype.Map, format int16) bool {
	if format != pgx.BinaryFormatCode {
		return false
	}
	t, ok := m.TypeForOID(uint32(p))
	if !ok {
		return false
	}
	switch uint32(p) {
	case pgtype.Int8OID:
		_, ok = t.Codec.(pgtype.Int8Codec)
	case pgtype.Int4OID:
		_, ok = t.Codec.(pgtype.Int4Codec)
	case pgtype.Int2OID:
		_, ok = t.Codec.(pgtype.Int2Codec)
	case pgtype.Float8OID:
		_, ok = t.Codec.(pgtype.Float8Codec)
	case pgtype.Float4OID:
		_, ok = t.Codec.(pgtype.Float4Codec)
	case pgtype.BoolOID:
		_, ok = t.Codec.(pgtype.BoolCodec)
	default:
		ok = false
	}
	return ok
}

// Scan decodes src into *dst (nil for SQL NULL).
func (p binaryPlan) Scan(src []byte, dst any) error {
	d, ok := dst.(*any)
	if !ok {
		return pgtype.ErrScanTargetTypeChanged
	}
	if src == nil {
		*d = nil
		return nil
	}
	var name string
	var size int
	switch uint32(p) {
	case pgtype.Int8OID:
		if name, size = "int8", 8; len(src) == size {
			*d = int64(binary.BigEndian.Uint64(src))
			return nil
		}
	case pgtype.Int4OID:
		if name, size = "int4", 4; len(src) == size {
			*d = int32(binary.BigEndian.Uint32(src))
			return nil
		}
	case pgtype.Int2OID:
		if name, size = "int2", 2; len(src) == size {
			*d = int16(binary.BigEndian.Uint16(src))
			return nil
		}
	case pgtype.Float8OID:
		if name, size = "float8", 8; len(src) == size {
			*d = math.Float64frombits(binary.BigEndian.Uint64(src))
			return nil
		}
	case pgtype.Float4OID:
		if name, size = "float4", 4; len(src) == size {
			*d = math.Float32frombits(binary.BigEndian.Uint32(src))
			return nil
		}
	case pgtype.BoolOID:
		if len(src) == 1 {
			*d = src[0] == 1
			return nil
		}
		return fmt.Errorf("invalid length for bool: %v", len(src))
	default:
		return fmt.Errorf("postgresql: no binary plan for type %d", uint32(p))
	}
	return fmt.Errorf("%s: invalid length: expected %d bytes, got %d", name, size, len(src))
}

func (r *rows) Columns() []string {
	if !r.open {
		return r.cols
	}
	r.describe()
	return r.cols
}

func (r *rows) Next() bool {
	if !r.open {
		return false
	}
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
// for JSON columns. Other destinations are scanned by pgx.
func (r *rows) Scan(dest ...any) error {
	if !r.open {
		return errRowsClosed
	}
	r.describe()
	if len(dest) != len(r.cols) {
		return r.scanErr(r.r.Scan(dest...))
	}
	for _, d := range dest {
		if _, ok := d.(*any); !ok {
			return r.scanPgx(dest)
		}
	}
	raw := r.r.RawValues()
	fds := r.r.FieldDescriptions()
	for i, d := range dest {
		p := d.(*any)
		if plan := r.plans[i]; plan != nil {
			if err := plan.Scan(raw[i], p); err != nil {
				return r.scanErr(pgx.ScanArgError{ColumnIndex: i, FieldName: fds[i].Name, Err: err})
			}
			continue
		}
		b := raw[i] // a JSON column
		if b == nil {
			*p = nil
			continue
		}
		if fds[i].DataTypeOID == oidJSONB && fds[i].Format == pgx.BinaryFormatCode && len(b) > 0 {
			b = b[1:] // the binary format's version byte
		}
		*p = types.RawJSON(append([]byte(nil), b...))
	}
	return nil
}

// scanPgx scans into destinations of other types with pgx, JSON columns into *any aside.
func (r *rows) scanPgx(dest []any) error {
	if len(r.json) == 0 {
		return r.scanErr(r.r.Scan(dest...))
	}
	raw := r.r.RawValues()
	fds := r.r.FieldDescriptions()
	d := append([]any(nil), dest...)
	for _, i := range r.json {
		p, ok := dest[i].(*any)
		if !ok {
			continue
		}
		d[i] = nil // skipped by pgx
		b := raw[i]
		if b == nil {
			*p = nil
			continue
		}
		if fds[i].DataTypeOID == oidJSONB && fds[i].Format == pgx.BinaryFormatCode && len(b) > 0 {
			b = b[1:]
		}
		*p = types.RawJSON(append([]byte(nil), b...))
	}
	return r.scanErr(r.r.Scan(d...))
}

// scanErr passes a Scan error on with the dialect's name.
func (r *rows) scanErr(err error) error {
	if err != nil {
		return r.c.fail(r.ctx, err)
	}
	return nil
}

func (r *rows) Err() error {
	if !r.open {
		return nil
	}
	if err := r.r.Err(); err != nil {
		return r.c.fail(r.ctx, err)
	}
	return nil
}

// Close closes the result set and hands the rows value back to the session.
func (r *rows) Close() error {
	if !r.open {
		return nil
	}
	r.r.Close()
	err := r.r.Err()
	if r.br != nil {
		// Ends the pipeline (reads up to its sync), which frees the connection.
		if cerr := r.br.Close(); err == nil {
			err = cerr
		}
	}
	if r.mrr != nil {
		// Ends the batch (reads up to its sync), which frees the connection.
		if cerr := r.mrr.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			r.c.s.invalidate(r.sql)
		}
	}
	c, ctx := r.c, r.ctx
	r.open, r.ctx, r.r, r.br, r.mrr = false, nil, nil, nil, nil
	if err != nil {
		return c.fail(ctx, err)
	}
	return nil
}
