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
// The copied values are written at the next flush like any change. Relationships with the
// merge cascade (the default) are merged too: each related object obj holds is merged in
// turn, and the session's object's relationship is pointed at the merged objects (a nil
// collection or reference on obj is left alone, as a relationship not loaded). With a
// version counter (a field tagged version), a non-zero version on obj must equal the
// session's object's: otherwise Merge returns a *StaleDataError (Op "MERGE", Version
// set), as the copy was made from a row changed since.
func Merge[A any](ctx context.Context, s *Session, obj *A) (*A, error) {
	if obj == nil {
		return nil, fmt.Errorf("orm: Merge of a nil *%s", reflect.TypeFor[A]())
	}
	m, ok := s.sm.reg.mapperOf(reflect.TypeFor[A]())
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotRegistered, reflect.TypeFor[A]())
	}
	p, err := s.merge(ctx, m, unsafe.Pointer(obj), map[unsafe.Pointer]unsafe.Pointer{})
	if err != nil {
		return nil, err
	}
	return (*A)(p), nil
}

// merge merges the object of model m at base (see Merge); memo maps the objects merged so
// far to their session objects, so that a graph with cycles is merged once per object.
func (s *Session) merge(ctx context.Context, m *mapper, base unsafe.Pointer, memo map[unsafe.Pointer]unsafe.Pointer) (unsafe.Pointer, error) {
	if p, ok := memo[base]; ok {
		return p, nil
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	if _, tracked := s.states[base]; tracked {
		s.leave()
		memo[base] = base
		return base, nil
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
	out, err := s.mergeColumns(m, base, target)
	if err != nil {
		return nil, err
	}
	memo[base] = out
	for _, r := range m.rels {
		if !r.cascade.has(cascadeMerge) || r.writeOnly {
			continue
		}
		if r.list() {
			src := relSlice(r, base)
			if src == nil {
				continue
			}
			dst := make([]unsafe.Pointer, 0, len(src))
			for _, c := range src {
				if c == nil {
					continue
				}
				mc, err := s.merge(ctx, r.target, c, memo)
				if err != nil {
					return nil, err
				}
				dst = append(dst, mc)
			}
			*(*[]unsafe.Pointer)(unsafe.Add(out, r.offset)) = dst
			continue
		}
		if c := relPtr(r, base); c != nil {
			mc, err := s.merge(ctx, r.target, c, memo)
			if err != nil {
				return nil, err
			}
			*(*unsafe.Pointer)(unsafe.Add(out, r.offset)) = mc
		}
	}
	return out, nil
}

// mergeColumns copies the column fields of the object at base onto target (the
// session's object of the same key), or into a new pending copy when target is nil.
func (s *Session) mergeColumns(m *mapper, base unsafe.Pointer, target *state) (unsafe.Pointer, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := s.usable(); err != nil {
		return nil, err
	}
	if target == nil {
		cp := reflect.New(m.typ)
		cp.Elem().Set(reflect.NewAt(m.typ, base).Elem())
		p := cp.UnsafePointer()
		clearRelations(m, p)
		s.track(m, p, Pending)
		return p, nil
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
	return target.base, nil
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
