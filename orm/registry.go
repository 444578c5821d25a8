package orm

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// Registry holds the mappings of model structs to tables, and the schema.MetaData their
// tables are defined in (MetaData returns it, for engine CreateAll/DropAll and for Core
// tables that live beside the models).
//
// Models are registered once, at program start (typically in init functions), with
// Register or RegisterHandle; registration is safe for concurrent use but must be
// complete before sessions use the registry, since relationships between models are
// linked as their models are registered. After that a Registry is read-only and safe for
// concurrent use by any number of sessions. It lives as long as the program.
type Registry struct {
	mu      sync.RWMutex
	md      *schema.MetaData
	mappers map[reflect.Type]*mapper
	order   []*mapper     // in registration order
	hooks   atomic.Uint32 // the union of the models' hookSets

	// The last ranks result, valid while the MetaData has rankTables tables and the
	// registry rankModels models (MetaData.SortedTables caches the same way).
	rankMu     sync.Mutex
	rankOf     map[*mapper]int
	rankTables int
	rankModels int
}

// NewRegistry returns an empty registry with a new MetaData.
func NewRegistry() *Registry {
	return &Registry{md: schema.NewMetaData(), mappers: map[reflect.Type]*mapper{}}
}

// MetaData returns the MetaData holding the registered models' tables. Core tables may
// be added to it too (foreign keys of models may reference them).
func (r *Registry) MetaData() *schema.MetaData { return r.md }

// mapperOf returns the mapper of struct type t.
func (r *Registry) mapperOf(t reflect.Type) (*mapper, bool) {
	r.mu.RLock()
	m, ok := r.mappers[t]
	r.mu.RUnlock()
	return m, ok
}

// Option is an option of Register and RegisterHandle.
type Option func(*modelOptions)

type modelOptions struct {
	tableName string
	items     []schema.TableItem
	onUpdate  []onUpdateOption
}

// WithTableName sets the model's table name, overriding its TableName method and the
// name derived from the type.
func WithTableName(name string) Option { return func(o *modelOptions) { o.tableName = name } }

// WithTableItems adds table-level definitions that struct tags cannot express: composite
// keys and constraints (schema.PrimaryKeyConstraint, schema.ForeignKeyConstraint,
// schema.UniqueConstraint, schema.CheckConstraint), multi-column indexes (schema.Index,
// schema.UniqueIndex) and schema.InSchema. Columns come from the struct only: a
// schema.Col item is a mapping error.
func WithTableItems(items ...schema.TableItem) Option {
	return func(o *modelOptions) { o.items = append(o.items, items...) }
}

// Register maps the struct type A: its fields become the columns of a table defined in
// reg.MetaData(), its relationship fields link it to other models (which are registered
// too, with their defaults, when they are not yet). The mapping rules are described in
// the package documentation. Every mistake is reported, as *MappingError values joined
// with errors.Join, and nothing is registered then. Registering a type again without
// options does nothing; with options it is an error.
func Register[A any](reg *Registry, opts ...Option) error {
	_, err := reg.register(reflect.TypeFor[A](), opts)
	return err
}

// TableOf returns the table of the registered model A.
func TableOf[A any](reg *Registry) (*schema.Table, error) {
	t := reflect.TypeFor[A]()
	m, ok := reg.mapperOf(t)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotRegistered, t)
	}
	return m.table, nil
}

// tableNamer is implemented by models that choose their table name.
type tableNamer interface{ TableName() string }

var rtTableNamer = reflect.TypeFor[tableNamer]()

// register maps t (and the models it reaches through relationships) atomically.
func (r *Registry) register(t reflect.Type, opts []Option) (*mapper, error) {
	if t == nil || t.Kind() != reflect.Struct {
		return nil, &MappingError{Struct: fmt.Sprint(t), Problem: "a model must be a struct type"}
	}
	var o modelOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.mappers[t]; ok {
		if len(opts) > 0 {
			return nil, &MappingError{Struct: t.String(), Problem: "already registered (options can only be given at the first registration; register it before the models that refer to it)"}
		}
		return m, nil
	}
	b := &batch{reg: r, pending: map[reflect.Type]*pendingModel{}}
	// Every phase runs even after an earlier one found mistakes, skipping only what those
	// mistakes make unknowable, so that one call reports every mistake it can.
	root := b.analyze(t, o)
	b.build()
	b.link()
	if len(b.errs) == 0 {
		b.commit()
		for _, p := range b.pending {
			r.hooks.Or(uint32(p.m.hooks))
		}
	}
	if len(b.errs) > 0 {
		return nil, errors.Join(b.errs...)
	}
	return root.m, nil
}

