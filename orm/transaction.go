package orm

import (
	"context"
	"errors"
	"slices"

	"github.com/retortdb/retort/engine"
)

// The rollback rules, as SQLAlchemy's session applies them: for what was rolled back (the
// session's transaction, or one savepoint),
//
//   - objects inserted inside it, and objects still pending that were added inside it,
//     become transient: they leave the session and the identity map, and the fields the
//     flush filled (generated keys, server defaults read back, client defaults, foreign
//     keys copied from parents) get back the values they had before the flush;
//   - objects deleted inside it (flushed or only marked) are persistent again;
//   - objects modified inside it (an UPDATE flushed, or changes not flushed yet) get their
//     column fields back as they were when it began and are expired, their relationship
//     fields emptied and marked not loaded. The rollback of the session's transaction
//     expires every persistent object this way; the rollback of a savepoint only those
//     modified inside it.
//
// Each level (the transaction, then one per savepoint) keeps a txFrame of what its
// successful flushes did; a savepoint that is released hands its frame to the level
// around it.

// txFrame records what happened inside the session's transaction or one savepoint.
type txFrame struct {
	tx     *engine.Tx // the savepoint; nil for the session's transaction
	seq    uint64     // the session's addition counter when it began
	failed bool       // a flush inside the savepoint failed and rolled it back
	err    error      // that flush's error

	inserted []*state             // INSERT flushed inside
	deleted  []*state             // DELETE flushed inside
	dirty    map[*state]frameSnap // objects changed by a flush inside: as they were before
	writes   []undoEntry          // field and relationship writes of the flushes inside, in order
}

// frameSnap is an object's snapshot and key before the first flush of a frame changed it.
type frameSnap struct {
	snap []any
	key  identityKey
}

// top returns the innermost frame.
func (s *Session) top() *txFrame {
	if n := len(s.frames); n > 0 {
		return s.frames[n-1]
	}
	return &s.root
}

// recordFlush adds what a successful flush did to the innermost frame.
func (s *Session) recordFlush(e *emitter, undo *undoLog) {
	f := s.top()
	f.inserted = append(f.inserted, e.inserted...)
	f.deleted = append(f.deleted, e.deleted...)
	for _, u := range e.updated {
		f.markDirty(u.st, u.before)
	}
	n := 0
	for _, w := range undo.entries {
		if w.st != nil && w.rec == nil || w.write {
			n++
		}
	}
	f.writes = slices.Grow(f.writes, n)
	for _, w := range undo.entries {
		if w.st != nil && w.rec == nil || w.write {
			f.writes = append(f.writes, undoEntry{st: w.st, f: w.f, old: w.old, fn: w.fn, write: true})
		}
	}
	s.snapChangedRelations(f)
}

// snapChangedRelations makes what the loaded relationships hold the new reference point
// for IsModified after a flush; a changed relationship counts as a modification of its
// owner in frame f (when f is not nil).
func (s *Session) snapChangedRelations(f *txFrame) {
	for _, st := range s.states {
		if st.relSnaps() == nil || st.status != Persistent {
			continue
		}
		if relsChanged(st) {
			if f != nil {
				f.markDirty(st, frameSnap{snap: st.snap, key: st.key})
			}
			snapRelations(st)
		}
	}
}

func (f *txFrame) markDirty(st *state, before frameSnap) {
	if f.dirty == nil {
		f.dirty = map[*state]frameSnap{}
	}
	if _, ok := f.dirty[st]; !ok {
		f.dirty[st] = before
	}
}

// absorb hands the records of a released savepoint inner to f, the level around it.
func (f *txFrame) absorb(inner *txFrame) {
	f.inserted = append(f.inserted, inner.inserted...)
	f.deleted = append(f.deleted, inner.deleted...)
	for st, b := range inner.dirty {
		f.markDirty(st, b)
	}
	f.writes = append(f.writes, inner.writes...)
}

// foldSavepoints pops the savepoint frames above the first n, innermost first, handing
// each one's records to the level around it.
func (s *Session) foldSavepoints(n int) {
	for len(s.frames) > n {
		inner := s.frames[len(s.frames)-1]
		s.frames = s.frames[:len(s.frames)-1]
		s.top().absorb(inner)
	}
}

