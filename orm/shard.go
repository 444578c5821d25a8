package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// Horizontal sharding, in the spirit of SQLAlchemy's horizontal_shard extension: the rows
// of the same models live in several databases (shards), possibly of different dialects,
// and a ShardedSession spreads the work over them with three choosers:
//
//   - ShardChooser places a new object (Add) on a shard; the objects reached through its
//     relationships go with it;
//   - IdentityChooser names the shards that may hold a primary key (ShardGet), tried in
//     order until one has the row;
//   - QueryChooser names the shards a query may touch (ShardScalars); the query runs on
//     each of them and the results are merged: in the query's ORDER BY when it has one,
//     else shard after shard in the order the shards were given, then cut to its OFFSET
//     and LIMIT.
//
// A ShardedSession keeps one Session per shard, each with its own transaction and
// identity map, so an object's identity is its shard and its primary key: the same key
// on two shards is two objects (ShardOf tells where an object lives). Commit flushes every
// shard first, and commits them one after the other only when all flushes succeeded; the
// commits themselves are not atomic across shards (no two-phase commit): if one fails,
// the shards committed before it stay committed, and the error names the shard.

// Shard is one database of a sharded session maker: its identifier (what the choosers
// return) and its engine. It is a plain value, safe for concurrent reads; it lives as
// long as the caller keeps it.
type Shard struct {
	ID     string
	Engine *engine.Engine
}

// ShardConfig holds the choosers of a sharded session maker. The functions are called
// from the goroutine using a session, and must be safe for concurrent use when sessions
// of the maker run on several goroutines. It is a plain value, copied by
// NewShardedSessionMaker; the copy lives as long as the session maker.
type ShardConfig struct {
	// ShardChooser returns the shard of a new object given to Add (required).
	ShardChooser func(obj any) (string, error)
	// IdentityChooser returns the shards that may hold the row of model (the struct type)
	// with primary key pk, in the order to try them; nil or an empty answer means every
	// shard.
	IdentityChooser func(model reflect.Type, pk []any) []string
	// QueryChooser returns the shards a query may touch (ShardKeys helps reading its
	// WHERE clause); nil or an empty answer means every shard.
	QueryChooser func(q *expr.SelectStmt) []string
}

// ShardedSessionMaker makes ShardedSessions over a fixed list of shards with the same
// registry and session options. It is immutable and safe for concurrent use; it lives as
// long as the caller keeps it, and its sessions work as long as the shards' engines are
// open.
type ShardedSessionMaker struct {
	ids    []string
	makers map[string]*SessionMaker
	cfg    ShardConfig
}

// NewShardedSessionMaker returns a maker of sessions over shards (at least one, with
// distinct non-empty identifiers and non-nil engines), each shard's sessions made as
// NewSessionMaker(shard.Engine, reg, opts...) makes them.
func NewShardedSessionMaker(reg *Registry, shards []Shard, cfg ShardConfig, opts ...SessionOption) (*ShardedSessionMaker, error) {
	if reg == nil {
		return nil, errors.New("orm: NewShardedSessionMaker: the registry is nil")
	}
	if len(shards) == 0 {
		return nil, errors.New("orm: NewShardedSessionMaker: no shard given")
	}
	if cfg.ShardChooser == nil {
		return nil, errors.New("orm: NewShardedSessionMaker: ShardConfig.ShardChooser is required (it places new objects)")
	}
	sm := &ShardedSessionMaker{makers: map[string]*SessionMaker{}, cfg: cfg}
	for i, sh := range shards {
		switch {
		case sh.ID == "":
			return nil, fmt.Errorf("orm: NewShardedSessionMaker: shard %d has no ID", i)
		case sh.Engine == nil:
			return nil, fmt.Errorf("orm: NewShardedSessionMaker: shard %q has no engine", sh.ID)
		case sm.makers[sh.ID] != nil:
			return nil, fmt.Errorf("orm: NewShardedSessionMaker: shard %q given twice", sh.ID)
		}
		sm.ids = append(sm.ids, sh.ID)
		sm.makers[sh.ID] = NewSessionMaker(sh.Engine, reg, opts...)
	}
	return sm, nil
}

// Shards returns the shard identifiers in the order given.
func (sm *ShardedSessionMaker) Shards() []string { return slices.Clone(sm.ids) }

// New returns a new sharded session. It does no I/O: each shard's session starts when
// the sharded session first uses that shard. Close it when done.
func (sm *ShardedSessionMaker) New() *ShardedSession {
	return &ShardedSession{sm: sm, sessions: map[string]*Session{}}
}

// ErrUnknownShard is returned when a chooser, or a call, names a shard the session maker
// does not have.
var ErrUnknownShard = errors.New("orm: unknown shard")

// ShardedSession is a session over several shards: one Session per shard, behind one
// Add, Delete, Flush, Commit, Rollback and Close, with ShardGet and ShardScalars for
// reads (see ShardConfig). Like a Session it is for one goroutine at a time and lives
// until Close; the objects it returns stay valid afterwards (detached).
type ShardedSession struct {
	sm       *ShardedSessionMaker
	sessions map[string]*Session
	closed   bool
}

// Shard returns the session of shard id, starting it on first use: the explicit
// override for work on one shard (any Session call, Scalars or Get on it).
func (ss *ShardedSession) Shard(id string) (*Session, error) {
	if ss.closed {
		return nil, ErrSessionClosed
	}
	if s, ok := ss.sessions[id]; ok {
		return s, nil
	}
	mk, ok := ss.sm.makers[id]
	if !ok {
		return nil, fmt.Errorf("%w %q (the shards are %v)", ErrUnknownShard, id, ss.sm.ids)
	}
	s := mk.New()
	ss.sessions[id] = s
	return s, nil
}

