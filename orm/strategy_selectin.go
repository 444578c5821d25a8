package orm

import (
	"context"
	"unsafe"

	"github.com/retortdb/retort/expr"
)

// The selectin strategy (SQLAlchemy's selectinload): after the objects of a query are
// hydrated, one more SELECT of the related model per relationship and per chunk of keys
// (500 by default, Loader.ChunkSize), WHERE the related rows match the objects' keys:
// fk IN (...) for one column, (a = ? AND b = ?) OR ... for a composite key. The related
// rows go through the identity map like any other row; the collections (or references)
// are assigned, empty non-nil slices for objects without related rows, and the
// back_populates side is filled too. A collection is in the order of the related model's
// primary key (the loader's ORDER BY).

// selectInChunk is how many keys one IN list holds unless the option says otherwise.
const selectInChunk = 500

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

// loadRelation fills relationship r of the objects sts (the flush's loads of children).
func (s *Session) loadRelation(ctx context.Context, r *relation, sts []*state) error {
	_, err := s.selectIn(ctx, r, sts, selectInChunk)
	return err
}

// selectIn fills relationship r of the objects sts with chunks of up to chunk keys, and
// returns the related objects it loaded (each once), which form one result group for
// batched loads (see Load).
func (s *Session) selectIn(ctx context.Context, r *relation, sts []*state, chunk int) ([]*state, error) {
	if len(sts) == 0 {
		return nil, nil
	}
	if chunk <= 0 {
		chunk = selectInChunk
	}
	if r.secondary != nil || r.writeOnly {
		return s.loadOther(ctx, r, sts, chunk)
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
				return nil, err
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
	var loaded []*state
	var seenRel map[*state]bool
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		q := expr.Select(target.table).Where(inCondition(other, part)).OrderBy(r.orderExprs()...)
		if err := s.noteStatement(q, r); err != nil {
			return nil, err
		}
		res, err := s.conn.Execute(ctx, q)
		if err != nil {
			return nil, err
		}
		sl := newSlab(target, res.Len())
		for _, row := range res.All() {
			vals := row.Values()
			st, err := s.hydrate(target, vals, 0, false, sl)
			if err != nil {
				sl.done()
				return nil, err
			}
			if r.kind == manyToOne {
				// Several objects may share one parent: each parent is listed once.
				if seenRel == nil {
					seenRel = map[*state]bool{}
				}
				if !seenRel[st] {
					seenRel[st] = true
					loaded = append(loaded, st)
				}
			} else {
				loaded = append(loaded, st)
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
	newGroup(loaded)
	return loaded, nil
}
