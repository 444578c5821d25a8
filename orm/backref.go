package orm

import (
	"slices"
	"unsafe"
)

// back_populates in memory. Go has no attribute events, so the two sides of a
// relationship are made consistent at fixed points rather than at each assignment:
//
//   - at Add (for the objects added) and at every flush, autoflush included, the session
//     compares each relationship of its objects with what it held when loaded or last
//     flushed, and applies each change to the other side: a child that entered a
//     collection gets its many-to-one set to the collection's owner and leaves the
//     collection of its previous parent; a child that left a collection and still
//     points to its owner gets its many-to-one set to nil; a many-to-one set to another
//     object appends the child to that object's collection, when that collection holds
//     a slice (loaded or assigned) or belongs to a new object (a nil slice on a persistent
//     object is a collection not loaded, left alone),
//     and removes it from the collection of the previous parent. Collections are
//     reconciled before many-to-ones, so when both sides were changed and disagree the
//     collection wins. Many-to-many sides append or remove the owner in the same way.
//   - at once, with the helpers Append, Remove and SetParent, which change both sides
//     when they are called (no session needed).

// Append appends children to parent's collection rel and sets their back_populates
// side at once: each child's many-to-one points to parent and the child leaves the
// collection of its previous parent (when that holds a slice); for a many-to-many
// relationship parent is appended to each child's collection (when it holds a slice).
// A child already in the collection is not appended twice.
func Append[A, B any](rel Relation[A, B], parent *A, children ...*B) {
	r := rel.r
	if r == nil || parent == nil || !r.list() {
		return
	}
	pb := unsafe.Pointer(parent)
	for _, c := range children {
		if c == nil {
			continue
		}
		cb := unsafe.Pointer(c)
		appendTo(r, pb, cb)
		linkBackSide(r, pb, cb, nil)
	}
}

// Remove removes child from parent's collection rel and unsets its back_populates side
// at once (the child's many-to-one becomes nil when it pointed to parent; for a
// many-to-many relationship parent leaves the child's collection). At the next flush the
// child is deleted (cascade=delete-orphan) or its foreign key set to NULL.
func Remove[A, B any](rel Relation[A, B], parent *A, child *B) {
	r := rel.r
	if r == nil || parent == nil || child == nil || !r.list() {
		return
	}
	pb, cb := unsafe.Pointer(parent), unsafe.Pointer(child)
	removeFrom(r, pb, cb)
	unlinkBackSide(r, pb, cb)
}

// SetParent sets child's many-to-one rel to parent (nil to unset it) and updates the
// collections of back_populates at once: the child leaves the collection of its previous
// parent and joins parent's, when those hold slices.
func SetParent[A, B any](rel Relation[A, B], child *A, parent *B) {
	r := rel.r
	if r == nil || child == nil || !r.scalar() {
		return
	}
	cb := unsafe.Pointer(child)
	slot := (*unsafe.Pointer)(unsafe.Add(cb, r.offset))
	old := *slot
	np := unsafe.Pointer(parent)
	if old == np {
		return
	}
	*slot = np
	if r.back == nil {
		return
	}
	if old != nil {
		unlinkBackSide(r, cb, old)
	}
	if np != nil {
		linkBackSide(r, cb, np, nil)
	}
}

// appendTo appends c to the collection r of the object at owner unless it is there.
func appendTo(r *relation, owner, c unsafe.Pointer) bool {
	p := (*[]unsafe.Pointer)(unsafe.Add(owner, r.offset))
	if slices.Contains(*p, c) {
		return false
	}
	*p = append(*p, c)
	return true
}

// removeFrom removes c from the collection r of the object at owner.
func removeFrom(r *relation, owner, c unsafe.Pointer) bool {
	p := (*[]unsafe.Pointer)(unsafe.Add(owner, r.offset))
	i := slices.Index(*p, c)
	if i < 0 {
		return false
	}
	*p = slices.Delete(slices.Clone(*p), i, i+1)
	return true
}

// collectionOpen reports whether the collection b of the object at base may be appended
// to without loading it: it holds a slice, or the object is new (transient or pending,
// so its collection is whatever the application put there). A nil slice on a persistent
// object is a collection not loaded, left alone.
func collectionOpen(b *relation, base unsafe.Pointer) bool {
	if *(*[]unsafe.Pointer)(unsafe.Add(base, b.offset)) != nil {
		return true
	}
	st, _ := lookupAttachment(base)
	return st == nil || st.status == Pending || st.status == Transient
}

// rewrites records the writes of a reconciliation for undo (nil: not recorded).
type rewrites struct{ undo *undoLog }

func (w rewrites) slice(r *relation, base unsafe.Pointer) {
	if w.undo == nil {
		return
	}
	p := (*[]unsafe.Pointer)(unsafe.Add(base, r.offset))
	old := *p
	w.undo.addWrite(func() { *p = old })
}

func (w rewrites) ptr(r *relation, base unsafe.Pointer) {
	if w.undo == nil {
		return
	}
	p := (*unsafe.Pointer)(unsafe.Add(base, r.offset))
	old := *p
	w.undo.addWrite(func() { *p = old })
}

