package orm

import (
	"context"
	"fmt"
	"reflect"
)

// Missing rows follow one rule across the package: a call whose name promises a row
// (GetOne, ScalarOne, Scalar, and the First and One methods of results) returns an error
// wrapping ErrNoResult when there is none; Get and the OrNone calls report a missing row
// as a nil object (with ok false) and a nil error. Get follows SQLAlchemy's session.get,
// which returns None; everything else follows Go's database/sql, whose QueryRow reports
// sql.ErrNoRows.

// All runs q and returns its objects as a slice: Scalars(ctx, s, q) followed by All, for
// the most common call. An empty result is an empty slice and a nil error.
func All[A any](ctx context.Context, s *Session, q *SelectStmt[A]) ([]*A, error) {
	r, err := Scalars(ctx, s, q)
	if err != nil {
		return nil, err
	}
	return r.vals, nil
}

// Get returns the object of the handle's model with the given primary key, or nil and a
// nil error when there is no such row, as the package function Get does with the model
// named by the handle:
//
//	u, err := UserT.Get(ctx, s, id)
func (t Table[A]) Get(ctx context.Context, s *Session, key ...any) (*A, error) {
	if t.m == nil {
		return nil, fmt.Errorf("%w: Get of %s", ErrUnboundHandle, reflect.TypeFor[A]())
	}
	return Get[A](ctx, s, key...)
}

// GetOne is Get that returns an error wrapping ErrNoResult when there is no such row.
func (t Table[A]) GetOne(ctx context.Context, s *Session, key ...any) (*A, error) {
	if t.m == nil {
		return nil, fmt.Errorf("%w: GetOne of %s", ErrUnboundHandle, reflect.TypeFor[A]())
	}
	return GetOne[A](ctx, s, key...)
}

// Select returns a query for the handle's model: UserT.Select() is Select(UserT).
func (t Table[A]) Select() *SelectStmt[A] { return Select[A](t) }

// AddAll adds each object of objs to the session as Session.Add does, without copying
// them into a []any; it stops at the first error, leaving the objects added before it
// in the session. A nil element is an error.
func AddAll[A any](s *Session, objs []*A) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := s.usable(); err != nil {
		return err
	}
	t := reflect.TypeFor[A]()
	if _, ok := s.sm.reg.mapperOf(t); !ok {
		return fmt.Errorf("%w: %s", ErrNotRegistered, t)
	}
	for i, o := range objs {
		if o == nil {
			return fmt.Errorf("orm: AddAll: element %d is a nil *%s", i, t)
		}
		if err := s.add(o); err != nil {
			return err
		}
	}
	return nil
}
