package postgres

// The transaction's BEGIN is deferred to its first statement and sent with it in one
// round trip; COMMIT and ROLLBACK of a transaction that sent nothing send nothing.

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/internal/conv"
)

// execBegin runs the pending BEGIN and then sql in one round trip: without arguments as
// one simple-protocol query "BEGIN ...;\nsql" (the protocol pgx uses for a statement
// without arguments anyway), with arguments as a batch of the two (see sendFirst), or a
// pgx batch in exec modes that do not prepare statements.
func (c *conn) execBegin(ctx context.Context, sql string, args []any) (dialect.ExecResult, error) {
	var tag pgconn.CommandTag
	var err error
	began := false // BEGIN ran
	switch {
	case len(args) == 0:
		// As pgx.Conn.Exec runs a statement without arguments, counting the results:
		// BEGIN's comes first unless the server rejected the whole text.
		mrr := c.c.Conn().PgConn().Exec(ctx, c.begin+";\n"+sql)
		for mrr.NextResult() {
			tag, _ = mrr.ResultReader().Close()
			began = true
		}
		err = mrr.Close()
	case c.pool.prepared:
		return c.execPrepared(ctx, sql, args)
	default:
		if err := c.checkArgs(ctx, sql, args); err == errRunAlone {
			return c.Exec(ctx, sql, args)
		} else if err != nil {
			return dialect.ExecResult{}, err
		}
		br := c.c.SendBatch(ctx, beginBatch(c.begin, sql, args))
		if _, err = br.Exec(); err == nil {
			began = true
			tag, err = br.Exec()
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}
	if !began && c.usable(ctx) {
		if err := c.beginAlone(ctx); err != nil {
			return dialect.ExecResult{}, err
		}
		return c.Exec(ctx, sql, args)
	}
	c.begin = ""
	if err != nil {
		return dialect.ExecResult{}, c.fail(ctx, err)
	}
	return dialect.ExecResult{RowsAffected: tag.RowsAffected()}, nil
}

// execPrepared is execBegin through sendFirst.
func (c *conn) execPrepared(ctx context.Context, sql string, args []any) (dialect.ExecResult, error) {
	mrr, err := c.sendFirst(ctx, sql, args)
	if err == errRunAlone {
		return c.Exec(ctx, sql, args)
	} else if err != nil {
		return dialect.ExecResult{}, err
	}
	var tag pgconn.CommandTag
	if err := c.batchTags(ctx, mrr, sql, &tag); err != nil {
		return dialect.ExecResult{}, err
	}
	return dialect.ExecResult{RowsAffected: tag.RowsAffected()}, nil
}

// batchTags reads the command tags of the next results of the pgconn batch mrr (sent for
// the statement sql) into tags, stopping at the first error, and ends the batch. On an
// error sql is prepared again next time, and the error is the connection's (fail).
func (c *conn) batchTags(ctx context.Context, mrr *pgconn.MultiResultReader, sql string, tags ...*pgconn.CommandTag) error {
	var err error
	for _, tag := range tags {
		if err != nil || !mrr.NextResult() {
			break
		}
		*tag, err = mrr.ResultReader().Close()
	}
	if cerr := mrr.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		c.s.invalidate(sql)
		return c.fail(ctx, err)
	}
	return nil
}

// queryBegin runs the pending BEGIN and then the query sql in one round trip (see
// sendFirst; a pgx batch in exec modes that do not prepare statements); the rows are read
// from the batch, which the returned Rows close.
func (c *conn) queryBegin(ctx context.Context, sql string, args []any) (dialect.Rows, error) {
	if c.pool.prepared {
		mrr, err := c.sendFirst(ctx, sql, args)
		switch {
		case err == errRunAlone:
			return c.Query(ctx, sql, args)
		case err != nil:
			return nil, err
		}
		return c.batchRows(ctx, mrr, sql)
	}
	switch err := c.checkArgs(ctx, sql, args); {
	case err == errRunAlone:
		return c.Query(ctx, sql, args)
	case err != nil:
		return nil, err
	}
	br := c.c.SendBatch(ctx, beginBatch(c.begin, sql, args))
	if _, err := br.Exec(); err != nil {
		br.Close() // reports err again
		if c.usable(ctx) {
			if err := c.beginAlone(ctx); err != nil {
				return nil, err
			}
			return c.Query(ctx, sql, args)
		}
		c.begin = ""
		return nil, c.fail(ctx, err)
	}
	c.begin = ""
	r, err := br.Query()
	if err != nil {
		br.Close()
		return nil, c.fail(ctx, err)
	}
	return newRows(ctx, c, r, br), nil
}

