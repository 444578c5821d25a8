package orm

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
)

// A handle is a struct that names a model's columns and relationships as typed Go values,
// so that queries refer to them without strings:
//
//	var AT = struct {
//		orm.Table[A]
//		ID         orm.Column[int64]
//		Data       orm.Column[*string]
//		CreateDate orm.Column[time.Time]
//		Bs         orm.Relation[A, B]
//	}{}
//
//	func init() { orm.MustRegister(reg, &AT) }
//
//	stmt := orm.Select(AT).Where(AT.Data.Eq(ptr("x"))).OrderBy(AT.ID.Asc())
//
// RegisterHandle binds each field by name to the model field of the same name, checking
// that it exists and that the handle's type parameter is the model field's Go type; a
// mismatch is a *MappingError at registration, never a failure at query time. A handle
// may list only some of the model's fields.

// Table is embedded in a handle struct to say which model the handle describes. After
// registration it refers to the model's mapping; it is a small value, safe to copy and
// to use from any goroutine.
//
// RegisterHandle writes the Table (and the other fields of its handle) when it binds
// them, so registration must be complete before other goroutines use the handle
// (registering in an init function, as MustRegister is meant to be used, ensures it);
// after that the handle is read-only and safe for concurrent use. A Table holds no
// resource: it lives as long as the handle holding it (usually a package-level variable,
// so the whole program), and the mapping it refers to stays valid as long as the
// registry does.
type Table[A any] struct {
	m *mapper
}

// Entity is implemented by Table[A], and so by every handle struct that embeds it: it
// lets Select and the session functions accept a handle and know its model type.
//
// Only Table[A] implements Entity (its method is unexported), so an Entity follows
// Table's rules: safe for concurrent use once RegisterHandle has bound it, and it lives
// as long as the handle it is part of.
type Entity[A any] interface {
	modelTable() Table[A]
}

func (t Table[A]) modelTable() Table[A] { return t }

// entityMapper gives non-generic code (SelectRows) the mapper of a handle.
func (t Table[A]) entityMapper() *mapper { return t.m }

type entityRef interface{ entityMapper() *mapper }

// Core returns the model's Core table (nil before registration), for use with package
// expr and the engine.
func (t Table[A]) Core() *schema.Table {
	if t.m == nil {
		return nil
	}
	return t.m.table
}

func (t *Table[A]) bindTable(m *mapper) { t.m = m }
func (t *Table[A]) modelType() reflect.Type {
	return reflect.TypeFor[A]()
}

type tableBinder interface {
	bindTable(m *mapper)
	modelType() reflect.Type
}

// Column is a typed reference to a mapped column, for use in queries. It embeds the
// column's *expr.ColumnClause, so it is an expr.Expr usable anywhere package expr takes
// one (expr.Eq(AT.ID, BT.AID) compares two columns, expr.Select(AT.Data) selects one), and
// it adds comparison methods that take values of the model field's Go type T, converted
// exactly as the ORM converts the field (a nil *string compares as IS NULL).
//
// A Column is bound by RegisterHandle; before that its methods build expressions that
// fail to compile with ErrUnboundHandle. RegisterHandle writes the Column when it binds
// it, so registration must be complete before other goroutines use the handle; after
// that it is a small immutable value, safe to copy and share between goroutines. It
// holds no resource and lives as long as the handle holding it; the expressions its
// methods return are immutable too and may outlive it.
type Column[T any] struct {
	*expr.ColumnClause
	f *field
}

func (c *Column[T]) bindColumn(f *field) {
	c.ColumnClause = f.col.ColumnClause
	c.f = f
}

func (c *Column[T]) fieldType() reflect.Type { return reflect.TypeFor[T]() }

type columnBinder interface {
	bindColumn(f *field)
	fieldType() reflect.Type
}

// Expr returns the column's expression node (a column reporting ErrUnboundHandle when
// the handle is not bound).
func (c Column[T]) Expr() *expr.ColumnClause { return c.clause() }

// Schema returns the column's definition (nil before registration).
func (c Column[T]) Schema() *schema.Column {
	if c.f == nil {
		return nil
	}
	return c.f.col
}

func (c Column[T]) clause() *expr.ColumnClause {
	if c.ColumnClause == nil {
		return &expr.ColumnClause{Name: "?", Err: fmt.Errorf("%w: Column[%s] used before orm.RegisterHandle bound it", ErrUnboundHandle, reflect.TypeFor[T]())}
	}
	return c.ColumnClause
}

