package orm

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"unsafe"
)

// Limits of one multi-row statement: the number of rows, and of bound parameters (SQLite
// accepts 32766, PostgreSQL and MySQL 65535).
const (
	maxBatchRows   = 1000
	maxBatchParams = 30000
)

func sortStates(sts []*state) {
	slices.SortFunc(sts, func(a, b *state) int { return cmp.Compare(a.seq, b.seq) })
}

// relSlice returns the elements of the []*T relationship field of r in the struct at base.
func relSlice(r *relation, base unsafe.Pointer) []unsafe.Pointer {
	return *(*[]unsafe.Pointer)(unsafe.Add(base, r.offset))
}

// relPtr returns the *T relationship field of r in the struct at base.
func relPtr(r *relation, base unsafe.Pointer) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Add(base, r.offset))
}

// objectAt returns the *T (as any) for a pointer to a value of model m.
func (m *mapper) objectAt(p unsafe.Pointer) any {
	return reflectNewAt(m, p)
}

// flushWork is the emitter's view of one plan item.
type flushWork struct {
	fields []*field // INSERT: the columns given values; UPDATE: the changed columns
	fills  []fkFill // foreign keys to copy from new parents just before the statement
}

// fkFill copies the key of a parent written earlier in the flush into the child's
// foreign key fields.
type fkFill struct {
	rel    *relation
	parent *state
}

// undoLog restores objects and session bookkeeping after a failed flush. Field writes
// are recorded as entries (no closure per write); other changes as functions. Changes
// that cannot be undone wait in onSuccess until the flush has succeeded.
type undoLog struct {
	entries   []undoEntry
	onSuccess []func()
}

type undoEntry struct {
	st  *state
	f   *field
	old any
	fn  func()
	// write marks a function that undoes a write to an object (a relationship field),
	// which a rollback of the transaction undoes too, unlike the session's bookkeeping.
	write bool
	// rec, when set, restores st's record as it was before the flush wrote its row
	// (status, snapshot, key, expired; see recordUndo) and the identity map with it.
	rec *recordUndo
}

// recordUndo is the state of an object's session record before the flush wrote its row.
type recordUndo struct {
	op      opKind
	status  Status
	expired bool
	snap    []any
	key     identityKey
	s       *Session
}

// undo restores st's record: the identity map entry the write made goes (an INSERT's),
// moves back (an UPDATE of the key) or comes back (a DELETE's), then the fields.
func (r *recordUndo) undo(st *state) {
	identity := r.s.identity
	switch r.op {
	case opInsert:
		delete(identity, st.key)
	case opUpdate:
		if st.key != r.key {
			delete(identity, st.key)
			identity[r.key] = st
		}
	case opDelete:
		st.flushedDelete = false
		identity[r.key] = st
	}
	st.status, st.snap, st.key, st.expired = r.status, r.snap, r.key, r.expired
}

func (u *undoLog) add(fn func()) { u.entries = append(u.entries, undoEntry{fn: fn}) }

// addWrite records the undo of a write to an object's relationship field.
func (u *undoLog) addWrite(fn func()) { u.entries = append(u.entries, undoEntry{fn: fn, write: true}) }

// afterSuccess records fn to run once the flush has succeeded (and never if it fails).
func (u *undoLog) afterSuccess(fn func()) { u.onSuccess = append(u.onSuccess, fn) }

// succeeded runs the functions waiting for the flush's success.
func (u *undoLog) succeeded() {
	for _, fn := range u.onSuccess {
		fn()
	}
	u.onSuccess = nil
}

func (u *undoLog) run() {
	u.onSuccess = nil
	for i := len(u.entries) - 1; i >= 0; i-- {
		e := &u.entries[i]
		switch {
		case e.rec != nil:
			e.rec.undo(e.st)
		case e.fn != nil:
			e.fn()
		default:
			_ = e.f.set(e.st.base, e.old)
		}
	}
	u.entries = nil
}

