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

	// ErrObjectDeleted is wrapped by *ObjectDeletedError: an expired object whose row is
	// gone (deleted by someone else) was refreshed or looked up.
	ErrObjectDeleted = errors.New("orm: object has been deleted, or its row is otherwise not present")
)

// ObjectDeletedError reports that an expired object's row no longer exists when Refresh
// or Get reloads it (SQLAlchemy's ObjectDeletedError). The object has been removed from
// the session. It wraps ErrObjectDeleted.
//
// An *ObjectDeletedError is made for one failure and never modified by package orm
// afterwards, so it may be read from any goroutine; it lives as long as the caller keeps
// the error.
type ObjectDeletedError struct {
	Model string // the Go type, such as "main.A"
	Key   []any  // the primary key values
}

// Error returns "orm: object has been deleted, or its row is otherwise not present: main.A with key [1]".
func (e *ObjectDeletedError) Error() string {
	return fmt.Sprintf("%v: %s with key %v", ErrObjectDeleted, e.Model, e.Key)
}

// Unwrap returns ErrObjectDeleted.
func (e *ObjectDeletedError) Unwrap() error { return ErrObjectDeleted }

// AutoflushError reports a flush that a query or another operation started by itself
// (autoflush) and that failed. It wraps the flush's error, so errors.Is and errors.As
// reach the IntegrityError or StaleDataError behind it.
//
// An *AutoflushError is made for one failure and never modified by package orm
// afterwards, so it may be read from any goroutine; it lives as long as the caller keeps
// the error.
type AutoflushError struct {
	Op  string // the operation that flushed first: "query", "Get", "Execute", "Load", ...
	Err error  // the flush's error
}

// Error returns the flush's error with the operation that triggered it.
func (e *AutoflushError) Error() string {
	return fmt.Sprintf("orm: autoflush before %s failed (the session flushes its pending changes before each query; use NoAutoflush if this flush is premature): %v", e.Op, e.Err)
}

// Unwrap returns the flush's error.
func (e *AutoflushError) Unwrap() error { return e.Err }

// StaleDataError reports an UPDATE that matched no row: the row was deleted (or its key
// changed) by someone else since the session loaded it, so the change would be lost. (A
// DELETE that matches fewer rows than expected is only logged as a warning: the rows are
// gone either way.)
//
// A *StaleDataError is made for one failed flush and never modified by package orm
// afterwards, so it may be read from any goroutine (concurrent reads are safe); it holds
// no resource and lives as long as the caller keeps the error.
type StaleDataError struct {
	Op       string // "UPDATE", "DELETE", or "MERGE"
	Table    string
	Expected int64
	Matched  int64
	// Version is set when the statement checked the row's version counter (a field
	// tagged version): another transaction changed or deleted the row since it was
	// loaded. Such an error is retryable (errors.Is(err, engine.ErrRetryable)), so
	// SessionMaker.Retry runs the transaction again on fresh data.
	Version bool
}

// Error returns "orm: stale data: UPDATE of table a expected to match 1 row, matched 0".
func (e *StaleDataError) Error() string {
	what := ""
	if e.Version {
		what = " (version counter)"
	}
	return fmt.Sprintf("orm: stale data: %s of table %s expected to match %d row(s), matched %d%s", e.Op, e.Table, e.Expected, e.Matched, what)
}

// Unwrap returns ErrStaleData.
func (e *StaleDataError) Unwrap() error { return ErrStaleData }

// Is reports a version counter mismatch as engine.ErrRetryable.
func (e *StaleDataError) Is(target error) bool { return e.Version && target == engine.ErrRetryable }

// SessionMaker makes sessions bound to one engine and registry, with shared options; it
// is SQLAlchemy's sessionmaker / async_sessionmaker. It is immutable and safe for
// concurrent use; make one per program. It holds no connection of its own and has no
// Close: it lives as long as the caller keeps it (typically the whole program), and its
// sessions work as long as its engine is open.
type SessionMaker struct {
	eng   *engine.Engine
	reg   *Registry
	opts  sessionOptions
	reads *engine.ReplicaSet // where sessions read outside a written transaction; nil: eng
}

