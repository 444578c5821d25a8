package engine

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// Conn is one pooled database connection, from Engine.Connect. It is used by one goroutine
// at a time (a concurrent call fails with ErrBusy rather than corrupting state) and lives
// until Close, which returns it to the pool.
//
// Outside a transaction each statement commits on its own (autocommit). Begin,
// Transaction and Nested open transactions and savepoints.
//
// If a statement is cancelled through its context, or its connection is lost
// (ErrConnectionLost: a server restart, a terminated backend), the underlying connection
// is discarded (it may be in an unknown state); a Conn outside a transaction then checks
// out a fresh connection for its next statement, while a Conn inside a transaction
// reports ErrTxInvalid until the transaction is rolled back (which then succeeds).
type Conn struct {
	eng   *Engine
	busy  atomic.Bool
	dc    dialect.Conn // nil after Close or invalidation
	state connState

	reads  *ReplicaSet // set for a replica connection from ConnectRead (see failover)
	txs    []*Tx       // active transaction (txs[0]) and savepoints, innermost last
	txLost bool        // the connection was discarded during a transaction
	// sessionSet: a statement changed the connection's session (SET, USE); the
	// connection is closed instead of going back to the pool.
	sessionSet bool
	spSeq      int // savepoint name counter
	curSeq     int // cursor name counter

	// Buffers reused from statement to statement (the Conn is single-goroutine).
	args    []any
	scratch []any
	ptrs    []any
	// rowsHint is the most rows the statement being executed can return, or 0 (see
	// rowsHint).
	rowsHint int
}

type connState uint8

const (
	connOpen connState = iota
	connClosed
)

// enter marks the Conn busy for one operation.
func (c *Conn) enter() error {
	if !c.busy.CompareAndSwap(false, true) {
		return ErrBusy
	}
	if c.state == connClosed {
		c.busy.Store(false)
		return ErrClosed
	}
	return nil
}

func (c *Conn) leave() { c.busy.Store(false) }

// conn returns the underlying connection, checking a new one out of the pool when the
// previous one was discarded (outside a transaction).
func (c *Conn) conn(ctx context.Context) (dialect.Conn, error) {
	if c.dc != nil {
		return c.dc, nil
	}
	if c.txLost {
		return nil, ErrTxInvalid
	}
	if c.eng.closed.Load() {
		return nil, ErrClosed
	}
	dc, err := c.eng.pool.Acquire(ctx)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w: %w", ctxErr, err)
		}
		return nil, fmt.Errorf("engine: acquire connection: %w", scrub(err, c.eng.url.Password))
	}
	c.eng.inUse.Add(1)
	c.eng.acquired.Add(1)
	c.dc = dc
	return dc, nil
}

// invalidate discards the underlying connection (after a cancelled or failed statement
// that may have left it in an unknown state). An active transaction is lost with it.
func (c *Conn) invalidate() {
	if c.dc == nil {
		return
	}
	c.dc.Release(true)
	c.dc = nil
	c.sessionSet = false
	c.eng.inUse.Add(-1)
	if len(c.txs) > 0 {
		c.txLost = true
	}
}

// release returns the underlying connection to the pool, or closes it when a statement
// changed its session (see OnConnect).
func (c *Conn) release() {
	if c.dc == nil {
		return
	}
	c.dc.Release(c.sessionSet)
	c.dc = nil
	c.sessionSet = false
	c.eng.inUse.Add(-1)
}

// Close rolls back an active transaction and returns the connection to the pool. Further
// use of the Conn fails with ErrClosed; closing again returns nil. Close fails with ErrBusy
// while a Stream over the Conn is being iterated.
func (c *Conn) Close() error {
	if !c.busy.CompareAndSwap(false, true) {
		return ErrBusy
	}
	defer c.leave()
	if c.state == connClosed {
		return nil
	}
	c.state = connClosed
	if len(c.txs) > 0 && c.dc != nil {
		// Closing with an open transaction rolls it back; if that fails the connection is
		// discarded, which ends the transaction on the server.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c.eng.logTx(ctx, "ROLLBACK")
		if err := c.dc.Rollback(ctx); err != nil {
			c.invalidate()
		}
		cancel()
	}
	for _, tx := range c.txs {
		tx.done = true
	}
	c.txs = nil
	c.txLost = false
	c.release()
	c.args, c.scratch, c.ptrs = nil, nil, nil
	return nil
}

