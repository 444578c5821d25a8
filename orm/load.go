package orm

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/retortdb/retort/expr"
)

// Relationship loading. No I/O ever happens on field access: a relationship field holds
// what was loaded into it (or what the application assigned), and is filled only by a
// loader option on a query (SelectIn) or by an explicit Load call, both of which take a
// context. IsLoaded tells a collection that was loaded empty from one never loaded.
//
// SelectIn is SQLAlchemy's selectinload: after the main query, one more query per
// relationship (per chunk of 500 parents) fetches the related rows with
// WHERE fk IN (parent keys), and the collections or references are assigned. Related rows
// go through the identity map like any other row; with back_populates, the other side
// is filled too (each B's A pointer when loading A.Bs).

// LoadOption is a relationship loader option for SelectStmt.Options. The options of
// package orm (SelectIn) are immutable values, safe to share between goroutines and to
// reuse in any number of statements; they hold no resource and live as long as the
// statements that carry them.
type LoadOption interface {
	relation() *relation
}

type selectInLoad struct{ r *relation }

func (l selectInLoad) relation() *relation { return l.r }

// SelectIn loads relationship rel of the query's objects with a second SELECT ... WHERE
// IN, as SQLAlchemy's selectinload(A.bs).
func SelectIn[A, B any](rel Relation[A, B]) LoadOption { return selectInLoad{r: rel.r} }

// selectInChunk is how many parent keys one IN list holds.
const selectInChunk = 500

// applyLoads runs the loader options for the objects of a query of m.
func (s *Session) applyLoads(ctx context.Context, m *mapper, sts []*state, loads []LoadOption) error {
	for _, l := range loads {
		r := l.relation()
		if r == nil {
			return fmt.Errorf("%w: loader option on a Relation handle that is not bound", ErrUnboundHandle)
		}
		if r.m != m {
			return fmt.Errorf("orm: loader option for %s.%s on a query of %s", r.m.name, r.goName, m.name)
		}
		if err := s.loadRelation(ctx, r, sts); err != nil {
			return err
		}
	}
	return nil
}

// Load loads relationship rel of objs (which the session must track as persistent) with
// one SELECT ... WHERE IN per chunk, replacing what the fields held: the explicit form of
// SQLAlchemy's lazy load (await a1.awaitable_attrs.bs).
func Load[A, B any](ctx context.Context, s *Session, rel Relation[A, B], objs ...*A) error {
	if rel.r == nil {
		return fmt.Errorf("%w: Load with an unbound Relation", ErrUnboundHandle)
	}
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.beforeQuery(ctx, "Load", nil); err != nil {
		return err
	}
	sts := make([]*state, 0, len(objs))
	for _, o := range objs {
		if o == nil {
			continue
		}
		st, ok := s.states[unsafe.Pointer(o)]
		if !ok || st.status == Pending {
			return fmt.Errorf("%w: Load of %s.%s on an object the session does not hold as persistent", ErrNotPersistent, rel.r.m.name, rel.r.goName)
		}
		sts = append(sts, st)
	}
	return s.loadRelation(ctx, rel.r, sts)
}

// IsLoaded reports whether relationship rel of obj was loaded (by a loader option or
// Load) or assigned on a new object that was flushed; false means the field's content says
// nothing about the database.
func IsLoaded[A, B any](s *Session, obj *A, rel Relation[A, B]) bool {
	if rel.r == nil || obj == nil || s.enter() != nil {
		return false
	}
	defer s.leave()
	st, ok := s.states[unsafe.Pointer(obj)]
	return ok && st.loaded[rel.r.pos]
}

// groupKey returns a comparable key for the values of fields fs of the struct at base, and
// false when one is NULL.
func groupKey(fs []*field, vals []any) (any, bool) {
	if len(fs) == 1 {
		if vals[0] == nil {
			return nil, false
		}
		return comparableKey(vals[0]), true
	}
	b := make([]byte, 0, 32)
	for _, v := range vals {
		if v == nil {
			return nil, false
		}
		b = appendKeyPart(b, v)
	}
	return string(b), true
}

// inCondition returns cols IN (keys) for one column, or an OR of ANDs for several.
func inCondition(fs []*field, keys [][]any) expr.Expr {
	if len(fs) == 1 {
		vals := make([]any, len(keys))
		for i, k := range keys {
			vals[i] = k[0]
		}
		return fs[0].col.ColumnClause.In(vals...)
	}
	ors := make([]expr.Expr, len(keys))
	for i, k := range keys {
		ands := make([]expr.Expr, len(fs))
		for j, f := range fs {
			ands[j] = f.col.ColumnClause.Eq(k[j])
		}
		ors[i] = expr.And(ands...)
	}
	return expr.Or(ors...)
}

// loadRelation fills relationship r of the objects sts.
func (s *Session) loadRelation(ctx context.Context, r *relation, sts []*state) error {
	if len(sts) == 0 {
		return nil
	}
	if r.secondary != nil || r.writeOnly {
		return s.loadOther(ctx, r, sts)
	}
	// The values each object matches on: its key columns for one-to-many (the children's
	// foreign key references them), its foreign key for many-to-one.
	own := r.parentCols
	other := r.childCols
	if r.kind == manyToOne {
		own, other = r.childCols, r.parentCols
	}
	objKeys := make([]any, len(sts))
	var keys [][]any
	seen := map[any]bool{}
	for i, st := range sts {
		vals := make([]any, len(own))
		for j, f := range own {
			v, err := f.get(st.base)
			if err != nil {
				return err
			}
			vals[j] = v
		}
		k, ok := groupKey(own, vals)
		if !ok {
			objKeys[i] = nil
			continue
		}
		objKeys[i] = k
		if !seen[k] {
			seen[k] = true
			keys = append(keys, vals)
		}
	}
	// Related rows, grouped by the values they match on.
	groups := map[any][]unsafe.Pointer{}
	target := r.target
	for start := 0; start < len(keys); start += selectInChunk {
		chunk := keys[start:min(start+selectInChunk, len(keys))]
		q := expr.Select(target.table).Where(inCondition(other, chunk))
		res, err := s.conn.Execute(ctx, q.OrderBy(r.orderExprs()...))
		if err != nil {
			return err
		}
		sl := newSlab(target, res.Len())
		for _, row := range res.All() {
			vals := row.Values()
			st, err := s.hydrate(target, vals, 0, false, sl)
			if err != nil {
				sl.done()
				return err
			}
			mv := make([]any, len(other))
			for j, f := range other {
				mv[j] = vals[f.pos]
			}
			k, ok := groupKey(other, mv)
			if ok {
				groups[k] = append(groups[k], st.base)
			}
		}
		sl.done()
	}
	for i, st := range sts {
		var related []unsafe.Pointer
		if objKeys[i] != nil {
			related = groups[objKeys[i]]
		}
		p := unsafe.Add(st.base, r.offset)
		if r.kind == oneToMany {
			if related == nil {
				related = []unsafe.Pointer{}
			}
			*(*[]unsafe.Pointer)(p) = related
			if r.back != nil {
				for _, c := range related {
					*(*unsafe.Pointer)(unsafe.Add(c, r.back.offset)) = st.base
					if cst := s.states[c]; cst != nil {
						cst.loaded[r.back.pos] = true
						snapRelations(cst)
					}
				}
			}
		} else {
			var ref unsafe.Pointer
			if len(related) > 0 {
				ref = related[0]
			}
			*(*unsafe.Pointer)(p) = ref
		}
		st.loaded[r.pos] = true
		snapRelations(st)
	}
	return nil
}
