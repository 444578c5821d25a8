package orm

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// emitter runs the batches of one flush.
type emitter struct {
	s     *Session
	conn  *engine.Conn
	undo  *undoLog
	items []planItem
	work  []flushWork
	feat  compile.Features
	done  []int // items written, in order

	// Writes outside the plan (post-updates, association rows).
	*flushExtra

	// The transaction's COMMIT may go with the last statement (commit), which is in the
	// batch being written when lastBatch is set; committed reports that it went; stmts
	// counts the statements sent.
	commit, lastBatch, committed bool
	stmts                        int

	// What the flush did, for the rollback rules (recorded once the flush succeeded).
	inserted []*state
	deleted  []*state
	updated  []updatedState
}

// updatedState is an object the flush updated, with its snapshot and key before.
type updatedState struct {
	st     *state
	before frameSnap
}

func (e *emitter) batch(ctx context.Context, b planBatch) error {
	// Foreign keys from parents written earlier in this flush.
	for _, i := range b.items {
		st := e.items[i].st
		for _, fl := range e.work[i].fills {
			for k, cf := range fl.rel.childCols {
				v, err := fl.rel.parentCols[k].get(fl.parent.base)
				if err != nil {
					return err
				}
				if err := e.undo.setField(st, cf, v); err != nil {
					return err
				}
			}
		}
	}
	var err error
	switch b.kind {
	case opInsert:
		err = e.insert(ctx, b)
	case opUpdate:
		err = e.update(ctx, b)
	case opDelete:
		err = e.delete(ctx, b)
	default:
		err = e.extraBatch(ctx, b)
	}
	if err == nil {
		e.done = append(e.done, b.items...)
	}
	return err
}

// exec runs one statement of the flush; the last statement of the last batch (last set in
// the batch's last statement) of Commit's flush carries the transaction's COMMIT.
func (e *emitter) exec(ctx context.Context, stmt expr.Statement, last bool) (*engine.Result, error) {
	e.stmts++
	if e.commit && e.lastBatch && last && e.s.tx.IsActive() {
		res, err := e.s.tx.CommitWith(ctx, stmt)
		e.committed = err == nil
		return res, err
	}
	return e.conn.Execute(ctx, stmt)
}

// execBatch runs statements of the flush that return no rows, in one round trip where the
// driver can (engine.Conn.ExecBatch); it never carries the transaction's COMMIT, since
// the caller checks each statement's rows affected first.
func (e *emitter) execBatch(ctx context.Context, stmts []expr.Statement) ([]*engine.Result, error) {
	e.stmts += len(stmts)
	return e.conn.ExecBatch(ctx, stmts...)
}

// checkDeleted warns, through the engine's logger, when a DELETE matched fewer rows than
// it was sent for: the rows were deleted by someone else already, which leaves the
// database as the flush wants it, so the flush goes on (SQLAlchemy warns the same way; an
// UPDATE that matches nothing is a StaleDataError instead, since the change is lost).
func (e *emitter) checkDeleted(ctx context.Context, m *mapper, expected, matched int64) {
	if matched >= expected {
		return
	}
	e.s.sm.eng.Logger().LogAttrs(ctx, slog.LevelWarn, "retort: DELETE matched fewer rows than expected (already deleted by someone else)",
		slog.String("table", m.table.Name), slog.Int64("expected", expected), slog.Int64("matched", matched))
}

// finish updates the session for the rows written: new objects become persistent with a
// snapshot and an identity, updated objects get a new snapshot, deleted objects leave the
// identity map. Every change is recorded for undo, in case the flush fails later.
func (e *emitter) finish() error {
	s := e.s
	for _, i := range e.done {
		it := e.items[i]
		st := it.st
		oldStatus, oldSnap, oldKey, oldExpired := st.status, st.snap, st.key, st.expired
		switch it.kind {
		case opInsert, opUpdate:
			snap := make([]any, len(st.m.fields))
			for k, f := range st.m.fields {
				v, err := f.get(st.base)
				if err != nil {
					return err
				}
				snap[k] = cloneValue(v)
			}
			key, ok := st.m.keyOf(snap, 0)
			if !ok {
				return fmt.Errorf("orm: flush: %s has no primary key value after INSERT", st.m.name)
			}
			st.snap, st.expired = snap, false
			if it.kind == opInsert {
				st.status, st.key = Persistent, key
				s.identity[key] = st
				e.inserted = append(e.inserted, st)
				e.undo.add(func() { delete(s.identity, key) })
			} else {
				e.updated = append(e.updated, updatedState{st: st, before: frameSnap{snap: oldSnap, key: oldKey}})
				if key != oldKey {
					delete(s.identity, oldKey)
					st.key = key
					s.identity[key] = st
					e.undo.add(func() { delete(s.identity, key); s.identity[oldKey] = st })
				}
			}
		case opDelete:
			st.flushedDelete = true
			delete(s.identity, st.key)
			e.deleted = append(e.deleted, st)
			e.undo.add(func() {
				st.flushedDelete = false
				s.identity[oldKey] = st
			})
		}
		e.undo.add(func() { st.status, st.snap, st.key, st.expired = oldStatus, oldSnap, oldKey, oldExpired })
	}
	return nil
}
