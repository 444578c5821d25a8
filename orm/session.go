package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// Session errors.
var (
	// ErrNoResult is returned when a row was required and there was none (GetOne,
	// ScalarResult.One, ...). It is engine.ErrNoResult, so one errors.Is check covers Core
	// and ORM results.
	ErrNoResult = engine.ErrNoResult

	// ErrMultipleResults is returned by One and its relatives when there are several rows.
	ErrMultipleResults = engine.ErrMultipleResults

	// ErrPendingRollback is returned by every session operation after a flush failed,
	// until Rollback is called. The error wraps the flush's error too.
	ErrPendingRollback = errors.New("orm: this session's transaction has been rolled back due to a previous exception during flush; call Rollback to start again")

	// ErrConcurrentUse is returned when a session is used by two goroutines at once. A
	// Session is for one goroutine at a time; use one session per goroutine.
	ErrConcurrentUse = errors.New("orm: session used by two goroutines at once (a Session is for one goroutine at a time)")

	// ErrSessionClosed is returned by the operations of a closed session.
	ErrSessionClosed = errors.New("orm: session is closed")

	// ErrNotPersistent is returned by Delete, Refresh and Expire for an object that has
	// no row in the database (transient or pending).
	ErrNotPersistent = errors.New("orm: object is not persistent")

	// ErrNotInSession is returned for an object that the session does not track.
	ErrNotInSession = errors.New("orm: object is not in this session")

	// ErrStaleData is wrapped by *StaleDataError.
	ErrStaleData = errors.New("orm: stale data")

	// ErrTxActive is returned by Session.Begin when the session already has a
	// transaction.
	ErrTxActive = errors.New("orm: the session already has a transaction")

	// ErrNotLoaded is returned when a relationship that was never loaded is asked for.
	ErrNotLoaded = errors.New("orm: relationship was not loaded")
)

// StaleDataError reports an UPDATE or DELETE that matched fewer rows than expected: the
// rows were changed or deleted by someone else since the session loaded them.
//
// A *StaleDataError is made for one failed flush and never modified by package orm
// afterwards, so it may be read from any goroutine (concurrent reads are safe); it holds
// no resource and lives as long as the caller keeps the error.
type StaleDataError struct {
	Op       string // "UPDATE" or "DELETE"
	Table    string
	Expected int64
	Matched  int64
}

// Error returns "orm: stale data: UPDATE of table a expected to match 1 row, matched 0".
func (e *StaleDataError) Error() string {
	return fmt.Sprintf("orm: stale data: %s of table %s expected to match %d row(s), matched %d", e.Op, e.Table, e.Expected, e.Matched)
}

// Unwrap returns ErrStaleData.
func (e *StaleDataError) Unwrap() error { return ErrStaleData }

// SessionMaker makes sessions bound to one engine and registry, with shared options; it
// is SQLAlchemy's sessionmaker / async_sessionmaker. It is immutable and safe for
// concurrent use; make one per program. It holds no connection of its own and has no
// Close: it lives as long as the caller keeps it (typically the whole program), and its
// sessions work as long as its engine is open.
type SessionMaker struct {
	eng  *engine.Engine
	reg  *Registry
	opts sessionOptions
}

type sessionOptions struct {
	expireOnCommit bool
	autoflush      bool
}

// SessionOption configures a SessionMaker.
type SessionOption func(*sessionOptions)

// ExpireOnCommit sets whether Commit expires every object of the session (default true,
// as in SQLAlchemy). Go cannot intercept field reads, so "expired" does not mean "reloaded
// on the next read": an expired object keeps its field values, and the next query that
// returns its row overwrites them with the database's (and Refresh reloads it at once),
// whereas a query returning a non-expired object leaves the object as it is (the identity
// map's usual rule). With ExpireOnCommit(false), objects keep their values and are not
// overwritten by later queries until Expire or Refresh.
func ExpireOnCommit(on bool) SessionOption {
	return func(o *sessionOptions) { o.expireOnCommit = on }
}

// Autoflush sets whether queries flush pending changes first (default true), so that
// they see the session's changes.
func Autoflush(on bool) SessionOption { return func(o *sessionOptions) { o.autoflush = on } }

// NewSessionMaker returns a session factory for eng and the models of reg.
func NewSessionMaker(eng *engine.Engine, reg *Registry, opts ...SessionOption) *SessionMaker {
	o := sessionOptions{expireOnCommit: true, autoflush: true}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return &SessionMaker{eng: eng, reg: reg, opts: o}
}