// setField sets f of st to v, recording the old value for undo.
func (u *undoLog) setField(st *state, f *field, v any) error {
	old, err := f.get(st.base)
	if err != nil {
		return err
	}
	if equalValues(old, v) {
		return nil
	}
	if err := f.set(st.base, v); err != nil {
		return err
	}
	u.entries = append(u.entries, undoEntry{st: st, f: f, old: old})
	return nil
}

// flush writes the session's changes. The caller holds the session.
func (s *Session) flush(ctx context.Context) error {
	_, err := s.flushCommit(ctx, false)
	return err
}

// flushCommit is flush; with commit set (Commit's flush), the flush's last statement may
// carry the transaction's COMMIT (engine.Tx.CommitWith: one round trip on PostgreSQL),
// and committed reports that it did.
func (s *Session) flushCommit(ctx context.Context, commit bool) (committed bool, err error) {
	if s.hookDepth > 0 {
		return false, ErrInHook
	}
	if len(s.states) == 0 {
		return false, nil // nothing tracked: nothing to write
	}
	var undo undoLog
	// Cascades and relationship rules, before the rows are listed: objects reachable
	// through save-update join the session; back_populates sides are reconciled;
	// objects removed from collections are deleted or released; deletes cascade; the
	// children of deleted parents are released.
	err = s.saveUpdateCascade(&undo)
	if err == nil {
		s.reconcile(s.sorted(), &undo)
		err = s.removals(&undo)
	}
	if err == nil {
		err = s.cascadeDeletes(ctx, &undo)
	}
	if err == nil {
		err = s.releaseChildren(ctx, &undo)
	}
	if err != nil {
		undo.run()
		return false, err
	}
	work, items, extra, err := s.prepareFlush(&undo)
	if err == nil && s.sm.reg.hooked(hooksBefore) {
		work, items, extra, err = s.beforeHooks(ctx, &undo, work, items, extra)
	}
	if err != nil {
		undo.run()
		return false, err
	}
	if len(items) == 0 && extra.empty() {
		s.clearWriteOnly()
		s.snapChangedRelations(nil)
		undo.succeeded()
		return false, nil
	}
	// Room in the journal for what the statements do to each row (its record, and the
	// generated key of an INSERT), rather than growing it chunk by chunk.
	undo.entries = slices.Grow(undo.entries, 2*len(items))
	ranks, err := s.sm.reg.ranks()
	if err != nil {
		undo.run()
		return false, err
	}
	batches, err := plan(items, func(m *mapper) int { return ranks[m] })
	if err != nil {
		undo.run()
		return false, err
	}
	batches = extra.insertBatches(batches)
	conn, err := s.connection(ctx)
	if err != nil {
		// No statement ran, but the flush failed all the same: as after any failed
		// flush, the session wants Rollback (SQLAlchemy does the same).
		undo.run()
		s.failed = err
		return false, err
	}
	f := &emitter{s: s, conn: conn, undo: &undo, items: items, work: work, feat: s.sm.eng.Dialect().Features(),
		commit:     commit && len(s.frames) == 0 && s.ownsTx() && s.tx != nil && !s.tx.IsNested(),
		flushExtra: extra}
	for n, b := range batches {
		f.lastBatch = n == len(batches)-1
		if err = f.batch(ctx, b); err != nil {
			break
		}
	}
	s.txWrote = s.txWrote || f.stmts > 0
	if err == nil {
		err = f.finish()
	}
	if err == nil && s.sm.reg.hooked(hooksAfter) {
		err = s.afterHooks(ctx, f)
	}
	if err != nil {
		// The database is unchanged once the transaction (or, inside BeginNested, the
		// innermost savepoint) is rolled back; put the objects and the session back as
		// they were before the flush.
		if n := len(s.frames); n > 0 {
			sp := s.frames[n-1]
			_ = sp.tx.Rollback(context.WithoutCancel(ctx))
			sp.failed, sp.err = true, err
		} else if s.tx != nil && s.tx.IsActive() {
			_ = s.tx.Rollback(context.WithoutCancel(ctx))
		}
		undo.run()
		s.failed = err
		return false, err
	}
	for _, st := range f.inserted {
		snapRelations(st)
	}
	s.clearWriteOnly()
	s.recordFlush(f, &undo)
	undo.succeeded()
	return f.committed, nil
}

