package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

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
	mrr, begin, err := c.sendBatch(ctx, sqls, args)
	if err != nil {
		return err
	}
	pc := c.c.Conn()
	s := c.s
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
