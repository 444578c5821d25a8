package engine_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// users is the table of the public-API tests.
func users() (*schema.MetaData, *schema.Table) {
	md := schema.NewMetaData()
	t := md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(30), schema.NotNull()),
		schema.Col("age", types.Integer()),
	)
	return md, t
}

// TestExecuteStatements runs compiled Core statements through the public API.
func TestExecuteStatements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng, err := engine.Create(ctx, tg.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		md, u := users()
		if err := eng.CreateAll(ctx, md); err != nil {
			t.Fatal(err)
		}
		conn, err := eng.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		id, name, age := u.C("id"), u.C("name"), u.C("age")

		ins := expr.Insert(u).
			Values(map[string]any{"id": 1, "name": "ann", "age": 31}).
			Values(map[string]any{"id": 2, "name": "bob", "age": nil}).
			Values(map[string]any{"id": 3, "name": "cy", "age": 45})
		res, err := conn.Execute(ctx, ins)
		if err != nil {
			t.Fatalf("insert: %v", err)
		}
		if res.RowsAffected() != 3 {
			t.Errorf("insert affected %d rows", res.RowsAffected())
		}

		sel := expr.Select(id, name, age).From(u).Where(age.Gt(30), name.Ne("zed"), id.Lt(10)).OrderBy(id.Asc())
		res, err = conn.Execute(ctx, sel)
		if err != nil {
			t.Fatalf("select: %v", err)
		}
		if got := res.Columns(); !reflect.DeepEqual(got, []string{"id", "name", "age"}) {
			t.Errorf("Columns = %v", got)
		}
		var rows [][]any
		for r := range res.Rows() {
			rows = append(rows, r.Values())
		}
		if want := [][]any{{int64(1), "ann", int64(31)}, {int64(3), "cy", int64(45)}}; !reflect.DeepEqual(rows, want) {
			t.Errorf("rows = %v, want %v", rows, want)
		}

		// Scalar, Scalars.
		n, err := conn.Scalar(ctx, expr.Select(expr.CountStar()).From(u))
		if err != nil || n != int64(3) {
			t.Errorf("count = %v, %v", n, err)
		}
		names, err := conn.Scalars(ctx, expr.Select(name).From(u).OrderBy(name.Desc()))
		if err != nil || !reflect.DeepEqual(names.All(), []any{"cy", "bob", "ann"}) {
			t.Errorf("names = %v, %v", names, err)
		}
		if _, err := conn.Scalar(ctx, expr.Select(name).From(u).Where(id.Eq(99))); !errors.Is(err, engine.ErrNoResult) {
			t.Errorf("Scalar of no row: %v", err)
		}

		// Text with named parameters and typed columns.
		txt := expr.Text("SELECT name, age FROM users WHERE id = :id").
			Columns(expr.Column("name", types.String(30)), expr.Column("age", types.Integer())).
			Bind(expr.Param("id", 2))
		row, err := mustOne(conn.Execute(ctx, txt))
		if err != nil {
			t.Fatal(err)
		}
		var gotName string
		var gotAge *int
		if err := row.Scan(&gotName, &gotAge); err != nil || gotName != "bob" || gotAge != nil {
			t.Errorf("text row = %q %v, %v", gotName, gotAge, err)
		}

		// Stream a compiled select.
		var streamed []any
		for r, err := range conn.Stream(ctx, expr.Select(id).From(u).OrderBy(id.Desc())) {
			if err != nil {
				t.Fatal(err)
			}
			streamed = append(streamed, r.Get(0))
		}
		if !reflect.DeepEqual(streamed, []any{int64(3), int64(2), int64(1)}) {
			t.Errorf("streamed %v", streamed)
		}
		var scalars []any
		for v, err := range conn.StreamScalars(ctx, expr.Select(name).From(u).Where(id.In(1, 3)).OrderBy(id.Asc())) {
			if err != nil {
				t.Fatal(err)
			}
			scalars = append(scalars, v)
		}
		if !reflect.DeepEqual(scalars, []any{"ann", "cy"}) {
			t.Errorf("StreamScalars = %v", scalars)
		}

		// Update and delete inside a scoped transaction.
		err = conn.Transaction(ctx, func(ctx context.Context, c *engine.Conn) error {
			res, err := c.Execute(ctx, expr.Update(u).Set(age, 32).Where(id.Eq(1)))
			if err != nil {
				return err
			}
			if res.RowsAffected() != 1 {
				t.Errorf("update affected %d rows", res.RowsAffected())
			}
			_, err = c.Execute(ctx, expr.Delete(u).Where(id.Eq(2)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		ages, _ := conn.Scalars(ctx, expr.Select(age).From(u).OrderBy(id.Asc()))
		if !reflect.DeepEqual(ages.All(), []any{int64(32), int64(45)}) {
			t.Errorf("ages after update/delete = %v", ages.All())
		}

		// RETURNING where the dialect has it.
		if eng.Dialect().Features().Has(compile.InsertReturning) {
			res, err := conn.Execute(ctx, expr.Insert(u).Values(map[string]any{"id": 7, "name": "dee"}).Returning(id, name))
			if err != nil {
				t.Fatal(err)
			}
			if r, err := res.One(); err != nil || !reflect.DeepEqual(r.Values(), []any{int64(7), "dee"}) {
				t.Errorf("RETURNING row = %v, %v", r.Values(), err)
			}
			// DML with RETURNING streams too (never through a cursor, which only takes
			// queries).
			var got []any
			ins := expr.Insert(u).Values(map[string]any{"id": 8, "name": "eve"}).Values(map[string]any{"id": 9, "name": "fay"})
			for r, err := range conn.Stream(ctx, ins.Returning(name)) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, r.Get(0))
			}
			if !reflect.DeepEqual(got, []any{"eve", "fay"}) {
				t.Errorf("streamed RETURNING = %v", got)
			}
		}

		// A compile error is not a statement error and touches no connection.
		_, err = conn.Execute(ctx, expr.Select(u.C("nope")).From(u))
		if !errors.Is(err, compile.ErrCompile) {
			t.Errorf("unknown column: %v, want compile.ErrCompile", err)
		}
		var se *engine.StatementError
		if errors.As(err, &se) {
			t.Errorf("compile error reported as a StatementError")
		}
		// A value that cannot stand for its column type names the parameter.
		_, err = conn.Execute(ctx, expr.Select(id).From(u).Where(id.Eq("not a number")))
		if err == nil {
			t.Errorf("string bound as integer: no error")
		}
	})
}

func mustOne(res *engine.Result, err error) (engine.Row, error) {
	if err != nil {
		return engine.Row{}, err
	}
	return res.One()
}