// batch is one registration: the model asked for and the models it reaches that were not
// registered yet. Nothing is visible in the registry until commit.
type batch struct {
	reg     *Registry
	pending map[reflect.Type]*pendingModel
	list    []*pendingModel
	errs    []error
}

type pendingModel struct {
	m         *mapper
	opts      modelOptions
	tableName string
	colTags   []fieldTag // per field
	relTags   []fieldTag // per relation
	scratch   *schema.Table
	idAsPK    bool // no pk tag: the field named ID is the key
}

func (b *batch) fail(m *mapper, fieldName, tag, format string, args ...any) {
	b.errs = append(b.errs, &MappingError{Struct: m.name, Field: fieldName, Tag: tag, Problem: fmt.Sprintf(format, args...)})
}

// lookup returns the mapper of t among registered and pending models.
func (b *batch) lookup(t reflect.Type) *mapper {
	if m, ok := b.reg.mappers[t]; ok {
		return m
	}
	if p, ok := b.pending[t]; ok {
		return p.m
	}
	return nil
}

// analyze reads the struct type t into a pending model (and, recursively, the models its
// relationships point to).
func (b *batch) analyze(t reflect.Type, o modelOptions) *pendingModel {
	m := &mapper{reg: b.reg, typ: t, name: t.String()}
	p := &pendingModel{m: m, opts: o}
	b.pending[t] = p
	b.list = append(b.list, p)

	switch {
	case o.tableName != "":
		p.tableName = o.tableName
	case reflect.PointerTo(t).Implements(rtTableNamer):
		p.tableName = reflect.New(t).Interface().(tableNamer).TableName()
		if p.tableName == "" {
			b.fail(m, "", "", "TableName() returned an empty name")
		}
	default:
		p.tableName = snakeCase(t.Name())
		if p.tableName == "" {
			b.fail(m, "", "", "an anonymous struct type needs WithTableName")
		}
	}
	for _, it := range o.items {
		if _, isCol := it.(schema.ColumnDef); isCol {
			b.fail(m, "", "", "WithTableItems cannot add columns; columns come from the struct's fields")
		}
	}
	b.walk(p, t, nil, 0, "")
	if len(m.fields) == 0 {
		b.fail(m, "", "", "the struct has no mapped fields")
	}
	b.applyOnUpdate(m, o.onUpdate)
	// Pull in the targets of relationships.
	for _, rel := range m.rels {
		et := relElem(rel.typ)
		if b.lookup(et) == nil {
			b.analyze(et, modelOptions{})
		}
	}
	return p
}

// relElem returns the model type of a relationship field type ([]*T, *T or
// WriteOnly[T]).
func relElem(t reflect.Type) reflect.Type {
	if isWriteOnlyType(t) {
		return reflect.Zero(reflect.PointerTo(t)).Interface().(writeOnlyField).writeOnlyElem()
	}
	if t.Kind() == reflect.Slice {
		return t.Elem().Elem()
	}
	return t.Elem()
}

// isModelStruct reports whether t is a struct that can be a model (rather than a value
// type such as time.Time or types.Null).
func isModelStruct(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || t == rtTime || isNullType(t) {
		return false
	}
	_, isValue := defaultType(t, 0, false)
	return !isValue
}

// relationshipKind reports whether a field of type ft is a relationship: []*T (one-to-many)
// or *T (many-to-one) where T is a model struct.
func relationshipKind(ft reflect.Type) (relKind, bool) {
	switch {
	case isWriteOnlyType(ft):
		return oneToMany, true
	case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Pointer && isModelStruct(ft.Elem().Elem()):
		return oneToMany, true
	case ft.Kind() == reflect.Pointer && isModelStruct(ft.Elem()):
		return manyToOne, true
	}
	return 0, false
}

