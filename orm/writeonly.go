package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"unsafe"

	"github.com/retortdb/retort/expr"
)

// WriteOnly is a write-only one-to-many collection (SQLAlchemy's WriteOnlyMapped): a
// relationship field that is never loaded. Changes are queued (Add, AddAll, Remove) and
// written at the next flush without reading the collection; its content is read only
// through a statement, Select, which can be filtered, ordered, run with Scalars or
// streamed with Stream:
//
//	type A struct {
//		ID int64
//		Bs orm.WriteOnly[B] // B has a foreign key to a
//	}
//
//	a := &A{Bs: orm.WriteOnlyOf(&B{}, &B{})} // populated when the parent is created
//	s.Add(a)                                  // the B's are added with it
//	a.Bs.Add(&B{})                            // queued; INSERTed at the next flush
//	bs, err := orm.Scalars(ctx, s, a.Bs.Select().Where(BT.Data.IsNotNull()))
//
// At flush, added objects join the session (the save-update cascade) and get the
// parent's key in their foreign key; their INSERTs are batched with the other new rows
// of the same table. A removed object is deleted when the relationship has
// cascade=delete-orphan, and otherwise gets its foreign key set to NULL (an UPDATE).
// The queues are emptied by the flush that writes them. Deleting the parent deletes its
// children with cascade=delete, or sets their foreign keys to NULL, loading them into the
// session first unless passive_deletes (or an ON DELETE rule) leaves it to the database.
//
// A WriteOnly lives inside its parent struct and follows it: it is for the goroutine
// that uses the parent's session, like the parent's other fields, and must not be
// copied out of the parent (Select finds the parent through the field's address). Its
// zero value is an empty collection.
type WriteOnly[T any] struct {
	c woCore
}

// woCore is the layout of every WriteOnly[T]: the relationship (set when the parent
// enters a session) and the queued changes.
type woCore struct {
	r       *relation
	added   []unsafe.Pointer
	removed []unsafe.Pointer
}

// ErrWriteOnly is returned for operations a write-only collection does not have: loading
// it (SelectIn, Load), and Select on a collection whose parent no session has seen yet.
var ErrWriteOnly = errors.New("orm: write-only collection")

// WriteOnlyOf returns a write-only collection holding items, to populate a new parent:
// &A{Bs: orm.WriteOnlyOf(&B{}, &B{})}.
func WriteOnlyOf[T any](items ...*T) WriteOnly[T] {
	var w WriteOnly[T]
	w.AddAll(items...)
	return w
}

func (*WriteOnly[T]) writeOnlyElem() reflect.Type { return reflect.TypeFor[T]() }

// Add queues item for addition: at the next flush it joins the session and its foreign
// key is set to the parent's key. Adding an item queued for removal cancels the removal.
func (w *WriteOnly[T]) Add(item *T) {
	if item == nil {
		return
	}
	p := unsafe.Pointer(item)
	if i := slices.Index(w.c.removed, p); i >= 0 {
		w.c.removed = slices.Delete(w.c.removed, i, i+1)
		return
	}
	if !slices.Contains(w.c.added, p) {
		w.c.added = append(w.c.added, p)
	}
}

// AddAll queues each item for addition, as Add does.
func (w *WriteOnly[T]) AddAll(items ...*T) {
	for _, it := range items {
		w.Add(it)
	}
}

// Remove queues item for removal from the collection: at the next flush it is deleted
// (cascade=delete-orphan) or its foreign key is set to NULL. Removing an item queued
// for addition cancels the addition.
func (w *WriteOnly[T]) Remove(item *T) {
	if item == nil {
		return
	}
	p := unsafe.Pointer(item)
	if i := slices.Index(w.c.added, p); i >= 0 {
		w.c.added = slices.Delete(w.c.added, i, i+1)
		return
	}
	if !slices.Contains(w.c.removed, p) {
		w.c.removed = append(w.c.removed, p)
	}
}

// Pending returns the items queued for addition and for removal, not yet flushed.
func (w *WriteOnly[T]) Pending() (added, removed []*T) {
	for _, p := range w.c.added {
		added = append(added, (*T)(p))
	}
	for _, p := range w.c.removed {
		removed = append(removed, (*T)(p))
	}
	return added, removed
}