// Engine returns the engine the Conn belongs to.
func (c *Conn) Engine() *Engine { return c.eng }

// InTransaction reports whether a transaction is active on the Conn.
func (c *Conn) InTransaction() bool { return len(c.txs) > 0 }

// Execute compiles stmt for the engine's dialect (reusing the cached rendering of
// statements of the same shape), runs it and returns its buffered Result. Statement
// failures are *StatementError values carrying the SQL and unwrapping to the cause (an
// *IntegrityError, the context's error, or the driver's error); compile errors wrap
// compile.ErrCompile.
func (c *Conn) Execute(ctx context.Context, stmt expr.Statement) (*Result, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.leave()
	comp, err := compile.Compile(c.eng.dialect, stmt)
	if err != nil {
		return nil, err
	}
	c.rowsHint = rowsHint(stmt)
	defer func() { c.rowsHint = 0 }()
	res, err := c.run(ctx, comp)
	if err != nil && c.failover(ctx, stmt, err) {
		if comp, err = compile.Compile(c.eng.dialect, stmt); err != nil {
			return nil, err
		}
		return c.run(ctx, comp)
	}
	return res, err
}

// Scalar executes stmt and returns the first column of its first row (ErrNoResult when it
// returns no row; nil for SQL NULL).
func (c *Conn) Scalar(ctx context.Context, stmt expr.Statement) (any, error) {
	res, err := c.Execute(ctx, stmt)
	if err != nil {
		return nil, err
	}
	return res.Scalar()
}

// Scalars executes stmt and returns the first column of every row.
func (c *Conn) Scalars(ctx context.Context, stmt expr.Statement) (*ScalarResult, error) {
	res, err := c.Execute(ctx, stmt)
	if err != nil {
		return nil, err
	}
	return res.Scalars(), nil
}

// execSQL runs one raw SQL statement with positional arguments in the dialect's
// placeholder style. returnsRows says whether to read rows or to report rows affected.
func (c *Conn) execSQL(ctx context.Context, sql string, returnsRows bool, args ...any) (*Result, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.leave()
	return c.run(ctx, &compile.Compiled{SQL: sql, Args: args, ArgTypes: make([]types.Type, len(args)), Returns: returnsRows})
}

// convertArgs converts the compiled arguments for the driver into the Conn's reused buffer.
func (c *Conn) convertArgs(comp *compile.Compiled) ([]any, error) {
	n := len(comp.Args)
	if n == 0 {
		return nil, nil
	}
	if cap(c.args) < n {
		c.args = make([]any, n)
	}
	args := c.args[:n]
	d := c.eng.dialect
	for i, a := range comp.Args {
		var t types.Type
		if i < len(comp.ArgTypes) {
			t = comp.ArgTypes[i]
		}
		v, err := d.ConvertArg(a, t)
		if err != nil {
			clear(args)
			return nil, &StatementError{SQL: comp.SQL, Err: fmt.Errorf("parameter %d: %w", i+1, err)}
		}
		args[i] = v
	}
	return args, nil
}

// statementError builds the error for a failed statement, classified by the dialect,
// discarding the connection when the failure came from the context (the connection may
// be mid-protocol) or when the connection was lost.
func (c *Conn) statementError(ctx context.Context, sql string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		c.invalidate()
		if !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w: %w", ctxErr, err)
		}
		return &StatementError{SQL: sql, Err: scrub(err, c.eng.url.Password)}
	}
	err = c.eng.dialect.ClassifyError(err)
	if errors.Is(err, ErrConnectionLost) {
		// The connection is gone: discard it (and with it an active transaction), so
		// that the Conn checks out a fresh one once the transaction is rolled back.
		c.invalidate()
	}
	return &StatementError{SQL: sql, Err: scrub(err, c.eng.url.Password)}
}

// run executes a compiled statement and buffers its result.
func (c *Conn) run(ctx context.Context, comp *compile.Compiled) (*Result, error) {
	return c.runCommit(ctx, comp, false)
}

