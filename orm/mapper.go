package orm

import (
	"reflect"
	"slices"
	"sync"
	"unsafe"

	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// mapper is the mapping of one model struct type, built once at registration and
// immutable afterwards (safe for concurrent use).
type mapper struct {
	reg     *Registry
	typ     reflect.Type // the struct type
	name    string       // the Go type as written in errors ("main.A")
	table   *schema.Table
	fields  []*field    // one per column, in table column order: fields[i].col == table.Cols[i]
	pk      []*field    // primary key fields, in key order
	autoinc *field      // the autoincrement key field, or nil
	version *field      // the version counter field (tag version), or nil
	rels    []*relation // relationships, in struct order
	wo      []*relation // the write-only relationships among rels
	// fetchOnInsert lists the fields whose value the database may generate on INSERT
	// (autoincrement key, server default): read back after the INSERT.
	fetchOnInsert []*field
	// updDefaults lists the fields with an update_default=, set by every UPDATE.
	updDefaults []*field
	hooks       hookSet // the hook interfaces the model implements

	selfOnce sync.Once
	self     [][]*field // see selfRefs
}

// selfRefs returns, for each foreign key of m's table that references m's own primary key
// (an adjacency list: parent_id -> id), the referencing fields in key order. The flush
// deletes the rows of such a table children first.
func (m *mapper) selfRefs() [][]*field {
	m.selfOnce.Do(func() {
		for _, fk := range m.table.ForeignKeys {
			if fk.RefTable != m.table.Name || len(fk.RefCols) != len(m.pk) {
				continue
			}
			cols := make([]*field, len(m.pk))
			for i, pf := range m.pk {
				for k, rc := range fk.RefCols {
					if rc == pf.col.Name {
						if c := m.fieldOfColumn(fk.Columns[k]); c != nil {
							cols[i] = c
						}
					}
				}
			}
			if !slices.Contains(cols, nil) {
				m.self = append(m.self, cols)
			}
		}
	})
	return m.self
}

// fieldOfColumn returns the field mapped to the column named name, or nil.
func (m *mapper) fieldOfColumn(name string) *field {
	for _, f := range m.fields {
		if f.col.Name == name {
			return f
		}
	}
	return nil
}

// field is one mapped column of a model.
type field struct {
	m        *mapper
	goName   string // Go field name, dotted through embedded structs ("Base.ID")
	index    []int  // reflect field index path
	offset   uintptr
	typ      reflect.Type
	tag      string
	col      *schema.Column
	pos      int // index in mapper.fields and table.Cols
	nullable bool
	codec    codec
	// genOnInsert: the database makes the value when the INSERT omits the column
	// (autoincrement or server default); the ORM omits it when the field is zero.
	genOnInsert bool
	// hasDefault/defVal: client-side default, used on INSERT when the field is zero.
	hasDefault bool
	defVal     any
	// updDefault, when set, gives the canonical value the column takes in every UPDATE
	// of its row that does not set it (update_default=).
	updDefault func() any
}

// relKind is the direction of a relationship.
type relKind uint8

const (
	oneToMany  relKind = iota + 1 // []*Child on the parent: the foreign key is on the child's table
	manyToOne                     // *Parent on the child: the foreign key is on the owner's table
	oneToOne                      // *Child on the parent: the foreign key is on the child's table (uselist=false)
	manyToMany                    // []*T through a secondary table
)

func (k relKind) String() string {
	switch k {
	case oneToMany:
		return "one-to-many"
	case oneToOne:
		return "one-to-one"
	case manyToMany:
		return "many-to-many"
	}
	return "many-to-one"
}

// relation is a relationship field of a model.
type relation struct {
	m      *mapper // the owner
	pos    int     // index in m.rels (and in state.loaded)
	goName string
	index  []int
	offset uintptr
	typ    reflect.Type // []*T, *T or WriteOnly[T]
	tag    string
	kind   relKind
	// writeOnly: the field is a WriteOnly[T] (a one-to-many collection never loaded).
	writeOnly bool
	target    *mapper
	backName  string    // back_populates
	back      *relation // the relationship on target that mirrors this one, or nil
	lazy      strategy  // the default loader strategy (tag lazy=...)
	// The foreign key, as fields: childCols on the child side (the target for
	// one-to-many, the owner for many-to-one) reference parentCols of the parent side.
	childCols  []*field
	parentCols []*field
	// onDelete is the foreign key's ON DELETE action ("CASCADE", "SET NULL", ...): when
	// the database takes care of the children, deleting a parent leaves them alone.
	onDelete string
	// secondary is the join of a many-to-many relationship (childCols and parentCols are
	// nil then).
	secondary *secondaryJoin
	// orderBy orders the collection when it is loaded (order_by=).
	orderBy []orderItem
	// cascade, passiveDeletes, postUpdate: see relationship.go and cascade.go.
	cascade        cascadeSet
	passiveDeletes bool
	postUpdate     bool
}

// child and parent return the mappers on each side of the foreign key.
func (r *relation) child() *mapper {
	if r.fkOnTarget() {
		return r.target
	}
	return r.m
}

func (r *relation) parent() *mapper {
	if r.fkOnTarget() {
		return r.m
	}
	return r.target
}

// ptr returns the address of f inside the struct at base.
func (f *field) ptr(base unsafe.Pointer) unsafe.Pointer { return unsafe.Add(base, f.offset) }

// get returns the canonical value of f in the struct at base.
func (f *field) get(base unsafe.Pointer) (any, error) {
	v, err := f.codec.get(f.ptr(base))
	if err != nil {
		return nil, f.valueError(err)
	}
	return v, nil
}

// set stores the canonical value v into f of the struct at base.
func (f *field) set(base unsafe.Pointer, v any) error {
	if err := f.codec.set(f.ptr(base), v); err != nil {
		return f.valueError(err)
	}
	return nil
}

// equal reports whether f of the struct at base holds the canonical value v (as
// equalValues compares them); a field whose value cannot be read is unequal.
func (f *field) equal(base unsafe.Pointer, v any) bool {
	if f.codec.eq != nil && f.codec.eq(f.ptr(base), v) {
		return true
	}
	cur, err := f.codec.get(f.ptr(base))
	return err == nil && equalValues(cur, v)
}

// isZero reports whether f holds its zero value in the struct at base.
func (f *field) isZero(base unsafe.Pointer) bool { return f.codec.zero(f.ptr(base)) }

// ValueError reports a value that could not be moved between a model field and its
// column: a database value of the wrong type or out of range for the field, or a field
// value that cannot be encoded (a JSON marshalling error, an unsigned value beyond int64).
//
// A *ValueError is made for one failure and never modified by package orm afterwards, so
// it may be read from any goroutine (concurrent reads are safe); it holds no resource
// and lives as long as the caller keeps the error.
type ValueError struct {
	Struct, Field, Column string
	Err                   error
}

// Error returns "orm: main.A field Data (column data): cause".
func (e *ValueError) Error() string {
	return "orm: " + e.Struct + " field " + e.Field + " (column " + e.Column + "): " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *ValueError) Unwrap() error { return e.Err }

func (f *field) valueError(err error) error {
	return &ValueError{Struct: f.m.name, Field: f.goName, Column: f.col.Name, Err: err}
}

// fieldByGoName returns the column field called name (Go name), or nil.
func (m *mapper) fieldByGoName(name string) *field {
	for _, f := range m.fields {
		if f.goName == name {
			return f
		}
	}
	return nil
}

// fieldByColumn returns the field of the column called name, or nil.
func (m *mapper) fieldByColumn(name string) *field {
	for _, f := range m.fields {
		if f.col.Name == name {
			return f
		}
	}
	return nil
}

// relByGoName returns the relationship field called name, or nil.
func (m *mapper) relByGoName(name string) *relation {
	for _, r := range m.rels {
		if r.goName == name {
			return r
		}
	}
	return nil
}

// sqlType returns the column type of f.
func (f *field) sqlType() types.Type { return f.col.Type }

// reflectNewAt returns the *T (as any) for a pointer p to a value of m's struct type.
func reflectNewAt(m *mapper, p unsafe.Pointer) any { return reflect.NewAt(m.typ, p).Interface() }