type sessionOptions struct {
	expireOnCommit bool
	autoflush      bool
	beginOnRead    tristate
	reads          *engine.ReplicaSet
	readsSet       bool
	nPlusOne       *NPlusOne // the N+1 detector's settings, nil when off
}

// tristate is an option that is on, off, or left to a default.
type tristate uint8

const (
	optDefault tristate = iota
	optOn
	optOff
)

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

// BeginOnRead sets whether a session begins its transaction at its first read (on) or
// only when it must (off): at its first write (a flush with changes), at Begin or
// BeginNested, at a SELECT ... FOR UPDATE, or at an Execute of a statement it cannot
// tell to be a plain read. Until then its reads run on its connection without a
// transaction, which saves the BEGIN sent with the first read and the ROLLBACK at Close
// (a read-only session costs one round trip per query and nothing more).
//
// The default is off where the engine reports AutocommitReads: at READ COMMITTED and
// below (PostgreSQL's default), where each statement reads from its own snapshot inside a
// transaction too, so that nothing changes but the round trips saved; and on SQLite, as
// with Python's sqlite3 module under SQLAlchemy, where a writing transaction takes the
// database's write lock at BEGIN (IMMEDIATE) and a session that only reads must not hold
// it. It is on at REPEATABLE READ and SERIALIZABLE (MySQL's and MariaDB's default),
// where the reads of one transaction share one snapshot. The identity map, autoflush
// and the rollback rules are the same either way.
func BeginOnRead(on bool) SessionOption {
	return func(o *sessionOptions) {
		o.beginOnRead = optOff
		if on {
			o.beginOnRead = optOn
		}
	}
}

// ReadReplicas sets where the sessions read (the read-replica routing of SQLAlchemy's
// get_bind and GORM's dbresolver): outside a transaction that has written, plain reads
// (queries, Get, loads, Refresh, Execute of a SELECT without a locking clause) run on a
// connection from rs (a replica chosen by its policy, or the primary when it falls back);
// writes, and everything after them until Commit or Rollback, run in the transaction on
// the session maker's engine, which should be rs's primary. A context from
// engine.UsePrimary (see UsePrimary) sends a read to the primary.
//
// The default is the engine's own set (engine.Replicas at Create), if it has one.
// ReadReplicas(nil) makes the sessions read from the primary only. BeginOnRead(true)
// keeps every read inside the primary's transaction, which also means no replica reads.
func ReadReplicas(rs *engine.ReplicaSet) SessionOption {
	return func(o *sessionOptions) { o.reads, o.readsSet = rs, true }
}

// UsePrimary returns a context that makes a session's reads, for the calls given it, run
// on the primary instead of a replica: to read what was just committed, which a lagging
// replica may not show yet. It is engine.UsePrimary.
func UsePrimary(ctx context.Context) context.Context { return engine.UsePrimary(ctx) }

// Autoflush sets whether queries flush pending changes first (default true), so that
// they see the session's changes.
func Autoflush(on bool) SessionOption { return func(o *sessionOptions) { o.autoflush = on } }

// NewSessionMaker returns a session factory for eng and the models of reg.
func NewSessionMaker(eng *engine.Engine, reg *Registry, opts ...SessionOption) *SessionMaker {
	o := sessionOptions{expireOnCommit: true, autoflush: true, nPlusOne: engineDetector(eng)}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	sm := &SessionMaker{eng: eng, reg: reg, opts: o, reads: eng.Replicas()}
	if o.readsSet {
		sm.reads = o.reads
	}
	return sm
}