// linkBackSide makes the back_populates side of r agree with "other is related to
// owner through r" (owner holds r; other is the target).
func linkBackSide(r *relation, owner, other unsafe.Pointer, undo *undoLog) {
	b := r.back
	if b == nil {
		return
	}
	w := rewrites{undo}
	switch {
	case b.list(): // r is many-to-one (or many-to-many): add owner to other's collection
		p := (*[]unsafe.Pointer)(unsafe.Add(other, b.offset))
		if collectionOpen(b, other) && !slices.Contains(*p, owner) {
			w.slice(b, other)
			appendTo(b, other, owner)
		}
	case b.scalar(): // r is a collection or one-to-one: point other back to owner
		slot := (*unsafe.Pointer)(unsafe.Add(other, b.offset))
		prev := *slot
		if prev == owner {
			return
		}
		w.ptr(b, other)
		*slot = owner
		if prev != nil {
			// other leaves its previous owner's side of r.
			if r.list() {
				if pp := (*[]unsafe.Pointer)(unsafe.Add(prev, r.offset)); slices.Contains(*pp, other) {
					w.slice(r, prev)
					removeFrom(r, prev, other)
				}
			} else if ps := (*unsafe.Pointer)(unsafe.Add(prev, r.offset)); *ps == other {
				w.ptr(r, prev)
				*ps = nil
			}
		}
	}
}

// unlinkBackSide makes the back_populates side of r agree with "other is no longer
// related to owner through r".
func unlinkBackSide(r *relation, owner, other unsafe.Pointer) { unlinkBack(r, owner, other, nil) }

func unlinkBack(r *relation, owner, other unsafe.Pointer, undo *undoLog) {
	b := r.back
	if b == nil {
		return
	}
	w := rewrites{undo}
	switch {
	case b.list():
		if p := (*[]unsafe.Pointer)(unsafe.Add(other, b.offset)); slices.Contains(*p, owner) {
			w.slice(b, other)
			removeFrom(b, other, owner)
		}
	case b.scalar():
		if slot := (*unsafe.Pointer)(unsafe.Add(other, b.offset)); *slot == owner {
			w.ptr(b, other)
			*slot = nil
		}
	}
}

// reconcile applies the back_populates rule to the objects sts (see the top of this
// file), recording every write in undo.
func (s *Session) reconcile(sts []*state, undo *undoLog) {
	for pass := 0; pass < 2; pass++ {
		for _, st := range sts {
			if st.status == Deleted {
				continue
			}
			for i, r := range st.m.rels {
				if r.back == nil || r.writeOnly || r.list() != (pass == 0) {
					continue
				}
				gained, lost := s.relChanges(st, i, r)
				for _, c := range gained {
					linkBackSide(r, st.base, c, undo)
				}
				for _, c := range lost {
					unlinkBack(r, st.base, c, undo)
				}
			}
		}
	}
}

// relChanges returns what relationship r (index i) of st gained and lost since it was
// loaded or last flushed. A relationship not loaded has lost nothing that the session
// knows of, except that a many-to-one's previous target is found through the foreign
// key's loaded value.
func (s *Session) relChanges(st *state, i int, r *relation) (gained, lost []unsafe.Pointer) {
	if r.list() && relSlice(r, st.base) == nil {
		return nil, nil // a nil slice is a collection not loaded (or let go): no change
	}
	var old []unsafe.Pointer
	known := st.relSnaps() != nil && st.loaded.has(i)
	if known {
		if r.list() {
			old = st.relSnaps()[i].list
		} else if st.relSnaps()[i].one != nil {
			old = []unsafe.Pointer{st.relSnaps()[i].one}
		}
	} else if r.kind == manyToOne && st.status == Persistent {
		if pk, ok := r.parentKeyFromSnap(st); ok {
			if p, ok := s.identity[pk]; ok {
				old = []unsafe.Pointer{p.base}
			}
		}
	}
	cur := relatedAt(r, st.base)
	if !known && len(cur) == 0 || known && slices.Equal(cur, old) {
		return nil, nil // a many-to-one not loaded and nil says nothing; or no change
	}
	inOld, inCur := memberTest(old), memberTest(cur)
	for _, c := range cur {
		if c != nil && !inOld(c) {
			gained = append(gained, c)
		}
	}
	for _, c := range old {
		if !inCur(c) {
			lost = append(lost, c)
		}
	}
	return gained, lost
}

// memberTest returns a membership test for list: a scan for short lists, a set for long
// ones (a change to a large collection costs linear time, not quadratic).
func memberTest(list []unsafe.Pointer) func(unsafe.Pointer) bool {
	if len(list) <= 16 {
		return func(p unsafe.Pointer) bool { return slices.Contains(list, p) }
	}
	set := make(map[unsafe.Pointer]struct{}, len(list))
	for _, p := range list {
		set[p] = struct{}{}
	}
	return func(p unsafe.Pointer) bool { _, ok := set[p]; return ok }
}
