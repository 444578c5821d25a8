package orm

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"reflect"
	"unsafe"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// SelectStmt is an ORM query for objects of model A: SELECT of all of A's columns, with
// the clauses of an expr.SelectStmt and relationship loader options. Build it with Select
// (from a handle) or SelectOf (from a registry); every method returns a new statement, so
// statements can be shared between goroutines. Run it with Scalars, ScalarOne,
// ScalarOneOrNone or Stream.
//
// A SelectStmt is immutable and safe for concurrent use. It holds no connection or
// session, so it lives as long as the caller keeps it: it may be built once (in a
// package-level variable, say) and run in any number of sessions.
type SelectStmt[A any] struct {
	m        *mapper
	core     *expr.SelectStmt
	loads    []LoadOption
	unique   bool
	yieldPer int
	err      error
}

// Select returns a query for the model of handle h (SQLAlchemy's select(A)):
//
//	orm.Select(AT).Where(AT.Data.Eq(ptr("x"))).OrderBy(AT.ID.Asc())
func Select[A any](h Entity[A]) *SelectStmt[A] {
	t := h.modelTable()
	if t.m == nil {
		return &SelectStmt[A]{core: expr.Select(), err: fmt.Errorf("%w: Select of %s", ErrUnboundHandle, reflect.TypeFor[A]())}
	}
	return &SelectStmt[A]{m: t.m, core: expr.Select(t.m.table)}
}

// SelectOf returns a query for model A of reg, for code without a handle.
func SelectOf[A any](reg *Registry) *SelectStmt[A] {
	m, ok := reg.mapperOf(reflect.TypeFor[A]())
	if !ok {
		return &SelectStmt[A]{core: expr.Select(), err: fmt.Errorf("%w: %s", ErrNotRegistered, reflect.TypeFor[A]())}
	}
	return &SelectStmt[A]{m: m, core: expr.Select(m.table)}
}

func (q *SelectStmt[A]) with(core *expr.SelectStmt) *SelectStmt[A] {
	n := *q
	n.core = core
	return &n
}

// Where adds conditions (ANDed).
func (q *SelectStmt[A]) Where(conds ...expr.Expr) *SelectStmt[A] {
	return q.with(q.core.Where(conds...))
}

// OrderBy adds ORDER BY items.
func (q *SelectStmt[A]) OrderBy(items ...expr.Expr) *SelectStmt[A] {
	return q.with(q.core.OrderBy(items...))
}

// GroupBy adds GROUP BY items. Grouping by the primary key lets the query select every
// column of the model on the three dialects (the other columns depend on it), with
// aggregates of joined tables in Having:
//
//	orm.Select(UserT).Join(PostT.Core()).GroupBy(UserT.ID).Having(expr.CountStar().Gt(1))
func (q *SelectStmt[A]) GroupBy(items ...expr.Expr) *SelectStmt[A] {
	return q.with(q.core.GroupBy(items...))
}

// Having adds HAVING conditions (ANDed).
func (q *SelectStmt[A]) Having(conds ...expr.Expr) *SelectStmt[A] {
	return q.with(q.core.Having(conds...))
}

// Limit sets LIMIT n.
func (q *SelectStmt[A]) Limit(n int) *SelectStmt[A] { return q.with(q.core.Limit(n)) }

// Offset sets OFFSET n.
func (q *SelectStmt[A]) Offset(n int) *SelectStmt[A] { return q.with(q.core.Offset(n)) }

// Join adds an inner join to right (a Core table, such as BT.Core(), or another
// FromClause), with the condition inferred from foreign keys when on is empty.
func (q *SelectStmt[A]) Join(right expr.FromClause, on ...expr.Expr) *SelectStmt[A] {
	return q.with(q.core.Join(right, on...))
}

// OuterJoin adds a LEFT OUTER JOIN.
func (q *SelectStmt[A]) OuterJoin(right expr.FromClause, on ...expr.Expr) *SelectStmt[A] {
	return q.with(q.core.OuterJoin(right, on...))
}

// Distinct makes the query SELECT DISTINCT.
func (q *SelectStmt[A]) Distinct() *SelectStmt[A] { return q.with(q.core.Distinct()) }

// ForUpdate adds a locking clause (see expr.SelectStmt.ForUpdate).
func (q *SelectStmt[A]) ForUpdate(opts ...expr.LockOption) *SelectStmt[A] {
	return q.with(q.core.ForUpdate(opts...))
}