// New returns a new session. It does no I/O: the session checks out a connection and
// begins a transaction when it first needs one (SQLAlchemy's autobegin). Close it when done.
func (sm *SessionMaker) New() *Session {
	return &Session{
		sm:       sm,
		opts:     sm.opts,
		states:   map[unsafe.Pointer]*state{},
		identity: map[identityKey]*state{},
	}
}

// Begin runs fn with a new session inside a transaction, as SQLAlchemy's
// "with Session.begin() as session": the session is flushed and committed when fn
// returns nil, rolled back when it returns an error or panics, and closed in every case.
func (sm *SessionMaker) Begin(ctx context.Context, fn func(ctx context.Context, s *Session) error) error {
	s := sm.New()
	defer s.Close()
	return s.Begin(ctx, func(ctx context.Context) error { return fn(ctx, s) })
}

// Session is SQLAlchemy's Session: it tracks the objects loaded and added, keeps one Go
// pointer per database row (the identity map), and writes changes in dependency order at
// flush. A Session is for one goroutine at a time (concurrent use is detected and
// reported as ErrConcurrentUse, never corrupts state) and lives until Close. The objects
// it returns stay valid after Close (they become detached).
type Session struct {
	sm   *SessionMaker
	opts sessionOptions
	busy atomic.Bool

	conn *engine.Conn
	tx   *engine.Tx

	states   map[unsafe.Pointer]*state // every tracked object: pending, persistent, deleted
	identity map[identityKey]*state    // persistent (and deleted) objects by key
	seq      uint64

	// Per transaction: objects inserted and deletions flushed in it, for Rollback.
	txInserted []*state
	txDeleted  []*state
	// Active savepoints (BeginNested), innermost last.
	savepoints []*savepoint

	failed error // the flush error that requires Rollback
	closed bool
}

// enter marks the session busy for one operation.
func (s *Session) enter() error {
	if !s.busy.CompareAndSwap(false, true) {
		return ErrConcurrentUse
	}
	if s.closed {
		s.busy.Store(false)
		return ErrSessionClosed
	}
	return nil
}

func (s *Session) leave() { s.busy.Store(false) }

// usable reports ErrPendingRollback after a failed flush.
func (s *Session) usable() error {
	if s.failed != nil {
		return fmt.Errorf("%w (flush error: %w)", ErrPendingRollback, s.failed)
	}
	return nil
}

// Registry returns the registry the session maps objects with.
func (s *Session) Registry() *Registry { return s.sm.reg }

// connection returns the session's connection, beginning the session's transaction on
// first use.
func (s *Session) connection(ctx context.Context) (*engine.Conn, error) {
	if s.tx != nil && s.tx.IsActive() {
		return s.conn, nil
	}
	if s.conn == nil {
		c, err := s.sm.eng.Connect(ctx)
		if err != nil {
			return nil, err
		}
		s.conn = c
	}
	tx, err := s.conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	s.tx = tx
	return s.conn, nil
}

// InTransaction reports whether the session has begun a transaction.
func (s *Session) InTransaction() bool { return s.tx != nil && s.tx.IsActive() }

// stateOf returns the mapper and base pointer of obj, which must be a non-nil pointer to
// a registered struct.
func (s *Session) objectOf(obj any) (*mapper, unsafe.Pointer, error) {
	rv := reflect.ValueOf(obj)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, nil, fmt.Errorf("orm: want a non-nil pointer to a model struct, got %T", obj)
	}
	m, ok := s.sm.reg.mapperOf(rv.Type().Elem())
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s", ErrNotRegistered, rv.Type().Elem())
	}
	return m, rv.UnsafePointer(), nil
}

func (s *Session) track(m *mapper, obj any, base unsafe.Pointer, status Status) *state {
	s.seq++
	st := &state{m: m, obj: obj, base: base, status: status, seq: s.seq, loaded: make([]bool, len(m.rels))}
	s.states[base] = st
	return st
}

// Add places obj (a pointer to a registered model struct) in the session: a new object
// becomes pending and is INSERTed at the next flush, with the objects reachable through
// its relationship fields (the save-update cascade, repeated at every flush so that
// objects appended to a collection later are saved too). Adding an object the session
// already tracks does nothing.
func (s *Session) Add(obj any) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.usable(); err != nil {
		return err
	}
	return s.add(obj)
}

