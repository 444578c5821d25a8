package engine

import (
	"context"
	"slices"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
)

// ExecuteAll executes queries that do not depend on each other and returns their
// buffered Results, in order. Where the connection pipelines queries
// (dialect.QueryPipeliner: PostgreSQL in its default exec mode) they are all sent in one
// round trip, with the transaction's pending BEGIN; elsewhere they run one after the
// other, as Execute would run them. Each statement is echoed as Execute echoes it. The
// first failing statement ends the call with its error (on PostgreSQL the server skips
// the ones after it). Statements that return no rows are run one by one.
func (c *Conn) ExecuteAll(ctx context.Context, stmts []expr.Statement) ([]*Result, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.leave()
	comps := make([]*compile.Compiled, len(stmts))
	pipeline := len(stmts) > 1
	for i, st := range stmts {
		comp, err := compile.Compile(c.eng.dialect, st)
		if err != nil {
			return nil, err
		}
		comps[i] = comp
		pipeline = pipeline && comp.Returns
	}
	out := make([]*Result, len(comps))
	if pipeline {
		if err := ctx.Err(); err != nil {
			return nil, &StatementError{SQL: comps[0].SQL, Err: err}
		}
		dc, err := c.conn(ctx)
		if err != nil {
			return nil, err
		}
		if qp, ok := dc.(dialect.QueryPipeliner); ok && qp.PipelinesQueries() {
			sqls := make([]string, len(comps))
			args := make([][]any, len(comps))
			for i, comp := range comps {
				a, err := c.convertArgs(comp)
				if err != nil {
					return nil, err
				}
				sqls[i], args[i] = comp.SQL, slices.Clone(a)
				clear(a)
			}
			start := c.eng.statementStart()
			failed, rowErr := -1, false
			var readErr error
			err := qp.QueryPipeline(ctx, sqls, args, func(i int, rows dialect.Rows) error {
				res, isRow, err := c.readResult(comps[i], rows)
				if err != nil {
					failed, rowErr, readErr = i, isRow, err
					return err
				}
				out[i] = res
				return nil
			})
			// The statements are logged after the pipeline ran, each with its rows; the
			// duration is the pipeline's.
			for i, comp := range comps {
				switch {
				case out[i] != nil:
					c.eng.logStatement(ctx, comp.SQL, comp.Args, start, out[i].rowsAffected, nil)
				case err != nil:
					c.eng.logStatement(ctx, comp.SQL, comp.Args, start, -1, err)
				}
				if out[i] == nil {
					break
				}
			}
			if err != nil {
				if failed >= 0 && rowErr {
					return nil, c.rowError(ctx, comps[failed], readErr)
				}
				// The statement that failed is the first without a result.
				for i := range out {
					if out[i] == nil {
						return nil, c.compiledError(ctx, comps[i], err)
					}
				}
				return nil, c.compiledError(ctx, comps[len(comps)-1], err)
			}
			return out, nil
		}
	}
	for i, comp := range comps {
		res, err := c.run(ctx, comp)
		if err != nil {
			return nil, err
		}
		out[i] = res
	}
	return out, nil
}