// runCommit is run; with commit set, the statement is sent with the transaction's COMMIT
// through the driver's dialect.CommitPipeliner (which the caller checked the connection
// has).
func (c *Conn) runCommit(ctx context.Context, comp *compile.Compiled, commit bool) (*Result, error) {
	if err := ctx.Err(); err != nil {
		// Nothing was sent: the connection stays as it is.
		return nil, &StatementError{SQL: comp.SQL, Err: err}
	}
	dc, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	if changesSession(comp.SQL) {
		c.sessionSet = true
	}
	args, err := c.convertArgs(comp)
	if err != nil {
		return nil, err
	}
	defer clear(args)
	var cp dialect.CommitPipeliner
	if commit {
		cp = dc.(dialect.CommitPipeliner)
	}
	start := c.eng.statementStart()
	res, err := c.send(ctx, dc, cp, comp, args)
	rows := int64(-1)
	if res != nil {
		rows = res.rowsAffected
	}
	c.eng.logStatement(ctx, comp.SQL, comp.Args, start, rows, err)
	return res, err
}

// send runs comp on dc (through cp when it commits too) and reads its result.
func (c *Conn) send(ctx context.Context, dc dialect.Conn, cp dialect.CommitPipeliner, comp *compile.Compiled, args []any) (*Result, error) {
	var err error
	if !comp.Returns {
		var er dialect.ExecResult
		if cp != nil {
			er, err = cp.ExecCommit(ctx, comp.SQL, args)
		} else {
			er, err = dc.Exec(ctx, comp.SQL, args)
		}
		if err != nil {
			return nil, c.compiledError(ctx, comp, err)
		}
		return &Result{rowsAffected: er.RowsAffected, lastInsertID: er.LastInsertID, hasLastInsertID: er.HasLastInsertID}, nil
	}
	var rows dialect.Rows
	if cp != nil {
		rows, err = cp.QueryCommit(ctx, comp.SQL, args)
	} else {
		rows, err = dc.Query(ctx, comp.SQL, args)
	}
	if err != nil {
		return nil, c.compiledError(ctx, comp, err)
	}
	res, rowErr, err := c.readResult(comp, rows)
	if err != nil {
		rows.Close()
		if rowErr {
			return nil, c.rowError(ctx, comp, err)
		}
		return nil, c.compiledError(ctx, comp, err)
	}
	if err := rows.Close(); err != nil {
		return nil, c.compiledError(ctx, comp, err)
	}
	return res, nil
}

