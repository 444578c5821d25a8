package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/retortdb/retort/dialect"
)

// A transaction's last statement and its COMMIT go in one pgconn batch (one sync), with
// the pending BEGIN in front when the transaction has sent nothing yet: BEGIN; statement;
// COMMIT in one round trip. The statement is prepared by the driver for the connection
// (as for sendFirst): a new statement costs one prepare round trip first, and arguments
// are encoded before anything is sent. When the statement fails, the server skips COMMIT
// (everything up to the sync) and the transaction stays open and aborted, for the
// caller's ROLLBACK. A statement the server cannot prepare fails before anything else is
// sent (BEGIN stays pending, for the caller's ROLLBACK to drop without a round trip). Exec
// modes that do not prepare statements do not pipeline.

var _ dialect.CommitPipeliner = (*conn)(nil)

// PipelinesCommit reports whether the pool prepares statements (the default exec mode).
func (c *conn) PipelinesCommit() bool { return c.pool.prepared }

// sendCommit sends [BEGIN;] sql; COMMIT and returns the results from sql's on.
func (c *conn) sendCommit(ctx context.Context, sql string, args []any) (*pgconn.MultiResultReader, error) {
	pc := c.c.Conn()
	s := c.s
	sd := s.stmts[sql]
	if sd == nil {
		var err error
		if sd, err = s.prepare(ctx, pc.PgConn(), sql); err != nil {
			return nil, c.fail(ctx, err)
		}
	}
	if err := s.eqb.Build(pc.TypeMap(), sd, args); err != nil {
		s.invalidate(sql)
		return nil, c.fail(ctx, err)
	}
	var b pgconn.Batch
	begin := c.begin
	if begin != "" {
		b.ExecParams(begin, nil, nil, nil, nil)
	}
	b.ExecStatement(sd, s.eqb.ParamValues, s.eqb.ParamFormats, s.eqb.ResultFormats)
	b.ExecParams("COMMIT", nil, nil, nil, nil)
	c.begin = ""
	mrr := pc.PgConn().ExecBatch(ctx, &b)
	if begin != "" {
		var err error
		if mrr.NextResult() {
			_, err = mrr.ResultReader().Close()
		} else {
			err = errors.New("postgresql: BEGIN returned no result")
		}
		if err != nil {
			if cerr := mrr.Close(); cerr != nil {
				err = cerr
			}
			return nil, c.fail(ctx, err)
		}
	}
	return mrr, nil
}

// ExecCommit runs sql and commits in one round trip.
func (c *conn) ExecCommit(ctx context.Context, sql string, args []any) (dialect.ExecResult, error) {
	mrr, err := c.sendCommit(ctx, sql, args)
	if err != nil {
		return dialect.ExecResult{}, err
	}
	var tag, ctag pgconn.CommandTag
	if err := c.batchTags(ctx, mrr, sql, &tag, &ctag); err != nil {
		return dialect.ExecResult{}, err
	}
	if ctag.String() != "COMMIT" {
		return dialect.ExecResult{}, ErrRolledBack
	}
	return dialect.ExecResult{RowsAffected: tag.RowsAffected()}, nil
}

// QueryCommit runs the query sql and commits in one round trip; the rows are read from the
// batch, and their Close reads COMMIT's result.
func (c *conn) QueryCommit(ctx context.Context, sql string, args []any) (dialect.Rows, error) {
	mrr, err := c.sendCommit(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	return c.batchRows(ctx, mrr, sql)
}
