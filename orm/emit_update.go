package orm

import (
	"context"
	"fmt"
	"slices"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
)

// update writes changed columns: one UPDATE per row (the batch's rows share the
// statement's shape), checking that each matches its row. A batch of several rows goes
// through execBatch: one round trip on PostgreSQL (SQLAlchemy's executemany). With a
// version counter the row must also still have the version loaded, and the UPDATE sets
// the next one.
func (e *emitter) update(ctx context.Context, b planBatch) error {
	m := b.m
	if len(b.items) == 1 {
		stmt, err := e.updateStatement(b.items[0])
		if err != nil {
			return err
		}
		// An UPDATE carries COMMIT only as the transaction's one write: when it matches
		// no row (a StaleDataError), nothing at all has been committed.
		last := !e.s.txWrote && e.stmts == 0
		res, err := e.exec(ctx, stmt, last)
		if err != nil {
			return err
		}
		return checkUpdated(m, res.RowsAffected())
	}
	if !e.feat.Has(compile.PipelinedBatches) && len(m.pk) == 1 && m.version == nil {
		return e.mergedUpdate(ctx, b)
	}
	for start := 0; start < len(b.items); start += maxBatchRows {
		chunk := b.items[start:min(start+maxBatchRows, len(b.items))]
		stmts := make([]expr.Statement, len(chunk))
		for k, i := range chunk {
			stmt, err := e.updateStatement(i)
			if err != nil {
				return err
			}
			stmts[k] = stmt
		}
		res, err := e.execBatch(ctx, stmts)
		if err != nil {
			return err
		}
		for _, r := range res {
			if err := checkUpdated(m, r.RowsAffected()); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergedUpdate writes a batch of rows that change the same columns where the connection
// cannot send several statements in one round trip (MySQL, MariaDB, SQLite): one UPDATE
// per chunk, SET c = CASE key WHEN k1 THEN v1 WHEN k2 THEN v2 ... END for each column,
// WHERE key IN (k1, k2, ...). The statement must match every row of its chunk, or the
// flush fails with a StaleDataError (a row deleted or its key changed by someone else).
// It never carries the transaction's COMMIT: a chunk that matches only some rows must
// leave nothing committed.
func (e *emitter) mergedUpdate(ctx context.Context, b planBatch) error {
	m := b.m
	pk := m.pk[0]
	fields := e.work[b.items[0]].fields
	// Each row binds its key twice (WHEN and IN) and one value per column.
	per := max(maxBatchParams/(len(fields)+2), 1)
	for start := 0; start < len(b.items); start += min(per, maxBatchRows) {
		chunk := b.items[start:min(start+min(per, maxBatchRows), len(b.items))]
		keys := make([]any, len(chunk))
		for k, i := range chunk {
			keys[k] = e.items[i].st.snap[pk.pos]
		}
		stmt := expr.Update(m.table)
		vals := make([]any, len(chunk)*len(fields))
		for k, i := range chunk {
			e.bound(i, vals[k*len(fields):(k+1)*len(fields):(k+1)*len(fields)])
		}
		for fi, f := range fields {
			whens := make([]expr.When, len(chunk))
			for k, i := range chunk {
				v, err := f.get(e.items[i].st.base)
				if err != nil {
					return err
				}
				vals[k*len(fields)+fi] = v
				whens[k] = expr.When{Cond: expr.ToExpr(keys[k], pk.col.Type), Result: expr.ToExpr(v, f.col.Type)}
			}
			stmt = stmt.Set(f.col.ColumnClause, &expr.CaseExpr{Value: pk.col.ColumnClause, Whens: whens})
		}
		res, err := e.exec(ctx, stmt.Where(pk.col.ColumnClause.In(keys...)), false)
		if err != nil {
			return err
		}
		if n := res.RowsAffected(); n != int64(len(chunk)) {
			return &StaleDataError{Op: "UPDATE", Table: m.table.Name, Expected: int64(len(chunk)), Matched: n}
		}
	}
	return nil
}

// updateStatement returns the UPDATE of item i's changed columns, with the version
// counter's check and next value when the model has one.
func (e *emitter) updateStatement(i int) (*expr.UpdateStmt, error) {
	st := e.items[i].st
	m := st.m
	fields := e.work[i].fields
	vals := make([]any, len(fields))
	e.bound(i, vals)
	// Built directly (its fields are exported), not by one Set call per column, each of
	// which copies the statement.
	sets := make([]expr.Assignment, 0, len(fields)+1)
	for k, f := range fields {
		if f == m.version {
			continue
		}
		v, err := f.get(st.base)
		if err != nil {
			return nil, err
		}
		vals[k] = v
		sets = append(sets, expr.Set(f.col.ColumnClause.Clause(), v))
	}
	cond := st.keyCondition()
	if vf := m.version; vf != nil {
		old := st.snap[vf.pos]
		next, err := nextVersion(m, old)
		if err != nil {
			return nil, err
		}
		if err := e.undo.setField(st, vf, next); err != nil {
			return nil, err
		}
		if k := slices.Index(fields, vf); k >= 0 {
			vals[k] = next
		}
		sets = append(sets, expr.Set(vf.col.ColumnClause.Clause(), next))
		cond = expr.And(cond, vf.col.ColumnClause.Eq(old))
	}
	return &expr.UpdateStmt{Table: m.table, Sets: sets, Wheres: []expr.Expr{cond}}, nil
}

// checkUpdated reports an UPDATE that did not match exactly its row.
func checkUpdated(m *mapper, n int64) error {
	if n != 1 {
		return &StaleDataError{Op: "UPDATE", Table: m.table.Name, Expected: 1, Matched: n, Version: m.version != nil}
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
	if len(m.pk) == 1 {
		return m.pk[0].col.ColumnClause.Eq(st.snap[m.pk[0].pos])
	}
	conds := make([]expr.Expr, len(m.pk))
	for k, f := range m.pk {
		conds[k] = f.col.ColumnClause.Eq(st.snap[f.pos])
	}
	return expr.And(conds...)
}

// delete removes a batch of rows: DELETE ... WHERE key IN (...) per chunk for a single
// column key, one statement per row for a composite key or a version counter (batched
// through execBatch). Rows already gone are reported by checkDeleted; with a version
// counter each row must still have the version loaded, or the flush fails with a
// StaleDataError (SQLAlchemy's version_id_col).
func (e *emitter) delete(ctx context.Context, b planBatch) error {
	m := b.m
	if len(m.pk) == 1 && m.version == nil {
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
	rowDelete := func(i int) expr.Statement {
		st := e.items[i].st
		cond := st.keyCondition()
		if vf := m.version; vf != nil {
			cond = expr.And(cond, vf.col.ColumnClause.Eq(st.snap[vf.pos]))
		}
		return expr.Delete(m.table).Where(cond)
	}
	check := func(matched int64) error {
		if m.version != nil && matched != 1 {
			return &StaleDataError{Op: "DELETE", Table: m.table.Name, Expected: 1, Matched: matched, Version: true}
		}
		e.checkDeleted(ctx, m, 1, matched)
		return nil
	}
	if len(b.items) == 1 {
		// A versioned DELETE carries COMMIT only as the transaction's one write, as an
		// UPDATE does: when it matches no row, nothing has been committed.
		last := m.version == nil || (!e.s.txWrote && e.stmts == 0)
		res, err := e.exec(ctx, rowDelete(b.items[0]), last)
		if err != nil {
			return err
		}
		return check(res.RowsAffected())
	}
	for start := 0; start < len(b.items); start += maxBatchRows {
		chunk := b.items[start:min(start+maxBatchRows, len(b.items))]
		stmts := make([]expr.Statement, len(chunk))
		for k, i := range chunk {
			stmts[k] = rowDelete(i)
		}
		res, err := e.execBatch(ctx, stmts)
		if err != nil {
			return err
		}
		for _, r := range res {
			if err := check(r.RowsAffected()); err != nil {
				return err
			}
		}
	}
	return nil
}
