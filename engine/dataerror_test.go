package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// wantData checks that err is a statement error whose cause is a *DataError of kind k
// naming column (when column is not ""), and that its text does not quote value.
func wantData(t *testing.T, what string, err error, k DataKind, column, value string) {
	t.Helper()
	var de *DataError
	if !errors.As(err, &de) || !errors.Is(err, ErrData) {
		t.Errorf("%s: %v, want a *DataError", what, err)
		return
	}
	var se *StatementError
	if !errors.As(err, &se) {
		t.Errorf("%s: %T is not a *StatementError", what, err)
	}
	if de.Kind != k {
		t.Errorf("%s: kind %v, want %v (%v)", what, de.Kind, k, err)
	}
	if column != "" && de.Column != column {
		t.Errorf("%s: column %q, want %q (%v)", what, de.Column, column, err)
	}
	if value != "" && strings.Contains(de.Error(), value) {
		t.Errorf("%s: the error quotes the value: %v", what, de)
	}
	if errors.Is(err, ErrRetryable) || errors.Is(err, ErrConnectionLost) || errors.Is(err, ErrIntegrity) {
		t.Errorf("%s: a data error matches another class: %v", what, err)
	}
}

func TestDataErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg)
		c := connect(t, eng)
		ctx := t.Context()
		md := schema.NewMetaData()
		tbl := md.MustTable("vals",
			schema.Col("id", types.Integer(), schema.PrimaryKey()),
			schema.Col("s", types.String(5)),
			schema.Col("n", types.Integer()),
			schema.Col("m", types.SmallInt()),
		)
		if err := c.CreateAll(ctx, md); err != nil {
			t.Fatal(err)
		}
		sqlite := tg.Name == testdb.NameSQLite
		insert := func(id int, s string, n, m int64) error {
			_, err := c.Execute(ctx, expr.Insert(tbl).Values(map[string]any{"id": id, "s": s, "n": n, "m": m}))
			return err
		}
		update := func(id int, col string, v any) error {
			_, err := c.Execute(ctx, expr.Update(tbl).Set(tbl.C(col), v).Where(tbl.C("id").Eq(id)))
			return err
		}

		if err := insert(5, "fine", 1, 1); err != nil {
			t.Fatal(err)
		}
		// Too long for String(5).
		err := insert(1, "toolongvalue", 1, 1)
		if sqlite {
			// SQLite does not enforce declared lengths: the value is stored whole.
			if err != nil {
				t.Fatalf("SQLite insert of a long string: %v", err)
			}
			v, err := c.Scalar(ctx, expr.Select(tbl.C("s")).Where(tbl.C("id").Eq(1)))
			if err != nil || v != "toolongvalue" {
				t.Errorf("SQLite stored %v, %v; want the whole string", v, err)
			}
		} else {
			wantData(t, "insert too long", err, TooLong, "s", "toolongvalue")
			wantData(t, "update too long", update(5, "s", "anotherlongone"), TooLong, "s", "anotherlongone")
		}

		// Out of range for Integer and SmallInt.
		if sqlite {
			// Integer columns hold any 64-bit integer on SQLite.
			if err := insert(2, "ok", 1<<40, 1<<20); err != nil {
				t.Errorf("SQLite insert of a 64-bit value: %v", err)
			}
			_, err := c.Execute(ctx, expr.Text("SELECT abs(-9223372036854775807 - 1)"))
			wantData(t, "integer overflow", err, OutOfRange, "", "")
		} else {
			wantData(t, "insert out of range", insert(2, "ok", 1<<40, 1), OutOfRange, "n", "1099511627776")
			wantData(t, "smallint out of range", insert(3, "ok", 1, 1<<20), OutOfRange, "m", "1048576")
			wantData(t, "update out of range", update(5, "n", int64(-1)<<40), OutOfRange, "n", "")
		}

		// Text that is not a number.
		switch {
		case sqlite:
			// Only the rowid key refuses text ("datatype mismatch").
			_, err = c.Execute(ctx, expr.Text("INSERT INTO vals (id) VALUES ('abc')"))
			wantData(t, "text key", err, InvalidText, "", "")
		default:
			_, err = c.Execute(ctx, expr.Text("INSERT INTO vals (id, n) VALUES (20, 'abc')"))
			col := ""
			if tg.Name != testdb.NamePostgres {
				col = "n" // PostgreSQL does not say which column
			}
			wantData(t, "text into an integer column", err, InvalidText, col, "")
		}

		// Division by zero.
		if sqlite {
			v, err := c.Scalar(ctx, expr.Text("SELECT 1 / 0"))
			if err != nil || v != nil {
				t.Errorf("SQLite 1/0 = %v, %v; want NULL", v, err)
			}
		} else {
			_, err = c.Execute(ctx, expr.Text("INSERT INTO vals (id, n) VALUES (21, 1 / 0)"))
			wantData(t, "division by zero", err, DivisionByZero, "", "")
		}

		// The Conn works on after every data error (in autocommit mode).
		if v, err := c.Scalar(ctx, expr.Select(expr.CountStar()).From(tbl)); err != nil {
			t.Errorf("count after the data errors: %v, %v", v, err)
		}
	})
}