// walk maps the fields of struct type t found at offset/index within the model.
func (b *batch) walk(p *pendingModel, t reflect.Type, index []int, offset uintptr, prefix string) {
	m := p.m
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		goName := prefix + sf.Name
		rawTag, hasTag := sf.Tag.Lookup(tagKey)
		tag, err := parseTag(rawTag, hasTag)
		if err != nil {
			b.fail(m, goName, rawTag, "%v", err)
			continue
		}
		if tag.skip {
			continue
		}
		if !sf.IsExported() {
			if hasTag && !sf.Anonymous {
				b.fail(m, goName, rawTag, "unexported fields cannot be mapped (export it, or tag it retort:\"-\")")
			}
			if !sf.Anonymous || sf.Type.Kind() != reflect.Struct {
				continue
			}
		}
		idx := append(slices.Clone(index), i)
		off := offset + sf.Offset
		ft := sf.Type
		if sf.Anonymous && !tag.present {
			switch {
			case ft.Kind() == reflect.Struct && isModelStruct(ft):
				b.walk(p, ft, idx, off, goName+".")
				continue
			case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
				b.fail(m, goName, rawTag, "embedded struct pointers are not supported; embed %s by value", ft.Elem())
				continue
			}
		}
		if kind, ok := relationshipKind(ft); ok && !tag.json && tag.typ == nil {
			if len(tag.colOpts) > 0 {
				b.fail(m, goName, rawTag, "option %s applies to columns, not to relationship fields", tag.colOpts[0])
				continue
			}
			if len(m.rels) == maxRelationships {
				b.fail(m, goName, rawTag, "a model may declare at most %d relationships", maxRelationships)
				continue
			}
			m.rels = append(m.rels, &relation{m: m, pos: len(m.rels), goName: goName, index: idx, offset: off, typ: ft, tag: rawTag, kind: kind, backName: tag.backPop, lazy: tag.lazy, writeOnly: isWriteOnlyType(ft)})
			p.relTags = append(p.relTags, tag)
			continue
		}
		if len(tag.relOpts) > 0 {
			b.fail(m, goName, rawTag, "option %s needs a relationship field: []*T (one-to-many) or *T (many-to-one) of a model struct T, not %s", tag.relOpts[0], ft)
			continue
		}
		b.column(p, sf, goName, idx, off, tag)
	}
}

