package orm

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/retortdb/retort/engine"
)

// Streaming ORM results (SQLAlchemy's session.stream(...) with yield_per).
//
// A stream reads its rows in batches (YieldPer, 1000 by default): through a server-side
// cursor on PostgreSQL, one FETCH per batch; as they arrive elsewhere. Each batch is
// hydrated through the identity map, its loader strategies run for the batch alone
// (selectin: one IN query per relationship and batch, between two FETCHes on the same
// connection; joined many-to-one: in the rows themselves), and then its objects are
// yielded.
//
// Identity map rule (SQLAlchemy's yield_per, whose identity map holds objects weakly):
// when the stream reads the next batch, the objects that the previous batch brought into
// the session, and that the loop did not modify, leave the session (they become
// detached, as after Expunge), together with the related objects their loads brought
// in. So the session holds one batch at a time, and memory stays flat however many rows
// the query returns; the application keeps what it keeps. Objects the loop modified stay
// in the session (the next flush writes them), as do objects the session held before
// the stream (a streamed row of such an object yields the same pointer) and the objects
// of the last batch. A released object that the application changes later is written by
// adding it again (Add re-attaches a detached object as persistent: an UPDATE).
//
// Selectin loads between batches need statements while the query's result is open:
// PostgreSQL runs them between FETCHes, SQLite while the result is open; MySQL and
// MariaDB cannot, so there a stream with selectin loads reads the primary rows completely
// first (memory then grows with the result) and loads per batch. A stream without
// selectin loads reads rows as they arrive on every database. A joined load of a
// collection cannot be streamed (a parent's rows could straddle two batches, as
// SQLAlchemy refuses too): such a stream fails with ErrStreamJoinedCollection.

// ErrStreamJoinedCollection is returned by Stream and StreamPartitions for a query with a
// Joined load of a collection; use SelectIn for streams.
var ErrStreamJoinedCollection = errors.New("orm: a stream cannot use a Joined load of a collection (use SelectIn)")

// defaultYieldPer is the batch size of a stream without YieldPer.
const defaultYieldPer = 1000

// YieldPer sets how many rows a stream of q reads, hydrates and loads at a time
// (SQLAlchemy's yield_per; 1000 unless set, n <= 0 keeps the default). It has no effect on
// Scalars.
func (q *SelectStmt[A]) YieldPer(n int) *SelectStmt[A] {
	c := *q
	c.yieldPer = max(n, 0)
	return &c
}

// Stream runs q and yields its objects one at a time, reading and hydrating them in
// batches (see YieldPer) so that memory stays bounded however many rows the query
// returns: SQLAlchemy's session.stream(...).scalars(). Loader options are applied per
// batch. See the identity map rule above: the session lets go of the unmodified objects
// of each batch when it reads the next. The session cannot be used by the loop body while
// the stream is open (ErrConcurrentUse).
func Stream[A any](ctx context.Context, s *Session, q *SelectStmt[A]) iter.Seq2[*A, error] {
	return func(yield func(*A, error) bool) {
		for part, err := range StreamPartitions(ctx, s, q, 0) {
			if err != nil {
				yield(nil, err)
				return
			}
			for _, a := range part {
				if !yield(a, nil) {
					return
				}
			}
		}
	}
}

// StreamPartitions is Stream yielding the objects a batch at a time, in slices of up to n
// objects (q's YieldPer, or 1000, when n <= 0): SQLAlchemy's
// session.stream(...).scalars().partitions(n). A slice belongs to the caller.
func StreamPartitions[A any](ctx context.Context, s *Session, q *SelectStmt[A], n int) iter.Seq2[[]*A, error] {
	if n <= 0 {
		n = q.yieldPer
	}
	if n <= 0 {
		n = defaultYieldPer
	}
	return func(yield func([]*A, error) bool) {
		s.streamBatches(ctx, ormQuery{m: q.m, core: q.core, loads: q.loads, err: q.err}, n, func(sts []*state, err error) bool {
			if err != nil {
				return yield(nil, err)
			}
			out := make([]*A, len(sts))
			for i, st := range sts {
				out[i] = (*A)(st.base)
			}
			return yield(out, nil)
		})
	}
}