// releaseChildren applies SQLAlchemy's default for a parent deleted without a delete
// cascade: the children of its one-to-many relationships (loaded now if they were not)
// get their foreign key set to NULL, and so survive the parent. When the foreign key has
// ON DELETE CASCADE or SET NULL, the database takes care of the children and nothing is
// loaded (SQLAlchemy's passive_deletes, chosen automatically). A child whose foreign key
// field cannot hold NULL makes the flush fail with an error naming it, before any SQL.
func (s *Session) releaseChildren(ctx context.Context, undo *undoLog) error {
	type job struct {
		r       *relation
		parents []*state
	}
	var jobs []*job
	for _, st := range s.sorted() {
		if st.status != Deleted || st.flushedDelete {
			continue
		}
		for _, r := range st.m.rels {
			if !r.fkOnTarget() || r.onDelete == "CASCADE" || r.onDelete == "SET NULL" ||
				r.cascade.has(cascadeDelete) || r.passiveDeletes && (r.writeOnly || !st.loaded.has(r.pos)) {
				continue
			}
			var j *job
			for _, x := range jobs {
				if x.r == r {
					j = x
				}
			}
			if j == nil {
				j = &job{r: r}
				jobs = append(jobs, j)
			}
			j.parents = append(j.parents, st)
		}
	}
	for _, j := range jobs {
		var toLoad []*state
		for _, p := range j.parents {
			if !p.loaded.has(j.r.pos) {
				toLoad = append(toLoad, p)
			}
		}
		children := map[*state][]unsafe.Pointer{}
		if len(toLoad) > 0 {
			if _, err := s.connection(ctx); err != nil {
				return err
			}
			if j.r.writeOnly {
				// Read without assigning the field; each child is matched to its parent
				// by the foreign key it references.
				sts, err := s.queryChildren(ctx, j.r, toLoad)
				if err != nil {
					return err
				}
				for _, c := range sts {
					for _, p := range toLoad {
						if refersTo(j.r, c, p) {
							children[p] = append(children[p], c.base)
						}
					}
				}
			} else if err := s.loadRelation(ctx, j.r, toLoad); err != nil {
				return err
			}
		}
		for _, p := range j.parents {
			list := children[p]
			if !j.r.writeOnly {
				list = relatedAt(j.r, p.base)
			}
			for _, c := range list {
				cst := s.states[c]
				if c == nil || cst == nil || cst.status == Deleted {
					continue
				}
				for _, cf := range j.r.childCols {
					if !cf.nullable {
						return fmt.Errorf("orm: flush: deleting a %s leaves a %s that references it, and %s.%s cannot be NULL: delete the %s too, or give the foreign key ondelete=cascade",
							p.m.name, cst.m.name, cst.m.typ.Name(), cf.goName, cst.m.typ.Name())
					}
					if err := undo.setField(cst, cf, nil); err != nil {
						return err
					}
				}
				if back := j.r.back; back != nil && back.scalar() {
					bp := (*unsafe.Pointer)(unsafe.Add(cst.base, back.offset))
					if old := *bp; old == p.base {
						*bp = nil
						undo.addWrite(func() { *bp = old })
					}
				}
			}
		}
	}
	return nil
}

