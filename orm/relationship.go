package orm

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
)

// What a relationship is: its kind (from the field's Go type and the foreign keys),
// its join condition (a foreign key, or two through a secondary table), the order of its
// collection, and its cascades. The registry resolves all of it once, at registration.

// relTagOptions are the relationship options of a tag besides rel, back_populates and fk
// (which the tag parser keeps itself).
type relTagOptions struct {
	uselist        *bool
	secondary      string
	orderBy        string
	cascade        string
	hasCascade     bool
	passiveDeletes bool
	postUpdate     bool
	remoteSide     string
}

// option parses one relationship option; handled is false for keys it does not know.
func (o *relTagOptions) option(key, val string, hasVal bool) (handled bool, err error) {
	need := func() error {
		if !hasVal || val == "" {
			return fmt.Errorf("option %s needs a value (%s=...)", key, key)
		}
		return nil
	}
	boolean := func() (bool, error) {
		if !hasVal {
			return true, nil
		}
		b, err := strconv.ParseBool(val)
		if err != nil {
			return false, fmt.Errorf("%s=%s: want true or false", key, val)
		}
		return b, nil
	}
	switch key {
	case "uselist":
		b, err := boolean()
		o.uselist = &b
		return true, err
	case "secondary":
		o.secondary = val
		return true, need()
	case "order_by":
		o.orderBy = unquote(val)
		return true, need()
	case "cascade":
		o.cascade, o.hasCascade = unquote(val), true
		if err := need(); err != nil {
			return true, err
		}
		_, err := parseCascade(o.cascade)
		return true, err
	case "passive_deletes":
		o.passiveDeletes, err = boolean()
		return true, err
	case "post_update":
		o.postUpdate, err = boolean()
		return true, err
	case "remote_side":
		o.remoteSide = val
		return true, need()
	}
	return false, nil
}

// cascadeSet is the set of cascades of a relationship (SQLAlchemy's cascade=).
type cascadeSet uint8

const (
	cascadeSaveUpdate cascadeSet = 1 << iota
	cascadeMerge
	cascadeExpunge
	cascadeDelete
	cascadeDeleteOrphan
	cascadeRefreshExpire

	cascadeDefault = cascadeSaveUpdate | cascadeMerge
	cascadeAll     = cascadeSaveUpdate | cascadeMerge | cascadeExpunge | cascadeDelete | cascadeRefreshExpire
)

func (c cascadeSet) has(x cascadeSet) bool { return c&x != 0 }

// parseCascade parses cascade=: names separated by | or commas (a comma needs the value
// quoted, cascade='all, delete-orphan'): all, none, save-update, merge, expunge, delete,
// delete-orphan, refresh-expire.
func parseCascade(s string) (cascadeSet, error) {
	var c cascadeSet
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ',' }) {
		switch strings.TrimSpace(strings.ToLower(part)) {
		case "all":
			c |= cascadeAll
		case "none", "":
		case "save-update":
			c |= cascadeSaveUpdate
		case "merge":
			c |= cascadeMerge
		case "expunge":
			c |= cascadeExpunge
		case "delete":
			c |= cascadeDelete
		case "delete-orphan":
			c |= cascadeDeleteOrphan
		case "refresh-expire":
			c |= cascadeRefreshExpire
		default:
			return 0, fmt.Errorf("cascade=%s: unknown cascade %q (want all, none, save-update, merge, expunge, delete, delete-orphan, refresh-expire)", s, strings.TrimSpace(part))
		}
	}
	return c, nil
}

// orderItem is one item of a relationship's order_by.
type orderItem struct {
	f    *field
	desc bool
}

// secondaryJoin is the join of a many-to-many relationship through its secondary table:
// the association columns referencing the owner's columns, and those referencing the
// target's.
type secondaryJoin struct {
	table     *schema.Table
	ownCols   []*schema.Column // columns of the secondary table referencing ownFields
	ownFields []*field         // key fields of the owner
	tgtCols   []*schema.Column // columns of the secondary table referencing tgtFields
	tgtFields []*field         // key fields of the target
}