// readResult reads every row of rows (which the caller closes) into a Result. On failure
// it returns the error unclassified (the caller closes the rows first, then classifies
// it: rowError when rowErr is set, compiledError otherwise).
func (c *Conn) readResult(comp *compile.Compiled, rows dialect.Rows) (res *Result, rowErr bool, err error) {
	meta := c.metaFor(comp, rows)
	res = &Result{meta: meta}
	ncol := len(meta.cols)
	// The values go in chunks of growing size (1 row, then 8, 16, 32, ... up to
	// resultChunkRows): never copied as they would be by a growing slice, and for most
	// results less memory than one slice grown by doubling.
	var chunks [][]any
	var cur []any
	n := 0
	for rows.Next() {
		if len(cur)+ncol > cap(cur) {
			if cur != nil {
				chunks = append(chunks, cur)
			}
			rowsIn := 1
			switch {
			case n > 0:
				rowsIn = min(max(8, n), resultChunkRows)
			case c.rowsHint > 0:
				rowsIn = c.rowsHint
			}
			cur = make([]any, 0, max(ncol, 1)*rowsIn)
		}
		if cur, err = c.readRow(rows, meta, cur); err != nil {
			return nil, true, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	switch {
	case n == 1:
		res.one[0] = Row{vals: cur[:ncol:ncol], meta: meta}
		res.rows = res.one[:]
	case n > 1:
		res.chunks, res.n = append(chunks, cur), n // rows built when asked for (Result.All)
	default:
		res.rows = []Row{}
	}
	res.rowsAffected = int64(n)
	return res, false, nil
}

// resultChunkRows bounds the rows of one allocation of a buffered result's values.
const resultChunkRows = 1024

// rowsHint returns the LIMIT of a SELECT whose limit is a bound integer (what
// SelectStmt.Limit makes), the most rows it can return, or 0; the result's first chunk
// is sized for it (see readResult).
func rowsHint(stmt expr.Statement) int {
	sel, ok := stmt.(*expr.SelectStmt)
	if !ok {
		return 0
	}
	b, ok := sel.LimitExpr.(*expr.Bind)
	if !ok {
		return 0
	}
	n, ok := b.Value.(int64)
	if !ok || n <= 0 {
		return 0
	}
	return int(min(n, resultChunkRows))
}

// metaFor describes the result columns: the compiled names and types when they match the
// driver's column count, otherwise the driver's names with unknown types.
func (c *Conn) metaFor(comp *compile.Compiled, rows dialect.Rows) *resultMeta {
	names := rows.Columns()
	if len(comp.Columns) == len(names) {
		if len(names) == 0 {
			return &resultMeta{}
		}
		// Compiled statements of one shape share their Columns slice: reuse the meta of
		// the previous result when it describes the same columns.
		if m := c.eng.lastMeta.Load(); m != nil && len(m.cols) == len(comp.Columns) && &m.cols[0] == &comp.Columns[0] {
			return m
		}
		m := &resultMeta{cols: comp.Columns}
		c.eng.lastMeta.Store(m)
		return m
	}
	cols := make([]compile.ResultColumn, len(names))
	for i, n := range names {
		cols[i].Name = n
	}
	return &resultMeta{cols: cols}
}

// columnError is a value conversion failure in one column of a result.
type columnError struct {
	column string
	err    error
}

func (e *columnError) Error() string {
	return "column " + strconv.Quote(e.column) + ": " + e.err.Error()
}
func (e *columnError) Unwrap() error { return e.err }

// rowError reports a failure while reading a row: a conversion error as is (the
// connection is fine), a driver error as a statement error.
func (c *Conn) rowError(ctx context.Context, comp *compile.Compiled, err error) error {
	var ce *columnError
	if errors.As(err, &ce) {
		return &StatementError{SQL: comp.SQL, Err: err}
	}
	return c.compiledError(ctx, comp, err)
}

// readRow scans the current row, converts each value to its column type's canonical Go
// value and appends the values to flat.
func (c *Conn) readRow(rows dialect.Rows, meta *resultMeta, flat []any) ([]any, error) {
	ncol := len(meta.cols)
	if len(c.scratch) != ncol {
		buf := make([]any, 2*ncol)
		c.scratch, c.ptrs = buf[:ncol:ncol], buf[ncol:]
		for i := range c.scratch {
			c.ptrs[i] = &c.scratch[i]
		}
	}
	if err := rows.Scan(c.ptrs...); err != nil {
		return flat, err
	}
	if cap(flat)-len(flat) < ncol {
		grown := make([]any, len(flat), max(2*cap(flat), ncol))
		copy(grown, flat)
		flat = grown
	}
	d := c.eng.dialect
	for i := range meta.cols {
		src := c.scratch[i]
		c.scratch[i] = nil
		t := meta.cols[i].Type
		if canonical(src, t.Kind) {
			flat = append(flat, src)
			continue
		}
		v, err := d.ConvertResult(src, t)
		if err != nil {
			return flat, &columnError{column: meta.cols[i].Name, err: err}
		}
		flat = append(flat, v)
	}
	return flat, nil
}

// canonical reports whether src already is the canonical Go value of a column of kind k,
// for the kinds whose canonical value needs no normalisation (integers, booleans, doubles,
// strings); such values skip the dialect's conversion.
func canonical(src any, k types.Kind) bool {
	switch src.(type) {
	case int64:
		return k == types.KindInteger || k == types.KindBigInt || k == types.KindSmallInt
	case string:
		return k == types.KindString || k == types.KindText
	case bool:
		return k == types.KindBoolean
	case float64:
		return k == types.KindDouble
	}
	return false
}

// streamChunkRows is how many rows' values a Stream without a cursor allocates at a time;
// cursorFetchRows is how many rows each FETCH reads on dialects with server-side cursors.
const (
	streamChunkRows = 256
	cursorFetchRows = 1000
)

// Stream executes stmt and returns an iterator over its rows that holds only a bounded
// number of rows in memory, however many the statement returns. On dialects with
// server-side cursors (PostgreSQL) a SELECT is read through DECLARE ... CURSOR and FETCH
// in batches, inside the active transaction or one the stream opens and commits itself;
// elsewhere the driver's rows are read as they arrive.
//
// Each iteration runs the statement anew. Breaking out of the loop closes the cursor and
// releases everything. An error ends the iteration with a zero Row and the error. While
// the loop runs, the Conn cannot be used for other statements (they fail with ErrBusy).
func (c *Conn) Stream(ctx context.Context, stmt expr.Statement) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		if err := c.enter(); err != nil {
			yield(Row{}, err)
			return
		}
		defer c.leave()
		comp, err := compile.Compile(c.eng.dialect, stmt)
		if err != nil {
			yield(Row{}, err)
			return
		}
		if c.reads == nil {
			c.stream(ctx, comp, yield)
			return
		}
		// A replica connection: a read lost before its first row runs again on the
		// primary (see failover).
		started, again := false, false
		c.stream(ctx, comp, func(r Row, err error) bool {
			if err != nil && !started && c.failover(ctx, stmt, err) {
				again = true
				return false
			}
			started = true
			return yield(r, err)
		})
		if again {
			if comp, err = compile.Compile(c.eng.dialect, stmt); err != nil {
				yield(Row{}, err)
				return
			}
			c.stream(ctx, comp, yield)
		}
	}
}