// prepareFlush synchronises foreign keys with relationships and lists the rows to write
// with their dependencies, and the writes outside the plan (post-updates, association
// rows).
func (s *Session) prepareFlush(undo *undoLog) ([]flushWork, []planItem, *flushExtra, error) {
	all := s.sorted()
	extra := &flushExtra{}
	var postSeen map[postKey]bool // made when needed, as are fills and deps
	index := make(map[*state]int, len(all))
	keys := colKeys{}
	sets := fieldSets{}
	items := make([]planItem, 0, len(all))
	work := make([]flushWork, 0, len(all))
	// Foreign key synchronisation from relationships.
	var fills map[*state][]fkFill
	var deps map[*state][]*state
	for _, st := range all {
		if st.status == Deleted {
			continue
		}
		for i, r := range st.m.rels {
			if r.writeOnly && len(woAt(r, st.base).added) == 0 {
				continue
			}
			related := s.related(r, st.base)
			if st.status == Pending && !r.writeOnly && (len(related) > 0 || r.list() && relSlice(r, st.base) != nil) {
				st.loaded.set(i)
			}
			if r.kind == manyToMany {
				continue // association rows: assocChanges
			}
			if r.kind == manyToOne && len(related) == 0 && st.loaded.has(i) && st.relSnaps() != nil && st.relSnaps()[i].one != nil {
				// Set to nil: the relationship wins over the foreign key's value.
				if r.postUpdate {
					if k := (postKey{st, r.childCols[0]}); !postSeen[k] {
						postSeen = setTrue(postSeen, k)
						extra.post = append(extra.post, postUpdate{r: r, child: st})
					}
					continue
				}
				for _, cf := range r.childCols {
					if !cf.nullable {
						return nil, nil, nil, fmt.Errorf("orm: flush: %s.%s was set to nil, and %s.%s cannot be NULL", st.m.typ.Name(), r.goName, st.m.typ.Name(), cf.goName)
					}
					if err := undo.setField(st, cf, nil); err != nil {
						return nil, nil, nil, err
					}
				}
				continue
			}
			if st.status == Persistent && !r.writeOnly && st.loaded.has(i) && st.relSnaps() != nil {
				// Only what the relationship gained since it was loaded or flushed: a
				// foreign key the application set directly is not overwritten by an
				// unchanged relationship (SQLAlchemy syncs on relationship changes).
				related, _ = s.relChanges(st, i, r)
			}
			for _, p := range related {
				other := s.states[p]
				if other == nil || other.status == Deleted {
					continue
				}
				child, parent := st, other
				if r.fkOnTarget() {
					child, parent = other, st
				}
				if r.postUpdate {
					if k := (postKey{child, r.childCols[0]}); !postSeen[k] {
						postSeen = setTrue(postSeen, k)
						extra.post = append(extra.post, postUpdate{r: r, child: child, parent: parent})
					}
					continue
				}
				if parent.status == Pending {
					if fills == nil {
						fills, deps = map[*state][]fkFill{}, map[*state][]*state{}
					}
					fills[child] = append(fills[child], fkFill{rel: r, parent: parent})
					deps[child] = append(deps[child], parent)
					continue
				}
				for k, cf := range r.childCols {
					v, err := r.parentCols[k].get(parent.base)
					if err != nil {
						return nil, nil, nil, err
					}
					if err := undo.setField(child, cf, v); err != nil {
						return nil, nil, nil, err
					}
				}
			}
		}
	}
	for _, st := range all {
		var w flushWork
		var kind opKind
		switch {
		case st.status == Pending:
			kind = opInsert
			w.fields = sets.insertFields(st, fills[st])
		case st.status == Deleted && !st.flushedDelete:
			kind = opDelete
		case st.status == Persistent:
			changed, err := st.changedFields()
			if err != nil {
				return nil, nil, nil, err
			}
			for _, fl := range fills[st] {
				for _, cf := range fl.rel.childCols {
					if !slices.Contains(changed, cf) {
						changed = append(changed, cf)
					}
				}
			}
			if len(changed) == 0 {
				continue
			}
			if changed, err = applyUpdateDefaults(st, changed, undo); err != nil {
				return nil, nil, nil, err
			}
			kind = opUpdate
			slices.SortFunc(changed, func(a, b *field) int { return a.pos - b.pos })
			w.fields = changed
		default:
			continue
		}
		w.fills = fills[st]
		index[st] = len(items)
		items = append(items, planItem{kind: kind, m: st.m, colKey: keys.of(w.fields), st: st})
		work = append(work, w)
	}
	// Dependencies: children after their new parents; deleted parents after their deleted
	// children (found through the children's foreign key values in the identity map).
	for i := range items {
		st := items[i].st
		for _, p := range deps[st] {
			if j, ok := index[p]; ok {
				items[i].deps = append(items[i].deps, j)
			}
		}
		if items[i].kind != opDelete {
			continue
		}
		after := func(pk identityKey) {
			if pst, ok := s.identity[pk]; ok {
				if j, ok := index[pst]; ok && items[j].kind == opDelete && j != i {
					items[j].deps = append(items[j].deps, i)
				}
			}
		}
		for _, r := range st.m.rels {
			if r.kind != manyToOne {
				continue
			}
			if pk, ok := r.parentKeyFromSnap(st); ok {
				if r.postUpdate {
					// The foreign key is set to NULL before the DELETEs instead.
					if pst, ok := s.identity[pk]; ok && pst.status == Deleted {
						extra.nulls = append(extra.nulls, postUpdate{r: r, child: st})
					}
					continue
				}
				after(pk)
			}
		}
		// A self-referencing foreign key without a relationship field (parent_id): the
		// parent row is deleted after its children, level by level.
		for _, cols := range st.m.selfRefs() {
			if pk, ok := keyFromSnap(st, cols); ok {
				after(pk)
			}
		}
	}
	extra.assoc = s.assocChanges()
	return work, items, extra, nil
}