// started returns the sessions started so far, in shard order, with their ids.
func (ss *ShardedSession) started() ([]string, []*Session) {
	var ids []string
	var out []*Session
	for _, id := range ss.sm.ids {
		if s, ok := ss.sessions[id]; ok {
			ids = append(ids, id)
			out = append(out, s)
		}
	}
	return ids, out
}

// Add places obj in the session of the shard that ShardChooser names for it (objects
// reached through its relationship fields go with it). An object one of the shards
// already tracks stays where it is.
func (ss *ShardedSession) Add(obj any) error {
	if ss.closed {
		return ErrSessionClosed
	}
	if _, ok := ss.ShardOf(obj); ok {
		return nil
	}
	id, err := ss.sm.cfg.ShardChooser(obj)
	if err != nil {
		return fmt.Errorf("orm: shard chooser: %w", err)
	}
	s, err := ss.Shard(id)
	if err != nil {
		return fmt.Errorf("orm: shard chooser for %T: %w", obj, err)
	}
	return s.Add(obj)
}

// AddAll adds each object as Add does; it stops at the first error.
func (ss *ShardedSession) AddAll(objs ...any) error {
	for _, o := range objs {
		if err := ss.Add(o); err != nil {
			return err
		}
	}
	return nil
}

// ShardOf returns the shard whose session tracks obj.
func (ss *ShardedSession) ShardOf(obj any) (string, bool) {
	rv := reflect.ValueOf(obj)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return "", false
	}
	base := rv.UnsafePointer()
	ids, sessions := ss.started()
	for i, s := range sessions {
		if _, ok := s.states[base]; ok {
			return ids[i], true
		}
	}
	return "", false
}

// Delete marks obj for deletion in the session of its shard.
func (ss *ShardedSession) Delete(obj any) error {
	id, ok := ss.ShardOf(obj)
	if !ok {
		return fmt.Errorf("%w: Delete of a %T no shard of the session tracks", ErrNotInSession, obj)
	}
	return ss.sessions[id].Delete(obj)
}

// Flush flushes every started shard, in shard order; it stops at the first failure (that
// shard's session then wants Rollback, as a Session does).
func (ss *ShardedSession) Flush(ctx context.Context) error {
	ids, sessions := ss.started()
	for i, s := range sessions {
		if err := s.Flush(ctx); err != nil {
			return fmt.Errorf("orm: shard %q: %w", ids[i], err)
		}
	}
	return nil
}

// Commit flushes every started shard, then commits them in shard order. A failed flush
// commits nothing (roll back to go on). A failed commit leaves the shards committed before
// it committed and rolls the others back; the error names the shard.
func (ss *ShardedSession) Commit(ctx context.Context) error {
	if err := ss.Flush(ctx); err != nil {
		return err
	}
	ids, sessions := ss.started()
	for i, s := range sessions {
		if err := s.Commit(ctx); err != nil {
			var rest []error
			for _, r := range sessions[i+1:] {
				rest = append(rest, r.Rollback(ctx))
			}
			return errors.Join(fmt.Errorf("orm: commit of shard %q failed (shards %v committed): %w", ids[i], ids[:i], err), errors.Join(rest...))
		}
	}
	return nil
}

// Rollback rolls back every started shard (see Session.Rollback).
func (ss *ShardedSession) Rollback(ctx context.Context) error {
	var errs []error
	ids, sessions := ss.started()
	for i, s := range sessions {
		if err := s.Rollback(ctx); err != nil {
			errs = append(errs, fmt.Errorf("orm: shard %q: %w", ids[i], err))
		}
	}
	return errors.Join(errs...)
}

// Close closes every shard's session (see Session.Close). Closing again does nothing.
func (ss *ShardedSession) Close() error {
	if ss.closed {
		return nil
	}
	var errs []error
	ids, sessions := ss.started()
	for i, s := range sessions {
		if err := s.Close(); err != nil {
			errs = append(errs, fmt.Errorf("orm: shard %q: %w", ids[i], err))
		}
	}
	ss.closed = true
	return errors.Join(errs...)
}

// chosen returns the sessions of the shards named by ids (every shard when ids is empty).
func (ss *ShardedSession) chosen(ids []string) ([]string, []*Session, error) {
	if len(ids) == 0 {
		ids = ss.sm.ids
	}
	var out []*Session
	for _, id := range ids {
		s, err := ss.Shard(id)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, s)
	}
	return ids, out, nil
}

// ShardGet returns the object of model A with the given primary key from the first of
// the shards IdentityChooser names (every shard, in order, without one) that has the row,
// or nil (and no error) when none has it, as Get does. The shards are asked one at a
// time, so a key found on the first shard costs one query.
func ShardGet[A any](ctx context.Context, ss *ShardedSession, key ...any) (*A, error) {
	var names []string
	if ch := ss.sm.cfg.IdentityChooser; ch != nil {
		names = ch(reflect.TypeFor[A](), key)
	}
	ids, sessions, err := ss.chosen(names)
	if err != nil {
		return nil, fmt.Errorf("orm: identity chooser: %w", err)
	}
	for i, s := range sessions {
		obj, err := Get[A](ctx, s, key...)
		if err != nil {
			return nil, fmt.Errorf("orm: shard %q: %w", ids[i], err)
		}
		if obj != nil {
			return obj, nil
		}
	}
	return nil, nil
}