// column maps one column field.
func (b *batch) column(p *pendingModel, sf reflect.StructField, goName string, idx []int, off uintptr, tag fieldTag) {
	m := p.m
	ft := sf.Type
	raw := tag.raw
	base := ft
	if base.Kind() == reflect.Pointer {
		base = base.Elem()
	} else if isNullType(base) {
		base = base.Field(0).Type
	}
	var ct types.Type
	switch {
	case tag.typ != nil:
		ct = *tag.typ
		if tag.size > 0 {
			if ct.Kind != types.KindString {
				b.fail(m, goName, raw, "size= applies to string columns, not %s", ct)
				return
			}
			ct.Length = tag.size
		}
	default:
		var ok bool
		ct, ok = defaultType(base, tag.size, tag.json)
		if !ok {
			hint := "tag it json (or type=json) to store it as a JSON document, or retort:\"-\" to leave it out"
			if base.Kind() == reflect.Slice && base.Elem().Kind() == reflect.Struct {
				hint = "a one-to-many relationship is a slice of pointers ([]*" + base.Elem().Name() + "); " + hint
			}
			b.fail(m, goName, raw, "unsupported field type %s: %s", ft, hint)
			return
		}
		if tag.size > 0 && ct.Kind != types.KindString {
			b.fail(m, goName, raw, "size= applies to string fields, not %s", ft)
			return
		}
	}
	c, nullable, err := fieldCodec(ft, ct)
	if err != nil {
		b.fail(m, goName, raw, "%v", err)
		return
	}
	name := tag.name
	if name == "" {
		name = snakeCase(sf.Name)
	}
	f := &field{m: m, goName: goName, index: idx, offset: off, typ: ft, tag: raw, pos: len(m.fields), nullable: nullable, codec: c}
	if tag.hasDef {
		v, err := parseDefault(tag.def, ct)
		if err == nil {
			err = defaultFits(ft, c, v)
		}
		if err != nil {
			b.fail(m, goName, raw, "%v", err)
			return
		}
		if !nullable && base.Kind() == reflect.Bool {
			b.fail(m, goName, raw, "default= on a bool field makes false impossible to store (the zero value takes the default); use *bool")
			return
		}
		f.hasDefault, f.defVal = true, v
	}
	if tag.updDef != "" {
		fn, err := parseUpdateDefault(tag.updDef, ct, ft, c)
		if err != nil {
			b.fail(m, goName, raw, "%v", err)
			return
		}
		f.updDefault = fn
	}
	if tag.nullable && !nullable {
		b.fail(m, goName, raw, "nullable needs a pointer or types.Null field; %s cannot hold NULL", ft)
		return
	}
	if tag.nullable && tag.notNull {
		b.fail(m, goName, raw, "nullable and notnull contradict each other")
		return
	}
	if tag.pk && nullable {
		b.fail(m, goName, raw, "a primary key field cannot be a pointer or types.Null")
		return
	}
	if tag.version {
		switch {
		case (ct.Kind != types.KindInteger && ct.Kind != types.KindBigInt && ct.Kind != types.KindSmallInt) || nullable:
			b.fail(m, goName, raw, "version needs an integer field (int, int32, int64), not %s", ft)
			return
		case tag.pk:
			b.fail(m, goName, raw, "a primary key field cannot be the version counter")
			return
		case m.version != nil:
			b.fail(m, goName, raw, "a second version counter (the first is %s)", m.version.goName)
			return
		case tag.hasDef:
			b.fail(m, goName, raw, "version starts at 1 by itself: default= does not apply")
			return
		}
		// A new row's version is 1; each UPDATE adds one (see the package doc).
		v, err := parseDefault("1", ct)
		if err != nil {
			b.fail(m, goName, raw, "%v", err)
			return
		}
		f.hasDefault, f.defVal = true, v
		m.version = f
	}
	if (tag.onDelete != "" || tag.onUpdate != "") && tag.fk == "" {
		b.fail(m, goName, raw, "ondelete/onupdate need fk=table.column")
		return
	}
	tag.name = name
	m.fields = append(m.fields, f)
	p.colTags = append(p.colTags, tag)
}

// columnItems returns the schema definition of p's columns and table items. withIDKey
// makes the field named ID the primary key.
func (b *batch) columnItems(p *pendingModel, withIDKey bool) ([]schema.TableItem, []error) {
	var items []schema.TableItem
	var errs []error
	for i, f := range p.m.fields {
		tag := p.colTags[i]
		ct, _, _ := columnTypeOf(f, tag)
		var opts []schema.ColumnOption
		if tag.pk || (withIDKey && f.goName == "ID") {
			opts = append(opts, schema.PrimaryKey())
		}
		if !f.nullable || tag.notNull {
			opts = append(opts, schema.NotNull())
		}
		if tag.autoinc != nil {
			opts = append(opts, schema.Autoincrement(*tag.autoinc))
		}
		if tag.unique {
			opts = append(opts, schema.Unique())
		}
		if tag.index {
			opts = append(opts, schema.Indexed())
		}
		if f.hasDefault {
			opts = append(opts, schema.Default(f.defVal))
		}
		if tag.srvDef != "" {
			e, err := parseServerDefault(tag.srvDef, ct)
			if err != nil {
				errs = append(errs, &MappingError{Struct: p.m.name, Field: f.goName, Tag: f.tag, Problem: err.Error()})
				continue
			}
			opts = append(opts, schema.ServerDefault(e))
		}
		if tag.fk != "" {
			var fo []schema.FKOption
			if tag.onDelete != "" {
				fo = append(fo, schema.OnDelete(tag.onDelete))
			}
			if tag.onUpdate != "" {
				fo = append(fo, schema.OnUpdate(tag.onUpdate))
			}
			opts = append(opts, schema.ForeignKey(tag.fk, fo...))
		}
		items = append(items, schema.Col(tag.name, ct, opts...))
	}
	return append(items, p.opts.items...), errs
}

