package orm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
)

// Model hooks are methods a model implements (on its pointer type), called by the
// session with the context of the operation and the session itself, as GORM, Bun and ent
// call theirs:
//
//	func (u *User) BeforeInsert(ctx context.Context, s *orm.Session) error {
//		u.Slug = slugify(u.Name)
//		return nil
//	}
//
// Before hooks run at flush, before any statement is sent, for the objects the flush
// will insert, update (those with changed columns) or delete; what they change is
// written by that flush, and objects they Add are flushed with it (and get their own
// hooks). Then Validate runs for every object to be inserted or updated. After hooks run
// once the flush's statements have succeeded, inside its transaction. AfterLoad runs
// when a query fills an object from its row (a new object, or an expired one refreshed).
//
// Inside a hook the session may run queries (without autoflush) and Add objects, but not
// Flush, Commit, Rollback or Close (ErrInHook). An error from a before hook or Validate
// fails the flush before any SQL: the database is unchanged, the objects get back the
// values they had before the flush, and the session stays usable (no Rollback needed);
// fix the object and flush again. An error from an after hook fails the flush as a
// failed statement does (the transaction is rolled back, ErrPendingRollback until
// Rollback). Errors come wrapped in a *HookError, or a *ValidationError for Validate.

// BeforeInsertHook is implemented by models that act before their INSERT. The session calls it on the goroutine using the session; an implementation lives as long as its object.
type BeforeInsertHook interface {
	// BeforeInsert runs at flush before the INSERT of the object; an error stops the flush before any SQL.
	BeforeInsert(ctx context.Context, s *Session) error
}

// AfterInsertHook is implemented by models that act after their INSERT. The session calls it on the goroutine using the session; an implementation lives as long as its object.
type AfterInsertHook interface {
	// AfterInsert runs once the flush's statements have succeeded; an error fails the flush.
	AfterInsert(ctx context.Context, s *Session) error
}

// BeforeUpdateHook is implemented by models that act before their UPDATE. The session calls it on the goroutine using the session; an implementation lives as long as its object.
type BeforeUpdateHook interface {
	// BeforeUpdate runs at flush before the UPDATE of the object (one with changed columns); an error stops the flush before any SQL.
	BeforeUpdate(ctx context.Context, s *Session) error
}

// AfterUpdateHook is implemented by models that act after their UPDATE. The session calls it on the goroutine using the session; an implementation lives as long as its object.
type AfterUpdateHook interface {
	// AfterUpdate runs once the flush's statements have succeeded; an error fails the flush.
	AfterUpdate(ctx context.Context, s *Session) error
}

// BeforeDeleteHook is implemented by models that act before their DELETE. The session calls it on the goroutine using the session; an implementation lives as long as its object.
type BeforeDeleteHook interface {
	// BeforeDelete runs at flush before the DELETE of the object; an error stops the flush before any SQL.
	BeforeDelete(ctx context.Context, s *Session) error
}

// AfterDeleteHook is implemented by models that act after their DELETE. The session calls it on the goroutine using the session; an implementation lives as long as its object.
type AfterDeleteHook interface {
	// AfterDelete runs once the flush's statements have succeeded; an error fails the flush.
	AfterDelete(ctx context.Context, s *Session) error
}

// AfterLoadHook is implemented by models that act when a query fills them from a row. The session calls it on the goroutine using the session; an implementation lives as long as its object.
type AfterLoadHook interface {
	// AfterLoad runs when a query has filled the object from its row; an error fails the query.
	AfterLoad(ctx context.Context, s *Session) error
}

// Validator is implemented by models that check their values before they are written:
// Validate runs at flush for each object to be inserted or updated, after the before
// hooks; an error rejects the flush before any SQL. The session calls it on the goroutine using the session; an implementation lives as long as its object.
type Validator interface {
	// Validate returns an error describing what is wrong with the object, or nil.
	Validate() error
}

// ErrInHook is returned by Flush, Commit, Rollback and Close called from inside a model
// hook.
var ErrInHook = errors.New("orm: Flush, Commit, Rollback and Close cannot be called from inside a model hook")