// New returns a new session. It does no I/O: the session checks out a connection and
// begins a transaction when it first needs one (SQLAlchemy's autobegin). Close it when done.
func (sm *SessionMaker) New() *Session {
	return &Session{
		sm:       sm,
		opts:     sm.opts,
		reads:    sm.reads,
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
	join *joined // set for a session joined to an outer transaction

	reads    *engine.ReplicaSet // read replicas (see ReadReplicas), or nil
	readConn bool               // conn is a read connection from reads, without a transaction

	states   map[unsafe.Pointer]*state // every tracked object: pending, persistent, deleted
	order    []*state                  // s.states in order of addition, when known (sorted)
	identity map[identityKey]*state    // persistent (and deleted) objects by key
	seq      uint64

	// What the flushes of the transaction (root) and of each open savepoint (frames,
	// innermost last) did, for the rollback rules.
	root   txFrame
	frames []*txFrame

	sref        *sessionRef // the registry's record of the session, made on first use
	noAutoflush int         // depth of NoAutoflush blocks
	readsBegun  bool        // the session has read without a database transaction
	txWrote     bool        // a flush has written in the transaction

	n1    *detector // the N+1 detector's counts (detector.go)
	fresh *[]*state // while a stream hydrates a batch: the objects new to the session
	// yielding: a Stream's loop body runs (Related may read the session then).
	yielding bool
	failed   error // the flush error that requires Rollback
	closed   bool

	hookDepth int      // model hooks running (see hooks.go)
	loadedNow []*state // objects filled by the current query whose model has AfterLoad
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
	if s.join != nil {
		return s.joinConnection(ctx)
	}
	if s.readConn { // reads so far went to a replica: the transaction is the primary's
		s.dropReadConn()
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

// ref returns the registry's record of the session.
func (s *Session) ref() *sessionRef {
	if s.sref == nil {
		s.sref = newSessionRef(s)
	}
	return s.sref
}

// InTransaction reports whether the session has begun a transaction.
//
// The session's transaction begins with its first statement, as SQLAlchemy's autobegin,
// even where its reads run without a database transaction (see BeginOnRead): the
// difference is invisible but for the BEGIN and ROLLBACK not sent.
func (s *Session) InTransaction() bool { return s.readsBegun || s.tx != nil && s.tx.IsActive() }

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

func (s *Session) track(m *mapper, base unsafe.Pointer, status Status) *state {
	sb := new(stateBlock) // the state and its registry block in one allocation
	st := &sb.state
	s.initState(st, m, base, status)
	register(s.ref(), st, &sb.block)
	return st
}

// stateBlock is a state allocated with the registry block of its object.
type stateBlock struct {
	state
	block
}

// newState starts tracking the object at base in the session (not in the registry).
func (s *Session) newState(m *mapper, base unsafe.Pointer, status Status) *state {
	st := new(state)
	s.initState(st, m, base, status)
	return st
}

func (s *Session) initState(st *state, m *mapper, base unsafe.Pointer, status Status) {
	s.seq++
	*st = state{m: m, base: base, status: status, seq: s.seq}
	s.states[base] = st
	s.trackedChanged()
	if len(m.wo) > 0 {
		st.bindWriteOnly()
	}
}

// adopt starts tracking obj, which the session does not track yet: as pending when it
// is new, as persistent again when it is a detached object (expunged, or from a closed
// session) with its snapshot from then. An object another open session tracks is an
// error, and so is a detached object whose deletion was committed or whose key another
// object of this session has.
func (s *Session) adopt(m *mapper, base unsafe.Pointer) (*state, error) {
	rec, owner := lookupAttachment(base)
	if owner != nil && owner != s.sref {
		return nil, s.attachedError(m, base, owner)
	}
	if rec == nil || owner != nil || rec.m != m {
		return s.track(m, base, Pending), nil
	}
	if rec.detachedDeleted {
		return nil, fmt.Errorf("%w: the %s with key %v", ErrDeletedObject, m.name, rec.keyValues())
	}
	if _, ok := s.identity[rec.key]; ok {
		return nil, fmt.Errorf("orm: cannot add the detached %s with key %v: the session already holds another object with that key (use Merge)", m.name, rec.keyValues())
	}
	st := s.newState(m, base, Persistent)
	reattach(s.ref(), rec, st)
	st.key, st.snap, st.expired = rec.key, rec.snap, rec.expired
	st.loaded = rec.loaded
	st.setRelSnaps(rec.relSnaps())
	s.identity[st.key] = st
	return st, nil
}

// toTransient removes st from the session and the registry: the object is new again.
func (s *Session) toTransient(st *state) {
	s.forget(st)
	unregister(st)
	st.status = Transient
	st.key, st.snap, st.expired, st.flushedDelete = identityKey{}, nil, false, false
	st.setRelSnaps(nil)
}

// toDetached removes st from the session; the registry keeps it as a detached object
// (deleted: its deletion was committed).
func (s *Session) toDetached(st *state, deleted bool) {
	s.forget(st)
	st.status = Detached
	detach(st, deleted)
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
	// order of addition) and again at flush. On an error nothing stays added.
	first, err := s.adopt(m, base)
	if err != nil {
		return err
	}
	added := []*state{first}
	for i := 0; i < len(added); i++ {
		st := added[i]
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
					for _, a := range added {
						s.unadopt(a)
					}
					return err
				}
				added = append(added, nst)
			}
		}
	}
	// back_populates: the added objects' relationships are reflected on their other side.
	s.reconcile(added, nil)
	return nil
}