// columnTypeOf recomputes the column type of f from its tag (as column did).
func columnTypeOf(f *field, tag fieldTag) (types.Type, bool, error) {
	base := f.typ
	if base.Kind() == reflect.Pointer {
		base = base.Elem()
	} else if isNullType(base) {
		base = base.Field(0).Type
	}
	if tag.typ != nil {
		ct := *tag.typ
		if tag.size > 0 {
			ct.Length = tag.size
		}
		return ct, true, nil
	}
	ct, ok := defaultType(base, tag.size, tag.json)
	return ct, ok, nil
}

// parseServerDefault parses server_default=...: now() (or current_timestamp), a
// 'quoted string', a number, true, false, null, or a function call name() without
// arguments.
func parseServerDefault(s string, ct types.Type) (expr.Expr, error) {
	low := strings.ToLower(s)
	switch low {
	case "now()", "now", "current_timestamp", "current_timestamp()":
		return expr.Now().WithType(ct), nil
	case "true":
		return expr.True(), nil
	case "false":
		return expr.False(), nil
	case "null":
		return expr.Null(), nil
	}
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return expr.Value(unquote(s), ct), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return expr.Value(n, ct), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return expr.Value(f, ct), nil
	}
	if strings.HasSuffix(s, "()") && validName(s[:len(s)-2]) {
		return expr.Fn(s[:len(s)-2]).WithType(ct), nil
	}
	return nil, fmt.Errorf("server_default=%s: want now(), a 'quoted string', a number, true, false, null or name()", s)
}

// build defines each pending model's table in a scratch MetaData of its own, which
// checks the definition without touching the registry's MetaData.
func (b *batch) build() {
	tainted := b.failed()
	for _, p := range b.list {
		m := p.m
		if len(m.fields) == 0 {
			continue // reported by analyze
		}
		hasPK := false
		for _, tag := range p.colTags {
			hasPK = hasPK || tag.pk
		}
		items, errs := b.columnItems(p, false)
		if len(errs) > 0 {
			b.errs = append(b.errs, errs...)
			continue
		}
		t, err := schema.NewMetaData().Table(p.tableName, items...)
		if err == nil && len(t.PrimaryKey) == 0 && !hasPK && m.fieldByGoName("ID") != nil {
			// Convention: a model without a pk tag is keyed by its ID field.
			items, _ = b.columnItems(p, true)
			t, err = schema.NewMetaData().Table(p.tableName, items...)
			p.idAsPK = true
		}
		if err != nil {
			b.schemaErrors(p, err)
			continue
		}
		if len(t.PrimaryKey) == 0 {
			if tainted[m] {
				// The key may be a field whose mistake was reported: the table is still
				// good enough to check its foreign keys.
				p.scratch = t
			} else {
				b.fail(m, "", "", "no primary key: tag a field with pk (or name it ID)")
			}
			continue
		}
		p.scratch = t
		b.adopt(p, t)
	}
}

// failed returns the models that have a mistake reported so far.
func (b *batch) failed() map[*mapper]bool {
	out := map[*mapper]bool{}
	for _, err := range b.errs {
		var me *MappingError
		if !errors.As(err, &me) {
			continue
		}
		for _, p := range b.list {
			if p.m.name == me.Struct {
				out[p.m] = true
			}
		}
	}
	return out
}

