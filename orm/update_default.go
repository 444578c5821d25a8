package orm

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/retortdb/retort/types"
)

// update_default= gives a column the value it takes whenever its row is updated without
// it (SQLAlchemy's onupdate=): the flush's UPDATEs and the ORM's bulk updates (Update)
// add it to their SET list. now() is the current time, taken in Go when the statement is
// built (UTC, to the microsecond, the precision the three databases keep), and written
// to the object too, so that the object holds what its row holds without reading it back
// (SQLAlchemy's onupdate=func.now() runs the SQL function and leaves the attribute
// expired, to load on access, which Go cannot do). Any other value is a constant, written
// as default= writes it.

// OnUpdate gives the model's field named fieldName (its Go name) the value fn returns in
// every UPDATE of its row that does not set it, as update_default= does with a constant
// or now(): SQLAlchemy's onupdate= with a Python function. fn runs in the goroutine of the
// flush or bulk statement, once per row updated by a flush. The field's Go type must be
// T (checked at registration):
//
//	orm.Register[Post](reg, orm.OnUpdate("EditedBy", func() string { return currentUser() }))
func OnUpdate[T any](fieldName string, fn func() T) Option {
	return func(o *modelOptions) {
		o.onUpdate = append(o.onUpdate, onUpdateOption{field: fieldName, typ: reflect.TypeFor[T](),
			make: func(f *field) func() any {
				return func() any {
					v := fn()
					cv, err := f.codec.get(unsafe.Pointer(&v))
					if err != nil {
						return updateDefaultError{f.valueError(err)}
					}
					return cv
				}
			}})
	}
}

// onUpdateOption is an OnUpdate given at registration.
type onUpdateOption struct {
	field string
	typ   reflect.Type
	make  func(f *field) func() any
}

// updateDefaultError is the value of an OnUpdate function whose result the field's codec
// refused; writing it reports the error.
type updateDefaultError struct{ err error }

// applyOnUpdate binds the OnUpdate options of model m to its fields.
func (b *batch) applyOnUpdate(m *mapper, opts []onUpdateOption) {
	for _, o := range opts {
		f := m.fieldByGoName(o.field)
		switch {
		case f == nil:
			b.fail(m, o.field, "", "OnUpdate names a field %s does not map", m.name)
		case f.typ != o.typ:
			b.fail(m, o.field, f.tag, "OnUpdate gives a %s for a field of type %s", o.typ, f.typ)
		case f.updDefault != nil:
			b.fail(m, o.field, f.tag, "OnUpdate on a field that has update_default=")
		default:
			f.updDefault = o.make(f)
		}
	}
}

// updateValue returns f's update_default value, or the error of an OnUpdate function's
// value the field refused.
func updateValue(f *field) (any, error) {
	v := f.updDefault()
	if e, ok := v.(updateDefaultError); ok {
		return nil, e.err
	}
	return v, nil
}

// parseUpdateDefault returns the function giving the canonical value of update_default=s
// for a column of type ct held by a field of Go type ft with codec c.
func parseUpdateDefault(s string, ct types.Type, ft reflect.Type, c codec) (func() any, error) {
	if strings.EqualFold(s, "now()") || strings.EqualFold(s, "current_timestamp") {
		if ct.Kind != types.KindTimestamp {
			return nil, fmt.Errorf("update_default=%s needs a timestamp column, not %s", s, ct.Kind)
		}
		fn := func() any { return time.Now().UTC().Truncate(time.Microsecond) }
		if err := defaultFits(ft, c, fn()); err != nil {
			return nil, fmt.Errorf("update_default=%s: %w", s, err)
		}
		return fn, nil
	}
	v, err := parseDefault(unquote(s), ct)
	if err == nil {
		err = defaultFits(ft, c, v)
	}
	if err != nil {
		return nil, fmt.Errorf("update_default: %w", err)
	}
	return func() any { return v }, nil
}

// applyUpdateDefaults sets, on the object of st about to be updated with the columns
// changed, the update_default columns that are not among them, journalled in undo, and
// returns the column list with them added.
func applyUpdateDefaults(st *state, changed []*field, undo *undoLog) ([]*field, error) {
	for _, f := range st.m.updDefaults {
		if slices.Contains(changed, f) {
			continue
		}
		v, err := updateValue(f)
		if err != nil {
			return nil, err
		}
		if err := undo.setField(st, f, v); err != nil {
			return nil, err
		}
		changed = append(changed, f)
	}
	return changed, nil
}