// streamBatches runs q in batches of n rows, calling yield with each batch's objects.
func (s *Session) streamBatches(ctx context.Context, q ormQuery, n int, yield func([]*state, error) bool) {
	if q.err != nil {
		yield(nil, q.err)
		return
	}
	m := q.m
	plan, err := loadPlan(m, q.loads)
	if err != nil {
		yield(nil, err)
		return
	}
	if hasJoinedCollection(plan) {
		yield(nil, fmt.Errorf("%w: query of %s", ErrStreamJoinedCollection, m.name))
		return
	}
	steps := joinedSteps(plan, len(m.fields))
	core := q.core
	if len(steps) > 0 {
		if core, err = joinedStatement(m, core, steps, false); err != nil {
			yield(nil, err)
			return
		}
	}
	if err := s.enter(); err != nil {
		yield(nil, err)
		return
	}
	defer s.leave()
	if err := s.beforeQuery(ctx, "query", core); err != nil {
		yield(nil, err)
		return
	}
	if err := s.noteStatement(core, nil); err != nil {
		yield(nil, err)
		return
	}
	var src iter.Seq2[[]engine.Row, error]
	if hasSelectIn(plan) {
		src = s.conn.StreamBatches(ctx, core, n)
	} else {
		src = rowBatches(s.conn.Stream(ctx, core), n)
	}
	var fresh, prev []*state
	s.fresh = &fresh
	defer func() { s.fresh = nil }()
	for rows, err := range src {
		if err != nil {
			yield(nil, err)
			return
		}
		s.releaseBatch(prev)
		fresh = nil
		sts := make([]*state, 0, len(rows))
		sl := newSlab(m, len(rows))
		s.reserve(len(rows))
		var jr *joinedRows
		if len(steps) > 0 {
			jr = newJoinedRows(steps)
		}
		for _, row := range rows {
			vals := row.Values()
			st, err := s.hydrate(m, vals, 0, false, sl)
			if err == nil && jr != nil {
				err = jr.row(s, st, vals)
			}
			if err != nil {
				sl.done()
				yield(nil, err)
				return
			}
			sts = append(sts, st)
		}
		sl.done()
		if jr != nil {
			jr.finish(s)
		}
		newGroup(sts)
		err := s.runLoads(ctx, plan, sts)
		if err == nil && len(s.loadedNow) > 0 {
			err = s.afterLoad(ctx) // AfterLoad hooks, before the batch is yielded
		}
		if err != nil {
			yield(nil, err)
			return
		}
		prev = fresh
		s.yielding = true
		more := yield(sts, nil)
		s.yielding = false
		if !more {
			return
		}
	}
}

// releaseBatch detaches the objects of sts (new to the session in an earlier batch of a
// stream) that the session still holds unmodified.
func (s *Session) releaseBatch(sts []*state) {
	for _, st := range sts {
		if st.base == nil || s.states[st.base] != st || st.status != Persistent || st.modified() {
			continue
		}
		st.grp = nil
		s.toDetached(st, false)
	}
}

// hasSelectIn reports whether a plan runs a selectin load at some depth.
func hasSelectIn(nodes []*loadNode) bool {
	for _, n := range nodes {
		if n.strat == lazySelectIn || hasSelectIn(n.kids) {
			return true
		}
	}
	return false
}

// rowBatches groups the rows of a stream into slices of n.
func rowBatches(rows iter.Seq2[engine.Row, error], n int) iter.Seq2[[]engine.Row, error] {
	return func(yield func([]engine.Row, error) bool) {
		batch := make([]engine.Row, 0, n)
		for row, err := range rows {
			if err != nil {
				yield(nil, err)
				return
			}
			batch = append(batch, row)
			if len(batch) == n {
				if !yield(batch, nil) {
					return
				}
				batch = make([]engine.Row, 0, n)
			}
		}
		if len(batch) > 0 {
			yield(batch, nil)
		}
	}
}

// Partitions returns an iterator over the values in slices of up to n values (all in one
// slice when n <= 0), as engine.Result.Partitions. The slices must not be modified.
func (r *ScalarResult[T]) Partitions(n int) iter.Seq[[]T] { return partitions(r.vals, n) }
