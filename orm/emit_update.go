package orm

import (
	"context"
	"fmt"

	"github.com/retortdb/retort/expr"
)

// update writes changed columns, one UPDATE per row (same statement shape for the batch),
// checking that each matches its row. With a version counter the row must also still
// have the version loaded, and the UPDATE sets the next one.
func (e *emitter) update(ctx context.Context, b planBatch) error {
	m := b.m
	for n, i := range b.items {
		st := e.items[i].st
		stmt := expr.Update(m.table)
		for _, f := range e.work[i].fields {
			if f == m.version {
				continue
			}
			v, err := f.get(st.base)
			if err != nil {
				return err
			}
			stmt = stmt.Set(f.col.ColumnClause, v)
		}
		cond := st.keyCondition()
		if vf := m.version; vf != nil {
			old := st.snap[vf.pos]
			next, err := nextVersion(m, old)
			if err != nil {
				return err
			}
			if err := e.undo.setField(st, vf, next); err != nil {
				return err
			}
			stmt = stmt.Set(vf.col.ColumnClause, next)
			cond = expr.And(cond, vf.col.ColumnClause.Eq(old))
		}
		stmt = stmt.Where(cond)
		// An UPDATE carries COMMIT only as the transaction's one write: when it matches
		// no row (a StaleDataError), nothing at all has been committed.
		last := n == len(b.items)-1 && !e.s.txWrote && e.stmts == 0
		res, err := e.exec(ctx, stmt, last)
		if err != nil {
			return err
		}
		if n := res.RowsAffected(); n != 1 {
			return &StaleDataError{Op: "UPDATE", Table: m.table.Name, Expected: 1, Matched: n, Version: m.version != nil}
		}
	}
	return nil
}

// nextVersion returns the version counter value that follows old (the loaded one).
func nextVersion(m *mapper, old any) (any, error) {
	v, ok := old.(int64)
	if !ok {
		return nil, fmt.Errorf("orm: %s.%s: the version counter holds %v, not an integer (a NULL in the row?)", m.name, m.version.goName, old)
	}
	return v + 1, nil
}

// keyCondition returns the WHERE condition matching st's row by its loaded key.
func (st *state) keyCondition() expr.Expr {
	m := st.m
	conds := make([]expr.Expr, len(m.pk))
	for k, f := range m.pk {
		conds[k] = f.col.ColumnClause.Eq(st.snap[f.pos])
	}
	return expr.And(conds...)
}

// delete removes a batch of rows: DELETE ... WHERE key IN (...) per chunk for a single
// column key, one statement per row for a composite key. Rows already gone are reported by
// checkDeleted.
func (e *emitter) delete(ctx context.Context, b planBatch) error {
	m := b.m
	if m.version != nil {
		// Each row must still have the version loaded: one DELETE per row, and a row
		// that does not match is a StaleDataError (SQLAlchemy's version_id_col).
		vf := m.version
		for n, i := range b.items {
			st := e.items[i].st
			cond := expr.And(st.keyCondition(), vf.col.ColumnClause.Eq(st.snap[vf.pos]))
			res, err := e.exec(ctx, expr.Delete(m.table).Where(cond), n == len(b.items)-1 && !e.s.txWrote && e.stmts == 0)
			if err != nil {
				return err
			}
			if got := res.RowsAffected(); got != 1 {
				return &StaleDataError{Op: "DELETE", Table: m.table.Name, Expected: 1, Matched: got, Version: true}
			}
		}
		return nil
	}
	if len(m.pk) == 1 {
		pk := m.pk[0]
		for start := 0; start < len(b.items); start += maxBatchRows {
			end := min(start+maxBatchRows, len(b.items))
			keys := make([]any, 0, end-start)
			for _, i := range b.items[start:end] {
				keys = append(keys, e.items[i].st.snap[pk.pos])
			}
			var cond expr.Expr
			if len(keys) == 1 {
				cond = pk.col.ColumnClause.Eq(keys[0])
			} else {
				cond = pk.col.ColumnClause.In(keys...)
			}
			res, err := e.exec(ctx, expr.Delete(m.table).Where(cond), end == len(b.items))
			if err != nil {
				return err
			}
			e.checkDeleted(ctx, m, int64(len(keys)), res.RowsAffected())
		}
		return nil
	}
	for n, i := range b.items {
		res, err := e.exec(ctx, expr.Delete(m.table).Where(e.items[i].st.keyCondition()), n == len(b.items)-1)
		if err != nil {
			return err
		}
		e.checkDeleted(ctx, m, 1, res.RowsAffected())
	}
	return nil
}
