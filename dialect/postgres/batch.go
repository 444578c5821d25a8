package postgres

import (
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/retortdb/retort/dialect"
)

// Statements of a batch (the flush's UPDATEs of many rows) go in one pgconn batch, one
// sync, with the pending BEGIN in front: one round trip for all of them. Each is prepared
// by the driver for the connection (a new statement costs one prepare round trip first,
// as for sendFirst), and every argument is encoded before anything is sent, so a bad
// argument or a statement the server cannot prepare fails with nothing sent (a pending
// BEGIN stays pending, for the caller's ROLLBACK to drop). When a statement fails, the
// server skips the rest up to the sync and the transaction is left aborted.

var _ dialect.Batcher = (*conn)(nil)

// ExecBatch runs the statements in one round trip (one after another in exec modes that
// do not prepare statements).
func (c *conn) ExecBatch(ctx context.Context, sqls []string, args [][]any) ([]dialect.ExecResult, error) {
	if len(sqls) != len(args) {
		return nil, errors.New("postgresql: ExecBatch: one argument list per statement")
	}
	out := make([]dialect.ExecResult, 0, len(sqls))
	if !c.pool.prepared {
		for i, sql := range sqls {
			er, err := c.Exec(ctx, sql, args[i])
			if err != nil {
				return out, err
			}
			out = append(out, er)
		}
		return out, nil
	}
	mrr, begin, err := c.sendBatch(ctx, sqls, args)
	if err != nil {
		return out, err
	}
	s := c.s
	if begin != "" {
		if !mrr.NextResult() {
			err = errors.New("postgresql: BEGIN returned no result")
		} else {
			_, err = mrr.ResultReader().Close()
		}
	}
	for i := 0; err == nil && i < len(sqls); i++ {
		if !mrr.NextResult() {
			err = errors.New("postgresql: a statement of the batch returned no result")
			break
		}
		var tag pgconn.CommandTag
		if tag, err = mrr.ResultReader().Close(); err != nil {
			s.invalidate(sqls[i])
			break
		}
		out = append(out, dialect.ExecResult{RowsAffected: tag.RowsAffected()})
	}
	if cerr := mrr.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return out, c.fail(ctx, err)
	}
	return out, nil
}

// sendBatch sends sqls with args as one pgconn batch, one sync, with the transaction's
// pending BEGIN in front (begin is what was sent, "" for none), and returns the batch's
// results to read in order. Each statement is prepared by the driver for the connection
// first when it is new; every argument is encoded before anything is sent, so a bad
// argument or a statement the server cannot prepare fails with nothing sent (a pending
// BEGIN stays pending). pgconn encodes each statement's Bind message when it is added,
// so the builder's buffers may be reused for the next one.
func (c *conn) sendBatch(ctx context.Context, sqls []string, args [][]any) (mrr *pgconn.MultiResultReader, begin string, err error) {
	pc := c.c.Conn()
	s := c.s
	var b pgconn.Batch
	begin = c.begin
	if begin != "" {
		b.ExecParams(begin, nil, nil, nil, nil)
	}
	for i, sql := range sqls {
		sd := s.stmts[sql]
		if sd == nil {
			if sd, err = s.prepare(ctx, pc.PgConn(), sql); err != nil {
				return nil, "", c.fail(ctx, err)
			}
		}
		if err := s.eqb.Build(pc.TypeMap(), sd, args[i]); err != nil {
			s.invalidate(sql)
			return nil, "", c.fail(ctx, err)
		}
		b.ExecStatement(sd, s.eqb.ParamValues, s.eqb.ParamFormats, slices.Clone(s.eqb.ResultFormats))
	}
	c.begin = ""
	return pc.PgConn().ExecBatch(ctx, &b), begin, nil
}