// adopt points m's fields at the columns of table t (defined from m's fields, in order)
// and derives the per-table facts.
func (b *batch) adopt(p *pendingModel, t *schema.Table) {
	m := p.m
	m.table = t
	m.pk, m.fetchOnInsert, m.autoinc, m.updDefaults = nil, nil, nil, nil
	m.hooks = hooksOf(m.typ)
	for i, f := range m.fields {
		f.col = t.Cols[i]
		f.genOnInsert = f.col.Autoincrement || f.col.ServerDefault != nil
		if f.col.Autoincrement {
			m.autoinc = f
		}
		if f.genOnInsert {
			m.fetchOnInsert = append(m.fetchOnInsert, f)
		}
		if f.updDefault != nil {
			m.updDefaults = append(m.updDefaults, f)
		}
	}
	for _, c := range t.PrimaryKey {
		for _, f := range m.fields {
			if f.col == c {
				if f.nullable {
					b.fail(m, f.goName, f.tag, "a primary key field cannot be a pointer or types.Null")
				}
				m.pk = append(m.pk, f)
			}
		}
	}
}

// schemaErrors turns schema definition errors of p's table into mapping errors naming
// the field of the column at fault.
func (b *batch) schemaErrors(p *pendingModel, err error) {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var de *schema.DefinitionError
		if !errors.As(e, &de) {
			b.errs = append(b.errs, &MappingError{Struct: p.m.name, Problem: e.Error()})
			continue
		}
		me := &MappingError{Struct: p.m.name, Problem: de.Msg}
		if de.Column != "" {
			if f := p.fieldByColumnTag(de.Column); f != nil {
				me.Field, me.Tag = f.goName, f.tag
			} else {
				me.Problem = "column " + de.Column + ": " + de.Msg
			}
		}
		b.errs = append(b.errs, me)
	}
}

// fieldByColumnTag returns the field mapped to column col (the last one, so that a
// column defined twice is reported on the second field).
func (p *pendingModel) fieldByColumnTag(col string) *field {
	for i := len(p.colTags) - 1; i >= 0; i-- {
		if p.colTags[i].name == col {
			return p.m.fields[i]
		}
	}
	return nil
}

// tableByKey finds a table among the pending models and the registry's MetaData.
func (b *batch) tableByKey(key string) (*schema.Table, *mapper) {
	for _, p := range b.list {
		if p.scratch != nil && p.scratch.Key() == key {
			return p.scratch, p.m
		}
	}
	if t, ok := b.reg.md.TableByName(key); ok {
		for _, m := range b.reg.order {
			if m.table == t {
				return t, m
			}
		}
		return t, nil
	}
	return nil, nil
}

// indexOwner returns the table (other than p's) that uses index name, or "".
func (b *batch) indexOwner(name string, p *pendingModel) string {
	for _, t := range b.reg.md.Tables {
		for _, ix := range t.Indexes {
			if ix.Name == name {
				return t.Key()
			}
		}
	}
	for _, q := range b.list {
		if q == p || q.scratch == nil || q.m.name > p.m.name {
			continue
		}
		for _, ix := range q.scratch.Indexes {
			if ix.Name == name {
				return q.scratch.Key()
			}
		}
	}
	return ""
}

// link checks foreign key targets and resolves relationships.
func (b *batch) link() {
	for _, p := range b.list {
		m := p.m
		if p.scratch == nil {
			continue // its table could not be defined: reported by build
		}
		if t, ok := b.reg.md.TableByName(p.scratch.Key()); ok && t != nil {
			b.fail(m, "", "", "table %s is already defined in the registry's MetaData", p.scratch.Key())
		}
		for _, q := range b.list {
			if q != p && q.scratch != nil && q.scratch.Key() == p.scratch.Key() && q.m.name < p.m.name {
				b.fail(m, "", "", "table %s is also the table of %s", p.scratch.Key(), q.m.name)
			}
		}
		for _, ix := range p.scratch.Indexes {
			if other := b.indexOwner(ix.Name, p); other != "" {
				b.fail(m, "", "", "index name %s is already used by table %s", ix.Name, other)
			}
		}
		for _, fk := range p.scratch.ForeignKeys {
			ref, _ := b.tableByKey(fk.RefTable)
			f := m.fieldByColumn(fk.Columns[0])
			fname, ftag := "", ""
			if f != nil && len(fk.Columns) == 1 {
				fname, ftag = f.goName, f.tag
			}
			if ref == nil {
				b.errs = append(b.errs, &MappingError{Struct: m.name, Field: fname, Tag: ftag,
					Problem: fmt.Sprintf("foreign key target table %s is not registered (register its model first, or define it in the registry's MetaData)", fk.RefTable)})
				continue
			}
			for _, rc := range fk.RefCols {
				if _, ok := ref.Col(rc); !ok {
					b.errs = append(b.errs, &MappingError{Struct: m.name, Field: fname, Tag: ftag,
						Problem: fmt.Sprintf("foreign key target table %s has no column %s", fk.RefTable, rc)})
				}
			}
		}
	}
	// Relationships between models without a mistake so far are resolved even when
	// other models have one; those touching a model with a mistake are not (its table
	// may lack the field at fault, which would only add confusing errors).
	tainted := b.failed()
	for _, p := range b.list {
		for i, r := range p.m.rels {
			if len(b.errs) > 0 {
				t := b.lookup(relElem(r.typ))
				if tainted[p.m] || p.m.table == nil || t == nil || tainted[t] || t.table == nil {
					continue
				}
			}
			b.resolveRel(r, p.relTags[i])
		}
	}
	if len(b.errs) > 0 {
		return
	}
	for _, p := range b.list {
		for _, r := range p.m.rels {
			b.linkBack(r)
		}
	}
}