// rollbackFrame applies the rollback rules for f. dirtyOnly (a savepoint) expires only the
// objects modified inside f; keep (Close) undoes what the flushes inside f did but leaves
// unflushed changes and pending objects alone, the objects being detached next.
func (s *Session) rollbackFrame(f *txFrame, dirtyOnly, keep bool) {
	for i := len(f.writes) - 1; i >= 0; i-- {
		w := f.writes[i]
		switch {
		case w.fn != nil:
			w.fn()
		case w.st.base != nil:
			_ = w.f.set(w.st.base, w.old)
		}
	}
	for _, st := range f.inserted {
		if st.base == nil { // detached since: its row is gone with the rollback
			unregister(st)
			continue
		}
		s.toTransient(st)
	}
	for _, st := range f.deleted {
		if s.states[st.base] == st && st.base != nil {
			st.flushedDelete = false
			st.status = Persistent
			s.identity[st.key] = st
		}
	}
	for st, b := range f.dirty {
		if st.base == nil || s.states[st.base] != st || st.status == Transient {
			continue
		}
		if st.key != b.key {
			if s.identity[st.key] == st {
				delete(s.identity, st.key)
			}
			s.identity[b.key] = st
		}
		st.snap, st.key = b.snap, b.key
	}
	if keep {
		*f = txFrame{seq: s.seq}
		return
	}
	var revived []*state // deletions marked inside and not flushed
	for _, st := range s.states {
		switch {
		case st.status == Pending && st.seq > f.seq:
			s.toTransient(st)
		case st.status == Deleted && !st.flushedDelete:
			st.status = Persistent
			revived = append(revived, st)
		}
	}
	for _, st := range s.states {
		if st.status != Persistent {
			continue
		}
		if dirtyOnly {
			_, inFrame := f.dirty[st]
			if !inFrame && !slices.Contains(revived, st) && !slices.Contains(f.deleted, st) && !st.modified() {
				continue
			}
		}
		st.expire()
	}
	*f = txFrame{tx: f.tx, seq: s.seq}
}

// Commit flushes, commits the transaction and releases the connection. With
// ExpireOnCommit (the default) every object is then expired. Objects whose deletion was
// committed become detached.
//
// A session joined to an outer transaction (JoinTransaction) commits its savepoint
// (RELEASE SAVEPOINT) in CreateSavepoint mode, and in RollbackOnly mode flushes without
// committing the outer transaction.
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
	if _, err := s.flushCommit(ctx, true); err != nil {
		return err
	}
	s.foldSavepoints(0) // savepoints still open (Commit inside BeginNested) end with it
	if s.tx != nil && s.tx.IsActive() && s.ownsTx() {
		if err := s.tx.Commit(ctx); err != nil {
			s.afterRollback()
			s.release()
			return err
		}
	}
	for _, st := range s.root.deleted {
		if st.base != nil && s.states[st.base] == st {
			s.toDetached(st, true)
		}
	}
	s.root = txFrame{seq: s.seq}
	if s.opts.expireOnCommit {
		s.expireAll()
	}
	s.release()
	return nil
}

// Rollback rolls the transaction back and releases the connection, and applies
// SQLAlchemy's rollback rules to the objects (see the package documentation): objects
// added or inserted in the transaction become transient, with the fields the database
// filled reset; objects deleted in it are persistent again; every persistent object gets
// back the column values it had when the transaction began and is expired. Rollback also
// clears the pending-rollback state after a failed flush, and after a lost connection.
func (s *Session) Rollback(ctx context.Context) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	return s.rollback(ctx)
}

func (s *Session) rollback(ctx context.Context) error {
	if s.hookDepth > 0 {
		return ErrInHook
	}
	var err error
	if s.tx != nil && s.tx.IsActive() {
		err = s.tx.Rollback(ctx)
		if errors.Is(err, engine.ErrClosed) {
			err = nil
		}
	}
	s.afterRollback()
	s.release()
	return err
}

// afterRollback applies the rollback rules for the session's transaction.
func (s *Session) afterRollback() { s.undoTransaction(false) }