// Unique makes the query return each object once, in the order of its first row
// (SQLAlchemy's Result.unique()). A query with a Joined load of a collection must be
// Unique for Scalars, ScalarOne and ScalarOneOrNone, which otherwise return an error
// wrapping ErrUniqueRequired, as SQLAlchemy raises; Scalar (the first object) does not
// need it.
func (q *SelectStmt[A]) Unique() *SelectStmt[A] {
	n := *q
	n.unique = true
	return &n
}

// Options adds relationship loader options, such as SelectIn(AT.Bs).
func (q *SelectStmt[A]) Options(opts ...LoadOption) *SelectStmt[A] {
	n := *q
	n.loads = append(append([]LoadOption(nil), q.loads...), opts...)
	return &n
}

// Statement returns the Core statement (without loader options), to run with an engine
// or combine with package expr.
func (q *SelectStmt[A]) Statement() *expr.SelectStmt { return q.core }

// ScalarResult holds the values of a query, one per row (the objects of an ORM query),
// buffered. It is immutable and safe for concurrent reads. The objects it holds are
// the session's own objects, though: the session writes their fields (a query
// refreshing an expired object, Refresh, a flush setting foreign keys, defaults and
// generated keys, a relationship load), so they must not be used by other goroutines
// while the session may be working on them.
//
// A ScalarResult holds no connection: it lives as long as the caller keeps it, and stays
// valid after its session is closed (its objects are then detached).
type ScalarResult[T any] struct {
	vals []T
}

// All returns every value. The slice must not be modified.
func (r *ScalarResult[T]) All() []T { return r.vals }

// Len returns the number of values.
func (r *ScalarResult[T]) Len() int { return len(r.vals) }

// Values returns an iterator over the values.
func (r *ScalarResult[T]) Values() iter.Seq[T] {
	return func(yield func(T) bool) {
		for _, v := range r.vals {
			if !yield(v) {
				return
			}
		}
	}
}

// First returns the first value, or ErrNoResult.
func (r *ScalarResult[T]) First() (T, error) {
	if len(r.vals) == 0 {
		var zero T
		return zero, ErrNoResult
	}
	return r.vals[0], nil
}

// One returns the only value: ErrNoResult when there is none, ErrMultipleResults when
// there are several.
func (r *ScalarResult[T]) One() (T, error) {
	var zero T
	switch len(r.vals) {
	case 0:
		return zero, ErrNoResult
	case 1:
		return r.vals[0], nil
	}
	return zero, ErrMultipleResults
}

// OneOrNone returns the only value with ok true, ok false (and a nil error) when there is
// none, or ErrMultipleResults.
func (r *ScalarResult[T]) OneOrNone() (v T, ok bool, err error) {
	switch len(r.vals) {
	case 0:
		return v, false, nil
	case 1:
		return r.vals[0], true, nil
	}
	return v, false, ErrMultipleResults
}

// Scalars runs q in the session (after an autoflush) and returns its objects, buffered:
// SQLAlchemy's session.scalars(select(A)). Rows already in the identity map come back as
// the same pointers.
func Scalars[A any](ctx context.Context, s *Session, q *SelectStmt[A]) (*ScalarResult[*A], error) {
	return scalars(ctx, s, q, true)
}

func scalars[A any](ctx context.Context, s *Session, q *SelectStmt[A], needUnique bool) (*ScalarResult[*A], error) {
	sts, err := s.runQuery(ctx, "query", ormQuery{m: q.m, core: q.core, loads: q.loads, unique: q.unique, needUnique: needUnique, err: q.err})
	if err != nil {
		return nil, err
	}
	out := make([]*A, len(sts))
	for i, st := range sts {
		out[i] = (*A)(st.base)
	}
	return &ScalarResult[*A]{vals: out}, nil
}

// ScalarOne runs q and returns its only object (ErrNoResult, ErrMultipleResults).
func ScalarOne[A any](ctx context.Context, s *Session, q *SelectStmt[A]) (*A, error) {
	r, err := Scalars(ctx, s, q)
	if err != nil {
		return nil, err
	}
	return r.One()
}

// ScalarOneOrNone runs q and returns its only object with ok true, ok false when there is
// none, or ErrMultipleResults.
func ScalarOneOrNone[A any](ctx context.Context, s *Session, q *SelectStmt[A]) (*A, bool, error) {
	r, err := Scalars(ctx, s, q)
	if err != nil {
		return nil, false, err
	}
	return r.OneOrNone()
}

