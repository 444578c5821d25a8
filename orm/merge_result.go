package orm

import (
	"fmt"
	"reflect"
	"unsafe"
)

// MergeResult merges the objects of a result that another session loaded (typically
// detached objects from sessions run in other goroutines) into s without SQL, and returns
// s's objects in the same order: SQLAlchemy's merge_frozen_result(..., load=False). Each
// object is taken as a row just read from the database: when s's identity map has its
// key, that object is returned (overwritten only when it is expired, as a query would
// do); otherwise a copy of its column fields becomes a persistent, unmodified object of
// s. Relationship fields are not merged (the copies' are not loaded). objs must have
// their primary keys; a nil object is an error.
func MergeResult[A any](s *Session, objs []*A) ([]*A, error) {
	m, ok := s.sm.reg.mapperOf(reflect.TypeFor[A]())
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotRegistered, reflect.TypeFor[A]())
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := s.usable(); err != nil {
		return nil, err
	}
	out := make([]*A, len(objs))
	vals := make([]any, len(m.fields))
	for i, o := range objs {
		if o == nil {
			return nil, fmt.Errorf("orm: MergeResult of a nil *%s (item %d)", m.name, i)
		}
		base := unsafe.Pointer(o)
		if st, tracked := s.states[base]; tracked && st.status != Pending {
			out[i] = o
			continue
		}
		for k, f := range m.fields {
			v, err := f.get(base)
			if err != nil {
				return nil, err
			}
			vals[k] = v
		}
		st, err := s.hydrate(m, vals, 0, false, nil)
		if err != nil {
			return nil, fmt.Errorf("orm: MergeResult of %s item %d: %w", m.name, i, err)
		}
		out[i] = (*A)(st.base)
	}
	return out, nil
}