// StreamScalars is Stream yielding the first column of each row.
func (c *Conn) StreamScalars(ctx context.Context, stmt expr.Statement) iter.Seq2[any, error] {
	return func(yield func(any, error) bool) {
		for row, err := range c.Stream(ctx, stmt) {
			if !yield(row.Get(0), err) {
				return
			}
		}
	}
}

func (c *Conn) stream(ctx context.Context, comp *compile.Compiled, yield func(Row, error) bool) {
	if err := ctx.Err(); err != nil {
		yield(Row{}, &StatementError{SQL: comp.SQL, Err: err})
		return
	}
	if c.eng.dialect.Features().Has(compile.ServerSideCursors) && isQuery(comp.SQL) {
		c.streamCursor(ctx, comp, yield)
		return
	}
	dc, err := c.conn(ctx)
	if err != nil {
		yield(Row{}, err)
		return
	}
	args, err := c.convertArgs(comp)
	if err != nil {
		yield(Row{}, err)
		return
	}
	start := c.eng.statementStart()
	rows, err := dc.Query(ctx, comp.SQL, args)
	clear(args)
	c.eng.logStatement(ctx, comp.SQL, comp.Args, start, -1, err)
	if err != nil {
		yield(Row{}, c.compiledError(ctx, comp, err))
		return
	}
	closed := false
	defer func() {
		if !closed {
			rows.Close()
		}
	}()
	meta := c.metaFor(comp, rows)
	ncol := len(meta.cols)
	var chunk []any
	for rows.Next() {
		if len(chunk)+ncol > cap(chunk) {
			chunk = make([]any, 0, max(ncol, 1)*streamChunkRows)
		}
		start := len(chunk)
		if chunk, err = c.readRow(rows, meta, chunk); err != nil {
			yield(Row{}, c.rowError(ctx, comp, err))
			return
		}
		if !yield(Row{vals: chunk[start:len(chunk):len(chunk)], meta: meta}, nil) {
			return
		}
	}
	closed = true
	if err := rows.Err(); err != nil {
		rows.Close()
		yield(Row{}, c.compiledError(ctx, comp, err))
		return
	}
	// A driver may end the rows quietly when ctx ends (the result is then cut short and
	// the connection dropped): the context's error is the stream's.
	if err := ctx.Err(); err != nil {
		rows.Close()
		yield(Row{}, c.compiledError(ctx, comp, err))
		return
	}
	if err := rows.Close(); err != nil {
		yield(Row{}, c.compiledError(ctx, comp, err))
	}
}

// streamCursor reads a query through a server-side cursor, cursorFetchRows rows at a time
// (see cursorBatches), yielding its rows one by one; the Conn stays busy throughout.
func (c *Conn) streamCursor(ctx context.Context, comp *compile.Compiled, yield func(Row, error) bool) {
	c.cursorBatches(ctx, comp, cursorFetchRows, false, func(rows []Row, err error) bool {
		if err != nil {
			return yield(Row{}, err)
		}
		for _, row := range rows {
			if !yield(row, nil) {
				return false
			}
		}
		return true
	})
}

// isQuery reports whether sql is a query that may be declared as a cursor (SELECT, VALUES,
// TABLE, or WITH ... SELECT), as opposed to DML with RETURNING.
func isQuery(sql string) bool {
	s := strings.TrimLeft(sql, " \t\r\n(")
	word := s
	if i := strings.IndexAny(s, " \t\r\n("); i >= 0 {
		word = s[:i]
	}
	switch strings.ToUpper(word) {
	case "SELECT", "VALUES", "TABLE":
		return true
	case "WITH":
		// A WITH that wraps INSERT/UPDATE/DELETE cannot be a cursor.
		u := strings.ToUpper(s)
		return !strings.Contains(u, "INSERT ") && !strings.Contains(u, "UPDATE ") && !strings.Contains(u, "DELETE ")
	}
	return false
}