// undoTransaction applies the rollback rules for the session's transaction and its open
// savepoints; keep is rollbackFrame's.
func (s *Session) undoTransaction(keep bool) {
	s.foldSavepoints(0)
	s.rollbackFrame(&s.root, false, keep)
	s.failed = nil
}

// release ends the session's use of its connection: returns it to the pool, or for a
// session joined to an outer transaction, leaves it to its owner.
func (s *Session) release() {
	s.tx, s.readsBegun, s.txWrote, s.readConn = nil, false, false, false
	s.frames = nil
	if s.conn != nil && s.join == nil {
		_ = s.conn.Close()
	}
	s.conn = nil
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
// committed (with the rollback rules), and detaches every object: persistent objects
// become detached (Add re-attaches them to another session), pending ones transient. The
// session cannot be used afterwards; closing again does nothing.
func (s *Session) Close() error {
	if err := s.enter(); err != nil {
		if errors.Is(err, ErrSessionClosed) {
			return nil
		}
		return err
	}
	if s.hookDepth > 0 {
		s.leave()
		return ErrInHook
	}
	defer s.leave()
	var err error
	if s.tx != nil && s.tx.IsActive() && s.ownsTx() {
		err = s.tx.Rollback(context.Background())
		if errors.Is(err, engine.ErrClosed) {
			err = nil
		}
	}
	// SQLAlchemy detaches the objects as they are: unflushed changes stay on them (Add to
	// another session writes them), while what the rolled back flushes did is undone.
	s.undoTransaction(true)
	s.release()
	// Newest first when the order is at hand (after a flush): objects allocated one after
	// another are then weakened in descending order of address (see detachAll). Objects
	// loaded by a query share one weak pointer per result, where the order is moot.
	leave := func(st *state) {
		if st.status == Pending {
			unregister(st)
			st.status = Transient
		} else {
			st.status = Detached
			detach(st, false)
		}
	}
	if sts := s.order; len(sts) == len(s.states) {
		for i := len(sts) - 1; i >= 0; i-- {
			leave(sts[i])
		}
	} else {
		for _, st := range s.states { // the maps are dropped whole below
			leave(st)
		}
	}
	s.states, s.identity = nil, nil
	if s.sref != nil {
		s.sref.states = nil
	}
	s.closed = true
	return err
}

// innerTx returns the innermost active transaction (savepoint or transaction).
func (s *Session) innerTx() *engine.Tx {
	if n := len(s.frames); n > 0 {
		return s.frames[n-1].tx
	}
	return s.tx
}

// BeginNested runs fn inside a SAVEPOINT of the session's transaction (beginning the
// transaction if needed), as SQLAlchemy's "with session.begin_nested():". Pending changes
// are flushed before the savepoint. When fn returns nil, the session is flushed and the
// savepoint released (the enclosing transaction still has to commit). When fn returns an
// error or panics, or a flush inside fails, only the savepoint is rolled back, with the
// rollback rules restricted to what happened inside it: objects added or inserted since it
// began become transient, deletions since are undone, objects modified inside it get
// their values from before it back and are expired; objects changed before the savepoint
// keep their state, and the session stays usable.
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

func (s *Session) beginNested(ctx context.Context) (*txFrame, error) {
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
	sp := &txFrame{tx: tx, seq: s.seq}
	s.frames = append(s.frames, sp)
	return sp, nil
}

// endNested releases (commit) or rolls back sp and pops it with the savepoints inside it.
func (s *Session) endNested(ctx context.Context, sp *txFrame, commit bool) error {
	i := slices.Index(s.frames, sp)
	if i < 0 {
		return nil // the transaction ended inside fn
	}
	s.foldSavepoints(i + 1) // savepoints inside sp that fn left open end with it
	s.frames = s.frames[:i]
	if commit {
		s.top().absorb(sp)
		return sp.tx.Commit(ctx)
	}
	var err error
	if !sp.failed && sp.tx.IsActive() {
		err = sp.tx.Rollback(ctx)
	}
	s.rollbackFrame(sp, true, false)
	s.failed = nil
	return err
}