// fkOnTarget reports whether the foreign key is on the target's table (one-to-many,
// one-to-one): the owner is the parent side.
func (r *relation) fkOnTarget() bool { return r.kind == oneToMany || r.kind == oneToOne }

// list reports whether the field is a []*T collection (not a write-only one).
func (r *relation) list() bool {
	return !r.writeOnly && (r.kind == oneToMany || r.kind == manyToMany)
}

// scalar reports whether the field is a *T reference.
func (r *relation) scalar() bool { return r.kind == manyToOne || r.kind == oneToOne }

// orderExprs returns the ORDER BY of a load of r's targets: its order_by, else the
// target's primary key (so that a collection's order does not depend on the database's
// plan).
func (r *relation) orderExprs() []expr.Expr {
	if len(r.orderBy) > 0 {
		out := make([]expr.Expr, len(r.orderBy))
		for i, o := range r.orderBy {
			if o.desc {
				out[i] = o.f.col.ColumnClause.Desc()
			} else {
				out[i] = o.f.col.ColumnClause.Asc()
			}
		}
		return out
	}
	out := make([]expr.Expr, len(r.target.pk))
	for i, f := range r.target.pk {
		out[i] = f.col.ColumnClause
	}
	return out
}

// writeOnlyField is implemented by *WriteOnly[T]: it tells the registry the model type a
// write-only collection holds.
type writeOnlyField interface{ writeOnlyElem() reflect.Type }

var rtWriteOnly = reflect.TypeFor[writeOnlyField]()

// isWriteOnlyType reports whether t is a WriteOnly[T].
func isWriteOnlyType(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && reflect.PointerTo(t).Implements(rtWriteOnly)
}

// resolveKind settles the kind of relationship r from its tag: a *T field is many-to-one
// unless uselist=false says, or the foreign keys show, that the key is on T's table
// (one-to-one); a []*T or WriteOnly[T] field is one-to-many, or many-to-many with
// secondary=.
func (b *batch) resolveKind(r *relation, tag fieldTag) bool {
	o := tag.relOpt
	if o.secondary != "" {
		if r.kind != oneToMany {
			b.fail(r.m, r.goName, r.tag, "secondary= needs a collection field ([]*%s)", relElem(r.typ).Name())
			return false
		}
		r.kind = manyToMany
		return true
	}
	if o.uselist != nil {
		switch {
		case *o.uselist && r.kind == manyToOne:
			b.fail(r.m, r.goName, r.tag, "uselist=true needs a collection field ([]*%s)", relElem(r.typ).Name())
			return false
		case !*o.uselist && r.kind == oneToMany:
			b.fail(r.m, r.goName, r.tag, "uselist=false needs a *%s field", relElem(r.typ).Name())
			return false
		case !*o.uselist:
			r.kind = oneToOne
		}
		return true
	}
	if r.kind != manyToOne || r.target == r.m {
		return true
	}
	// A *T field: one-to-one when only T's table has a foreign key between the two.
	own, theirs := false, false
	for _, fk := range r.m.table.ForeignKeys {
		own = own || fk.RefTable == r.target.table.Key()
	}
	for _, fk := range r.target.table.ForeignKeys {
		theirs = theirs || fk.RefTable == r.m.table.Key()
	}
	if !own && theirs {
		r.kind = oneToOne
	}
	return true
}

// resolveRemoteSide applies remote_side= on a self-referential *T field: naming the
// foreign key columns makes it one-to-one (the key is on the "remote" row), naming the
// referenced key columns many-to-one (the default).
func (b *batch) resolveRemoteSide(r *relation, tag fieldTag) bool {
	rs := tag.relOpt.remoteSide
	if rs == "" {
		return true
	}
	if r.target != r.m {
		b.fail(r.m, r.goName, r.tag, "remote_side= applies to self-referential relationships (%s to %s)", r.m.name, r.m.name)
		return false
	}
	if r.kind != manyToOne && r.kind != oneToOne {
		b.fail(r.m, r.goName, r.tag, "remote_side= applies to *%s fields; a []*%s field is one-to-many already", r.m.typ.Name(), r.m.typ.Name())
		return false
	}
	for _, n := range strings.Split(rs, "|") {
		if r.m.fieldByColumn(strings.TrimSpace(n)) == nil && r.m.fieldByGoName(strings.TrimSpace(n)) == nil {
			b.fail(r.m, r.goName, r.tag, "remote_side=%s: %s has no column %s", rs, r.m.name, n)
			return false
		}
	}
	// Which side the named columns are on is checked once the foreign key is known.
	return true
}

