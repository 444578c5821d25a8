package orm

import (
	"context"
	"fmt"
	"unsafe"
)

// Cascades (SQLAlchemy's cascade= on relationship(), default "save-update, merge"):
//
//   - save-update: objects reachable from an object in the session through the
//     relationship join the session (at Add, and again at every flush). It follows the
//     fields the application set; an object that only points to a session object through
//     its own many-to-one is not pulled in by that object (SQLAlchemy 2.0 does not cascade
//     through a backref either).
//   - merge: Merge copies the related objects too (merged in turn) and points the merged
//     object's relationship at the merged copies.
//   - expunge: Expunge of an object expunges the related objects it holds.
//   - delete: deleting an object deletes the related objects (the current members of the
//     collection, loaded first when they were not, unless passive_deletes).
//   - delete-orphan: an object removed from its parent's collection (or whose
//     many-to-one back to the parent was set to nil) is deleted at the next flush,
//     unless it was moved to another parent's collection.
//
// Without delete-orphan, an object removed from a collection gets its foreign key set to
// NULL at the next flush (when it still references the parent); without delete, deleting
// a parent sets its children's foreign keys to NULL (releaseChildren). passive_deletes
// leaves the children that are not loaded to the database's ON DELETE rule.

// saveUpdateCascade adds to the session the objects reachable from its objects through
// relationships with the save-update cascade.
func (s *Session) saveUpdateCascade(undo *undoLog) error {
	queue := s.sorted()
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		if st.status == Deleted {
			continue
		}
		for _, r := range st.m.rels {
			if !r.cascade.has(cascadeSaveUpdate) {
				continue
			}
			for _, p := range s.related(r, st.base) {
				if _, ok := s.states[p]; ok {
					continue
				}
				nst, err := s.adopt(r.target, p)
				if err != nil {
					return err
				}
				undo.add(func() { s.unadopt(nst) })
				queue = append(queue, nst)
			}
		}
	}
	return nil
}

// removals applies what collections lost since they were loaded or last flushed: the
// objects removed (and not moved to another parent) are deleted (delete-orphan) or
// released (foreign key set to NULL); and the queued removals of write-only
// collections.
func (s *Session) removals(undo *undoLog) error {
	members := map[*relation]map[unsafe.Pointer]bool{}
	memberElsewhere := func(r *relation, c unsafe.Pointer) bool {
		set, ok := members[r]
		if !ok {
			set = map[unsafe.Pointer]bool{}
			for _, o := range s.states {
				if o.m == r.m && o.status != Deleted {
					for _, x := range relatedAt(r, o.base) {
						set[x] = true
					}
				}
			}
			members[r] = set
		}
		return set[c]
	}
	for _, st := range s.sorted() {
		if st.status != Persistent {
			continue
		}
		for i, r := range st.m.rels {
			switch {
			case r.fkOnTarget() && !r.writeOnly && st.loaded.has(i):
				_, lost := s.relChanges(st, i, r)
				for _, c := range lost {
					cst := s.states[c]
					if cst == nil || cst.status != Persistent || memberElsewhere(r, c) {
						continue
					}
					if err := s.orphan(r, st, cst, undo); err != nil {
						return err
					}
				}
			case r.kind == manyToOne && r.back != nil && r.back.cascade.has(cascadeDeleteOrphan) && st.loaded.has(i) && st.relSnaps() != nil:
				// The child's side: its parent reference was set to nil.
				old := st.relSnaps()[i].one
				if old == nil || relPtr(r, st.base) != nil || memberElsewhere(r.back, st.base) {
					continue
				}
				if pst := s.states[old]; pst != nil {
					if err := s.orphan(r.back, pst, st, undo); err != nil {
						return err
					}
				}
			}
		}
	}
	return s.writeOnlyRemovals(undo)
}