// resolveRel finds the target model and the foreign key of relationship r.
func (b *batch) resolveRel(r *relation, tag fieldTag) {
	r.target = b.lookup(relElem(r.typ))
	if r.target == nil {
		b.fail(r.m, r.goName, r.tag, "target model %s is not registered", relElem(r.typ))
		return
	}
	if !b.resolveKind(r, tag) || !b.resolveRemoteSide(r, tag) {
		return
	}
	b.resolveOrderBy(r, tag)
	b.resolveOptions(r, tag)
	if r.kind == manyToMany {
		b.resolveSecondary(r, tag)
		return
	}
	child, parent := r.child(), r.parent()
	var cands []*schema.ForeignKeyDef
	for _, fk := range child.table.ForeignKeys {
		if fk.RefTable == parent.table.Key() {
			cands = append(cands, fk)
		}
	}
	var fk *schema.ForeignKeyDef
	if tag.fk != "" {
		names := strings.Split(tag.fk, "|")
		for i, n := range names {
			n = strings.TrimSpace(n)
			if f := child.fieldByColumn(n); f == nil {
				if f = child.fieldByGoName(n); f != nil {
					n = f.col.Name
				} else {
					b.fail(r.m, r.goName, r.tag, "fk=%s: %s has no column %s", tag.fk, child.name, n)
					return
				}
			}
			names[i] = n
		}
		for _, c := range cands {
			if slices.Equal(c.Columns, names) {
				fk = c
			}
		}
		if fk == nil {
			b.fail(r.m, r.goName, r.tag, "fk=%s: column %s of %s has no foreign key to table %s", tag.fk, strings.Join(names, ", "), child.name, parent.table.Key())
			return
		}
	} else {
		switch len(cands) {
		case 0:
			b.fail(r.m, r.goName, r.tag, "%s relationship to %s: %s (table %s) has no foreign key to table %s; tag a column of %s with fk=%s.<column>",
				r.kind, r.target.name, child.name, child.table.Key(), parent.table.Key(), child.name, parent.table.Key())
			return
		case 1:
			fk = cands[0]
		default:
			var cols []string
			for _, c := range cands {
				cols = append(cols, strings.Join(c.Columns, "+"))
			}
			b.fail(r.m, r.goName, r.tag, "%s has %d foreign keys to table %s (%s); name the one to use with fk=<column>",
				child.name, len(cands), parent.table.Key(), strings.Join(cols, ", "))
			return
		}
	}
	r.childCols, r.parentCols = nil, nil
	r.onDelete = fk.OnDelete
	for i, c := range fk.Columns {
		cf := child.fieldByColumn(c)
		pf := parent.fieldByColumn(fk.RefCols[i])
		if cf == nil || pf == nil {
			b.fail(r.m, r.goName, r.tag, "foreign key %s -> %s.%s is not between mapped fields", c, parent.table.Key(), fk.RefCols[i])
			return
		}
		r.childCols = append(r.childCols, cf)
		r.parentCols = append(r.parentCols, pf)
	}
	b.checkRemoteSide(r, tag)
}