// unadopt takes back an adopt: the object leaves the session; a detached object that was
// re-attached is detached again, with the same snapshot.
func (s *Session) unadopt(st *state) {
	s.forget(st)
	if st.status == Persistent {
		detach(st, false)
		return
	}
	unregister(st)
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
		s.toTransient(st)
	case Persistent:
		st.status = Deleted
	}
	return nil
}

// Status returns the state of obj with respect to this session: Pending, Persistent or
// Deleted for objects it tracks; Detached for an object that no session tracks but that
// has a row (expunged, or from a closed session) and for an object that another session
// tracks; Transient otherwise.
func (s *Session) Status(obj any) Status {
	_, base, err := s.objectOf(obj)
	if err != nil {
		return Transient
	}
	if st, ok := s.states[base]; ok {
		return st.status
	}
	if rec, _ := lookupAttachment(base); rec != nil {
		return Detached
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
	s.expungeCascade(st)
	return nil
}

// expunge removes st from the session: pending objects become transient, others
// detached.
func (s *Session) expunge(st *state) {
	if st.status == Pending {
		s.toTransient(st)
		return
	}
	s.toDetached(st, false)
}

// ExpungeAll removes every object from the session.
func (s *Session) ExpungeAll() {
	if s.enter() != nil {
		return
	}
	defer s.leave()
	for _, st := range s.states {
		s.expunge(st)
	}
}

func (s *Session) forget(st *state) {
	delete(s.states, st.base)
	s.trackedChanged()
	if cur, ok := s.identity[st.key]; ok && cur == st {
		delete(s.identity, st.key)
	}
}

// New returns the pending objects, in the order they were added.
func (s *Session) New() []any { return s.objectsIn(Pending) }

// Deleted returns the objects marked for deletion.
func (s *Session) Deleted() []any { return s.objectsIn(Deleted) }

func (s *Session) objectsIn(status Status) []any {
	var out []any
	for _, st := range s.sorted() {
		if st.status == status && !st.flushedDelete {
			out = append(out, st.object())
		}
	}
	return out
}

// sorted returns the tracked states in the order they entered the session. The slice is
// kept until the set of tracked states changes (see trackedChanged): callers read it and
// may append to it (its capacity is its length), but never write its elements.
func (s *Session) sorted() []*state {
	if s.order != nil && len(s.order) == len(s.states) {
		return s.order
	}
	out := make([]*state, 0, len(s.states))
	for _, st := range s.states {
		out = append(out, st)
	}
	sortStates(out)
	s.order = slices.Clip(out)
	return s.order
}

// trackedChanged records that a state joined or left s.states.
func (s *Session) trackedChanged() { s.order = nil }

// Execute runs a Core statement (a query, DML, expr.Text) inside the session's
// transaction, after an autoflush, and returns the engine's result. Use Scalars and the
// other generic functions for ORM queries that return objects. A statement other than a
// SELECT without a locking clause (DML, DDL, expr.Text, which the session cannot
// classify) begins the session's transaction first, where a read may run without one
// (see BeginOnRead).
func (s *Session) Execute(ctx context.Context, stmt expr.Statement) (*engine.Result, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := s.beforeQuery(ctx, "Execute", stmt); err != nil {
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

// beforeQuery checks the session, autoflushes (op names the operation for the error of a
// failed autoflush) and makes sure the session has its connection, and its transaction
// unless stmt is a plain read that may run without one (stmt nil: a loader's SELECT).
func (s *Session) beforeQuery(ctx context.Context, op string, stmt expr.Statement) error {
	if err := s.usable(); err != nil {
		return err
	}
	if s.opts.autoflush && s.noAutoflush == 0 {
		if err := s.flush(ctx); err != nil {
			return &AutoflushError{Op: op, Err: err}
		}
	}
	var err error
	if isPlainRead(stmt) {
		_, err = s.readConnection(ctx)
	} else {
		_, err = s.connection(ctx)
	}
	return err
}

// isPlainRead reports whether stmt is a SELECT without a locking clause (nil stands for a
// loader's SELECT).
func isPlainRead(stmt expr.Statement) bool {
	switch x := stmt.(type) {
	case nil:
		return true
	case *expr.SelectStmt:
		return x.Lock == nil
	}
	return false
}

// readConnection returns the session's connection for a plain read: inside the session's
// transaction when it has begun one; otherwise, when reads need no transaction (see
// BeginOnRead), the connection without a transaction; otherwise the transaction begins.
func (s *Session) readConnection(ctx context.Context) (*engine.Conn, error) {
	if s.tx != nil && s.tx.IsActive() {
		return s.conn, nil
	}
	if s.join != nil || !s.readsOutsideTx() {
		return s.connection(ctx)
	}
	replica := s.reads != nil && !engine.PrimaryRequested(ctx)
	if s.conn != nil && s.readConn != replica {
		s.dropReadConn()
	}
	if s.conn == nil {
		var c *engine.Conn
		var err error
		if replica {
			c, err = s.reads.ConnectRead(ctx)
		} else {
			c, err = s.sm.eng.Connect(ctx)
		}
		if err != nil {
			return nil, err
		}
		s.conn, s.readConn = c, replica
	}
	s.readsBegun = true
	return s.conn, nil
}

// dropReadConn returns the connection the session read from without a transaction to
// its pool, to take another (a replica's or the primary's).
func (s *Session) dropReadConn() {
	if s.conn != nil {
		_ = s.conn.Close()
	}
	s.conn, s.readConn = nil, false
}

// readsOutsideTx reports whether the session's reads run without a transaction until it
// writes.
func (s *Session) readsOutsideTx() bool {
	if s.reads != nil && s.opts.beginOnRead != optOn {
		return true
	}
	switch s.opts.beginOnRead {
	case optOn:
		return false
	case optOff:
		return true
	}
	return s.sm.eng.AutocommitReads()
}

// NoAutoflush runs fn with autoflush turned off for this session (SQLAlchemy's "with
// session.no_autoflush:"): queries inside fn do not flush pending changes first, so an
// object being built does not reach the database half done. Blocks nest; autoflush is
// back when the outermost returns. fn runs on the calling goroutine and may use the
// session.
func (s *Session) NoAutoflush(fn func() error) error {
	s.noAutoflush++
	defer func() { s.noAutoflush-- }()
	return fn()
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