// value converts v to the canonical value the column stores (nil for a nil pointer or an
// invalid types.Null), or returns an expression that reports the conversion error.
func (c Column[T]) value(v T) any {
	if c.f == nil {
		return nil
	}
	cv, err := c.f.codec.get(unsafe.Pointer(&v))
	if err != nil {
		return &expr.ColumnClause{Name: c.f.col.Name, Err: c.f.valueError(err)}
	}
	return cv
}

// Eq returns column = v (IS NULL when v is nil or an invalid types.Null).
func (c Column[T]) Eq(v T) *expr.BinaryExpr { return c.clause().Eq(c.value(v)) }

// Ne returns column != v (IS NOT NULL when v is nil).
func (c Column[T]) Ne(v T) *expr.BinaryExpr { return c.clause().Ne(c.value(v)) }

// Lt returns column < v.
func (c Column[T]) Lt(v T) *expr.BinaryExpr { return c.clause().Lt(c.value(v)) }

// Le returns column <= v.
func (c Column[T]) Le(v T) *expr.BinaryExpr { return c.clause().Le(c.value(v)) }

// Gt returns column > v.
func (c Column[T]) Gt(v T) *expr.BinaryExpr { return c.clause().Gt(c.value(v)) }

// Ge returns column >= v.
func (c Column[T]) Ge(v T) *expr.BinaryExpr { return c.clause().Ge(c.value(v)) }

// In returns column IN (vs...); an empty list is false.
func (c Column[T]) In(vs ...T) *expr.InExpr {
	vals := make([]any, len(vs))
	for i, v := range vs {
		vals[i] = c.value(v)
	}
	return c.clause().In(vals...)
}

// NotIn returns column NOT IN (vs...); an empty list is true.
func (c Column[T]) NotIn(vs ...T) *expr.InExpr {
	vals := make([]any, len(vs))
	for i, v := range vs {
		vals[i] = c.value(v)
	}
	return c.clause().NotIn(vals...)
}

// Between returns column BETWEEN lo AND hi.
func (c Column[T]) Between(lo, hi T) *expr.BetweenExpr {
	return c.clause().Between(c.value(lo), c.value(hi))
}

// IsNull returns column IS NULL.
func (c Column[T]) IsNull() *expr.BinaryExpr { return c.clause().IsNull() }

// IsNotNull returns column IS NOT NULL.
func (c Column[T]) IsNotNull() *expr.BinaryExpr { return c.clause().IsNotNull() }

// Like returns column LIKE pattern.
func (c Column[T]) Like(pattern string) *expr.BinaryExpr { return c.clause().Like(pattern) }

// ILike returns column ILIKE pattern (case-insensitive).
func (c Column[T]) ILike(pattern string) *expr.BinaryExpr { return c.clause().ILike(pattern) }

// Asc returns the ordering column ASC.
func (c Column[T]) Asc() *expr.Ordering { return c.clause().Asc() }

// Desc returns the ordering column DESC.
func (c Column[T]) Desc() *expr.Ordering { return c.clause().Desc() }

// Label returns column AS name.
func (c Column[T]) Label(name string) *expr.LabelExpr { return c.clause().Label(name) }

// Set returns the assignment column = v, for expr.Update(...).Set lists and upserts.
func (c Column[T]) Set(v T) expr.Assignment { return expr.Set(c.clause(), c.value(v)) }

// Relation is a typed reference to the relationship field of model A that points to
// model B ([]*B or *B), for loader options and explicit loads. It is bound by
// RegisterHandle, which checks that A has such a relationship field to B.
//
// RegisterHandle writes the Relation when it binds it, so registration must be complete
// before other goroutines use the handle; after that it is a small read-only value, safe
// to copy and to use from any goroutine. It holds no resource and lives as long as the
// handle holding it.
type Relation[A, B any] struct {
	r *relation
}

func (r *Relation[A, B]) bindRelation(rel *relation) { r.r = rel }
func (r *Relation[A, B]) relTypes() (reflect.Type, reflect.Type) {
	return reflect.TypeFor[A](), reflect.TypeFor[B]()
}

type relationBinder interface {
	bindRelation(rel *relation)
	relTypes() (owner, target reflect.Type)
}

// Name returns the relationship's Go field name ("" before registration).
func (r Relation[A, B]) Name() string {
	if r.r == nil {
		return ""
	}
	return r.r.goName
}