// parentKeyFromSnap returns the identity key of the parent that child st references
// through r (a many-to-one relationship on st's mapper), from st's loaded values, when
// the foreign key references the parent's primary key.
func (r *relation) parentKeyFromSnap(st *state) (identityKey, bool) {
	parent := r.target
	if st.snap == nil || len(r.parentCols) != len(parent.pk) {
		return identityKey{}, false
	}
	vals := make([]any, len(parent.pk))
	for i, pf := range parent.pk {
		k := slices.Index(r.parentCols, pf)
		if k < 0 {
			return identityKey{}, false
		}
		v := st.snap[r.childCols[k].pos]
		if v == nil {
			return identityKey{}, false
		}
		vals[i] = v
	}
	return parent.keyOfValues(vals), true
}

// keyFromSnap returns the identity key of st's own mapper made of the snapshot values of
// cols (a foreign key to the same table, in key order).
func keyFromSnap(st *state, cols []*field) (identityKey, bool) {
	if st.snap == nil {
		return identityKey{}, false
	}
	vals := make([]any, len(cols))
	for i, f := range cols {
		if vals[i] = st.snap[f.pos]; vals[i] == nil {
			return identityKey{}, false
		}
	}
	return st.m.keyOfValues(vals), true
}

func fillsField(fills []fkFill, f *field) bool {
	for _, fl := range fills {
		if slices.Contains(fl.rel.childCols, f) {
			return true
		}
	}
	return false
}

// setTrue sets m[k] to true, making m when it is nil, and returns m.
func setTrue[K comparable](m map[K]bool, k K) map[K]bool {
	if m == nil {
		m = map[K]bool{}
	}
	m[k] = true
	return m
}

// fieldSets shares, within one flush, the field lists of the INSERTs of one model with
// the same columns (models of at most 64 fields), instead of one list per row.
type fieldSets map[fieldSetKey][]*field

type fieldSetKey struct {
	m    *mapper
	mask uint64
}

// insertFields returns the fields the INSERT of pending st gives values: all but the
// zero-valued columns the database generates, unless a relationship fills them (fills).
func (c fieldSets) insertFields(st *state, fills []fkFill) []*field {
	given := func(f *field) bool {
		return !f.genOnInsert || !f.isZero(st.base) || fillsField(fills, f)
	}
	fields := st.m.fields
	if len(fields) > 64 {
		return slices.DeleteFunc(slices.Clone(fields), func(f *field) bool { return !given(f) })
	}
	var mask uint64
	for i, f := range fields {
		if given(f) {
			mask |= 1 << i
		}
	}
	k := fieldSetKey{st.m, mask}
	out, ok := c[k]
	if !ok {
		for i, f := range fields {
			if mask&(1<<i) != 0 {
				out = append(out, f)
			}
		}
		c[k] = out
	}
	return out
}

