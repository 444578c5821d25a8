package orm

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

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
	done  []int   // items written, in order
	vals  [][]any // per item, the values its statement bound (see bound)
	back  []returnedRow

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
	n, inserts := 0, 0
	for _, i := range e.done {
		if k := e.items[i].kind; k == opInsert || k == opUpdate {
			n += len(e.items[i].st.m.fields)
			if k == opInsert {
				inserts++
			}
		}
	}
	if len(s.identity) == 0 && inserts > 8 {
		s.identity = make(map[identityKey]*state, inserts) // sized once, not grown
	}
	snaps := make([]any, n) // the new snapshots, one allocation
	recs := make([]recordUndo, len(e.done))
	for d, i := range e.done {
		it := e.items[i]
		st := it.st
		rec := &recs[d]
		*rec = recordUndo{op: it.kind, status: st.status, snap: st.snap, key: st.key, expired: st.expired, s: s}
		switch it.kind {
		case opInsert, opUpdate:
			nf := len(st.m.fields)
			snap := snaps[:nf:nf]
			snaps = snaps[nf:]
			if err := e.snapshot(i, snap); err != nil {
				return err
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
			} else {
				e.updated = append(e.updated, updatedState{st: st, before: frameSnap{snap: rec.snap, key: rec.key}})
				if key != rec.key {
					delete(s.identity, rec.key)
					st.key = key
					s.identity[key] = st
				}
			}
		case opDelete:
			st.flushedDelete = true
			delete(s.identity, st.key)
			e.deleted = append(e.deleted, st)
		}
		e.undo.entries = append(e.undo.entries, undoEntry{st: st, rec: rec})
	}
	return nil
}

// snapshot fills snap with the canonical values of item i's fields as written. A value
// the statement bound (e.vals) or the previous snapshot held is reused when the field
// still holds it, so that each value is boxed once per flush; the others are read anew.
func (e *emitter) snapshot(i int, snap []any) error {
	st := e.items[i].st
	written := e.work[i].fields // in field order
	var bound []any
	if i < len(e.vals) {
		bound = e.vals[i]
	}
	var back returnedRow
	if i < len(e.back) {
		back = e.back[i]
	}
	j := 0
	for k, f := range st.m.fields {
		var cand any
		have := false
		for j < len(written) && written[j].pos < f.pos {
			j++
		}
		if r := slices.Index(back.fields, f); r >= 0 && r < len(back.vals) {
			cand, have = back.vals[r], true
		} else if j < len(written) && written[j] == f && j < len(bound) {
			cand, have = bound[j], true
		} else if st.snap != nil {
			cand, have = st.snap[k], true
		}
		if have && f.codec.eq != nil && f.codec.eq(f.ptr(st.base), cand) {
			snap[k] = cand
			continue
		}
		v, err := f.get(st.base)
		if err != nil {
			return err
		}
		snap[k] = cloneValue(v)
	}
	return nil
}

// returnedRow is what RETURNING (or a read-back) gave an item: values of fields.
type returnedRow struct {
	fields []*field
	vals   []any
}

// returned records the values read back for item i's fields, for its snapshot.
func (e *emitter) returned(i int, fields []*field, vals []any) {
	if e.back == nil {
		e.back = make([]returnedRow, len(e.items))
	}
	e.back[i] = returnedRow{fields: fields, vals: vals}
}

// bound records the values bound for item i's written fields (its row of an INSERT, its
// SET values of an UPDATE, in the order of its work fields), for its snapshot.
func (e *emitter) bound(i int, vals []any) {
	if e.vals == nil {
		e.vals = make([][]any, len(e.items))
	}
	e.vals[i] = vals
}