// MustRegister is RegisterHandle that panics on error, for package-level handles
// registered in init functions.
func MustRegister(reg *Registry, handle any, opts ...Option) {
	if err := RegisterHandle(reg, handle, opts...); err != nil {
		panic(err)
	}
}

// RegisterHandle registers the model of a handle struct (see Table) unless it already
// is, then binds each exported field of the handle: Column[T] fields to the model's
// column field of the same Go name, whose type must be exactly T, and Relation[A, B]
// fields to the relationship field of the same name. handle must be a pointer to the
// handle struct. Mistakes are returned as *MappingError values (joined), and then no
// field of the handle is bound.
func RegisterHandle(reg *Registry, handle any, opts ...Option) error {
	hv := reflect.ValueOf(handle)
	if hv.Kind() != reflect.Pointer || hv.IsNil() || hv.Elem().Kind() != reflect.Struct {
		return &MappingError{Struct: fmt.Sprintf("%T", handle), Problem: "RegisterHandle needs a pointer to a handle struct (&AT)"}
	}
	sv := hv.Elem()
	st := sv.Type()
	hname := st.String()
	if st.Name() == "" {
		hname = "handle struct"
	}
	var tb tableBinder
	tbIndex := -1
	for i := 0; i < st.NumField(); i++ {
		if !st.Field(i).Anonymous || !st.Field(i).IsExported() {
			continue
		}
		if x, ok := sv.Field(i).Addr().Interface().(tableBinder); ok {
			tb, tbIndex = x, i
			break
		}
	}
	if tb == nil {
		return &MappingError{Struct: hname, Problem: "a handle struct must embed orm.Table[Model]"}
	}
	m, err := reg.register(tb.modelType(), opts)
	if err != nil {
		return err
	}
	hname = "handle of " + m.name
	type binding struct {
		col columnBinder
		rel relationBinder
		f   *field
		r   *relation
	}
	var binds []binding
	var errs []error
	fail := func(fieldName, format string, args ...any) {
		errs = append(errs, &MappingError{Struct: hname, Field: fieldName, Problem: fmt.Sprintf(format, args...)})
	}
	for i := 0; i < st.NumField(); i++ {
		sf := st.Field(i)
		if i == tbIndex || !sf.IsExported() {
			continue
		}
		switch x := sv.Field(i).Addr().Interface().(type) {
		case columnBinder:
			f := m.handleField(sf.Name)
			if f == nil {
				if r := m.relByGoName(sf.Name); r != nil {
					fail(sf.Name, "%s.%s is a relationship; declare it as orm.Relation[%s, %s]", m.typ.Name(), sf.Name, m.typ.Name(), relElem(r.typ).Name())
				} else {
					fail(sf.Name, "%s has no mapped field %s", m.name, sf.Name)
				}
				continue
			}
			if x.fieldType() != f.typ {
				fail(sf.Name, "declared as orm.Column[%s] but %s.%s is %s", x.fieldType(), m.typ.Name(), f.goName, f.typ)
				continue
			}
			binds = append(binds, binding{col: x, f: f})
		case relationBinder:
			r := m.relByGoName(sf.Name)
			if r == nil {
				fail(sf.Name, "%s has no relationship field %s", m.name, sf.Name)
				continue
			}
			owner, target := x.relTypes()
			if owner != m.typ || target != r.target.typ {
				fail(sf.Name, "declared as orm.Relation[%s, %s] but %s.%s is a relationship from %s to %s",
					owner, target, m.typ.Name(), sf.Name, m.typ, r.target.typ)
				continue
			}
			binds = append(binds, binding{rel: x, r: r})
		default:
			fail(sf.Name, "handle fields must be orm.Column[T] or orm.Relation[A, B], not %s", sf.Type)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	tb.bindTable(m)
	for _, b := range binds {
		if b.col != nil {
			b.col.bindColumn(b.f)
		} else {
			b.rel.bindRelation(b.r)
		}
	}
	return nil
}

// handleField returns the column field a handle field called name refers to: the field of
// that Go name, or the only field inside embedded structs whose last name part is name.
func (m *mapper) handleField(name string) *field {
	if f := m.fieldByGoName(name); f != nil {
		return f
	}
	var found *field
	for _, f := range m.fields {
		if i := strings.LastIndexByte(f.goName, '.'); i >= 0 && f.goName[i+1:] == name {
			if found != nil {
				return nil
			}
			found = f
		}
	}
	return found
}