// colKeys caches the keys of column sets within one flush (sets of at most 64 fields
// are looked up by bit mask, so rows with the same set share one string).
type colKeys map[uint64]string

func (c colKeys) of(fields []*field) string {
	var mask uint64
	for _, f := range fields {
		if f.pos >= 64 {
			return colKey(fields)
		}
		mask |= 1 << f.pos
	}
	k, ok := c[mask]
	if !ok {
		k = colKey(fields)
		c[mask] = k
	}
	return k
}

// colKey identifies a set of fields.
func colKey(fields []*field) string {
	b := make([]byte, 0, len(fields)*3)
	for _, f := range fields {
		b = strconv.AppendInt(b, int64(f.pos), 10)
		b = append(b, ',')
	}
	return string(b)
}

// related returns the objects r's field of the struct at base points to (the queued
// additions of a write-only collection).
func (s *Session) related(r *relation, base unsafe.Pointer) []unsafe.Pointer {
	out := relatedAt(r, base)
	if slices.Contains(out, nil) {
		out = slices.DeleteFunc(slices.Clone(out), func(p unsafe.Pointer) bool { return p == nil })
	}
	return out
}

// prepareAgain lists the rows again after model hooks changed objects: the objects they
// reached join the session first (the save-update cascade).
func (s *Session) prepareAgain(undo *undoLog) ([]flushWork, []planItem, *flushExtra, error) {
	if err := s.saveUpdateCascade(undo); err != nil {
		return nil, nil, nil, err
	}
	return s.prepareFlush(undo)
}

// postKey identifies the post-update of one foreign key of one row.
type postKey struct {
	st *state
	f  *field
}

// flushExtra is what a flush writes besides the planned rows: post-updates, the NULLs
// written before DELETEs for post_update relationships, and association rows.
type flushExtra struct {
	post  []postUpdate
	nulls []postUpdate
	assoc *assocWork
}

func (x *flushExtra) empty() bool {
	return x == nil || len(x.post) == 0 && len(x.nulls) == 0 && x.assoc.empty()
}

// insertBatches places the extra writes among the planned batches: post-updates and
// association rows after the saves, the NULLs of post_update keys before the deletes.
func (x *flushExtra) insertBatches(batches []planBatch) []planBatch {
	split := len(batches)
	for i, b := range batches {
		if b.kind == opDelete {
			split = i
			break
		}
	}
	var mid []planBatch
	if len(x.post) > 0 {
		mid = append(mid, planBatch{kind: opPostUpdate})
	}
	if x.assoc != nil && len(x.assoc.deletes)+len(x.assoc.ownerDeletes) > 0 {
		mid = append(mid, planBatch{kind: opAssocDelete})
	}
	if x.assoc != nil && len(x.assoc.inserts) > 0 {
		mid = append(mid, planBatch{kind: opAssocInsert})
	}
	if len(x.nulls) > 0 {
		mid = append(mid, planBatch{kind: opNullBeforeDelete})
	}
	return slices.Insert(batches, split, mid...)
}

// extraBatch runs a batch of writes outside the plan.
func (e *emitter) extraBatch(ctx context.Context, b planBatch) error {
	switch b.kind {
	case opPostUpdate:
		return e.postUpdates(ctx)
	case opAssocDelete:
		return e.assocDelete(ctx)
	case opAssocInsert:
		return e.assocInsert(ctx, e.lastBatch)
	case opNullBeforeDelete:
		return e.preDeleteNulls(ctx)
	}
	return fmt.Errorf("orm: flush: unknown batch kind %d", b.kind)
}

// refersTo reports whether child's foreign key of one-to-many r holds parent's key.
func refersTo(r *relation, child, parent *state) bool {
	for k, cf := range r.childCols {
		v, err := cf.get(child.base)
		if err != nil {
			return false
		}
		pv, err := r.parentCols[k].get(parent.base)
		if err != nil || !equalValues(v, pv) {
			return false
		}
	}
	return true
}