// Scalar runs q and returns its first object: SQLAlchemy's session.scalar(select(A)).
// With no row it returns ErrNoResult (where SQLAlchemy returns None), as
// engine.Result.Scalar does; more rows than one are not an error.
func Scalar[A any](ctx context.Context, s *Session, q *SelectStmt[A]) (*A, error) {
	r, err := scalars(ctx, s, q, false)
	if err != nil {
		return nil, err
	}
	return r.First()
}

// ormQuery is what runQuery needs of a query.
type ormQuery struct {
	m          *mapper
	core       *expr.SelectStmt
	loads      []LoadOption
	unique     bool // return each object once
	needUnique bool // a joined collection without unique is an error
	err        error
}

// ErrUniqueRequired is returned for a query that joins a collection (Joined on a
// one-to-many) and is not marked Unique, whose rows repeat each object once per related
// row: SQLAlchemy's "The unique() method must be invoked on this Result".
var ErrUniqueRequired = errors.New("orm: the query joins a collection (a Joined load of a one-to-many), so each object comes once per related row; call Unique() on the statement")

// runQuery executes a SELECT of m's columns, hydrates its rows and runs its loaders.
func (s *Session) runQuery(ctx context.Context, op string, q ormQuery) ([]*state, error) {
	if q.err != nil {
		return nil, q.err
	}
	m := q.m
	plan, err := loadPlan(m, q.loads)
	if err != nil {
		return nil, err
	}
	steps := joinedSteps(plan, len(m.fields))
	core := q.core
	if len(steps) > 0 {
		collection := hasJoinedCollection(plan)
		if collection && q.needUnique && !q.unique {
			return nil, fmt.Errorf("%w (query of %s)", ErrUniqueRequired, m.name)
		}
		if core, err = joinedStatement(m, core, steps, collection); err != nil {
			return nil, err
		}
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := s.beforeQuery(ctx, op, core); err != nil {
		return nil, err
	}
	if err := s.noteStatement(core, nil); err != nil {
		return nil, err
	}
	res, err := s.conn.Execute(ctx, core)
	if err != nil {
		return nil, err
	}
	sts := make([]*state, 0, res.Len())
	sl := newSlab(m, res.Len())
	s.reserve(res.Len())
	var jr *joinedRows
	if len(steps) > 0 {
		jr = newJoinedRows(steps)
	}
	var seen map[*state]bool
	if q.unique {
		seen = make(map[*state]bool, res.Len())
	}
	var rowErr error
	res.Each(func(row engine.Row) bool {
		vals := row.Values()
		st, err := s.hydrate(m, vals, 0, false, sl)
		if err == nil && jr != nil {
			err = jr.row(s, st, vals)
		}
		if err != nil {
			rowErr = err
			return false
		}
		if seen != nil {
			if seen[st] {
				return true
			}
			seen[st] = true
		}
		sts = append(sts, st)
		return true
	})
	if rowErr != nil {
		sl.done()
		return nil, rowErr
	}
	sl.done()
	if jr != nil {
		jr.finish(s)
	}
	newGroup(sts)
	if err := s.runLoads(ctx, plan, sts); err != nil {
		return nil, err
	}
	if len(s.loadedNow) > 0 {
		if err := s.afterLoad(ctx); err != nil {
			return nil, err
		}
	}
	return sts, nil
}

// hydrate returns the object for a row whose m columns start at vals[off]: the object of
// the identity map when the row is already there (its fields overwritten when it is
// expired or force is set), a new object otherwise.
func (s *Session) hydrate(m *mapper, vals []any, off int, force bool, sl *slab) (*state, error) {
	n := len(m.fields)
	if len(vals) < off+n {
		return nil, fmt.Errorf("orm: row has %d columns, %s needs %d", len(vals)-off, m.name, n)
	}
	key, ok := m.keyOf(vals, off)
	if !ok {
		return nil, fmt.Errorf("orm: row of %s has a NULL primary key", m.table.Name)
	}
	if st, found := s.identity[key]; found {
		if st.expired || force {
			if err := s.populate(st, vals[off:off+n]); err != nil {
				return nil, err
			}
			if m.hooks&hookAfterLoad != 0 {
				s.loadedNow = append(s.loadedNow, st)
			}
		}
		return st, nil
	}
	st, snap, base, blk, idx := sl.next(m)
	for i, f := range m.fields {
		if err := f.set(base, vals[off+i]); err != nil {
			return nil, err
		}
	}
	s.seq++
	if snap == nil {
		// A slab's object takes the row's values themselves as its snapshot: the
		// engine's result (whose memory they are) is not used after hydration, and a
		// snapshot is never written in place.
		snap = vals[off : off+n : off+n]
	} else {
		copy(snap, vals[off:off+n])
	}
	*st = state{m: m, base: base, status: Persistent, seq: s.seq, key: key, snap: snap}
	if s.fresh != nil {
		*s.fresh = append(*s.fresh, st)
	}
	s.states[base] = st
	s.trackedChanged()
	s.identity[key] = st
	if len(m.wo) > 0 {
		st.bindWriteOnly()
	}
	if idx < 0 {
		register(s.ref(), st, blk)
	} else {
		registerAt(s.ref(), st, blk, idx)
	}
	if m.hooks&hookAfterLoad != 0 {
		s.loadedNow = append(s.loadedNow, st)
	}
	return st, nil
}

// reserve sizes the session's maps for n more objects when n is at least what they hold
// (a fresh session loading a large result, a selectin load of many children), sparing
// the maps' repeated growth; the maps are replaced, so callers hold no reference to them.
func (s *Session) reserve(n int) {
	if n <= 8 || n < len(s.states) {
		return // the maps grow as usual: by less than they hold
	}
	states := make(map[unsafe.Pointer]*state, len(s.states)+n)
	maps.Copy(states, s.states)
	identity := make(map[identityKey]*state, len(s.identity)+n)
	maps.Copy(identity, s.identity)
	s.states, s.identity = states, identity
	if s.sref != nil {
		s.sref.states = s.states
	}
}

// slab allocates the objects of one result and the session's records of them together:
// one allocation for the objects (as a []T) and one for the states of up to n rows,
// instead of two per row, and one registry block (see attach.go) for all the objects;
// the snapshots are the result's rows themselves. Keeping one object of a result keeps the memory of the
// whole result's objects, as scanning into a []T does.
type slab struct {
	objs   unsafe.Pointer // the first object
	size   uintptr        // the model's size
	used   int            // objects handed out
	states []state
	blk    *block
}

func newSlab(m *mapper, n int) *slab {
	if n <= 1 || m.typ.Size() == 0 {
		return nil
	}
	objs := reflect.MakeSlice(reflect.SliceOf(m.typ), n, n).UnsafePointer()
	return &slab{
		objs: objs, size: m.typ.Size(),
		states: make([]state, n),
		blk:    newBlock(objs, m.typ.Size(), n),
	}
}

// done publishes the registry block of the slab's objects, once the result is hydrated
// (one registry insertion per result, no lock per row); a slab none of whose objects was
// used (every row already in the identity map) is not published.
func (sl *slab) done() {
	if sl != nil && sl.used > 0 && !sl.blk.published {
		insertBlock(sl.blk)
	}
}

// next returns a state, a snapshot slice (nil for a slab's object, whose snapshot is its
// row) and a zeroed object of m, with the registry block of the object and its index
// there: the slab's, or for an object allocated on its own (no slab, or the slab used
// up) a zero block to register and -1.
func (sl *slab) next(m *mapper) (*state, []any, unsafe.Pointer, *block, int) {
	nf := len(m.fields)
	if sl == nil || sl.used == len(sl.states) {
		if nf <= len(loadedBlock{}.snap) {
			lb := new(loadedBlock)
			return &lb.state, lb.snap[:nf:nf], reflect.New(m.typ).UnsafePointer(), &lb.block, -1
		}
		sb := new(stateBlock)
		return &sb.state, make([]any, nf), reflect.New(m.typ).UnsafePointer(), &sb.block, -1
	}
	i := sl.used
	sl.used++
	return &sl.states[i], nil, unsafe.Add(sl.objs, uintptr(i)*sl.size), sl.blk, i
}

// loadedBlock is the state, registry block and snapshot of a loaded object of a model
// of few fields, in one allocation.
type loadedBlock struct {
	stateBlock
	snap [6]any
}

// populate overwrites the fields and snapshot of st with a row's values.
func (s *Session) populate(st *state, vals []any) error {
	for i, f := range st.m.fields {
		if err := f.set(st.base, vals[i]); err != nil {
			return err
		}
	}
	snap := make([]any, len(vals))
	copy(snap, vals)
	st.snap, st.expired = snap, false
	return nil
}

// Get returns the object of model A with the given primary key (one value per key
// column, in key order), or nil and a nil error when there is no such row. An object
// already in the identity map is returned without SQL (unless it is expired).
func Get[A any](ctx context.Context, s *Session, key ...any) (*A, error) {
	st, err := s.get(ctx, reflect.TypeFor[A](), key)
	if err != nil || st == nil {
		return nil, err
	}
	return (*A)(st.base), nil
}

// GetOne is Get that returns ErrNoResult when there is no such row.
func GetOne[A any](ctx context.Context, s *Session, key ...any) (*A, error) {
	a, err := Get[A](ctx, s, key...)
	if err == nil && a == nil {
		return nil, fmt.Errorf("%w: %s with key %v", ErrNoResult, reflect.TypeFor[A](), key)
	}
	return a, err
}

func (s *Session) get(ctx context.Context, t reflect.Type, key []any) (*state, error) {
	m, ok := s.sm.reg.mapperOf(t)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotRegistered, t)
	}
	if len(key) != len(m.pk) {
		return nil, fmt.Errorf("orm: Get %s: %d key values for a %d-column primary key", m.name, len(key), len(m.pk))
	}
	vals := make([]any, len(key))
	for i, f := range m.pk {
		v, err := argValue(f, key[i])
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	if err := s.usable(); err != nil {
		s.leave()
		return nil, err
	}
	st, ok := s.identity[m.keyOfValues(vals)]
	if ok && !st.expired {
		s.leave()
		if st.status == Deleted {
			return nil, nil
		}
		return st, nil
	}
	s.leave()
	conds := make([]expr.Expr, len(m.pk))
	for i, f := range m.pk {
		conds[i] = f.col.ColumnClause.Eq(vals[i])
	}
	sts, err := s.runQuery(ctx, "Get", ormQuery{m: m, core: expr.Select(m.table).Where(conds...)})
	if err != nil {
		return nil, err
	}
	if len(sts) == 0 {
		if ok && s.states[st.base] == st && st.status != Pending {
			// An expired object whose row is gone.
			if err := s.enter(); err != nil {
				return nil, err
			}
			defer s.leave()
			return nil, s.objectDeleted(st)
		}
		return nil, nil
	}
	return sts[0], nil
}

