package orm

import (
	"context"
	"fmt"
	"slices"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// Expiry for Go structs. Go cannot intercept a field read, so an expired object is not
// reloaded when it is read; instead:
//
//   - Expire, ExpireAll and a rollback discard the object's unflushed changes at once: its
//     column fields get back the values last loaded from or written to the database (for
//     a rollback, the values from before what was rolled back), and its relationship fields
//     are emptied and marked not loaded (IsLoaded reports false), as SQLAlchemy expires
//     them;
//   - the object is marked expired: the next query that returns its row (Get, Scalars,
//     Stream, a loader) overwrites its fields with the database's values, where a query
//     returning an object that is not expired leaves it as it is (the identity map's rule);
//   - Refresh reloads it at once.
//
// Commit with ExpireOnCommit marks every object expired without touching its fields: they
// hold what was just committed, and relationship fields keep what was loaded.

// expire discards st's unflushed changes and marks it expired.
func (st *state) expire() {
	for i, f := range st.m.fields {
		_ = f.set(st.base, cloneValue(st.snap[i]))
	}
	for _, r := range st.m.rels {
		clearRelation(r, st.base)
		st.loaded.clear(r.pos)
	}
	st.setRelSnaps(nil)
	st.expired = true
}

// Expire expires obj (see the package documentation): its unflushed changes are
// discarded, its relationship fields emptied, and the next query returning its row
// overwrites its fields with the database's values. Use Refresh to reload it at once.
func (s *Session) Expire(obj any) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	_, base, err := s.objectOf(obj)
	if err != nil {
		return err
	}
	st, ok := s.states[base]
	if !ok || st.status == Pending {
		return fmt.Errorf("%w: Expire of a %T", ErrNotPersistent, obj)
	}
	st.expire()
	return nil
}

// ExpireAll expires every persistent object as Expire does.
func (s *Session) ExpireAll() {
	if s.enter() != nil {
		return
	}
	defer s.leave()
	for _, st := range s.states {
		if st.status != Pending {
			st.expire()
		}
	}
}

// expireAll marks every persistent object expired, leaving its fields (Commit).
func (s *Session) expireAll() {
	for _, st := range s.states {
		if st.status != Pending {
			st.expired = true
		}
	}
}

// Refresh reloads obj's fields from the database now (SELECT by its primary key),
// discarding its unflushed changes (they are not flushed first), and clears its expired
// mark. When its row no longer exists, the object is removed from the session and the
// error is an *ObjectDeletedError (errors.Is(err, ErrObjectDeleted)).
func (s *Session) Refresh(ctx context.Context, obj any) error {
	_, base, err := s.objectOf(obj)
	if err != nil {
		return err
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	st, ok := s.states[base]
	if !ok || st.status == Pending {
		return fmt.Errorf("%w: Refresh of a %T", ErrNotPersistent, obj)
	}
	if err := s.usable(); err != nil {
		return err
	}
	if _, err := s.readConnection(ctx); err != nil {
		return err
	}
	m := st.m
	res, err := s.conn.Execute(ctx, expr.Select(m.table).Where(st.keyCondition()))
	if err != nil {
		return err
	}
	row, err := res.One()
	if err == engine.ErrNoResult {
		return s.objectDeleted(st)
	}
	if err != nil {
		return fmt.Errorf("orm: Refresh %s: %w", m.name, err)
	}
	return s.populate(st, row.Values())
}

// objectDeleted removes st, whose row is gone, from the session and returns the
// *ObjectDeletedError.
func (s *Session) objectDeleted(st *state) error {
	err := &ObjectDeletedError{Model: st.m.name, Key: st.keyValues()}
	s.toDetached(st, true)
	return err
}

// keyValues returns st's primary key values (canonical) from its snapshot.
func (st *state) keyValues() []any {
	out := make([]any, len(st.m.pk))
	if st.snap == nil {
		return out
	}
	for i, f := range st.m.pk {
		out[i] = st.snap[f.pos]
	}
	return out
}

// IsModified reports whether obj has changes a flush would write: it is pending, marked
// for deletion, a column field differs from the value last loaded or written, or a loaded
// relationship holds other objects than when it was loaded or last flushed (an object
// appended to or removed from a collection, a many-to-one set to another object).
//
// Go cannot see a field being set to the value it already holds, so, unlike SQLAlchemy's
// session.dirty, such an assignment does not count as a modification (it would not be
// written either way).
func (s *Session) IsModified(obj any) (bool, error) {
	if err := s.enter(); err != nil {
		return false, err
	}
	defer s.leave()
	_, base, err := s.objectOf(obj)
	if err != nil {
		return false, err
	}
	st, ok := s.states[base]
	if !ok {
		return false, ErrNotInSession
	}
	if st.status != Persistent {
		return true, nil
	}
	return st.modified(), nil
}

// Dirty returns the persistent objects that IsModified reports as modified, in the order
// they entered the session.
func (s *Session) Dirty() []any {
	var out []any
	for _, st := range s.sorted() {
		if st.status == Persistent && st.modified() {
			out = append(out, st.object())
		}
	}
	return out
}

// modified reports whether a persistent st has changed columns or relationships.
func (st *state) modified() bool {
	ch, err := st.changedFields()
	return err != nil || len(ch) > 0 || relsChanged(st)
}

// changedFields returns the fields whose value differs from the snapshot.
func (st *state) changedFields() ([]*field, error) {
	var out []*field
	for i, f := range st.m.fields {
		if f.codec.eq != nil && f.codec.eq(f.ptr(st.base), st.snap[i]) {
			continue
		}
		v, err := f.get(st.base)
		if err != nil {
			return nil, err
		}
		if !equalValues(v, st.snap[i]) {
			out = append(out, f)
		}
	}
	return out, nil
}

// relsChanged reports whether a loaded relationship of st holds other objects than its
// snapshot.
func relsChanged(st *state) bool {
	if st.relSnaps() == nil {
		return false
	}
	for i, r := range st.m.rels {
		if !st.loaded.has(i) {
			continue
		}
		rs := st.relSnaps()[i]
		if r.list() {
			if !slices.Equal(relSlice(r, st.base), rs.list) {
				return true
			}
		} else if relPtr(r, st.base) != rs.one {
			return true
		}
	}
	return false
}

// snapRelations records what st's loaded relationships hold now.
func snapRelations(st *state) {
	if len(st.m.rels) == 0 {
		return
	}
	if st.relSnaps() == nil {
		st.setRelSnaps(make([]relSnap, len(st.m.rels)))
	}
	for i, r := range st.m.rels {
		if !st.loaded.has(i) {
			st.relSnaps()[i] = relSnap{}
			continue
		}
		if r.list() {
			st.relSnaps()[i] = relSnap{list: slices.Clone(relSlice(r, st.base))}
		} else {
			st.relSnaps()[i] = relSnap{one: relPtr(r, st.base)}
		}
	}
}
