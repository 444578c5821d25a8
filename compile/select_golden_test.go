package compile_test

import (
	"testing"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

func TestGoldenSelect(t *testing.T) {
	id, name, email, age := users.C("id"), users.C("name"), users.C("email"), users.C("age")
	aUser, aEmail := addresses.C("user_id"), addresses.C("email")
	runGolden(t, []goldenCase{
		{"select_table", func() expr.Statement { return expr.Select(users) }},
		{"select_columns_where", func() expr.Statement {
			return expr.Select(id, name).Where(id.Eq(5))
		}},
		{"select_where_repeated_and", func() expr.Statement {
			return expr.Select(id).Where(age.Gt(18)).Where(name.Ne("root"))
		}},
		{"select_and_or_not", func() expr.Statement {
			return expr.Select(id).Where(
				expr.Or(expr.And(age.Gt(18), age.Lt(65)), email.IsNull()),
				expr.Not(expr.Or(name.Eq("a"), name.Eq("b"))),
				expr.Not(age.Ge(100)),
			)
		}},
		{"select_comparisons", func() expr.Statement {
			return expr.Select(id).Where(id.Ne(1), id.Le(2), id.Ge(3), id.Lt(4), id.Gt(0),
				email.Eq(nil), name.Ne(nil), age.IsNull(), age.IsNotNull(), expr.Eq(7, age))
		}},
		{"select_in", func() expr.Statement {
			return expr.Select(id).Where(id.In(1, 2, 3), name.NotIn("a", "b"), age.In([]int{30, 40}))
		}},
		{"select_in_empty", func() expr.Statement {
			return expr.Select(id).Where(expr.Or(id.In(), name.NotIn()))
		}},
		{"select_in_subquery", func() expr.Statement {
			return expr.Select(name).Where(id.InSelect(expr.Select(aUser).Where(aEmail.Like("%@x.org"))),
				id.NotInSelect(expr.Select(orders.C("buyer_id"))))
		}},
		{"select_between", func() expr.Statement {
			return expr.Select(id).Where(age.Between(18, 30), id.NotBetween(100, 200))
		}},
		{"select_tuple", func() expr.Statement {
			return expr.Select(id).Where(expr.Tuple(age, id).Lt(30, 7), expr.Tuple(name, email).Ne(expr.Tuple("a", "b"))).
				OrderBy(age.Desc(), id.Desc()).Limit(10)
		}},
		{"select_like_ilike", func() expr.Statement {
			return expr.Select(id).Where(name.Like("J%"), name.NotLike("%x"), email.ILike("%@EXAMPLE.com"), email.NotILike("admin%"))
		}},
		{"select_order_by", func() expr.Statement {
			return expr.Select(id, name).OrderBy(name, age.Desc(), email.Asc().NullsFirst(), id.Desc().NullsLast())
		}},
		{"select_limit", func() expr.Statement { return expr.Select(id).OrderBy(id).Limit(10) }},
		{"select_offset_only", func() expr.Statement { return expr.Select(id).OrderBy(id).Offset(20) }},
		{"select_limit_offset", func() expr.Statement { return expr.Select(id).OrderBy(id).Limit(10).Offset(20) }},
		{"select_distinct", func() expr.Statement { return expr.Select(name).Distinct().OrderBy(name) }},
		{"select_group_by_having", func() expr.Statement {
			return expr.Select(name, expr.CountStar()).GroupBy(name).Having(expr.CountStar().Gt(1)).OrderBy(name)
		}},
		{"select_aggregates", func() expr.Statement {
			return expr.Select(expr.CountStar(), expr.Count(email), expr.Count(name).DistinctArgs(),
				expr.Sum(age), expr.Avg(age), expr.Min(age), expr.Max(age).Label("oldest"))
		}},
		{"select_functions", func() expr.Statement {
			return expr.Select(expr.Fn("length", name).WithType(types.Integer()), expr.Coalesce(email, "none"),
				expr.Lower(name), expr.Upper(name).Label("shout"), expr.Now(), expr.Fn("random"))
		}},
		{"select_arithmetic_precedence", func() expr.Statement {
			return expr.Select(age.Add(1).Mul(2), age.Mul(age.Add(1)), age.Sub(age.Sub(1)), age.Add(age).Add(3),
				age.Div(2).Mod(3), expr.Binary(10, expr.OpSub, age)).Where(age.Add(1).Gt(age.Mul(2)))
		}},
		{"select_concat", func() expr.Statement {
			return expr.Select(name.Concat(" <").Concat(email).Concat(">").Label("addr"))
		}},
		{"select_label_order", func() expr.Statement {
			n := expr.Count(id).Label("n")
			return expr.Select(name, n).GroupBy(name).OrderBy(n.Desc(), name)
		}},
		{"select_order_by_unselected_label", func() expr.Statement {
			return expr.Select(name).OrderBy(age.Add(1).Label("older").Desc(), name)
		}},
		{"select_star", func() expr.Statement { return expr.Select(expr.Star()).From(users).Where(id.Eq(1)) }},
		{"select_values_only", func() expr.Statement {
			return expr.Select(expr.Value(1, types.Integer()).Label("one"), expr.True(), expr.Label(expr.Null(), "nothing"))
		}},
		{"select_bool_literals", func() expr.Statement {
			return expr.Select(id).Where(expr.True(), expr.Not(expr.False()), expr.Eq(age.Gt(3), expr.False()))
		}},
		{"select_alias", func() expr.Statement {
			u := expr.Alias(users, "u")
			return expr.Select(u.C("id"), u.C("name")).Where(u.C("age").Gt(21))
		}},
		{"select_self_join_alias", func() expr.Statement {
			parent := expr.Alias(nodes, "parent")
			return expr.Select(nodes.C("label"), parent.C("label").Label("parent_label")).
				Join(parent, nodes.C("parent_id").Eq(parent.C("id")))
		}},
		{"select_join_explicit_on", func() expr.Statement {
			return expr.Select(name, aEmail).Join(addresses, id.Eq(aUser), aEmail.Like("%.org"))
		}},
		{"select_join_fk_inferred", func() expr.Statement {
			return expr.Select(name, aEmail).Join(addresses).Where(name.Eq("jack"))
		}},
		{"select_join_fk_reverse", func() expr.Statement {
			return expr.Select(aEmail, name).Join(users)
		}},
		{"select_outer_join", func() expr.Statement {
			return expr.Select(name, expr.Count(addresses.C("id"))).OuterJoin(addresses).GroupBy(name)
		}},
		{"select_full_join", func() expr.Statement {
			return expr.Select(name, aEmail).FullJoin(addresses, id.Eq(aUser))
		}},
		{"select_join_clause_from", func() expr.Statement {
			j := expr.Join(users, addresses).OuterJoin(orders, orders.C("buyer_id").Eq(id))
			return expr.Select(name, aEmail, orders.C("total")).From(j)
		}},
		{"select_join_fk_ambiguous", func() expr.Statement { return expr.Select(name).Join(orders) }},
		{"select_join_no_fk", func() expr.Statement { return expr.Select(name).Join(nodes) }},
		{"select_from_explicit_two_tables", func() expr.Statement {
			return expr.Select(name, aEmail).From(addresses).Where(id.Eq(aUser))
		}},
		{"select_scalar_subquery_correlated", func() expr.Statement {
			n := expr.Select(expr.Count(addresses.C("id"))).Where(aUser.Eq(id)).ScalarSubquery()
			return expr.Select(name, n.Label("n_addresses")).Where(n.Gt(0))
		}},
		{"select_exists_correlated", func() expr.Statement {
			has := expr.Exists(expr.Select(addresses.C("id")).Where(aUser.Eq(id)))
			return expr.Select(name).Where(has, expr.Not(expr.Exists(expr.Select(orders.C("id")).Where(orders.C("buyer_id").Eq(id)))))
		}},
		{"select_subquery_from", func() expr.Statement {
			sq := expr.Select(aUser, expr.Count(addresses.C("id")).Label("cnt")).GroupBy(aUser).Subquery("ac")
			return expr.Select(name, sq.C("cnt")).Join(sq, sq.C("user_id").Eq(id)).Where(sq.C("cnt").Ge(2))
		}},
		{"select_from_subquery_all", func() expr.Statement {
			sq := expr.Select(id, name).Where(age.Gt(30)).Subquery("older")
			return expr.Select(sq).OrderBy(sq.C("name"))
		}},
		{"select_cte", func() expr.Statement {
			adults := expr.Select(id, name).Where(age.Ge(18)).CTE("adults")
			return expr.Select(adults.C("name"), aEmail).Join(addresses, aUser.Eq(adults.C("id"))).OrderBy(adults.C("name"))
		}},
		{"select_cte_two_dependent", func() expr.Statement {
			a := expr.Select(id, age).Where(age.Gt(10)).CTE("a")
			b := expr.Select(a.C("id")).Where(a.C("age").Lt(50)).CTE("b")
			return expr.Select(b.C("id")).OrderBy(b.C("id"))
		}},
		{"select_recursive_cte", func() expr.Statement {
			tree := expr.Select(nodes.C("id"), nodes.C("parent_id"), nodes.C("label")).Where(nodes.C("id").Eq(1)).RecursiveCTE("tree")
			tree = tree.UnionAll(expr.Select(nodes.C("id"), nodes.C("parent_id"), nodes.C("label")).
				Join(tree, nodes.C("parent_id").Eq(tree.C("id"))))
			return expr.Select(tree.C("id"), tree.C("label")).OrderBy(tree.C("id"))
		}},
		{"select_union", func() expr.Statement {
			return expr.Union(expr.Select(name).Where(age.Lt(20)), expr.Select(name).Where(age.Gt(60)))
		}},
		{"select_union_all_order_limit", func() expr.Statement {
			return expr.Select(name).Where(age.Lt(20)).UnionAll(expr.Select(aEmail)).OrderBy(name).Limit(5).Offset(1)
		}},
		{"select_intersect", func() expr.Statement {
			return expr.Select(id).Intersect(expr.Select(aUser))
		}},
		{"select_except", func() expr.Statement {
			return expr.Select(id).Except(expr.Select(aUser))
		}},
		{"select_union_member_limit", func() expr.Statement {
			return expr.Union(expr.Select(name).OrderBy(age.Desc()).Limit(1), expr.Select(name).OrderBy(age).Limit(1))
		}},
		{"select_window", func() expr.Statement {
			return expr.Select(name,
				expr.RowNumber().Over().PartitionBy(age).OrderBy(name),
				expr.Sum(age).Over().OrderBy(id).Rows(expr.UnboundedPreceding, expr.CurrentRow).Label("running"),
				expr.Rank().Over().OrderBy(age.Desc()),
				expr.Avg(age).Over().OrderBy(age).Range(expr.Preceding(1), expr.Following(2)),
				expr.CountStar().Over())
		}},
		{"select_case", func() expr.Statement {
			return expr.Select(name,
				expr.Case().When(age.Lt(18), "minor").When(age.Lt(65), "adult").Else("senior").Label("bracket"),
				expr.Case(age).When(1, "one").When(2, "two").Label("word"))
		}},
		{"select_cast", func() expr.Statement {
			return expr.Select(age.Cast(types.String(10)), expr.Cast(name, types.Text()), expr.Cast("12.5", types.Numeric(10, 2)).Label("n"),
				expr.Cast(email, types.Integer()))
		}},
		{"select_for_update", func() expr.Statement { return expr.Select(id).Where(id.Eq(1)).ForUpdate() }},
		{"select_for_update_skip_locked", func() expr.Statement {
			return expr.Select(id).OrderBy(id).Limit(1).ForUpdate(expr.SkipLocked)
		}},
		{"select_for_update_nowait", func() expr.Statement { return expr.Select(id).ForUpdate(expr.NoWait) }},
		{"select_for_share", func() expr.Statement { return expr.Select(id).ForUpdate(expr.Share) }},
		{"select_text_condition", func() expr.Statement {
			return expr.Select(id).Where(expr.Text("age > :a OR age < :b", expr.Param("a", 60), expr.Param("b", 10)), name.Ne("x"))
		}},
		{"select_schema_qualified", func() expr.Statement {
			audit := expr.NewTable("audit", expr.Column("id", types.Integer()), expr.Column("Action", types.Text()))
			audit.Schema = "logs"
			return expr.Select(audit.C("id"), audit.C("Action")).Where(audit.C("Action").Eq("login"))
		}},
		{"select_quoted_identifiers", func() expr.Statement {
			return expr.Select(items.C("select"), items.C("name").Label("Order")).Where(items.C("select").Eq(1)).OrderBy(items.C("select"))
		}},
		{"select_nested_subquery_correlation", func() expr.Statement {
			inner := expr.Select(expr.Max(orders.C("total"))).Where(orders.C("buyer_id").Eq(id)).ScalarSubquery()
			return expr.Select(name, inner.Label("max_total")).Where(expr.Exists(
				expr.Select(addresses.C("id")).Where(aUser.Eq(id), aEmail.Ne(name))))
		}},
	})
}