// AddAll adds each object as Add does; it stops at the first error.
func (s *Session) AddAll(objs ...any) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.usable(); err != nil {
		return err
	}
	for _, o := range objs {
		if err := s.add(o); err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) add(obj any) error {
	m, base, err := s.objectOf(obj)
	if err != nil {
		return err
	}
	if _, ok := s.states[base]; ok {
		return nil
	}
	// Save-update cascade, at once (so that related objects take their place in the
	// order of addition) and again at flush.
	queue := []*state{s.track(m, obj, base, Pending)}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		for _, r := range st.m.rels {
			for _, p := range s.related(r, st.base) {
				if _, ok := s.states[p]; !ok {
					queue = append(queue, s.track(r.target, r.target.objectAt(p), p, Pending))
				}
			}
		}
	}
	return nil
}

// Delete marks obj, a persistent object, for deletion at the next flush. Deleting a
// pending object removes it from the session instead (it was never written).
func (s *Session) Delete(obj any) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.usable(); err != nil {
		return err
	}
	_, base, err := s.objectOf(obj)
	if err != nil {
		return err
	}
	st, ok := s.states[base]
	if !ok {
		return fmt.Errorf("%w: Delete of a %T the session does not track (load it first)", ErrNotPersistent, obj)
	}
	switch st.status {
	case Pending:
		delete(s.states, base)
	case Persistent:
		st.status = Deleted
	}
	return nil
}

// Status returns the state of obj with respect to this session: Pending, Persistent or
// Deleted for objects it tracks, Transient otherwise (Go has no way to tell a detached
// struct from a new one; Detached is reported for objects this session released).
func (s *Session) Status(obj any) Status {
	_, base, err := s.objectOf(obj)
	if err != nil {
		return Transient
	}
	if st, ok := s.states[base]; ok {
		return st.status
	}
	return Transient
}

// Expunge removes obj from the session: it becomes detached (pending objects become
// transient); its changes are no longer tracked.
func (s *Session) Expunge(obj any) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	_, base, err := s.objectOf(obj)
	if err != nil {
		return err
	}
	st, ok := s.states[base]
	if !ok {
		return ErrNotInSession
	}
	s.forget(st)
	return nil
}

// ExpungeAll removes every object from the session.
func (s *Session) ExpungeAll() {
	if s.enter() != nil {
		return
	}
	defer s.leave()
	for _, st := range s.states {
		s.forget(st)
	}
}

func (s *Session) forget(st *state) {
	delete(s.states, st.base)
	if cur, ok := s.identity[st.key]; ok && cur == st {
		delete(s.identity, st.key)
	}
}

// Expire marks obj expired: the next query returning its row overwrites its fields with
// the database's values (see ExpireOnCommit). Use Refresh to reload it at once.
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
	st.expired = true
	return nil
}

// ExpireAll marks every persistent object expired.
func (s *Session) ExpireAll() {
	if s.enter() != nil {
		return
	}
	defer s.leave()
	s.expireAll()
}

func (s *Session) expireAll() {
	for _, st := range s.states {
		if st.status != Pending {
			st.expired = true
		}
	}
}

// IsModified reports whether obj has changes a flush would write: it is pending, marked
// for deletion, or a column field differs from the value last loaded or written.
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
	changed, err := st.changedFields()
	return len(changed) > 0, err
}

