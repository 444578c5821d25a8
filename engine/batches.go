package engine

import (
	"context"
	"iter"
	"strconv"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
)

// StreamBatches executes stmt and returns an iterator over its rows in batches of up to n
// rows (1000 when n <= 0). Unlike Stream, the Conn is free while the loop body runs: the
// body may run other statements on it between two batches (the ORM loads the
// relationships of each batch of a stream that way). How the rows are read:
//
//   - on dialects with server-side cursors (PostgreSQL), a SELECT is read through
//     DECLARE ... CURSOR and one FETCH of n rows per batch, inside the active transaction
//     or one the stream opens and commits itself (the statements of the loop body then
//     run inside it too); memory holds one batch;
//   - where a connection can run statements while the rows of a query are open
//     (dialect.QueryInterleaver: SQLite), the rows are read as they arrive, n at a time;
//     memory holds one batch;
//   - elsewhere (MySQL and MariaDB, whose protocol cannot interleave statements with an
//     open result), the rows are read completely first and then yielded in batches, so
//     memory holds the whole result. Use Stream where nothing needs to run between
//     batches.
//
// A batch's slice and rows stay valid after the loop moves on. Breaking out of the loop
// closes the cursor and releases everything. An error ends the iteration with a nil batch
// and the error.
func (c *Conn) StreamBatches(ctx context.Context, stmt expr.Statement, n int) iter.Seq2[[]Row, error] {
	if n <= 0 {
		n = cursorFetchRows
	}
	return func(yield func([]Row, error) bool) {
		if err := c.enter(); err != nil {
			yield(nil, err)
			return
		}
		entered := true
		defer func() {
			if entered {
				c.leave()
			}
		}()
		// free yields a batch with the Conn free for the loop body, and takes it back.
		free := func(rows []Row, err error) bool {
			c.leave()
			entered = false
			if !yield(rows, err) || err != nil {
				return false
			}
			if err := c.enter(); err != nil {
				yield(nil, err)
				return false
			}
			entered = true
			return true
		}
		comp, err := compile.Compile(c.eng.dialect, stmt)
		if err != nil {
			yield(nil, err)
			return
		}
		if err := ctx.Err(); err != nil {
			yield(nil, &StatementError{SQL: comp.SQL, Err: err})
			return
		}
		if c.eng.dialect.Features().Has(compile.ServerSideCursors) && isQuery(comp.SQL) {
			c.cursorBatches(ctx, comp, n, true, free)
			return
		}
		dc, err := c.conn(ctx)
		if err != nil {
			yield(nil, err)
			return
		}
		if qi, ok := dc.(dialect.QueryInterleaver); !ok || !qi.InterleavesQueries() {
			res, err := c.run(ctx, comp)
			if err != nil {
				yield(nil, err)
				return
			}
			for part := range res.Partitions(n) {
				if !free(part, nil) {
					return
				}
			}
			return
		}
		var batch []Row
		rows := func(yield func(Row, error) bool) { c.stream(ctx, comp, yield) }
		for row, err := range rows {
			if err != nil {
				free(nil, err)
				return
			}
			batch = append(batch, row)
			if len(batch) == n {
				if !free(batch, nil) {
					return
				}
				batch = nil
			}
		}
		if len(batch) > 0 {
			free(batch, nil)
		}
	}
}

// cursorBatches reads a query through a server-side cursor, n rows per FETCH, and calls
// yield with each batch (or an error, which ends the stream). Rows of one batch are read
// completely before yield is called, so no result set is open while it runs. With free
// set, yield may run statements on the Conn (it is called with the Conn free); the cursor
// then goes on on the same underlying connection, or fails if that was discarded.
func (c *Conn) cursorBatches(ctx context.Context, comp *compile.Compiled, n int, free bool, yield func([]Row, error) bool) {
	dc, err := c.conn(ctx)
	if err != nil {
		yield(nil, err)
		return
	}
	args, err := c.convertArgs(comp)
	if err != nil {
		yield(nil, err)
		return
	}
	ownTx := len(c.txs) == 0
	if ownTx {
		c.eng.logTx(ctx, "BEGIN (stream)")
		if err := dc.Begin(ctx, dialect.TxOptions{}); err != nil {
			clear(args)
			yield(nil, c.statementError(ctx, "BEGIN", err))
			return
		}
	}
	c.curSeq++
	name := "retort_cursor_" + strconv.Itoa(c.curSeq)
	declare := "DECLARE " + name + " NO SCROLL CURSOR FOR " + comp.SQL
	fetch := "FETCH FORWARD " + strconv.Itoa(n) + " FROM " + name

	declared, failed := false, false
	defer func() {
		// Close the cursor and end the stream's own transaction, whether the loop ran to
		// the end, was broken out of, failed or panicked.
		if c.dc == nil || c.dc != dc {
			return // discarded after a cancellation: the server ended everything
		}
		if ctx.Err() != nil {
			c.invalidate()
			return
		}
		if ownTx {
			if failed {
				c.eng.logTx(ctx, "ROLLBACK (stream)")
				if err := c.dc.Rollback(ctx); err != nil {
					c.invalidate()
				}
				return
			}
			// Committing ends the cursor too.
			c.eng.logTx(ctx, "COMMIT (stream)")
			if err := c.dc.Commit(ctx); err != nil {
				c.invalidate()
			}
			return
		}
		if declared && !failed {
			closeSQL := "CLOSE " + name
			start := c.eng.statementStart()
			_, err := c.dc.Exec(ctx, closeSQL, nil)
			c.eng.logStatement(ctx, closeSQL, nil, start, -1, err)
			if err != nil {
				c.invalidate()
			}
		}
	}()

	start := c.eng.statementStart()
	_, err = dc.Exec(ctx, declare, args)
	clear(args)
	c.eng.logStatement(ctx, declare, comp.Args, start, -1, err)
	if err != nil {
		failed = true
		yield(nil, c.compiledError(ctx, comp, err))
		return
	}
	declared = true
	var meta *resultMeta
	for {
		if free && c.dc != dc {
			failed = true
			yield(nil, &StatementError{SQL: fetch, Err: ErrConnectionLost})
			return
		}
		start := c.eng.statementStart()
		rows, err := dc.Query(ctx, fetch, nil)
		c.eng.logStatement(ctx, fetch, nil, start, -1, err)
		if err != nil {
			failed = true
			yield(nil, c.compiledError(ctx, comp, err))
			return
		}
		if meta == nil {
			meta = c.metaFor(comp, rows)
		}
		ncol := len(meta.cols)
		flat := make([]any, 0, max(ncol, 1)*n)
		k := 0
		for rows.Next() {
			if flat, err = c.readRow(rows, meta, flat); err != nil {
				rows.Close()
				failed = true
				yield(nil, c.rowError(ctx, comp, err))
				return
			}
			k++
		}
		err = rows.Err()
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			failed = true
			yield(nil, c.compiledError(ctx, comp, err))
			return
		}
		if k > 0 {
			batch := make([]Row, k)
			for i := range batch {
				batch[i] = Row{vals: flat[i*ncol : (i+1)*ncol : (i+1)*ncol], meta: meta}
			}
			if !yield(batch, nil) {
				return
			}
		}
		if k < n {
			// The rows are all read; but if ctx ended while the loop ran, the deferred
			// cleanup cannot close the cursor and the connection is discarded (with the
			// caller's transaction): report that rather than end quietly.
			if err := ctx.Err(); err != nil {
				yield(nil, c.compiledError(ctx, comp, err))
			}
			return
		}
	}
}
