package orm

import (
	"context"

	"github.com/retortdb/retort/expr"
)

// post_update (SQLAlchemy's relationship(post_update=True)): the foreign key of such a
// relationship is not a dependency between rows of the flush. It is written by a second
// UPDATE once every row of the flush is saved, and set to NULL by an UPDATE before the
// rows are deleted, which breaks a cycle between two tables (a user with many widgets and
// one favourite widget; two new rows referencing each other), where a flush without it
// fails with ErrCycle. The rows are first INSERTed with the foreign key the field holds
// (NULL when the related object is new).

// postUpdate is one foreign key written after the saves: child's r columns get the key of
// parent (nil: NULL).
type postUpdate struct {
	r      *relation
	child  *state
	parent *state
}

// postUpdates runs the second UPDATEs of the flush: one per row whose foreign key
// differs from its parent's key, checked to match one row.
func (e *emitter) postUpdates(ctx context.Context) error {
	var todo []postUpdate
	for _, pu := range e.post {
		if pu.child.status == Deleted {
			continue
		}
		var want []any
		for k := range pu.r.childCols {
			var v any
			if pu.parent != nil {
				var err error
				if v, err = pu.r.parentCols[k].get(pu.parent.base); err != nil {
					return err
				}
			}
			want = append(want, v)
		}
		// The row holds what the field holds now (its INSERT or UPDATE wrote it).
		changed := false
		for k, cf := range pu.r.childCols {
			cur, err := cf.get(pu.child.base)
			if err != nil {
				return err
			}
			if !equalValues(cur, want[k]) {
				changed = true
			}
			if err := e.undo.setField(pu.child, cf, want[k]); err != nil {
				return err
			}
		}
		if changed {
			todo = append(todo, pu)
		}
	}
	for _, pu := range todo {
		st := pu.child
		stmt := expr.Update(st.m.table)
		for _, cf := range pu.r.childCols {
			v, err := cf.get(st.base)
			if err != nil {
				return err
			}
			stmt = stmt.Set(cf.col.ColumnClause, v)
		}
		stmt = stmt.Where(currentKeyCondition(st))
		// Never with COMMIT: an UPDATE that matches no row must leave nothing committed.
		res, err := e.exec(ctx, stmt, false)
		if err != nil {
			return err
		}
		if res.RowsAffected() != 1 {
			return &StaleDataError{Op: "UPDATE", Table: st.m.table.Name, Expected: 1, Matched: res.RowsAffected()}
		}
		e.postSnap(st, pu.r)
	}
	return nil
}

// postSnap makes the snapshot of a row not otherwise written by the flush hold the
// foreign key values the post-update wrote (rows the flush wrote get a whole new
// snapshot in finish).
func (e *emitter) postSnap(st *state, r *relation) {
	if st.snap == nil {
		return
	}
	old := st.snap
	snap := append([]any(nil), st.snap...)
	for _, cf := range r.childCols {
		v, _ := cf.get(st.base)
		snap[cf.pos] = cloneValue(v)
	}
	st.snap = snap
	e.undo.add(func() { st.snap = old })
}

// preDeleteNulls sets to NULL, before the DELETEs, the post_update foreign keys of
// deleted rows that reference rows deleted in the same flush.
func (e *emitter) preDeleteNulls(ctx context.Context) error {
	for _, pu := range e.nulls {
		st := pu.child
		stmt := expr.Update(st.m.table)
		for _, cf := range pu.r.childCols {
			stmt = stmt.Set(cf.col.ColumnClause, nil)
		}
		if _, err := e.exec(ctx, stmt.Where(st.keyCondition()), false); err != nil {
			return err
		}
	}
	return nil
}

// currentKeyCondition matches st's row by the key its fields hold now (a row inserted by
// this flush has no snapshot yet).
func currentKeyCondition(st *state) expr.Expr {
	conds := make([]expr.Expr, len(st.m.pk))
	for k, f := range st.m.pk {
		v, _ := f.get(st.base)
		conds[k] = f.col.ColumnClause.Eq(v)
	}
	return expr.And(conds...)
}
