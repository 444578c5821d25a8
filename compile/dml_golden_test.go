package compile_test

import (
	"testing"
	"time"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

func TestGoldenDML(t *testing.T) {
	id, name, email, age := users.C("id"), users.C("name"), users.C("email"), users.C("age")
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	runGolden(t, []goldenCase{
		{"insert_values", func() expr.Statement {
			return expr.Insert(users).Values(map[string]any{"name": "jack", "email": "jack@x.org", "age": 30, "created_at": when})
		}},
		{"insert_values_expression", func() expr.Statement {
			return expr.Insert(users).Values(map[string]any{"name": expr.Upper("jill"), "created_at": expr.Now()})
		}},
		{"insert_multi_values", func() expr.Statement {
			return expr.Insert(users).
				Values(map[string]any{"name": "a", "age": 1}).
				Values(map[string]any{"name": "b", "age": 2}).
				Values(map[string]any{"name": "c", "age": nil})
		}},
		{"insert_columns_rows", func() expr.Statement {
			return expr.Insert(addresses).Columns(addresses.C("user_id"), addresses.C("email")).Row(1, "a@x.org").Row(1, "b@x.org")
		}},
		{"insert_from_select", func() expr.Statement {
			return expr.Insert(addresses).FromSelect([]*expr.ColumnClause{addresses.C("user_id"), addresses.C("email")},
				expr.Select(id, email).Where(email.IsNotNull()))
		}},
		{"insert_from_select_cte", func() expr.Statement {
			src := expr.Select(id, email).Where(age.Gt(20)).CTE("src")
			return expr.Insert(addresses).FromSelect([]*expr.ColumnClause{addresses.C("user_id"), addresses.C("email")},
				expr.Select(src.C("id"), src.C("email")))
		}},
		{"insert_returning", func() expr.Statement {
			return expr.Insert(users).Values(map[string]any{"name": "x"}).Returning(id, name.Label("who"))
		}},
		{"insert_returning_table", func() expr.Statement {
			return expr.Insert(addresses).Values(map[string]any{"user_id": 1, "email": "e"}).Returning(addresses)
		}},
		{"insert_default_values", func() expr.Statement { return expr.Insert(nodes) }},
		{"insert_client_defaults_static", func() expr.Statement {
			// seq is given, so only status's static default is filled in.
			return expr.Insert(items).Values(map[string]any{"name": "pen", "seq": int64(7)}).Values(map[string]any{"name": "ink", "seq": int64(8)})
		}},
		{"upsert_do_nothing", func() expr.Statement {
			return expr.Insert(users).Values(map[string]any{"id": 1, "name": "a"}).OnConflict(id).DoNothing()
		}},
		{"upsert_do_nothing_no_target", func() expr.Statement {
			return expr.Insert(users).Values(map[string]any{"id": 1, "name": "a"}).OnConflict().DoNothing()
		}},
		{"upsert_do_update", func() expr.Statement {
			return expr.Insert(users).Values(map[string]any{"id": 1, "name": "a", "age": 5}).OnConflict(id).
				Where(age.Lt(expr.Excluded(age))).
				DoUpdateSet(expr.Set(name, expr.Excluded(name)), expr.Set(age, age.Add(1)))
		}},
		{"upsert_from_select", func() expr.Statement {
			return expr.Insert(users).FromSelect([]*expr.ColumnClause{id, name}, expr.Select(addresses.C("id"), addresses.C("email"))).
				OnConflict(id).DoNothing()
		}},
		{"upsert_on_duplicate_key", func() expr.Statement {
			return expr.Insert(users).Values(map[string]any{"id": 1, "name": "a"}).
				OnDuplicateKeyUpdate(expr.Set(name, expr.Inserted(name)), expr.Set(age, age.Add(1)))
		}},
		{"upsert_do_update_returning", func() expr.Statement {
			return expr.Insert(users).Values(map[string]any{"id": 1, "name": "a"}).OnConflict(id).
				DoUpdateSet(expr.Set(name, expr.Excluded(name))).Returning(id, name)
		}},
		{"update_set_where", func() expr.Statement {
			return expr.Update(users).Set(name, "new").Set(age, age.Add(1)).Where(id.Eq(5))
		}},
		{"update_values_map", func() expr.Statement {
			return expr.Update(users).Values(map[string]any{"email": nil, "name": "z"}).Where(name.Like("a%"), age.Gt(3))
		}},
		{"update_returning", func() expr.Statement {
			return expr.Update(users).Set(age, 40).Where(id.Eq(1)).Returning(id, age)
		}},
		{"update_correlated_subquery", func() expr.Statement {
			n := expr.Select(expr.Count(addresses.C("id"))).Where(addresses.C("user_id").Eq(id)).ScalarSubquery()
			return expr.Update(users).Set(age, n).Where(expr.Exists(expr.Select(addresses.C("id")).Where(addresses.C("user_id").Eq(id))))
		}},
		{"update_assign", func() expr.Statement {
			return expr.Update(users).Assign(expr.Set(name, "new"), expr.Set(age, age.Add(1))).Set(email, nil).Where(id.Eq(5))
		}},
		{"update_no_where", func() expr.Statement { return expr.Update(items).Set(items.C("status"), "old") }},
		{"delete_where", func() expr.Statement { return expr.Delete(users).Where(id.In(1, 2), name.Ne("root")) }},
		{"delete_all", func() expr.Statement { return expr.Delete(addresses) }},
		{"delete_returning", func() expr.Statement { return expr.Delete(users).Where(id.Eq(1)).Returning(id, name) }},
		{"delete_subquery", func() expr.Statement {
			return expr.Delete(addresses).Where(addresses.C("user_id").InSelect(expr.Select(id).Where(age.Lt(18))))
		}},
		{"text_statement", func() expr.Statement {
			return expr.Text("SELECT id, name::text FROM users WHERE id = :id AND name <> ':skip' AND age > :age OR id = :id",
				expr.Param("id", 5), expr.TypedParam("age", 7, types.Integer())).
				Columns(expr.Column("id", types.Integer()), expr.Column("name", types.Text()))
		}},
		{"text_dml", func() expr.Statement {
			return expr.Text(`UPDATE users SET name = :n WHERE "id" = :id`, expr.Param("n", "q"), expr.Param("id", 1))
		}},
		{"text_escaped_colon", func() expr.Statement {
			return expr.Text(`SELECT '12:30' AS t, 5 \:x, :v`, expr.Param("v", 1))
		}},
	})
}