// Select returns a query for the collection's rows: SELECT of T's columns WHERE the
// foreign key equals the parent's key, ordered by the relationship's order_by when it
// has one (SQLAlchemy's a1.bs.select()). The parent's key is read when Select is
// called, so a new parent must be flushed first; the items queued by Add are found by
// the query once flushed (the session's autoflush does it before the query runs, but
// after the key was read: flush a new parent before calling Select). The parent must be
// in a session (or have been in one).
func (w *WriteOnly[T]) Select() *SelectStmt[T] {
	r := w.c.r
	if r == nil {
		return &SelectStmt[T]{core: expr.Select(), err: fmt.Errorf("%w: Select of a WriteOnly[%s] whose parent was never added to or loaded by a session", ErrWriteOnly, reflect.TypeFor[T]())}
	}
	owner := unsafe.Add(unsafe.Pointer(w), -int(r.offset))
	conds := make([]expr.Expr, len(r.childCols))
	for k, cf := range r.childCols {
		v, err := r.parentCols[k].get(owner)
		if err != nil {
			return &SelectStmt[T]{core: expr.Select(), err: err}
		}
		conds[k] = cf.col.ColumnClause.Eq(v)
	}
	core := expr.Select(r.target.table).Where(conds...)
	if len(r.orderBy) > 0 {
		core = core.OrderBy(r.orderExprs()...)
	}
	return &SelectStmt[T]{m: r.target, core: core}
}

// woAt returns the write-only collection r in the struct at base.
func woAt(r *relation, base unsafe.Pointer) *woCore {
	return (*woCore)(unsafe.Add(base, r.offset))
}

// bindWriteOnly records in each write-only collection of st's object its relationship,
// which Select needs; done when the object enters the session.
func (st *state) bindWriteOnly() {
	for _, r := range st.m.wo {
		woAt(r, st.base).r = r
	}
}

// writeOnlyRemovals applies the queued removals of the write-only collections of the
// session's objects: a removed object is deleted (delete-orphan) or released (its
// foreign key set to NULL when it still references the parent).
func (s *Session) writeOnlyRemovals(undo *undoLog) error {
	for _, st := range s.sorted() {
		if len(st.m.wo) == 0 || st.status == Deleted {
			continue
		}
		for _, r := range st.m.wo {
			for _, p := range woAt(r, st.base).removed {
				cst := s.states[p]
				if cst == nil || cst.status == Deleted {
					continue
				}
				if err := s.orphan(r, st, cst, undo); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// clearWriteOnly empties the queues of the write-only collections of the session's
// objects, once a flush has written them.
func (s *Session) clearWriteOnly() {
	for _, st := range s.states {
		for _, r := range st.m.wo {
			w := woAt(r, st.base)
			w.added, w.removed = nil, nil
		}
	}
}

// queryChildren loads into the session the rows of the one-to-many relationship r's
// target that reference the objects parents (one SELECT ... WHERE fk IN (...) per chunk),
// without assigning any field: how a write-only collection is read when its parent is
// deleted.
func (s *Session) queryChildren(ctx context.Context, r *relation, parents []*state) ([]*state, error) {
	var keys [][]any
	seen := map[any]bool{}
	for _, p := range parents {
		vals := make([]any, len(r.parentCols))
		for j, f := range r.parentCols {
			v, err := f.get(p.base)
			if err != nil {
				return nil, err
			}
			vals[j] = v
		}
		if k, ok := groupKey(r.parentCols, vals); ok && !seen[k] {
			seen[k] = true
			keys = append(keys, vals)
		}
	}
	var out []*state
	for start := 0; start < len(keys); start += selectInChunk {
		chunk := keys[start:min(start+selectInChunk, len(keys))]
		res, err := s.conn.Execute(ctx, expr.Select(r.target.table).Where(inCondition(r.childCols, chunk)).OrderBy(r.orderExprs()...))
		if err != nil {
			return nil, err
		}
		for _, row := range res.All() {
			st, err := s.hydrate(r.target, row.Values(), 0, false, nil)
			if err != nil {
				return nil, err
			}
			out = append(out, st)
		}
	}
	return out, nil
}