// argValue converts a Go value given for field f (a key value for Get) to the canonical
// value of f's column: a value of f's own type, or of a type convertible to it (an int for
// an int64 key, a string for a named string type).
func argValue(f *field, v any) (any, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return nil, fmt.Errorf("orm: nil value for %s.%s", f.m.name, f.goName)
	}
	target := f.typ
	if target.Kind() == reflect.Pointer {
		target = target.Elem()
	}
	if rv.Type() != target {
		if !rv.Type().ConvertibleTo(target) || !sameFamily(rv.Kind(), target.Kind()) {
			return nil, fmt.Errorf("orm: %T value for %s.%s, which is %s", v, f.m.name, f.goName, f.typ)
		}
		rv = rv.Convert(target)
	}
	p := reflect.New(f.typ)
	if f.typ.Kind() == reflect.Pointer {
		inner := reflect.New(target)
		inner.Elem().Set(rv)
		p.Elem().Set(inner)
	} else {
		p.Elem().Set(rv)
	}
	// p points at a lone value of the field's type, not into a struct: use the codec
	// directly (f.get would add the field's offset).
	cv, err := f.codec.get(p.UnsafePointer())
	if err != nil {
		return nil, f.valueError(err)
	}
	return cv, nil
}

func sameFamily(a, b reflect.Kind) bool {
	fam := func(k reflect.Kind) int {
		switch {
		case k >= reflect.Int && k <= reflect.Uint64:
			return 1
		case k == reflect.Float32 || k == reflect.Float64:
			return 2
		case k == reflect.String:
			return 3
		}
		return 10 + int(k)
	}
	return fam(a) == fam(b)
}

// objectBase returns the address of obj, a pointer to a model struct.
func objectBase(obj any) unsafe.Pointer { return reflect.ValueOf(obj).UnsafePointer() }

var _ = engine.ErrNoResult