// checkRemoteSide settles a self-referential relationship's direction from remote_side=
// once its foreign key is known.
func (b *batch) checkRemoteSide(r *relation, tag fieldTag) {
	rs := tag.relOpt.remoteSide
	if rs == "" {
		return
	}
	var named []*field
	for _, n := range strings.Split(rs, "|") {
		n = strings.TrimSpace(n)
		f := r.m.fieldByColumn(n)
		if f == nil {
			f = r.m.fieldByGoName(n)
		}
		named = append(named, f)
	}
	switch {
	case sameFields(named, r.parentCols):
		r.kind = manyToOne
	case sameFields(named, r.childCols):
		r.kind = oneToOne
	default:
		b.fail(r.m, r.goName, r.tag, "remote_side=%s names neither the foreign key columns nor the columns they reference", rs)
	}
}

func sameFields(a, b []*field) bool {
	if len(a) != len(b) {
		return false
	}
	for _, f := range a {
		if !slices.Contains(b, f) {
			return false
		}
	}
	return true
}

// resolveSecondary finds the join of many-to-many relationship r through the table named
// by secondary=: a table of the registry's MetaData (or of a model being registered) with
// one foreign key to each side (for a self-referential many-to-many, fk=<column> names
// the columns that reference the owner).
func (b *batch) resolveSecondary(r *relation, tag fieldTag) {
	name := tag.relOpt.secondary
	t, _ := b.tableByKey(name)
	if t == nil {
		b.fail(r.m, r.goName, r.tag, "secondary=%s: no such table in the registry's MetaData (define it before registering the model)", name)
		return
	}
	var toOwn, toTgt []*schema.ForeignKeyDef
	for _, fk := range t.ForeignKeys {
		if fk.RefTable == r.m.table.Key() {
			toOwn = append(toOwn, fk)
		}
		if fk.RefTable == r.target.table.Key() {
			toTgt = append(toTgt, fk)
		}
	}
	pick := func(cands []*schema.ForeignKeyDef, side string, want func(*schema.ForeignKeyDef) bool) *schema.ForeignKeyDef {
		var out []*schema.ForeignKeyDef
		for _, c := range cands {
			if want(c) {
				out = append(out, c)
			}
		}
		switch len(out) {
		case 1:
			return out[0]
		case 0:
			b.fail(r.m, r.goName, r.tag, "secondary=%s: the table has no foreign key to %s (table %s)", name, side, map[bool]string{true: r.m.table.Key(), false: r.target.table.Key()}[side == "the owner"])
		default:
			b.fail(r.m, r.goName, r.tag, "secondary=%s: the table has %d foreign keys to %s; name the owner's with fk=<column>", name, len(out), side)
		}
		return nil
	}
	named := func(fk *schema.ForeignKeyDef) bool {
		if tag.fk == "" {
			return true
		}
		return strings.Join(fk.Columns, "|") == strings.ReplaceAll(tag.fk, " ", "")
	}
	own := pick(toOwn, "the owner", named)
	if own == nil {
		return
	}
	tgt := pick(toTgt, "the target", func(fk *schema.ForeignKeyDef) bool { return fk != own })
	if tgt == nil {
		return
	}
	j := &secondaryJoin{table: t}
	side := func(fk *schema.ForeignKeyDef, m *mapper) ([]*schema.Column, []*field, bool) {
		var cols []*schema.Column
		var fields []*field
		for i, c := range fk.Columns {
			col, _ := t.Col(c)
			f := m.fieldByColumn(fk.RefCols[i])
			if col == nil || f == nil {
				b.fail(r.m, r.goName, r.tag, "secondary=%s: foreign key column %s references %s.%s, which is not a mapped field", name, c, m.table.Key(), fk.RefCols[i])
				return nil, nil, false
			}
			cols, fields = append(cols, col), append(fields, f)
		}
		return cols, fields, true
	}
	var ok bool
	if j.ownCols, j.ownFields, ok = side(own, r.m); !ok {
		return
	}
	if j.tgtCols, j.tgtFields, ok = side(tgt, r.target); !ok {
		return
	}
	r.secondary = j
	r.onDelete = own.OnDelete
}