// orphan handles child, removed from parent's relationship r: deleted with
// delete-orphan, otherwise its foreign key is set to NULL when it still references
// parent.
func (s *Session) orphan(r *relation, parent, child *state, undo *undoLog) error {
	if r.cascade.has(cascadeDeleteOrphan) {
		if child.status == Persistent {
			child.status = Deleted
			undo.add(func() { child.status = Persistent })
		}
		return nil
	}
	for k, cf := range r.childCols {
		v, err := cf.get(child.base)
		if err != nil {
			return err
		}
		pv, err := r.parentCols[k].get(parent.base)
		if err != nil {
			return err
		}
		if !equalValues(v, pv) {
			return nil // it references another parent already
		}
	}
	for _, cf := range r.childCols {
		if !cf.nullable {
			return fmt.Errorf("orm: flush: a %s removed from %s.%s would get a NULL foreign key, and %s.%s cannot be NULL: delete it, give the relationship cascade=delete-orphan, or move it to another parent",
				child.m.name, r.m.typ.Name(), r.goName, child.m.typ.Name(), cf.goName)
		}
		if err := undo.setField(child, cf, nil); err != nil {
			return err
		}
	}
	return nil
}

// cascadeDeletes marks for deletion the objects related to deleted objects through
// relationships with the delete cascade, level by level, loading the relationships
// that are not loaded (one query per relationship and level) unless passive_deletes.
func (s *Session) cascadeDeletes(ctx context.Context, undo *undoLog) error {
	var level []*state
	for _, st := range s.sorted() {
		if st.status == Deleted && !st.flushedDelete {
			level = append(level, st)
		}
	}
	seen := map[*state]bool{}
	for len(level) > 0 {
		var next []*state
		mark := func(c unsafe.Pointer) {
			cst := s.states[c]
			if cst == nil || seen[cst] {
				return
			}
			switch cst.status {
			case Persistent:
				cst.status = Deleted
				undo.add(func() { cst.status = Persistent })
				next = append(next, cst)
			case Pending:
				// Never written: it leaves the session with its parent, for good once
				// the flush has succeeded (a failed flush leaves it pending).
				s.forget(cst)
				undo.add(func() { s.states[cst.base] = cst; s.trackedChanged() })
				undo.afterSuccess(func() { s.toTransient(cst) })
			}
		}
		type job struct {
			r   *relation
			sts []*state
		}
		var jobs []*job
		byRel := map[*relation]*job{}
		for _, st := range level {
			seen[st] = true
			for i, r := range st.m.rels {
				if !r.cascade.has(cascadeDelete) {
					continue
				}
				if r.writeOnly || !st.loaded.has(i) && st.status != Pending {
					if r.passiveDeletes {
						continue // the database's ON DELETE does it
					}
					j := byRel[r]
					if j == nil {
						j = &job{r: r}
						byRel[r] = j
						jobs = append(jobs, j)
					}
					j.sts = append(j.sts, st)
					continue
				}
				for _, c := range relatedAt(r, st.base) {
					mark(c)
				}
			}
		}
		for _, j := range jobs {
			if _, err := s.connection(ctx); err != nil {
				return err
			}
			if j.r.writeOnly {
				children, err := s.queryChildren(ctx, j.r, j.sts)
				if err != nil {
					return err
				}
				for _, c := range children {
					mark(c.base)
				}
				continue
			}
			if err := s.loadRelation(ctx, j.r, j.sts); err != nil {
				return err
			}
			for _, st := range j.sts {
				for _, c := range relatedAt(j.r, st.base) {
					mark(c)
				}
			}
		}
		level = next
	}
	return nil
}

// expungeCascade expunges st and, through relationships with the expunge cascade, the
// objects it holds that the session tracks.
func (s *Session) expungeCascade(st *state) {
	queue := []*state{st}
	seen := map[*state]bool{st: true}
	for i := 0; i < len(queue); i++ {
		cur := queue[i]
		for _, r := range cur.m.rels {
			if !r.cascade.has(cascadeExpunge) {
				continue
			}
			for _, c := range relatedAt(r, cur.base) {
				if cst := s.states[c]; cst != nil && !seen[cst] {
					seen[cst] = true
					queue = append(queue, cst)
				}
			}
		}
	}
	for _, x := range queue {
		s.expunge(x)
	}
}
