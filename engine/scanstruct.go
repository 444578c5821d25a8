package engine

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// ScanAll copies every row of res into a new value of T, a struct type (or a pointer to
// one, allocated per row), matching result columns to fields by name, as GORM's and
// Bun's Scan and sqlc's generated code do:
//
//	type postRow struct {
//		ID        int64
//		Title     string
//		Author    string    `retort:"author_name"`
//		CreatedAt time.Time // column created_at
//	}
//	res, err := conn.Execute(ctx, expr.Text("SELECT p.id, p.title, u.name AS author_name, p.created_at FROM posts p JOIN users u ON u.id = p.user_id"))
//	rows, err := engine.ScanAll[postRow](res)
//
// A column matches the field whose retort tag names it (the tag's first item, as in ORM
// models: `retort:"author_name"`; `retort:"-"` leaves a field out), else the field whose
// name in snake_case is the column's name (CreatedAt is created_at, UserID user_id), else
// the field whose name equals the column's name ignoring case. Fields of embedded
// structs are matched as if they were the outer struct's (the outer struct's own fields
// win), whether embedded by value or by an exported pointer; an embedded pointer is allocated only
// for a row where one of its columns is not NULL, so that the struct of an outer join's
// missing side stays nil.
//
// Values convert as Row.Scan converts them, and also from the text and numbers that raw
// results carry when the statement does not declare the column types (expr.Text without
// Columns, aggregates on SQLite): a time.Time field accepts timestamp text
// ("2006-01-02 15:04:05.000000", RFC 3339, a date), integer and float fields accept
// numeric text and integral floats. A NULL needs a pointer, types.Null or *any field.
//
// A result column that no field matches is an error naming it (select only what the
// struct holds, or add a field); fields no column matches keep their zero value. A value
// that does not fit its field is a *ScanError naming the column and the field.
func ScanAll[T any](res *Result) ([]T, error) {
	if res == nil {
		return nil, fmt.Errorf("engine: ScanAll of a nil result")
	}
	t := reflect.TypeFor[T]()
	plan, err := planFor(t, res.Columns())
	if err != nil {
		return nil, err
	}
	rows := res.all()
	out := make([]T, len(rows))
	for i, row := range rows {
		if err := plan.scan(reflect.ValueOf(&out[i]).Elem(), row.vals); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ScanStruct copies the row into the struct dst points to, matching columns to fields
// as ScanAll does.
func (r Row) ScanStruct(dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("engine: ScanStruct needs a non-nil pointer to a struct, not %T", dst)
	}
	plan, err := planFor(rv.Elem().Type(), r.Columns())
	if err != nil {
		return err
	}
	return plan.scan(rv.Elem(), r.vals)
}

// ScanValues copies values, named by columns (one name per value), into the struct dst
// points to, matching names to fields as ScanAll does. It serves code that holds a row's
// values apart from a Result, such as the ORM's row queries.
func ScanValues(dst any, columns []string, values []any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("engine: ScanValues needs a non-nil pointer to a struct, not %T", dst)
	}
	if len(columns) != len(values) {
		return &ScanCountError{Columns: len(columns), Dest: len(values)}
	}
	plan, err := planFor(rv.Elem().Type(), columns)
	if err != nil {
		return err
	}
	return plan.scan(rv.Elem(), values)
}

// structPlan says, for each result column, which field of the struct receives it.
type structPlan struct {
	typ  reflect.Type // the struct type, or a pointer to it
	cols []string
	dest []fieldPath // per column
}

// fieldPath is the index path of a field, through embedded structs (embedded pointers
// are allocated on demand).
type fieldPath struct {
	path []int
	name string // the Go name, dotted through embedded structs
}

type planKey struct {
	t    reflect.Type
	cols string
}

var planCache sync.Map // planKey -> *structPlan

// planFor returns the plan of struct type t (or *struct) for the columns cols.
func planFor(t reflect.Type, cols []string) (*structPlan, error) {
	key := planKey{t, strings.Join(cols, "\x00")}
	if p, ok := planCache.Load(key); ok {
		return p.(*structPlan), nil
	}
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() != reflect.Struct {
		return nil, fmt.Errorf("engine: cannot scan rows into %s: want a struct type", t)
	}
	fields := structFields(st)
	p := &structPlan{typ: t, cols: cols, dest: make([]fieldPath, len(cols))}
	for i, c := range cols {
		f, ok := fields.match(c)
		if !ok {
			return nil, fmt.Errorf("engine: cannot scan column %q into %s: no field matches it (tag a field retort:%q, or leave the column out)", c, st, c)
		}
		p.dest[i] = f
	}
	planCache.Store(key, p)
	return p, nil
}

