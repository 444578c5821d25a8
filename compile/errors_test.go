package compile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

func TestCompileErrors(t *testing.T) {
	lite, pg := sqlite.New(), postgres.New()
	my57 := mysql.New(mysql.MySQL, 5, 7, 44)
	my8030 := mysql.New(mysql.MySQL, 8, 0, 30)
	my8 := mysql.New(mysql.MySQL, 8, 0, 36)
	maria := mysql.New(mysql.MariaDB, 10, 11, 0)
	id, name := users.C("id"), users.C("name")
	sq := expr.Select(id).Subquery("s")
	cases := []struct {
		name        string
		d           compile.Dialect
		stmt        expr.Statement
		unsupported bool
		want        string // the whole message
	}{
		{"unknown column in where", lite, expr.Select(id).Where(users.C("nope").Eq(1)), false,
			"compile: unknown column: table users has no column nope"},
		{"unknown column in select", pg, expr.Select(users.C("nope")), false, "compile: unknown column: table users has no column nope"},
		{"unknown column in values", lite, expr.Insert(users).Values(map[string]any{"name": "x", "nmae": "y"}), false,
			"compile: unknown column: table users has no column nmae"},
		{"unknown column in update values", lite, expr.Update(users).Values(map[string]any{"agee": 1}), false,
			"compile: unknown column: table users has no column agee"},
		{"unknown column of subquery", lite, expr.Select(sq.C("name")), false, "compile: unknown column: table s has no column name"},
		{"update without set", pg, expr.Update(users).Where(id.Eq(1)), false, "compile: update of users has no SET values"},
		{"insert into subquery", lite, expr.Insert(sq).Values(map[string]any{"id": 1}), false,
			"compile: insert target must be a table, not *expr.Subquery"},
		{"update of alias", lite, expr.Update(expr.Alias(users, "u")).Set(id, 1), false, "compile: update target must be a table, not *expr.AliasClause"},
		{"delete with no table", lite, expr.Delete(nil), false, "compile: delete has no table"},
		{"text missing param", pg, expr.Text("SELECT :a + :b", expr.Param("a", 1)), false,
			"compile: text: no value for parameter :b"},
		{"tuple of wrong length", pg, expr.Select(id).Where(expr.Tuple(id, name).Lt(1)), false,
			"compile: row values of different lengths compared (2 items and 1)"},
		{"empty tuple", lite, expr.Select(id).Where(expr.Tuple().Eq()), false, "compile: Tuple needs at least one item"},
		{"select nothing", lite, expr.Select(), false, "compile: select has no columns"},
		{"select bad item", lite, expr.Select("users.id"), false, "compile: select item 0 (string) is not an expression or table"},
		{"rows of different columns", lite, expr.Insert(users).Values(map[string]any{"name": "a"}).Values(map[string]any{"age": 1}), false,
			"compile: insert into users: row 2 has no value for column name (the first row has)"},
		{"row of wrong length", lite, expr.Insert(users).Columns(id, name).Row(1), false, "compile: insert into users: row 1 has 1 values for 2 columns"},
		{"do update without target", pg, expr.Insert(users).Values(map[string]any{"id": 1}).OnConflict().DoUpdateSet(expr.Set(name, "x")), false,
			"compile: insert into users: ON CONFLICT DO UPDATE needs conflict target columns"},
		{"join without fk", lite, expr.Select(name).Join(nodes), false, "compile: cannot join users to nodes: no foreign key links them; give the ON condition"},
		{"join with two fks", lite, expr.Select(name).Join(orders), false, "compile: cannot join users to orders: 2 foreign keys link them; give the ON condition"},
		{"join from nothing", lite, expr.Select(expr.Value(1, types.Integer())).Join(users), false, "compile: join to users has no left side: the statement selects from no table"},
		{"ordering as value", lite, expr.Select(id).Where(expr.Eq(id.Desc(), 1)), false, "compile: an ORDER BY item (DESC) cannot be used as a value"},
		{"bad function name", lite, expr.Select(expr.Fn("x); DROP TABLE users; --")), false, `compile: invalid function name "x); DROP TABLE users; --"`},
		{"compound of one", lite, expr.Union(expr.Select(id)), false, "compile: UNION needs at least two selects, has 1"},
		{"case without when", lite, expr.Select(expr.Case()), false, "compile: CASE has no WHEN"},
		{"nil statement", lite, nil, false, "compile: statement is nil"},
		{"nil where in delete", pg, expr.Delete(users).Where(nil), false, "compile: WHERE condition 1 is nil"},
		{"nil where in update", lite, expr.Update(users).Set(name, "x").Where(id.Eq(1), nil), false, "compile: WHERE condition 2 is nil"},
		{"nil where in select", maria, expr.Select(id).Where(nil), false, "compile: WHERE condition 1 is nil"},
		{"nil having", lite, expr.Select(name).GroupBy(name).Having(nil), false, "compile: HAVING condition 1 is nil"},
		{"in select of nil", lite, expr.Select(id).Where(id.InSelect(nil)), false, "compile: IN (SELECT ...) with a nil select statement"},
		{"not in select of typed nil", pg, expr.Select(id).Where(id.NotInSelect((*expr.SelectStmt)(nil))), false,
			"compile: IN (SELECT ...) with a nil select statement"},
		{"negative limit", pg, expr.Select(id).Limit(-1), false, "compile: negative LIMIT -1"},
		{"negative offset", lite, expr.Select(id).Offset(-5), false, "compile: negative OFFSET -5"},
		{"negative compound limit", lite, expr.Union(expr.Select(id), expr.Select(id)).Limit(-2), false, "compile: negative LIMIT -2"},

		{"update of a nil column", lite, expr.Update(users).Set(nil, 1), false, "compile: assignment to a nil column"},
		{"upsert set of a nil column", pg, expr.Insert(users).Values(map[string]any{"id": 1}).OnConflict(id).DoUpdateSet(expr.Set(nil, 1)), false,
			"compile: assignment to a nil column"},
		{"empty label", pg, expr.Select(id.Label("")), false, "compile: a label has an empty name"},
		{"empty alias", lite, expr.Select(expr.Alias(users, "").C("id")), false, "compile: an alias has an empty name"},
		{"empty cte name", lite, expr.Select(expr.Select(id).CTE("").C("id")), false, "compile: a common table expression has an empty name"},
		{"empty table name", lite, expr.Select(expr.NewTable("", expr.Column("a", types.Integer())).C("a")), false,
			"compile: a table or column name is empty"},
		{"two ctes one name", lite, func() expr.Statement {
			a := expr.Select(id).CTE("x")
			b := expr.Select(name).CTE("x")
			return expr.Select(a.C("id"), b.C("name"))
		}(), false, "compile: two different common table expressions are named x"},

		{"full join on mariadb", maria, expr.Select(name).FullJoin(addresses, id.Eq(addresses.C("user_id"))), true,
			"compile: FULL OUTER JOIN is not supported by mariadb"},
		{"insert returning on mysql", my8, expr.Insert(users).Values(map[string]any{"name": "a"}).Returning(id), true,
			"compile: INSERT ... RETURNING is not supported by mysql"},
		{"update returning on mariadb", maria, expr.Update(users).Set(name, "a").Returning(id), true,
			"compile: UPDATE ... RETURNING is not supported by mariadb"},
		{"delete returning on mysql", my8, expr.Delete(users).Returning(id), true, "compile: DELETE ... RETURNING is not supported by mysql"},
		{"skip locked on sqlite", lite, expr.Select(id).ForUpdate(expr.SkipLocked), true, "compile: FOR UPDATE NOWAIT/SKIP LOCKED is not supported by sqlite"},
		{"skip locked on mysql 5.7", my57, expr.Select(id).ForUpdate(expr.SkipLocked), true,
			"compile: FOR UPDATE SKIP LOCKED is not supported by mysql"},
		{"intersect on mysql 8.0.30", my8030, expr.Select(id).Intersect(expr.Select(addresses.C("user_id"))), true,
			"compile: INTERSECT is not supported by mysql"},
		{"except on mysql 5.7", my57, expr.Select(id).Except(expr.Select(addresses.C("user_id"))), true, "compile: EXCEPT is not supported by mysql"},
		{"window on mysql 5.7", my57, expr.Select(expr.RowNumber().Over()), true, "compile: OVER (window functions) is not supported by mysql"},
		{"cte on mysql 5.7", my57, expr.Select(expr.Select(id).CTE("c").C("id")), true, "compile: WITH (common table expressions) is not supported by mysql"},
		{"on conflict on mysql", my8, expr.Insert(users).Values(map[string]any{"id": 1}).OnConflict(id).DoNothing(), true,
			"compile: INSERT ... ON CONFLICT is not supported by mysql"},
		{"on duplicate key on postgresql", pg, expr.Insert(users).Values(map[string]any{"id": 1}).OnDuplicateKeyUpdate(expr.Set(name, "x")), true,
			"compile: INSERT ... ON DUPLICATE KEY UPDATE is not supported by postgresql"},
		{"cast to interval on mysql", my8, expr.Select(expr.Cast(id, types.Interval())), true, "compile: CAST to interval is not supported by mysql"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compile.Compile(tc.d, tc.stmt)
			if err == nil {
				t.Fatalf("compiled without error: %s", c.SQL)
			}
			if !errors.Is(err, compile.ErrCompile) {
				t.Errorf("error does not wrap ErrCompile: %v", err)
			}
			if got := errors.Is(err, compile.ErrUnsupported); got != tc.unsupported {
				t.Errorf("errors.Is(err, ErrUnsupported) = %v, want %v (%v)", got, tc.unsupported, err)
			}
			if !strings.HasPrefix(err.Error(), "compile: ") {
				t.Errorf("error lacks the package prefix: %v", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %s\nwant %s", err, tc.want)
			}
			var ce *compile.Error
			if !errors.As(err, &ce) {
				t.Errorf("error is not a *compile.Error: %T", err)
			}
		})
	}
}

func TestUnknownColumnErrorIsAvailable(t *testing.T) {
	_, err := compile.Compile(sqlite.New(), expr.Select(users.C("id")).Where(users.C("nope").Eq(1)))
	var uc *expr.UnknownColumnError
	if !errors.As(err, &uc) || uc.Table != "users" || uc.Column != "nope" {
		t.Fatalf("want an *expr.UnknownColumnError for users.nope, got %v", err)
	}
}