// HookError reports a model hook that returned an error; it wraps that error. It is made
// for one failure and never modified afterwards, so it may be read from any goroutine; it
// lives as long as the caller keeps it.
type HookError struct {
	Model string // the Go type, such as "main.User"
	Hook  string // "BeforeInsert", "AfterLoad", ...
	Err   error
}

// Error returns "orm: main.User.BeforeInsert: <the hook's error>".
func (e *HookError) Error() string { return fmt.Sprintf("orm: %s.%s: %v", e.Model, e.Hook, e.Err) }

// Unwrap returns the hook's error.
func (e *HookError) Unwrap() error { return e.Err }

// ValidationError reports a Validate method that rejected an object at flush; it wraps
// Validate's error. It is made for one failure and never modified afterwards, so it may
// be read from any goroutine; it lives as long as the caller keeps it.
type ValidationError struct {
	Model  string // the Go type, such as "main.User"
	Object any    // the rejected object
	Err    error
}

// Error returns "orm: main.User is not valid: <Validate's error>".
func (e *ValidationError) Error() string {
	return fmt.Sprintf("orm: %s is not valid: %v", e.Model, e.Err)
}

// Unwrap returns Validate's error.
func (e *ValidationError) Unwrap() error { return e.Err }

// hookSet records the hook interfaces a model implements.
type hookSet uint16

const (
	hookBeforeInsert hookSet = 1 << iota
	hookAfterInsert
	hookBeforeUpdate
	hookAfterUpdate
	hookBeforeDelete
	hookAfterDelete
	hookAfterLoad
	hookValidate

	hooksBefore = hookBeforeInsert | hookBeforeUpdate | hookBeforeDelete | hookValidate
	hooksAfter  = hookAfterInsert | hookAfterUpdate | hookAfterDelete
)

func hooksOf(t reflect.Type) hookSet {
	pt := reflect.PointerTo(t)
	var h hookSet
	for _, x := range []struct {
		iface reflect.Type
		bit   hookSet
	}{
		{reflect.TypeFor[BeforeInsertHook](), hookBeforeInsert},
		{reflect.TypeFor[AfterInsertHook](), hookAfterInsert},
		{reflect.TypeFor[BeforeUpdateHook](), hookBeforeUpdate},
		{reflect.TypeFor[AfterUpdateHook](), hookAfterUpdate},
		{reflect.TypeFor[BeforeDeleteHook](), hookBeforeDelete},
		{reflect.TypeFor[AfterDeleteHook](), hookAfterDelete},
		{reflect.TypeFor[AfterLoadHook](), hookAfterLoad},
		{reflect.TypeFor[Validator](), hookValidate},
	} {
		if pt.Implements(x.iface) {
			h |= x.bit
		}
	}
	return h
}

// inHook runs fn, a model's hook, with the session usable from inside it: the session is
// not busy while fn runs, and autoflush is off.
func (s *Session) inHook(fn func() error) error {
	s.hookDepth++
	s.noAutoflush++
	s.leave()
	defer func() {
		s.busy.Store(true)
		s.noAutoflush--
		s.hookDepth--
	}()
	return fn()
}