// resolveOrderBy parses order_by=: target columns (or Go field names) separated by |,
// each optionally followed by asc or desc (or prefixed by -).
func (b *batch) resolveOrderBy(r *relation, tag fieldTag) {
	s := tag.relOpt.orderBy
	if s == "" {
		return
	}
	for _, part := range strings.Split(s, "|") {
		words := strings.Fields(part)
		if len(words) == 0 || len(words) > 2 {
			b.fail(r.m, r.goName, r.tag, "order_by=%s: want column [asc|desc] items separated by |", s)
			return
		}
		name, desc := words[0], false
		if strings.HasPrefix(name, "-") {
			name, desc = name[1:], true
		}
		if len(words) == 2 {
			switch strings.ToLower(words[1]) {
			case "asc":
			case "desc":
				desc = true
			default:
				b.fail(r.m, r.goName, r.tag, "order_by=%s: %q is not asc or desc", s, words[1])
				return
			}
		}
		f := r.target.fieldByColumn(name)
		if f == nil {
			f = r.target.fieldByGoName(name)
		}
		if f == nil {
			b.fail(r.m, r.goName, r.tag, "order_by=%s: %s has no column %s", s, r.target.name, name)
			return
		}
		r.orderBy = append(r.orderBy, orderItem{f: f, desc: desc})
	}
}

// resolveOptions applies the cascade and flush options of tag to r.
func (b *batch) resolveOptions(r *relation, tag fieldTag) {
	o := tag.relOpt
	r.cascade = cascadeDefault
	if o.hasCascade {
		r.cascade, _ = parseCascade(o.cascade)
	}
	r.passiveDeletes = o.passiveDeletes
	r.postUpdate = o.postUpdate
	if r.postUpdate && r.kind == manyToMany {
		b.fail(r.m, r.goName, r.tag, "post_update does not apply to a many-to-many relationship (its rows are written after both sides anyway)")
	}
	if r.cascade.has(cascadeDeleteOrphan) && (r.kind == manyToOne || r.kind == manyToMany) {
		b.fail(r.m, r.goName, r.tag, "cascade=delete-orphan applies to one-to-many and one-to-one relationships (the side whose removal orphans the object)")
	}
	if r.writeOnly && r.kind != oneToMany {
		b.fail(r.m, r.goName, r.tag, "a write-only collection must be one-to-many")
	}
	if r.writeOnly && r.lazy != lazySelect && r.lazy != lazyNoLoad {
		b.fail(r.m, r.goName, r.tag, "lazy=%s: a write-only collection is never loaded", r.lazy)
	}
}

// relatedAt returns the objects r's field of the struct at base holds: the collection,
// the one referenced object, or the queued additions of a write-only collection.
func relatedAt(r *relation, base unsafe.Pointer) []unsafe.Pointer {
	switch {
	case r.writeOnly:
		return woAt(r, base).added
	case r.list():
		return relSlice(r, base)
	}
	if p := relPtr(r, base); p != nil {
		return []unsafe.Pointer{p}
	}
	return nil
}

// clearRelation empties r's field in the struct at base (nil slice or pointer; a
// write-only collection drops its queued changes).
func clearRelation(r *relation, base unsafe.Pointer) {
	p := unsafe.Add(base, r.offset)
	switch {
	case r.writeOnly:
		w := (*woCore)(p)
		w.added, w.removed = nil, nil
	case r.list():
		*(*[]unsafe.Pointer)(p) = nil
	default:
		*(*unsafe.Pointer)(p) = nil
	}
}
