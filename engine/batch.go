package engine

import (
	"context"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
)

// ExecBatch runs statements that return no rows (UPDATE, DELETE, INSERT without
// RETURNING) in order and returns the Result of each (rows affected), stopping at the
// first that fails, whose *StatementError it returns with the Results of those before it.
// Where the driver can (PostgreSQL, statements prepared on the connection) the statements
// go in one round trip, with the transaction's deferred BEGIN in front when it has sent
// nothing yet: SQLAlchemy's executemany. Elsewhere they run one after another. The
// statements run inside whatever transaction the Conn has; when one fails on PostgreSQL,
// those after it are skipped by the server and the transaction is left aborted, for the
// caller's rollback.
func (c *Conn) ExecBatch(ctx context.Context, stmts ...expr.Statement) ([]*Result, error) {
	if len(stmts) == 0 {
		return nil, nil
	}
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.leave()
	comps := make([]*compile.Compiled, len(stmts))
	for i, st := range stmts {
		comp, err := compile.Compile(c.eng.dialect, st)
		if err != nil {
			return nil, err
		}
		comps[i] = comp
	}
	out := make([]*Result, 0, len(stmts))
	dc, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	b, ok := dc.(dialect.Batcher)
	if !ok || len(stmts) == 1 || anyReturns(comps) {
		for _, comp := range comps {
			res, err := c.run(ctx, comp)
			if err != nil {
				return out, err
			}
			out = append(out, res)
		}
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, &StatementError{SQL: comps[0].SQL, Err: err}
	}
	sqls := make([]string, len(comps))
	args := make([][]any, len(comps))
	for i, comp := range comps {
		a, err := c.convertArgs(comp)
		if err != nil {
			return nil, err
		}
		// convertArgs fills the Conn's reused buffer: each statement keeps a copy.
		args[i] = append([]any(nil), a...)
		clear(a)
		sqls[i] = comp.SQL
	}
	start := c.eng.statementStart()
	ers, err := b.ExecBatch(ctx, sqls, args)
	// The batch's statements are logged after it ran, each with its rows affected; the
	// duration is the batch's.
	for i, comp := range comps {
		switch {
		case i < len(ers):
			c.eng.logStatement(ctx, comp.SQL, comp.Args, start, ers[i].RowsAffected, nil)
		case i == len(ers) && err != nil:
			c.eng.logStatement(ctx, comp.SQL, comp.Args, start, -1, err)
		}
	}
	for _, er := range ers {
		out = append(out, &Result{rowsAffected: er.RowsAffected, lastInsertID: er.LastInsertID, hasLastInsertID: er.HasLastInsertID})
	}
	if err != nil {
		failed := comps[min(len(ers), len(comps)-1)]
		return out, c.compiledError(ctx, failed, err)
	}
	return out, nil
}

func anyReturns(comps []*compile.Compiled) bool {
	for _, c := range comps {
		if c.Returns {
			return true
		}
	}
	return false
}