// scan copies vals into v (the struct, or a pointer to it, allocated when nil).
func (p *structPlan) scan(v reflect.Value, vals []any) error {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	for i, f := range p.dest {
		src := vals[i]
		fv, ok := fieldByPath(v, f.path, src != nil)
		if !ok {
			continue // NULL inside an embedded pointer left nil
		}
		if reason, ok := assign(fv.Addr().Interface(), src); !ok {
			return &ScanError{Index: i, Column: p.cols[i], Src: srcTypeName(src), Dest: "field " + f.name + " (" + fv.Type().String() + ")", Reason: reason}
		}
	}
	return nil
}

// fieldByPath returns the field at path inside v, allocating embedded pointers on the
// way when alloc is set; without alloc, a nil embedded pointer ends the walk (false).
func fieldByPath(v reflect.Value, path []int, alloc bool) (reflect.Value, bool) {
	for n, i := range path {
		if n > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !alloc {
					return reflect.Value{}, false
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v, true
}

// fieldSet is the candidate fields of a struct type, shallowest first.
type fieldSet struct {
	byTag   map[string]fieldPath
	bySnake map[string]fieldPath
	byLower map[string]fieldPath
}

func (s *fieldSet) match(col string) (fieldPath, bool) {
	if f, ok := s.byTag[col]; ok {
		return f, true
	}
	if f, ok := s.bySnake[col]; ok {
		return f, true
	}
	f, ok := s.byLower[strings.ToLower(col)]
	return f, ok
}

// structFields collects the fields of st and of the structs it embeds (by value or by
// pointer; an unexported embedded pointer is left out), breadth first so that
// shallower fields win.
func structFields(st reflect.Type) *fieldSet {
	s := &fieldSet{byTag: map[string]fieldPath{}, bySnake: map[string]fieldPath{}, byLower: map[string]fieldPath{}}
	type level struct {
		t      reflect.Type
		path   []int
		prefix string
	}
	queue := []level{{t: st}}
	seen := map[reflect.Type]bool{st: true}
	for len(queue) > 0 {
		lv := queue[0]
		queue = queue[1:]
		for i := 0; i < lv.t.NumField(); i++ {
			sf := lv.t.Field(i)
			tag, hasTag := sf.Tag.Lookup("retort")
			if tag == "-" {
				continue
			}
			path := append(append([]int(nil), lv.path...), i)
			ft := sf.Type
			if sf.Anonymous && !hasTag {
				et := ft
				if et.Kind() == reflect.Pointer {
					if !sf.IsExported() {
						continue // an unexported embedded pointer cannot be allocated
					}
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct && !isValueStruct(et) && !seen[et] {
					seen[et] = true
					queue = append(queue, level{t: et, path: path, prefix: lv.prefix + sf.Name + "."})
					continue
				}
			}
			if !sf.IsExported() {
				continue
			}
			f := fieldPath{path: path, name: lv.prefix + sf.Name}
			if name := tagColumn(tag); name != "" {
				if _, dup := s.byTag[name]; !dup {
					s.byTag[name] = f
				}
			}
			if sn := SnakeCase(sf.Name); sn != "" {
				if _, dup := s.bySnake[sn]; !dup {
					s.bySnake[sn] = f
				}
			}
			if low := strings.ToLower(sf.Name); low != "" {
				if _, dup := s.byLower[low]; !dup {
					s.byLower[low] = f
				}
			}
		}
	}
	return s
}

// isValueStruct reports whether a struct type is a value (time.Time, types.Null[T])
// rather than a group of fields.
func isValueStruct(t reflect.Type) bool {
	return t == reflect.TypeFor[time.Time]() || isNullType(t)
}

// tagColumn returns the column name a retort struct tag gives: its first item unless
// that is an option (a key=value item or one of the ORM's flag words), or name=....
func tagColumn(tag string) string {
	items := strings.Split(tag, ",")
	for _, it := range items {
		if v, ok := strings.CutPrefix(strings.TrimSpace(it), "name="); ok {
			return v
		}
	}
	first := strings.TrimSpace(items[0])
	if first == "" || strings.Contains(first, "=") {
		return ""
	}
	switch first {
	case "pk", "primary_key", "autoincrement", "notnull", "nullable", "unique", "index", "json", "rel":
		return ""
	}
	return first
}

// SnakeCase turns a Go identifier into the snake_case SQL name that ScanAll matches a
// field with and the ORM gives a field's column: "CreateDate" is "create_date",
// "BlogPost" "blog_post", "ID" "id", "UserID" "user_id", "HTTPServer" "http_server". An
// upper-case letter starts a new word after a lower-case letter or a digit, and at the
// end of an acronym (the last upper-case letter before a lower-case one).
func SnakeCase(s string) string {
	runes := []rune(s)
	out := make([]byte, 0, len(s)+4)
	for i, r := range runes {
		if unicode.IsUpper(r) {
			if i > 0 {
				prev := runes[i-1]
				nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					out = append(out, '_')
				}
			}
			r = unicode.ToLower(r)
		}
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}