// changedFields returns the fields whose value differs from the snapshot.
func (st *state) changedFields() ([]*field, error) {
	var out []*field
	for i, f := range st.m.fields {
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

// New returns the pending objects, in the order they were added.
func (s *Session) New() []any { return s.objectsIn(Pending) }

// Deleted returns the objects marked for deletion.
func (s *Session) Deleted() []any { return s.objectsIn(Deleted) }

// Dirty returns the persistent objects with changed column fields.
func (s *Session) Dirty() []any {
	var out []any
	for _, st := range s.sorted() {
		if st.status == Persistent {
			if ch, err := st.changedFields(); err == nil && len(ch) > 0 {
				out = append(out, st.obj)
			}
		}
	}
	return out
}

func (s *Session) objectsIn(status Status) []any {
	var out []any
	for _, st := range s.sorted() {
		if st.status == status && !st.flushedDelete {
			out = append(out, st.obj)
		}
	}
	return out
}

// sorted returns the tracked states in the order they entered the session.
func (s *Session) sorted() []*state {
	out := make([]*state, 0, len(s.states))
	for _, st := range s.states {
		out = append(out, st)
	}
	sortStates(out)
	return out
}

// Execute runs a Core statement (a query, DML, expr.Text) inside the session's
// transaction, after an autoflush, and returns the engine's result. Use Scalars and the
// other generic functions for ORM queries that return objects.
func (s *Session) Execute(ctx context.Context, stmt expr.Statement) (*engine.Result, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := s.beforeQuery(ctx); err != nil {
		return nil, err
	}
	return s.conn.Execute(ctx, stmt)
}

// Scalar runs a Core statement like Execute and returns the first column of its first
// row: SQLAlchemy's session.scalar(select(func.count()).select_from(A)). With no row it
// returns ErrNoResult.
func (s *Session) Scalar(ctx context.Context, stmt expr.Statement) (any, error) {
	res, err := s.Execute(ctx, stmt)
	if err != nil {
		return nil, err
	}
	return res.Scalar()
}

// beforeQuery checks the session, autoflushes and makes sure a transaction is open.
func (s *Session) beforeQuery(ctx context.Context) error {
	if err := s.usable(); err != nil {
		return err
	}
	if s.opts.autoflush {
		if err := s.flush(ctx); err != nil {
			return err
		}
	}
	_, err := s.connection(ctx)
	return err
}

// Flush writes every pending change to the database in the session's transaction (see
// the package documentation for the order and batching). If it fails, the transaction is
// rolled back, the objects are restored to their state before the flush, and the session
// reports ErrPendingRollback until Rollback is called.
func (s *Session) Flush(ctx context.Context) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.usable(); err != nil {
		return err
	}
	return s.flush(ctx)
}

// Commit flushes, commits the transaction and releases the connection. With
// ExpireOnCommit (the default) every object is then expired. Objects whose deletion was
// committed become detached.
func (s *Session) Commit(ctx context.Context) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.commit(ctx)
}

func (s *Session) commit(ctx context.Context) error {
	if err := s.usable(); err != nil {
		return err
	}
	if err := s.flush(ctx); err != nil {
		return err
	}
	if s.tx != nil && s.tx.IsActive() {
		if err := s.tx.Commit(ctx); err != nil {
			s.afterRollback()
			return err
		}
	}
	for _, st := range s.txDeleted {
		s.forget(st)
		st.status = Detached
	}
	s.txInserted, s.txDeleted = nil, nil
	if s.opts.expireOnCommit {
		s.expireAll()
	}
	s.release()
	return nil
}

// Rollback rolls the transaction back and releases the connection. Objects inserted in
// the transaction leave the session (they become transient again), objects whose
// deletion was flushed become persistent again, and every persistent object is expired,
// since its fields may hold values the database no longer has. Rollback also clears the
// pending-rollback state after a failed flush.
func (s *Session) Rollback(ctx context.Context) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.rollback(ctx)
}

func (s *Session) rollback(ctx context.Context) error {
	var err error
	if s.tx != nil && s.tx.IsActive() {
		err = s.tx.Rollback(ctx)
	}
	s.afterRollback()
	s.release()
	return err
}

// afterRollback updates the objects' states for a rolled back transaction.
func (s *Session) afterRollback() {
	for _, st := range s.txInserted {
		s.forget(st)
		st.status = Transient
	}
	for _, st := range s.txDeleted {
		if st.flushedDelete {
			st.flushedDelete = false
			st.status = Persistent
			s.identity[st.key] = st
		}
	}
	for _, st := range s.states {
		if st.status == Persistent || st.status == Deleted {
			st.expired = true
		}
	}
	s.txInserted, s.txDeleted = nil, nil
	s.failed = nil
}

