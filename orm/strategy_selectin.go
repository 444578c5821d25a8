package orm

import (
	"context"
	"unsafe"

	"github.com/retortdb/retort/engine"
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
	jobs, err := s.selectInAll(ctx, []selectInJob{{r: r, sts: sts, chunk: chunk}})
	if err != nil {
		return nil, err
	}
	return jobs[0].loaded, nil
}

// selectInJob is one relationship to load for some objects.
type selectInJob struct {
	r     *relation
	sts   []*state
	chunk int

	objKeys []any // per object, the key it matches on (nil: NULL)
	stmts   []expr.Statement
	loaded  []*state // the related objects loaded, each once
}

// selectInAll runs the loads of jobs (relationships of the same objects, or of objects
// loaded together), whose statements do not depend on each other: on PostgreSQL they all
// go in one round trip (engine.Conn.ExecuteAll), chunks and siblings together.
func (s *Session) selectInAll(ctx context.Context, jobs []selectInJob) ([]selectInJob, error) {
	var stmts []expr.Statement
	for i := range jobs {
		j := &jobs[i]
		if r := j.r; r.secondary != nil || r.writeOnly {
			// Through a secondary table: loaded on its own (secondary.go).
			loaded, err := s.loadOther(ctx, r, j.sts, j.chunk)
			if err != nil {
				return nil, err
			}
			j.loaded, j.sts = loaded, nil
			continue
		}
		if err := s.selectInStatements(j); err != nil {
			return nil, err
		}
		stmts = append(stmts, j.stmts...)
	}
	var results []*engine.Result
	switch len(stmts) {
	case 0:
	case 1:
		res, err := s.conn.Execute(ctx, stmts[0])
		if err != nil {
			return nil, err
		}
		results = []*engine.Result{res}
	default:
		var err error
		if results, err = s.conn.ExecuteAll(ctx, stmts); err != nil {
			return nil, err
		}
	}
	for i := range jobs {
		j := &jobs[i]
		n := len(j.stmts)
		if err := s.selectInAssign(j, results[:n]); err != nil {
			return nil, err
		}
		results = results[n:]
	}
	return jobs, nil
}

// selectInStatements computes the keys of j's objects and the SELECT of each chunk.
func (s *Session) selectInStatements(j *selectInJob) error {
	if len(j.sts) == 0 {
		return nil
	}
	r := j.r
	if j.chunk <= 0 {
		j.chunk = selectInChunk
	}
	// The values each object matches on: its key columns for one-to-many (the children's
	// foreign key references them), its foreign key for many-to-one.
	own, other := r.parentCols, r.childCols
	if r.kind == manyToOne {
		own, other = r.childCols, r.parentCols
	}
	j.objKeys = make([]any, len(j.sts))
	var keys [][]any
	seen := map[any]bool{}
	for i, st := range j.sts {
		vals := make([]any, len(own))
		for k, f := range own {
			v, err := f.get(st.base)
			if err != nil {
				return err
			}
			vals[k] = v
		}
		k, ok := groupKey(own, vals)
		if !ok {
			continue
		}
		j.objKeys[i] = k
		if !seen[k] {
			seen[k] = true
			keys = append(keys, vals)
		}
	}
	target := r.target
	for start := 0; start < len(keys); start += j.chunk {
		part := keys[start:min(start+j.chunk, len(keys))]
		q := expr.Select(target.table).Where(inCondition(other, part)).OrderBy(r.orderExprs()...)
		if err := s.noteStatement(q, r); err != nil {
			return err
		}
		j.stmts = append(j.stmts, q)
	}
	return nil
}

// selectInAssign hydrates the related rows of j and assigns the relationship.
func (s *Session) selectInAssign(j *selectInJob, results []*engine.Result) error {
	if len(j.sts) == 0 {
		return nil
	}
	r := j.r
	other := r.childCols
	if r.kind == manyToOne {
		other = r.parentCols
	}
	target := r.target
	// Related rows, grouped by the values they match on.
	groups := map[any][]unsafe.Pointer{}
	var seenRel map[*state]bool
	mv := make([]any, len(other)) // one row's values of other (groupKey keeps none)
	for _, res := range results {
		sl := newSlab(target, res.Len())
		s.reserve(res.Len())
		var rowErr error
		res.Each(func(row engine.Row) bool {
			vals := row.Values()
			st, err := s.hydrate(target, vals, 0, false, sl)
			if err != nil {
				rowErr = err
				return false
			}
			if r.kind == manyToOne {
				// Several objects may share one parent: each parent is listed once.
				if seenRel == nil {
					seenRel = map[*state]bool{}
				}
				if !seenRel[st] {
					seenRel[st] = true
					j.loaded = append(j.loaded, st)
				}
			} else {
				j.loaded = append(j.loaded, st)
			}
			for k, f := range other {
				mv[k] = vals[f.pos]
			}
			if k, ok := groupKey(other, mv); ok {
				groups[k] = append(groups[k], st.base)
			}
			return true
		})
		sl.done()
		if rowErr != nil {
			return rowErr
		}
	}
	for i, st := range j.sts {
		var related []unsafe.Pointer
		if j.objKeys[i] != nil {
			related = groups[j.objKeys[i]]
		}
		s.setLoaded(r, st, related)
	}
	newGroup(j.loaded)
	return nil
}

// setLoaded assigns relationship r of owner the related objects a load found (the
// collection, or the first object for a reference), points the back_populates reference
// of each related object at owner where that side is a reference (the many-to-one of a
// one-to-many's children, the child of a one-to-one; never a many-to-many's other
// collection), and marks r loaded.
func (s *Session) setLoaded(r *relation, owner *state, related []unsafe.Pointer) {
	p := unsafe.Add(owner.base, r.offset)
	back := related
	if r.list() {
		if related == nil {
			related = []unsafe.Pointer{}
		}
		*(*[]unsafe.Pointer)(p) = related
	} else {
		var ref unsafe.Pointer
		if len(related) > 0 {
			ref, back = related[0], related[:1]
		}
		*(*unsafe.Pointer)(p) = ref
		if r.kind != oneToOne {
			back = nil // a many-to-one's other side is a collection
		}
	}
	if r.back != nil && !r.back.list() {
		for _, c := range back {
			*(*unsafe.Pointer)(unsafe.Add(c, r.back.offset)) = owner.base
			if cst := s.states[c]; cst != nil {
				cst.loaded.set(r.back.pos)
				snapRelations(cst)
			}
		}
	}
	owner.loaded.set(r.pos)
	snapRelations(owner)
}