// batchRows returns the rows of the query sql, the next result of the pgconn batch mrr;
// closing them reads the batch to its end.
func (c *conn) batchRows(ctx context.Context, mrr *pgconn.MultiResultReader, sql string) (dialect.Rows, error) {
	if !mrr.NextResult() {
		err := mrr.Close()
		if err == nil {
			err = errors.New("postgresql: the query returned no result")
		}
		c.s.invalidate(sql)
		return nil, c.fail(ctx, err)
	}
	r := newRows(ctx, c, pgx.RowsFromResultReader(c.c.Conn().TypeMap(), mrr.ResultReader()), nil)
	r.mrr, r.sql = mrr, sql
	return r, nil
}

// sendFirst sends BEGIN and the transaction's first statement sql in one round trip, as a
// pgconn batch (one sync) of BEGIN and sql prepared by the driver for the connection. It
// returns the results after BEGIN's, which the caller reads and closes. Nothing is sent
// when the arguments cannot be encoded (pgx's error; BEGIN stays pending, as after a
// BEGIN of its own and nothing else). When the server rejects the statement (it cannot
// be prepared) or BEGIN did not run, BEGIN is sent alone and errRunAlone returned: the
// caller runs the statement after it the ordinary way, and it fails as it would have.
func (c *conn) sendFirst(ctx context.Context, sql string, args []any) (*pgconn.MultiResultReader, error) {
	pc := c.c.Conn()
	s := c.s
	sd := s.stmts[sql]
	if sd == nil {
		var err error
		if sd, err = s.prepare(ctx, pc.PgConn(), sql); err != nil {
			if c.usable(ctx) {
				if err := c.beginAlone(ctx); err != nil {
					return nil, err
				}
				return nil, errRunAlone
			}
			return nil, c.fail(ctx, err)
		}
	}
	if err := s.eqb.Build(pc.TypeMap(), sd, args); err != nil {
		s.invalidate(sql) // its parameter types may be stale, as pgx assumes too
		return nil, c.fail(ctx, err)
	}
	var b pgconn.Batch
	b.ExecParams(c.begin, nil, nil, nil, nil)
	b.ExecStatement(sd, s.eqb.ParamValues, s.eqb.ParamFormats, s.eqb.ResultFormats)
	mrr := pc.PgConn().ExecBatch(ctx, &b)
	var err error
	began := mrr.NextResult()
	if began {
		_, err = mrr.ResultReader().Close()
		began = err == nil
	}
	if !began {
		if cerr := mrr.Close(); err == nil {
			err = cerr
		}
		if c.usable(ctx) {
			if err := c.beginAlone(ctx); err != nil {
				return nil, err
			}
			return nil, errRunAlone
		}
		c.begin = ""
		return nil, c.fail(ctx, err)
	}
	c.begin = ""
	return mrr, nil
}

// errRunAlone is the signal of checkArgs and sendFirst that BEGIN has been sent on its
// own and the statement is to be run after it the ordinary way.
var errRunAlone = errors.New("postgresql: run the statement after BEGIN")

// checkArgs encodes args for sql's parameters before sql is sent after BEGIN in a
// pipeline: pgx closes the connection when it cannot encode a statement that follows
// another in a pipeline, so a bad argument would lose the connection, where after a BEGIN
// sent on its own it fails the statement and leaves the transaction usable. It returns nil
// to go on with the pipeline; pgx's encoding error, with nothing sent and BEGIN still
// pending (as after a BEGIN of its own and nothing else); or errRunAlone when the server
// rejects the statement (it cannot be prepared): BEGIN has then been sent alone, and the
// statement run after it fails again and leaves the transaction aborted, as before.
//
// The parameter types of a statement are asked from the server (an unnamed prepare, one
// round trip) the first time the connection sends it this way, then kept for the
// connection.
func (c *conn) checkArgs(ctx context.Context, sql string, args []any) error {
	if !c.pool.precheck || len(args) == 0 && strings.IndexByte(sql, '$') < 0 {
		return nil // nothing to encode
	}
	pc := c.c.Conn()
	s := c.s
	oids, known := s.params[sql]
	for {
		if !known {
			sd, err := pc.PgConn().Prepare(ctx, "", sql, nil)
			if err != nil {
				if c.usable(ctx) {
					if err := c.beginAlone(ctx); err != nil {
						return err
					}
					return errRunAlone
				}
				return c.fail(ctx, err)
			}
			if len(s.params) >= maxSessionParams {
				clear(s.params)
			}
			oids = sd.ParamOIDs
			s.params[sql] = oids
		}
		s.sd.ParamOIDs = oids
		err := s.eqb.Build(pc.TypeMap(), &s.sd, args)
		s.sd.ParamOIDs = nil
		if err == nil {
			return nil
		}
		if known {
			// The types may have changed since they were asked: ask again before failing.
			known = false
			continue
		}
		return c.fail(ctx, err)
	}
}

