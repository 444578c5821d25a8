package postgres

import (
	"context"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/retortdb/retort/dialect"
)

// Several queries go in one pgconn batch (one sync, one round trip), with the pending
// BEGIN in front when the transaction has sent nothing yet: the ORM's selectin loads of
// sibling relationships (and the chunks of one) are independent, so they need not wait
// for each other. The statements are prepared by the driver for the connection, as for
// sendFirst (a new statement costs one prepare round trip first, then none), and every
// argument is encoded before anything is sent. A failing query makes the server skip
// the rest of the batch; the error is the query's.

var _ dialect.QueryPipeliner = (*conn)(nil)

// PipelinesQueries reports whether the pool prepares statements (the default exec mode).
func (c *conn) PipelinesQueries() bool { return c.pool.prepared }

// QueryPipeline runs the queries in one round trip and hands their rows to read in order.
func (c *conn) QueryPipeline(ctx context.Context, sqls []string, args [][]any, read func(i int, rows dialect.Rows) error) error {
	pc := c.c.Conn()
	s := c.s
	var b pgconn.Batch
	begin := c.begin
	if begin != "" {
		b.ExecParams(begin, nil, nil, nil, nil)
	}
	for i, sql := range sqls {
		sd := s.stmts[sql]
		if sd == nil {
			var err error
			if sd, err = s.prepare(ctx, pc.PgConn(), sql); err != nil {
				return c.fail(ctx, err)
			}
		}
		if err := s.eqb.Build(pc.TypeMap(), sd, args[i]); err != nil {
			s.invalidate(sql)
			return c.fail(ctx, err)
		}
		// The builder's buffers are reused by the next Build: the batch keeps copies.
		vals := make([][]byte, len(s.eqb.ParamValues))
		for k, v := range s.eqb.ParamValues {
			if v != nil {
				vals[k] = slices.Clone(v)
			}
		}
		b.ExecStatement(sd, vals, slices.Clone(s.eqb.ParamFormats), slices.Clone(s.eqb.ResultFormats))
	}
	c.begin = ""
	mrr := pc.PgConn().ExecBatch(ctx, &b)
	fail := func(err error, sql string) error {
		if cerr := mrr.Close(); err == nil {
			err = cerr
		}
		if sql != "" {
			s.invalidate(sql)
		}
		return c.fail(ctx, err)
	}
	if begin != "" {
		if !mrr.NextResult() {
			return fail(errors.New("postgresql: BEGIN returned no result"), "")
		}
		if _, err := mrr.ResultReader().Close(); err != nil {
			return fail(err, "")
		}
	}
	for i, sql := range sqls {
		if !mrr.NextResult() {
			err := mrr.Close()
			if err == nil {
				err = errors.New("postgresql: a pipelined query returned no result")
			}
			s.invalidate(sql)
			return c.fail(ctx, err)
		}
		r := newRows(ctx, c, pgx.RowsFromResultReader(pc.TypeMap(), mrr.ResultReader()), nil)
		err := read(i, r)
		if r.open {
			r.r.Close()
			if rerr := r.r.Err(); err == nil {
				err = rerr
			}
			r.open, r.ctx, r.r = false, nil, nil
		}
		if err != nil {
			return fail(err, sql)
		}
	}
	if err := mrr.Close(); err != nil {
		return c.fail(ctx, err)
	}
	return nil
}