// linkBack checks back_populates and links the two sides.
func (b *batch) linkBack(r *relation) {
	if r.backName == "" {
		return
	}
	o := r.target.relByGoName(r.backName)
	switch {
	case o == nil:
		b.fail(r.m, r.goName, r.tag, "back_populates=%s: %s has no relationship field %s", r.backName, r.target.name, r.backName)
		return
	case o.target != r.m:
		b.fail(r.m, r.goName, r.tag, "back_populates=%s: %s.%s refers to %s, not %s", r.backName, r.target.name, r.backName, relElem(o.typ), r.m.name)
		return
	case !backPair(r.kind, o.kind):
		b.fail(r.m, r.goName, r.tag, "back_populates=%s: %s is %s and %s.%s is %s; the two sides must be one-to-many (or one-to-one) and many-to-one, or both many-to-many", r.backName, r.goName, r.kind, r.target.name, r.backName, o.kind)
		return
	case r.kind == manyToMany && o.secondary != nil && r.secondary != nil && o.secondary.table != r.secondary.table:
		b.fail(r.m, r.goName, r.tag, "back_populates=%s: the two sides use different secondary tables", r.backName)
		return
	case o.childCols != nil && !slices.Equal(o.childCols, r.childCols):
		b.fail(r.m, r.goName, r.tag, "back_populates=%s: the two sides use different foreign keys", r.backName)
		return
	case o.backName != "" && o.backName != r.goName:
		b.fail(r.m, r.goName, r.tag, "back_populates=%s: %s.%s has back_populates=%s, not %s", r.backName, r.target.name, r.backName, o.backName, r.goName)
		return
	}
	r.back = o
}

// commit defines the tables in the registry's MetaData and makes the models visible.
func (b *batch) commit() {
	md := b.reg.md
	for _, p := range b.list {
		items, _ := b.columnItems(p, p.idAsPK)
		t, err := md.Table(p.tableName, items...)
		if err != nil { // cannot happen: the same definition passed in the scratch MetaData
			b.schemaErrors(p, err)
			return
		}
		b.adopt(p, t)
	}
	// Link back-references on already registered models only now that nothing can fail.
	for _, p := range b.list {
		for _, r := range p.m.rels {
			if r.back != nil && r.back.back == nil {
				r.back.back = r
			}
		}
		for _, r := range p.m.rels {
			if r.writeOnly {
				p.m.wo = append(p.m.wo, r)
			}
		}
		b.reg.mappers[p.m.typ] = p.m
		b.reg.order = append(b.reg.order, p.m)
	}
}

// ranks returns each mapper's position in table dependency order (parents first), as
// MetaData.SortedTables orders the tables. The map is shared: callers only read it.
func (r *Registry) ranks() (map[*mapper]int, error) {
	r.rankMu.Lock()
	defer r.rankMu.Unlock()
	r.mu.RLock()
	models := len(r.order)
	r.mu.RUnlock()
	tables := r.md.TableCount()
	if r.rankOf != nil && r.rankTables == tables && r.rankModels == models {
		return r.rankOf, nil
	}
	out, err := r.computeRanks()
	if err != nil {
		return nil, err
	}
	r.rankOf, r.rankTables, r.rankModels = out, tables, models
	return out, nil
}

func (r *Registry) computeRanks() (map[*mapper]int, error) {
	sorted, err := r.md.SortedTables()
	if err != nil {
		return nil, fmt.Errorf("orm: %w", err)
	}
	pos := make(map[*schema.Table]int, len(sorted))
	for i, t := range sorted {
		pos[t] = i
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make(map[*mapper]int, len(r.order))
	for _, m := range r.order {
		out[m] = pos[m.table]
	}
	return out, nil
}

// backPair reports whether relationships of kinds a and b can be each other's
// back_populates.
func backPair(a, b relKind) bool {
	switch a {
	case oneToMany, oneToOne:
		return b == manyToOne
	case manyToOne:
		return b == oneToMany || b == oneToOne
	}
	return a == manyToMany && b == manyToMany
}