// release returns the connection to the pool.
func (s *Session) release() {
	s.tx = nil
	s.savepoints = nil
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

// Begin runs fn inside a transaction of the session (SQLAlchemy's "with
// session.begin():"): the session is flushed and committed when fn returns nil, and
// rolled back when fn returns an error or panics (the panic continues). ErrTxActive when
// the session already has a transaction.
func (s *Session) Begin(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if err := s.enter(); err != nil {
		return err
	}
	if err := s.usable(); err != nil {
		s.leave()
		return err
	}
	if s.InTransaction() {
		s.leave()
		return ErrTxActive
	}
	_, err = s.connection(ctx)
	s.leave()
	if err != nil {
		return err
	}
	normal := false
	defer func() {
		if !normal {
			s.busy.Store(false)
			_ = s.Rollback(ctx)
		}
	}()
	err = fn(ctx)
	normal = true
	if err != nil {
		if rbErr := s.Rollback(ctx); rbErr != nil && !errors.Is(rbErr, engine.ErrClosed) {
			return errors.Join(err, rbErr)
		}
		return err
	}
	return s.Commit(ctx)
}

// Close releases the session's connection, rolling back a transaction that was not
// committed, and detaches every object. The session cannot be used afterwards; closing
// again does nothing.
func (s *Session) Close() error {
	if err := s.enter(); err != nil {
		if errors.Is(err, ErrSessionClosed) {
			return nil
		}
		return err
	}
	defer s.leave()
	var err error
	if s.tx != nil && s.tx.IsActive() {
		ctx := context.Background()
		err = s.tx.Rollback(ctx)
		s.afterRollback()
	}
	s.release()
	for _, st := range s.states {
		if st.status != Pending {
			st.status = Detached
		}
	}
	s.states, s.identity = nil, nil
	s.closed = true
	return err
}

// savepoint is an active BeginNested scope.
type savepoint struct {
	tx       *engine.Tx
	ins, del int    // lengths of txInserted and txDeleted when it began
	seq      uint64 // the session's addition counter when it began
	failed   bool   // a flush inside it failed and rolled it back
	err      error  // that flush's error
}

// innerTx returns the innermost active transaction (savepoint or transaction).
func (s *Session) innerTx() *engine.Tx {
	if n := len(s.savepoints); n > 0 {
		return s.savepoints[n-1].tx
	}
	return s.tx
}

// BeginNested runs fn inside a SAVEPOINT of the session's transaction (beginning the
// transaction if needed), as SQLAlchemy's "with session.begin_nested():". Pending changes
// are flushed before the savepoint. When fn returns nil, the session is flushed and the
// savepoint released (the enclosing transaction still has to commit). When fn returns an
// error or panics, or a flush inside fails, only the savepoint is rolled back: objects
// added or inserted since it began become transient again, deletions flushed since
// become persistent again, every persistent object is expired, and the session stays
// usable.
func (s *Session) BeginNested(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if err := s.enter(); err != nil {
		return err
	}
	sp, err := s.beginNested(ctx)
	s.leave()
	if err != nil {
		return err
	}
	normal := false
	defer func() {
		if !normal {
			s.busy.Store(false)
			s.endNested(context.WithoutCancel(ctx), sp, false)
		}
	}()
	err = fn(ctx)
	normal = true
	if e := s.enter(); e != nil {
		return errors.Join(err, e)
	}
	defer s.leave()
	if err == nil && !sp.failed {
		if err = s.flush(ctx); err == nil {
			return s.endNested(ctx, sp, true)
		}
	}
	if err == nil && sp.failed {
		err = sp.err // fn went on after a failed flush and returned nil
	}
	if rbErr := s.endNested(ctx, sp, false); rbErr != nil {
		return errors.Join(err, rbErr)
	}
	return err
}

func (s *Session) beginNested(ctx context.Context) (*savepoint, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	if _, err := s.connection(ctx); err != nil {
		return nil, err
	}
	if err := s.flush(ctx); err != nil {
		return nil, err
	}
	tx, err := s.innerTx().BeginNested(ctx)
	if err != nil {
		return nil, err
	}
	sp := &savepoint{tx: tx, ins: len(s.txInserted), del: len(s.txDeleted), seq: s.seq}
	s.savepoints = append(s.savepoints, sp)
	return sp, nil
}

// endNested releases (commit) or rolls back sp and pops it with the savepoints inside it.
func (s *Session) endNested(ctx context.Context, sp *savepoint, commit bool) error {
	i := slices.Index(s.savepoints, sp)
	if i < 0 {
		return nil // the transaction ended inside fn
	}
	s.savepoints = s.savepoints[:i]
	if commit {
		return sp.tx.Commit(ctx)
	}
	var err error
	if !sp.failed && sp.tx.IsActive() {
		err = sp.tx.Rollback(ctx)
	}
	for _, st := range s.txInserted[sp.ins:] {
		s.forget(st)
		st.status = Transient
	}
	for _, st := range s.txDeleted[sp.del:] {
		st.flushedDelete = false
		st.status = Persistent
		s.identity[st.key] = st
	}
	s.txInserted, s.txDeleted = s.txInserted[:sp.ins], s.txDeleted[:sp.del]
	for _, st := range s.states {
		switch {
		case st.status == Pending && st.seq > sp.seq:
			s.forget(st) // added inside the savepoint
			st.status = Transient
		case st.status == Persistent || st.status == Deleted:
			st.expired = true
		}
	}
	s.failed = nil
	return err
}