// beginBatch is the pipeline of a BEGIN statement and the transaction's first statement.
func beginBatch(begin, sql string, args []any) *pgx.Batch {
	return &pgx.Batch{QueuedQueries: []*pgx.QueuedQuery{{SQL: begin}, {SQL: sql, Arguments: args}}}
}

// usable reports, after BEGIN sent with the transaction's first statement did not run
// (the server rejected the statement before running anything: a syntax error in the
// text, a statement that cannot be prepared), that the connection is fine and BEGIN can be
// sent on its own.
func (c *conn) usable(ctx context.Context) bool {
	return ctx.Err() == nil && !c.c.Conn().IsClosed()
}

// beginAlone sends the pending BEGIN on its own, for the caller to run the statement
// again after it, as a BEGIN sent by Begin would have been followed by it: the statement
// fails again in the same way, now inside the transaction, which it leaves aborted as
// before. Only a statement that ran nothing comes here, so nothing runs twice.
func (c *conn) beginAlone(ctx context.Context) error {
	begin := c.begin
	c.begin = ""
	if _, err := c.c.Exec(ctx, begin); err != nil {
		return c.fail(ctx, err)
	}
	return nil
}

// beginStatements holds the BEGIN statement of every isolation level (index 0: the
// server's default, then those of isolationLevels), read-write then read-only.
var beginStatements = [2 * (1 + len(isolationLevels))]string{}

// isolationLevels are the isolation levels PostgreSQL accepts, upper case.
var isolationLevels = [...]string{"SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED", "READ UNCOMMITTED"}

func init() {
	n := 1 + len(isolationLevels)
	for i := 0; i < n; i++ {
		sql := "BEGIN"
		if i > 0 {
			sql += " ISOLATION LEVEL " + isolationLevels[i-1]
		}
		beginStatements[i] = sql
		beginStatements[n+i] = sql + " READ ONLY"
	}
}

// beginStatement returns the BEGIN statement for an isolation level ("" for the server's
// default, otherwise one of isolationLevels) and access mode, without allocating.
func beginStatement(level string, readOnly bool) (string, error) {
	i := 0
	if level != "" {
		for j, l := range isolationLevels {
			if l == level {
				i = j + 1
				break
			}
		}
		if i == 0 {
			return "", checkIsolation(level)
		}
	}
	if readOnly {
		i += 1 + len(isolationLevels)
	}
	return beginStatements[i], nil
}

// Begin starts a transaction with the requested (or the engine's default) isolation level.
// It checks the options and records the transaction; BEGIN is sent with the transaction's
// first statement (see conn).
func (c *conn) Begin(ctx context.Context, opts dialect.TxOptions) error {
	level := c.pool.isolation
	if opts.IsolationLevel != "" {
		level = conv.Isolation(opts.IsolationLevel)
	}
	begin, err := beginStatement(level, opts.ReadOnly)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return conv.DriverErr(ctx, "postgresql", err)
	}
	c.begin = begin
	return nil
}

// ErrRolledBack is returned by Commit when the transaction had failed (a statement in it
// raised an error) and the server rolled it back instead of committing.
var ErrRolledBack = errors.New("postgresql: the transaction was rolled back, not committed: a statement in it had failed")

// Commit commits; a failed transaction is rolled back by the server and reported as
// ErrRolledBack. A transaction that has not sent BEGIN yet (it ran no statement) just
// ends: there is nothing to commit and nothing is sent.
func (c *conn) Commit(ctx context.Context) error {
	if c.begin != "" {
		c.begin = ""
		return conv.DriverErr(ctx, "postgresql", ctx.Err())
	}
	tag, err := c.c.Exec(ctx, "COMMIT")
	if err != nil {
		return c.fail(ctx, err)
	}
	if tag.String() == "ROLLBACK" {
		return ErrRolledBack
	}
	return nil
}

// Rollback rolls back. A transaction that has not sent BEGIN yet just ends, without a
// round trip.
func (c *conn) Rollback(ctx context.Context) error {
	if c.begin != "" {
		c.begin = ""
		return conv.DriverErr(ctx, "postgresql", ctx.Err())
	}
	_, err := c.Exec(ctx, "ROLLBACK", nil)
	return err
}