// beforeHooks runs the before hooks of the flush's objects, journalling what they change
// in undo, and prepares the flush again when they ran (they may have changed columns or
// added objects), until no object is left whose hooks have not run; then Validate.
func (s *Session) beforeHooks(ctx context.Context, undo *undoLog, work []flushWork, items []planItem, extra *flushExtra) ([]flushWork, []planItem, *flushExtra, error) {
	hooked := map[*state]bool{}
	for round := 0; ; round++ {
		ran := false
		for _, it := range items {
			st := it.st
			if hooked[st] || st.m.hooks&(hooksBefore&^hookValidate) == 0 {
				continue
			}
			hooked[st] = true
			var name string
			var call func() error
			switch {
			case it.kind == opInsert && st.m.hooks&hookBeforeInsert != 0:
				name, call = "BeforeInsert", func() error { return st.object().(BeforeInsertHook).BeforeInsert(ctx, s) }
			case it.kind == opUpdate && st.m.hooks&hookBeforeUpdate != 0:
				name, call = "BeforeUpdate", func() error { return st.object().(BeforeUpdateHook).BeforeUpdate(ctx, s) }
			case it.kind == opDelete && st.m.hooks&hookBeforeDelete != 0:
				name, call = "BeforeDelete", func() error { return st.object().(BeforeDeleteHook).BeforeDelete(ctx, s) }
			default:
				continue
			}
			ran = true
			if err := s.journalled(st, undo, call); err != nil {
				return nil, nil, nil, &HookError{Model: st.m.name, Hook: name, Err: err}
			}
		}
		if !ran {
			break
		}
		if round == 10 {
			return nil, nil, nil, errors.New("orm: flush: model hooks keep adding objects to the flush (10 rounds)")
		}
		var err error
		if work, items, extra, err = s.prepareAgain(undo); err != nil {
			return nil, nil, nil, err
		}
	}
	for _, it := range items {
		st := it.st
		if st.m.hooks&hookValidate == 0 || it.kind == opDelete {
			continue
		}
		var verr error
		_ = s.inHook(func() error { verr = st.object().(Validator).Validate(); return nil })
		if verr != nil {
			return nil, nil, nil, &ValidationError{Model: st.m.name, Object: st.object(), Err: verr}
		}
	}
	return work, items, extra, nil
}

// journalled runs a hook of st's object and records in undo the column fields it changed.
func (s *Session) journalled(st *state, undo *undoLog, call func() error) error {
	before := make([]any, len(st.m.fields))
	for i, f := range st.m.fields {
		v, err := f.get(st.base)
		if err != nil {
			return err
		}
		before[i] = cloneValue(v)
	}
	err := s.inHook(call)
	for i, f := range st.m.fields {
		v, gerr := f.get(st.base)
		if gerr != nil {
			if err == nil {
				err = gerr
			}
			continue
		}
		if !equalValues(before[i], v) {
			undo.entries = append(undo.entries, undoEntry{st: st, f: f, old: before[i]})
		}
	}
	return err
}

// afterHooks runs the after hooks of the objects the flush wrote.
func (s *Session) afterHooks(ctx context.Context, e *emitter) error {
	for _, i := range e.done {
		it := e.items[i]
		st := it.st
		if st.m.hooks&hooksAfter == 0 {
			continue
		}
		var name string
		var call func() error
		switch {
		case it.kind == opInsert && st.m.hooks&hookAfterInsert != 0:
			name, call = "AfterInsert", func() error { return st.object().(AfterInsertHook).AfterInsert(ctx, s) }
		case it.kind == opUpdate && st.m.hooks&hookAfterUpdate != 0:
			name, call = "AfterUpdate", func() error { return st.object().(AfterUpdateHook).AfterUpdate(ctx, s) }
		case it.kind == opDelete && st.m.hooks&hookAfterDelete != 0:
			name, call = "AfterDelete", func() error { return st.object().(AfterDeleteHook).AfterDelete(ctx, s) }
		default:
			continue
		}
		if err := s.inHook(call); err != nil {
			return &HookError{Model: st.m.name, Hook: name, Err: err}
		}
	}
	return nil
}

// afterLoad runs the AfterLoad hooks of the objects the last query filled.
func (s *Session) afterLoad(ctx context.Context) error {
	for len(s.loadedNow) > 0 {
		st := s.loadedNow[0]
		s.loadedNow = s.loadedNow[1:]
		if err := s.inHook(func() error { return st.object().(AfterLoadHook).AfterLoad(ctx, s) }); err != nil {
			s.loadedNow = nil
			return &HookError{Model: st.m.name, Hook: "AfterLoad", Err: err}
		}
	}
	s.loadedNow = nil
	return nil
}

// hooked reports whether some registered model implements a hook of mask.
func (r *Registry) hooked(mask hookSet) bool { return hookSet(r.hooks.Load())&mask != 0 }
