package orm

import (
	"context"
	"fmt"
	"reflect"
	"unsafe"
)

// Merge copies the column fields of obj (typically a detached object from another
// session, or a struct built from a request) onto the session's object with the same
// primary key, as SQLAlchemy's session.merge: the object in the identity map if there is
// one, else the row loaded from the database, else a new pending copy. It returns the
// session's object, never obj itself (unless obj is already tracked by this session).
// The copied values are written at the next flush like any change. Relationship fields
// are not merged. With a version counter (a field tagged version), a non-zero version on
// obj must equal the session's object's: otherwise Merge returns a *StaleDataError (Op
// "MERGE", Version set), as the copy was made from a row changed since.
func Merge[A any](ctx context.Context, s *Session, obj *A) (*A, error) {
	if obj == nil {
		return nil, fmt.Errorf("orm: Merge of a nil *%s", reflect.TypeFor[A]())
	}
	m, ok := s.sm.reg.mapperOf(reflect.TypeFor[A]())
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotRegistered, reflect.TypeFor[A]())
	}
	base := unsafe.Pointer(obj)
	if err := s.enter(); err != nil {
		return nil, err
	}
	if _, tracked := s.states[base]; tracked {
		s.leave()
		return obj, nil
	}
	s.leave()
	_, hasKey, err := m.keyOfObject(base)
	if err != nil {
		return nil, err
	}
	var target *state
	// A zero autoincrement key means "new": nothing to look up.
	if hasKey && !(m.autoinc != nil && len(m.pk) == 1 && m.autoinc.isZero(base)) {
		if target, err = s.get(ctx, m.typ, keyArgs(m, base)); err != nil {
			return nil, err
		}
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := s.usable(); err != nil {
		return nil, err
	}
	if target == nil {
		cp := new(A)
		*cp = *obj
		clearRelations(m, unsafe.Pointer(cp))
		s.track(m, cp, unsafe.Pointer(cp), Pending)
		return cp, nil
	}
	if vf := m.version; vf != nil && !vf.isZero(base) {
		// The copy must be of the version the session's object has: otherwise it was made
		// from a row another transaction has changed since (SQLAlchemy's version check).
		mine, err := vf.get(base)
		if err != nil {
			return nil, err
		}
		theirs, err := vf.get(target.base)
		if err != nil {
			return nil, err
		}
		if !equalValues(mine, theirs) {
			return nil, fmt.Errorf("orm: Merge of %s: version %v, the session's object has %v: %w", m.name, mine, theirs,
				&StaleDataError{Op: "MERGE", Table: m.table.Name, Expected: 1, Version: true})
		}
	}
	for _, f := range m.fields {
		v, err := f.get(base)
		if err != nil {
			return nil, err
		}
		if err := f.set(target.base, cloneValue(v)); err != nil {
			return nil, err
		}
	}
	return (*A)(target.base), nil
}

// keyArgs returns the key of the object at base as Get arguments (values of the key
// fields' own Go types).
func keyArgs(m *mapper, base unsafe.Pointer) []any {
	out := make([]any, len(m.pk))
	rv := reflect.NewAt(m.typ, base).Elem()
	for i, f := range m.pk {
		out[i] = rv.FieldByIndex(f.index).Interface()
	}
	return out
}

// clearRelations empties the relationship fields of a copied struct, so that the copy
// does not drag the original's related objects into the session.
func clearRelations(m *mapper, base unsafe.Pointer) {
	for _, r := range m.rels {
		clearRelation(r, base)
	}
}
