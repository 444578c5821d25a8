package orm

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"unsafe"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// Limits of one multi-row statement: the number of rows, and of bound parameters (SQLite
// accepts 32766, PostgreSQL and MySQL 65535).
const (
	maxBatchRows   = 1000
	maxBatchParams = 30000
)

func sortStates(sts []*state) {
	sort.Slice(sts, func(i, j int) bool { return sts[i].seq < sts[j].seq })
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
// are recorded as entries (no closure per write); other changes as functions.
type undoLog struct {
	entries []undoEntry
}

type undoEntry struct {
	st  *state
	f   *field
	old any
	fn  func()
	// write marks a function that undoes a write to an object (a relationship field),
	// which a rollback of the transaction undoes too, unlike the session's bookkeeping.
	write bool
}

func (u *undoLog) add(fn func()) { u.entries = append(u.entries, undoEntry{fn: fn}) }

// addWrite records the undo of a write to an object's relationship field.
func (u *undoLog) addWrite(fn func()) { u.entries = append(u.entries, undoEntry{fn: fn, write: true}) }

func (u *undoLog) run() {
	for i := len(u.entries) - 1; i >= 0; i-- {
		e := u.entries[i]
		if e.fn != nil {
			e.fn()
		} else {
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
	var undo undoLog
	if err := s.releaseChildren(ctx, &undo); err != nil {
		undo.run()
		return false, err
	}
	work, items, err := s.prepareFlush(&undo)
	if err != nil {
		undo.run()
		return false, err
	}
	if len(items) == 0 {
		s.snapChangedRelations(nil)
		return false, nil
	}
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
	conn, err := s.connection(ctx)
	if err != nil {
		// No statement ran, but the flush failed all the same: as after any failed
		// flush, the session wants Rollback (SQLAlchemy does the same).
		undo.run()
		s.failed = err
		return false, err
	}
	f := &emitter{s: s, conn: conn, undo: &undo, items: items, work: work, feat: s.sm.eng.Dialect().Features(),
		commit: commit && len(s.frames) == 0 && s.ownsTx() && s.tx != nil && !s.tx.IsNested()}
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
	s.recordFlush(f, &undo)
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
			if r.kind != oneToMany || r.onDelete == "CASCADE" || r.onDelete == "SET NULL" {
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
			if !p.loaded[j.r.pos] {
				toLoad = append(toLoad, p)
			}
		}
		if len(toLoad) > 0 {
			if _, err := s.connection(ctx); err != nil {
				return err
			}
			if err := s.loadRelation(ctx, j.r, toLoad); err != nil {
				return err
			}
		}
		for _, p := range j.parents {
			for _, c := range relSlice(j.r, p.base) {
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
				if back := j.r.back; back != nil {
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

// prepareFlush cascades, synchronises foreign keys with relationships and lists the rows
// to write with their dependencies.
func (s *Session) prepareFlush(undo *undoLog) ([]flushWork, []planItem, error) {
	// Save-update cascade: objects reachable from tracked objects through relationships
	// join the session (as pending, or detached objects as persistent again).
	queue := s.sorted()
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		if st.status == Deleted {
			continue
		}
		for _, r := range st.m.rels {
			for _, p := range s.related(r, st.base) {
				if _, ok := s.states[p]; ok {
					continue
				}
				nst, err := s.adopt(r.target, r.target.objectAt(p), p)
				if err != nil {
					return nil, nil, err
				}
				undo.add(func() { s.unadopt(nst) })
				queue = append(queue, nst)
			}
		}
	}
	all := s.sorted()
	index := make(map[*state]int, len(all))
	keys := colKeys{}
	var items []planItem
	var work []flushWork
	// Foreign key synchronisation from relationships.
	fills := map[*state][]fkFill{}
	deps := map[*state][]*state{}
	for _, st := range all {
		if st.status == Deleted {
			continue
		}
		for i, r := range st.m.rels {
			related := s.related(r, st.base)
			if st.status == Pending && (len(related) > 0 || r.kind == oneToMany && relSlice(r, st.base) != nil) {
				st.loaded[i] = true
			}
			for _, p := range related {
				other := s.states[p]
				if other == nil || other.status == Deleted {
					continue
				}
				child, parent := st, other
				if r.kind == oneToMany {
					child, parent = other, st
				}
				if parent.status == Pending {
					fills[child] = append(fills[child], fkFill{rel: r, parent: parent})
					deps[child] = append(deps[child], parent)
					continue
				}
				for k, cf := range r.childCols {
					v, err := r.parentCols[k].get(parent.base)
					if err != nil {
						return nil, nil, err
					}
					if err := undo.setField(child, cf, v); err != nil {
						return nil, nil, err
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
			for _, f := range st.m.fields {
				if f.genOnInsert && f.isZero(st.base) && !fillsField(fills[st], f) {
					continue
				}
				w.fields = append(w.fields, f)
			}
		case st.status == Deleted && !st.flushedDelete:
			kind = opDelete
		case st.status == Persistent:
			changed, err := st.changedFields()
			if err != nil {
				return nil, nil, err
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
	return work, items, nil
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

// related returns the objects r's field of the struct at base points to.
func (s *Session) related(r *relation, base unsafe.Pointer) []unsafe.Pointer {
	if r.kind == oneToMany {
		out := relSlice(r, base)
		if slices.Contains(out, nil) {
			out = slices.DeleteFunc(slices.Clone(out), func(p unsafe.Pointer) bool { return p == nil })
		}
		return out
	}
	if p := relPtr(r, base); p != nil {
		return []unsafe.Pointer{p}
	}
	return nil
}

// emitter runs the batches of one flush.
type emitter struct {
	s     *Session
	conn  *engine.Conn
	undo  *undoLog
	items []planItem
	work  []flushWork
	feat  compile.Features
	done  []int // items written, in order

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
	}
	if err == nil {
		e.done = append(e.done, b.items...)
	}
	return err
}

// insert writes a batch of new rows: one multi-row INSERT per chunk where the dialect
// allows, reading generated values back with RETURNING.
func (e *emitter) insert(ctx context.Context, b planBatch) error {
	m := b.m
	fields := e.work[b.items[0]].fields
	// Values, with client-side defaults applied to zero fields.
	rows := make([][]any, len(b.items))
	for n, i := range b.items {
		st := e.items[i].st
		row := make([]any, len(fields))
		for k, f := range fields {
			if f.hasDefault && f.isZero(st.base) {
				if err := e.undo.setField(st, f, f.defVal); err != nil {
					return err
				}
			}
			v, err := f.get(st.base)
			if err != nil {
				return err
			}
			row[k] = v
		}
		rows[n] = row
	}
	// What must be read back: generated columns left out of the INSERT.
	var fetch []*field
	for _, f := range m.fetchOnInsert {
		if !slices.Contains(fields, f) {
			fetch = append(fetch, f)
		}
	}
	keyGiven := true
	for _, f := range m.pk {
		keyGiven = keyGiven && slices.Contains(fields, f)
	}
	if len(fetch) > 0 && !e.feat.Has(compile.InsertReturning) {
		return e.insertWithoutReturning(ctx, b, fields, rows, fetch)
	}
	var returning []*field
	if len(fetch) > 0 {
		returning = append(returning, m.pk...)
		for _, f := range fetch {
			if !slices.Contains(returning, f) {
				returning = append(returning, f)
			}
		}
	}
	// Rows per statement: several when the dialect has multi-row VALUES and the returned
	// rows can be matched to the objects (by their given key, or by the order of the
	// autoincrement key), one otherwise.
	per := 1
	if e.feat.Has(compile.MultiValuesInsert) && len(fields) > 0 && (len(fetch) == 0 || keyGiven || m.autoinc != nil && slices.Contains(fetch, m.autoinc)) {
		per = min(maxBatchRows, max(1, maxBatchParams/len(fields)))
	}
	var ret []expr.Expr
	for _, f := range returning {
		ret = append(ret, f.col.ColumnClause)
	}
	cols := insertColumns(fields)
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		res, err := e.exec(ctx, insertStmt(m, fields, cols, rows[start:end], ret), end == len(rows))
		if err != nil {
			return err
		}
		if len(returning) == 0 {
			continue
		}
		if err := e.readBack(m, b.items[start:end], res, returning, keyGiven); err != nil {
			return err
		}
	}
	return nil
}

// insertColumns returns the columns of fields.
func insertColumns(fields []*field) []*expr.ColumnClause {
	cols := make([]*expr.ColumnClause, len(fields))
	for k, f := range fields {
		cols[k] = f.col.ColumnClause
	}
	return cols
}

// insertStmt builds the INSERT of rows (values of fields, whose columns are cols). The
// statement is built directly (its fields are exported) rather than with one Row call per
// row, which copies the rows each time: one slab of bound values.
func insertStmt(m *mapper, fields []*field, cols []*expr.ColumnClause, rows [][]any, ret []expr.Expr) *expr.InsertStmt {
	stmt := &expr.InsertStmt{Table: m.table, Returns: ret}
	if len(fields) == 0 {
		return stmt
	}
	n := len(rows)
	binds := make([]expr.Bind, n*len(fields))
	exprs := make([]expr.Expr, n*len(fields))
	stmt.Cols = cols
	stmt.Rows = make([][]expr.Expr, n)
	for r, row := range rows {
		for k, v := range row {
			x := r*len(fields) + k
			binds[x] = expr.Bind{Value: v, Type: fields[k].col.Type}
			exprs[x] = &binds[x]
		}
		stmt.Rows[r] = exprs[r*len(fields) : (r+1)*len(fields) : (r+1)*len(fields)]
	}
	return stmt
}

// insertWithoutReturning writes a batch of new rows whose generated values (fetch) must
// be read back, on a dialect without INSERT ... RETURNING (MySQL), as SQLAlchemy does
// there: when the autoincrement key is generated, one INSERT per row and the key from the
// row's last insert id; otherwise (keys given) multi-row INSERTs. Server-generated values
// other than the key (a create_date defaulting to now()) are then read by one
// SELECT ... WHERE key IN (...) per chunk of the batch: SQLAlchemy leaves them expired to
// load on first access, which Go cannot intercept, so they are fetched at once.
func (e *emitter) insertWithoutReturning(ctx context.Context, b planBatch, fields []*field, rows [][]any, fetch []*field) error {
	m := b.m
	genKey := m.autoinc != nil && slices.Contains(fetch, m.autoinc)
	for _, f := range m.pk {
		if f != m.autoinc && !slices.Contains(fields, f) {
			return fmt.Errorf("orm: flush: INSERT into %s: key column %s is left to its server default, which dialect %s cannot read back without INSERT ... RETURNING (give %s.%s a value): %w",
				m.table.Name, f.col.Name, e.s.sm.eng.Dialect().Name(), m.typ.Name(), f.goName, compile.ErrUnsupported)
		}
	}
	per := 1
	if !genKey && len(fields) > 0 && e.feat.Has(compile.MultiValuesInsert) {
		per = min(maxBatchRows, max(1, maxBatchParams/len(fields)))
	}
	cols := insertColumns(fields)
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		res, err := e.conn.Execute(ctx, insertStmt(m, fields, cols, rows[start:end], nil))
		if err != nil {
			return err
		}
		if !genKey {
			continue
		}
		id, ok := res.LastInsertID()
		if !ok {
			return fmt.Errorf("orm: flush: INSERT into %s: dialect %s reported no generated key for %s", m.table.Name, e.s.sm.eng.Dialect().Name(), m.autoinc.col.Name)
		}
		if err := e.undo.setField(e.items[b.items[start]].st, m.autoinc, id); err != nil {
			return err
		}
	}
	// The other generated columns, by key.
	var others []*field
	for _, f := range fetch {
		if !slices.Contains(m.pk, f) {
			others = append(others, f)
		}
	}
	if len(others) == 0 {
		return nil
	}
	sel := make([]any, 0, len(m.pk)+len(others))
	for _, f := range m.pk {
		sel = append(sel, f.col.ColumnClause)
	}
	for _, f := range others {
		sel = append(sel, f.col.ColumnClause)
	}
	chunk := min(maxBatchRows, max(1, maxBatchParams/len(m.pk)))
	for start := 0; start < len(b.items); start += chunk {
		items := b.items[start:min(start+chunk, len(b.items))]
		keys := make(map[identityKey]*state, len(items))
		conds := make([]expr.Expr, 0, len(items))
		var in []any
		for _, i := range items {
			st := e.items[i].st
			k, ok, err := m.keyOfObject(st.base)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("orm: flush: INSERT into %s: object %s has no key to read its server defaults back", m.table.Name, m.name)
			}
			keys[k] = st
			if len(m.pk) == 1 {
				v, err := m.pk[0].get(st.base)
				if err != nil {
					return err
				}
				in = append(in, v)
				continue
			}
			eqs := make([]expr.Expr, len(m.pk))
			for n, f := range m.pk {
				v, err := f.get(st.base)
				if err != nil {
					return err
				}
				eqs[n] = f.col.ColumnClause.Eq(v)
			}
			conds = append(conds, expr.And(eqs...))
		}
		var where expr.Expr
		switch {
		case len(m.pk) > 1:
			where = expr.Or(conds...)
		case len(in) == 1:
			where = m.pk[0].col.ColumnClause.Eq(in[0])
		default:
			where = m.pk[0].col.ColumnClause.In(in...)
		}
		res, err := e.conn.Execute(ctx, expr.Select(sel...).Where(where))
		if err != nil {
			return err
		}
		if res.Len() != len(items) {
			return fmt.Errorf("orm: flush: reading the server defaults of %d new %s rows back found %d", len(items), m.table.Name, res.Len())
		}
		for _, row := range res.All() {
			vals := row.Values()
			st, ok := keys[m.keyOfValues(vals[:len(m.pk)])]
			if !ok {
				return fmt.Errorf("orm: flush: reading the server defaults of new %s rows back found a row of another key", m.table.Name)
			}
			for n, f := range others {
				if err := e.undo.setField(st, f, vals[len(m.pk)+n]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// readBack assigns the generated values of an INSERT ... RETURNING to the objects.
func (e *emitter) readBack(m *mapper, items []int, res *engine.Result, returning []*field, keyGiven bool) error {
	rows := res.All()
	if len(rows) != len(items) {
		return fmt.Errorf("orm: flush: INSERT into %s returned %d rows for %d objects", m.table.Name, len(rows), len(items))
	}
	order := make([]int, len(rows)) // order[n]: the row for items[n]
	for n := range order {
		order[n] = n
	}
	switch {
	case len(items) == 1:
	case keyGiven:
		byKey := make(map[identityKey]int, len(rows))
		for r, row := range rows {
			byKey[m.keyOfValues(row.Values()[:len(m.pk)])] = r
		}
		for n, i := range items {
			k, ok, err := m.keyOfObject(e.items[i].st.base)
			if err != nil {
				return err
			}
			r, found := byKey[k]
			if !ok || !found {
				return fmt.Errorf("orm: flush: INSERT into %s: no returned row has the key of object %d", m.table.Name, n)
			}
			order[n] = r
		}
	default:
		// Generated keys increase in the order the rows were inserted.
		k := slices.Index(returning, m.autoinc)
		sort.SliceStable(order, func(a, b int) bool {
			x, _ := rows[order[a]].Get(k).(int64)
			y, _ := rows[order[b]].Get(k).(int64)
			return x < y
		})
	}
	for n, i := range items {
		st := e.items[i].st
		vals := rows[order[n]].Values()
		for k, f := range returning {
			if err := e.undo.setField(st, f, vals[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// update writes changed columns, one UPDATE per row (same statement shape for the batch),
// checking that each matches its row.
func (e *emitter) update(ctx context.Context, b planBatch) error {
	m := b.m
	for n, i := range b.items {
		st := e.items[i].st
		stmt := expr.Update(m.table)
		for _, f := range e.work[i].fields {
			v, err := f.get(st.base)
			if err != nil {
				return err
			}
			stmt = stmt.Set(f.col.ColumnClause, v)
		}
		stmt = stmt.Where(st.keyCondition())
		// An UPDATE carries COMMIT only as the transaction's one write: when it matches
		// no row (a StaleDataError), nothing at all has been committed.
		last := n == len(b.items)-1 && !e.s.txWrote && e.stmts == 0
		res, err := e.exec(ctx, stmt, last)
		if err != nil {
			return err
		}
		if n := res.RowsAffected(); n != 1 {
			return &StaleDataError{Op: "UPDATE", Table: m.table.Name, Expected: 1, Matched: n}
		}
	}
	return nil
}

// keyCondition returns the WHERE condition matching st's row by its loaded key.
func (st *state) keyCondition() expr.Expr {
	m := st.m
	conds := make([]expr.Expr, len(m.pk))
	for k, f := range m.pk {
		conds[k] = f.col.ColumnClause.Eq(st.snap[f.pos])
	}
	return expr.And(conds...)
}

// delete removes a batch of rows: DELETE ... WHERE key IN (...) per chunk for a single
// column key, one statement per row for a composite key. Rows already gone are reported by
// checkDeleted.
func (e *emitter) delete(ctx context.Context, b planBatch) error {
	m := b.m
	if len(m.pk) == 1 {
		pk := m.pk[0]
		for start := 0; start < len(b.items); start += maxBatchRows {
			end := min(start+maxBatchRows, len(b.items))
			keys := make([]any, 0, end-start)
			for _, i := range b.items[start:end] {
				keys = append(keys, e.items[i].st.snap[pk.pos])
			}
			var cond expr.Expr
			if len(keys) == 1 {
				cond = pk.col.ColumnClause.Eq(keys[0])
			} else {
				cond = pk.col.ColumnClause.In(keys...)
			}
			res, err := e.exec(ctx, expr.Delete(m.table).Where(cond), end == len(b.items))
			if err != nil {
				return err
			}
			e.checkDeleted(ctx, m, int64(len(keys)), res.RowsAffected())
		}
		return nil
	}
	for n, i := range b.items {
		res, err := e.exec(ctx, expr.Delete(m.table).Where(e.items[i].st.keyCondition()), n == len(b.items)-1)
		if err != nil {
			return err
		}
		e.checkDeleted(ctx, m, 1, res.RowsAffected())
	}
	return nil
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
	for _, i := range e.done {
		it := e.items[i]
		st := it.st
		oldStatus, oldSnap, oldKey, oldExpired := st.status, st.snap, st.key, st.expired
		switch it.kind {
		case opInsert, opUpdate:
			snap := make([]any, len(st.m.fields))
			for k, f := range st.m.fields {
				v, err := f.get(st.base)
				if err != nil {
					return err
				}
				snap[k] = cloneValue(v)
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
				e.undo.add(func() { delete(s.identity, key) })
			} else {
				e.updated = append(e.updated, updatedState{st: st, before: frameSnap{snap: oldSnap, key: oldKey}})
				if key != oldKey {
					delete(s.identity, oldKey)
					st.key = key
					s.identity[key] = st
					e.undo.add(func() { delete(s.identity, key); s.identity[oldKey] = st })
				}
			}
		case opDelete:
			st.flushedDelete = true
			delete(s.identity, st.key)
			e.deleted = append(e.deleted, st)
			e.undo.add(func() {
				st.flushedDelete = false
				s.identity[oldKey] = st
			})
		}
		e.undo.add(func() { st.status, st.snap, st.key, st.expired = oldStatus, oldSnap, oldKey, oldExpired })
	}
	return nil
}
