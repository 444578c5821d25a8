package orm

import (
	"context"
	"fmt"
	"reflect"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// Scan runs a Core statement in the session (after an autoflush, as Session.Execute
// does), such as a raw expr.Text report or an expr.Select of columns, and copies each row
// into a new T, a struct type, as engine.ScanAll does: columns match fields by the
// field's retort tag, its snake_case name or its name. A model embedded by pointer (or
// by value) has its fields matched by the same rules, which are the ORM's column naming
// rules, so that a row of the model's columns plus extra ones fills it:
//
//	type postWithAuthor struct {
//		*Post             // id, title, created_at, ...
//		AuthorName string `retort:"author_name"`
//	}
//	rows, err := orm.Scan[postWithAuthor](ctx, s, expr.Text(`SELECT p.*, u.name AS author_name FROM post p JOIN "user" u ON u.id = p.user_id`))
//
// The objects made this way are plain values: they are not in the session (use
// ScanRows or Scalars for objects that are). Raw results convert text timestamps and
// numbers into the fields' Go types (see engine.ScanAll).
func Scan[T any](ctx context.Context, s *Session, stmt expr.Statement) ([]T, error) {
	res, err := s.Execute(ctx, stmt)
	if err != nil {
		return nil, err
	}
	out, err := engine.ScanAll[T](res)
	if err != nil {
		return nil, fmt.Errorf("orm: Scan: %w", err)
	}
	return out, nil
}

// ScanRows runs q (see SelectRows) in the session and copies each row into a new T, a
// struct type: each object of the row goes into T's field of that model's pointer type
// (an embedded *Post, or any field of type *Post; fields are taken in order when the row
// has several objects of one model), and each value into the field its column name
// matches (its label: BT.Data.Label("b_data"), or the column's name), as engine.ScanAll
// matches them. The objects are the session's, through its identity map, as those of
// Session.Rows:
//
//	type postCount struct {
//		*User
//		Posts int64 `retort:"posts"`
//	}
//	q := orm.SelectRows(UserT, expr.Count(PostT.ID).Label("posts")).
//		OuterJoin(PostT.Core()).GroupBy(UserT.ID, UserT.Name)
//	rows, err := orm.ScanRows[postCount](ctx, s, q)
func ScanRows[T any](ctx context.Context, s *Session, q *RowsStmt) ([]T, error) {
	res, err := s.Rows(ctx, q)
	if err != nil {
		return nil, err
	}
	t := reflect.TypeFor[T]()
	st := t
	if st.Kind() == reflect.Pointer {
		st = st.Elem()
	}
	if st.Kind() != reflect.Struct {
		return nil, fmt.Errorf("orm: ScanRows: cannot scan rows into %s: want a struct type", t)
	}
	// Where each object goes, and which items are values.
	objField := make([][]int, len(q.items))
	var valueItems []int
	var valueNames []string
	used := map[string]bool{}
	for i, it := range q.items {
		if it.m == nil {
			valueItems = append(valueItems, i)
			valueNames = append(valueNames, res.names[i])
			continue
		}
		path := fieldOfType(st, reflect.PointerTo(it.m.typ), used)
		if path == nil {
			return nil, fmt.Errorf("orm: ScanRows: %s has no field of type *%s for item %d", st, it.m.typ, i)
		}
		objField[i] = path
	}
	out := make([]T, len(res.rows))
	vals := make([]any, len(valueItems))
	for n, row := range res.rows {
		v := reflect.ValueOf(&out[n]).Elem()
		if v.Kind() == reflect.Pointer {
			v.Set(reflect.New(st))
			v = v.Elem()
		}
		// Values first: an object set afterwards replaces whatever a value's name reached
		// inside its field, so that the session's objects are never written here.
		if len(valueItems) > 0 {
			for k, i := range valueItems {
				vals[k] = row.vals[i]
			}
			if err := engine.ScanValues(v.Addr().Interface(), valueNames, vals); err != nil {
				return nil, fmt.Errorf("orm: ScanRows: %w", err)
			}
		}
		for i, path := range objField {
			if path == nil || row.vals[i] == nil {
				continue
			}
			f := v
			for _, idx := range path {
				f = f.Field(idx)
			}
			f.Set(reflect.ValueOf(row.vals[i]))
		}
	}
	return out, nil
}

// fieldOfType returns the index path of the first settable field of type want in st
// (breadth first through embedded structs) whose path is not in used, and marks it used.
func fieldOfType(st reflect.Type, want reflect.Type, used map[string]bool) []int {
	type level struct {
		t    reflect.Type
		path []int
	}
	queue := []level{{t: st}}
	for len(queue) > 0 {
		lv := queue[0]
		queue = queue[1:]
		for i := 0; i < lv.t.NumField(); i++ {
			sf := lv.t.Field(i)
			path := append(append([]int(nil), lv.path...), i)
			if sf.Type == want && sf.IsExported() {
				key := fmt.Sprint(path)
				if !used[key] {
					used[key] = true
					return path
				}
				continue
			}
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				queue = append(queue, level{t: sf.Type, path: path})
			}
		}
	}
	return nil
}
