package compile_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// The conformance tests run every construct of the golden tests on real databases
// (SQLite always; PostgreSQL and MariaDB when RETORT_TEST_POSTGRES / RETORT_TEST_MYSQL are
// set) and check the rows that come back.

// norm makes driver-dependent representations comparable: []byte as string, other
// integer widths as int64.
func norm(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}

type runner struct {
	t    *testing.T
	ctx  context.Context
	eng  *engine.Engine
	conn *engine.Conn
	name string
}

// rows executes stmt and returns its rows formatted as [[v v] [v v]].
func (r *runner) rows(t *testing.T, stmt expr.Statement) string {
	t.Helper()
	res, err := r.conn.Execute(r.ctx, stmt)
	if err != nil {
		c, _ := compile.Compile(r.eng.Dialect(), stmt)
		sql := ""
		if c != nil {
			sql = c.SQL
		}
		t.Fatalf("execute failed: %v\nSQL: %s", err, sql)
	}
	var sb strings.Builder
	sb.WriteByte('[')
	for i, row := range res.All() {
		if i > 0 {
			sb.WriteByte(' ')
		}
		vals := row.Values()
		nv := make([]any, len(vals))
		for j, v := range vals {
			nv[j] = norm(v)
		}
		fmt.Fprint(&sb, nv)
	}
	sb.WriteByte(']')
	return sb.String()
}

func (r *runner) expect(t *testing.T, stmt expr.Statement, want string) {
	t.Helper()
	if got := r.rows(t, stmt); got != want {
		c, _ := compile.Compile(r.eng.Dialect(), stmt)
		t.Errorf("rows differ\n got: %s\nwant: %s\n SQL: %s", got, want, c.SQL)
	}
}

func (r *runner) exec(t *testing.T, stmt expr.Statement) *engine.Result {
	t.Helper()
	res, err := r.conn.Execute(r.ctx, stmt)
	if err != nil {
		c, _ := compile.Compile(r.eng.Dialect(), stmt)
		sql := ""
		if c != nil {
			sql = c.SQL
		}
		t.Fatalf("execute failed: %v\nSQL: %s", err, sql)
	}
	return res
}

// unsupported runs stmt where the dialect lacks the construct: compiling must fail with
// ErrUnsupported, and nothing is sent to the database.
func (r *runner) unsupported(t *testing.T, stmt expr.Statement) {
	t.Helper()
	_, err := r.conn.Execute(r.ctx, stmt)
	if !errors.Is(err, compile.ErrUnsupported) {
		t.Fatalf("want ErrUnsupported on %s, got %v", r.name, err)
	}
}

func (r *runner) has(f compile.Feature) bool { return r.eng.Dialect().Features().Has(f) }

func seed(t *testing.T, r *runner) {
	t.Helper()
	if err := r.eng.CreateAll(r.ctx, md); err != nil {
		t.Fatalf("CreateAll: %v", err)
	}
	// The rows carry explicit keys: what is under test is the SQL constructs, not key
	// generation, and generated keys need not be 1, 2, 3 (a Galera cluster steps them by
	// its node count). PostgreSQL's sequences then move past them, so that the later
	// inserts without a key do not collide.
	r.exec(t, expr.Insert(users).
		Values(map[string]any{"id": 1, "name": "jack", "email": "jack@x.org", "age": 30}).
		Values(map[string]any{"id": 2, "name": "wendy", "email": nil, "age": 25}).
		Values(map[string]any{"id": 3, "name": "ann", "email": "ann@y.com", "age": nil}).
		Values(map[string]any{"id": 4, "name": "bob", "email": "BOB@X.org", "age": 61}))
	r.exec(t, expr.Insert(addresses).Columns(addresses.C("id"), addresses.C("user_id"), addresses.C("email")).
		Row(1, 1, "j1@x.org").Row(2, 1, "j2@y.org").Row(3, 2, "w@x.org"))
	r.exec(t, expr.Insert(orders).Columns(orders.C("id"), orders.C("buyer_id"), orders.C("seller_id"), orders.C("total")).
		Row(1, 1, 2, "10.50").Row(2, 1, 3, "20.00").Row(3, 2, 1, "5.25"))
	for i, n := range []struct {
		parent any
		label  string
	}{{nil, "root"}, {1, "a"}, {1, "b"}, {2, "a1"}, {nil, "other"}} {
		r.exec(t, expr.Insert(nodes).Values(map[string]any{"id": i + 1, "parent_id": n.parent, "label": n.label}))
	}
	if r.name == testdb.NamePostgres {
		for _, tb := range []string{"users", "addresses", "nodes"} {
			r.exec(t, expr.Text(fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), 100)", tb)))
		}
	}
}

func TestConformance(t *testing.T) {
	testdb.Each(t, conform)
	// MariaDB limited to MySQL's features (no RETURNING): the MySQL branches on a real server.
	t.Run(testdb.NameMySQLFeatures, func(t *testing.T) { conform(t, testdb.MySQLFeatures(t)) })
}

func conform(t *testing.T, tg testdb.Target) {
	ctx := t.Context()
	eng, err := engine.Create(ctx, tg.URL)
	if err != nil {
		t.Fatalf("engine.Create(%s): %v", tg.Name, err)
	}
	t.Cleanup(func() { eng.Close() })
	conn, err := eng.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := &runner{t: t, ctx: ctx, eng: eng, conn: conn, name: eng.Dialect().Name()}
	seed(t, r)
	t.Run("select", func(t *testing.T) { conformSelect(t, r) })
	t.Run("joins", func(t *testing.T) { conformJoins(t, r) })
	t.Run("subqueries", func(t *testing.T) { conformSubqueries(t, r) })
	t.Run("compound", func(t *testing.T) { conformCompound(t, r) })
	t.Run("window_case_cast", func(t *testing.T) { conformWindowCaseCast(t, r) })
	t.Run("locking", func(t *testing.T) { conformLocking(t, r) })
	t.Run("text", func(t *testing.T) { conformText(t, r) })
	t.Run("insert", func(t *testing.T) { conformInsert(t, r) })
	t.Run("upsert", func(t *testing.T) { conformUpsert(t, r) })
	t.Run("update_delete", func(t *testing.T) { conformUpdateDelete(t, r) })
}

func conformSelect(t *testing.T, r *runner) {
	id, name, email, age := users.C("id"), users.C("name"), users.C("email"), users.C("age")
	r.expect(t, expr.Select(users).Where(id.Eq(1)), "[[1 jack jack@x.org 30 <nil>]]")
	r.expect(t, expr.Select(id, name).Where(age.Gt(20)).Where(name.Ne("bob")).OrderBy(id), "[[1 jack] [2 wendy]]")
	r.expect(t, expr.Select(id).Where(expr.Or(expr.And(age.Gt(20), age.Lt(28)), email.IsNull()), expr.Not(name.Eq("x"))).OrderBy(id),
		"[[2]]")
	r.expect(t, expr.Select(id).Where(expr.Not(expr.Or(name.Eq("jack"), name.Eq("bob")))).OrderBy(id), "[[2] [3]]")
	r.expect(t, expr.Select(id).Where(age.IsNull()), "[[3]]")
	r.expect(t, expr.Select(id).Where(email.Eq(nil), age.IsNotNull()), "[[2]]")
	r.expect(t, expr.Select(id).Where(id.In(1, 3, 9)).OrderBy(id), "[[1] [3]]")
	r.expect(t, expr.Select(id).Where(name.NotIn("jack", "ann")).OrderBy(id), "[[2] [4]]")
	r.expect(t, expr.Select(id).Where(id.In([]int64{2, 4})).OrderBy(id), "[[2] [4]]")
	r.expect(t, expr.Select(id).Where(id.In()), "[]")
	r.expect(t, expr.Select(id).Where(id.NotIn()).OrderBy(id), "[[1] [2] [3] [4]]")
	r.expect(t, expr.Select(id).Where(age.Between(25, 30)).OrderBy(id), "[[1] [2]]")
	r.expect(t, expr.Select(id).Where(expr.Tuple(age, id).Lt(30, 2)).OrderBy(id), "[[1] [2]]")
	r.expect(t, expr.Select(id).Where(expr.Tuple(age, id).Ge(30, 1)).OrderBy(age, id), "[[1] [4]]")
	r.expect(t, expr.Select(id).Where(expr.Tuple(name, age).Eq(expr.Tuple("wendy", 25))), "[[2]]")
	r.expect(t, expr.Select(id).Where(age.NotBetween(25, 30)).OrderBy(id), "[[4]]")
	r.expect(t, expr.Select(id).Where(name.Like("%n%")).OrderBy(id), "[[2] [3]]")
	r.expect(t, expr.Select(id).Where(name.NotLike("%n%")).OrderBy(id), "[[1] [4]]")
	r.expect(t, expr.Select(id).Where(email.ILike("%@X.ORG")).OrderBy(id), "[[1] [4]]")
	r.expect(t, expr.Select(id).Where(email.NotILike("%@x.org")).OrderBy(id), "[[3]]")
	r.expect(t, expr.Select(id).OrderBy(age.Asc().NullsFirst(), id), "[[3] [2] [1] [4]]")
	r.expect(t, expr.Select(id).OrderBy(age.Asc().NullsLast()), "[[2] [1] [4] [3]]")
	r.expect(t, expr.Select(id).OrderBy(age.Desc().NullsLast()), "[[4] [1] [2] [3]]")
	r.expect(t, expr.Select(id).OrderBy(age.Desc().NullsFirst()), "[[3] [4] [1] [2]]")
	r.expect(t, expr.Select(id).OrderBy(id).Limit(2), "[[1] [2]]")
	r.expect(t, expr.Select(id).OrderBy(id).Offset(2), "[[3] [4]]")
	r.expect(t, expr.Select(id).OrderBy(id.Desc()).Limit(2).Offset(1), "[[3] [2]]")
	r.expect(t, expr.Select(addresses.C("user_id")).Distinct().OrderBy(addresses.C("user_id")), "[[1] [2]]")
	r.expect(t, expr.Select(addresses.C("user_id"), expr.CountStar()).GroupBy(addresses.C("user_id")).
		Having(expr.CountStar().Gt(1)), "[[1 2]]")
	r.expect(t, expr.Select(expr.CountStar(), expr.Count(email), expr.Count(addresses.C("user_id")).DistinctArgs(),
		expr.Sum(age), expr.Min(age), expr.Max(age).Label("oldest")).From(addresses).Where(addresses.C("id").Eq(1)),
		"[[4 3 1 116 25 61]]")
	if avg, err := r.conn.Scalar(r.ctx, expr.Select(expr.Avg(age))); err != nil {
		t.Errorf("avg: %v", err)
	} else if f, ok := avg.(float64); !ok || f < 38.666 || f > 38.667 {
		t.Errorf("avg = %#v, want about 38.667", avg) // MySQL rounds to 4 digits
	}
	r.expect(t, expr.Select(expr.Fn("length", name).WithType(types.Integer()), expr.Coalesce(email, "none"), expr.Lower(email),
		expr.Upper(name).Label("shout")).Where(id.In(2, 4)).OrderBy(id),
		"[[5 none <nil> WENDY] [3 BOB@X.org bob@x.org BOB]]")
	now, err := r.conn.Scalar(r.ctx, expr.Select(expr.Now()))
	if err != nil {
		t.Fatalf("select now(): %v", err)
	}
	if ts, ok := now.(time.Time); !ok || time.Since(ts).Abs() > 24*time.Hour {
		t.Errorf("now() = %#v, want a current time.Time", now)
	}
	r.expect(t, expr.Select(age.Add(1).Mul(2), age.Mul(age.Add(1)), age.Sub(age.Sub(1)), age.Div(7).Mod(3)).Where(id.Eq(1)),
		"[[62 930 1 1]]")
	r.expect(t, expr.Select(id).Where(age.Add(40).Gt(age.Mul(2))).OrderBy(id), "[[1] [2]]")
	r.expect(t, expr.Select(name.Concat(" <").Concat(email).Concat(">").Label("addr")).Where(id.Eq(1)), "[[jack <jack@x.org>]]")
	n := expr.Count(addresses.C("id")).Label("n")
	r.expect(t, expr.Select(addresses.C("user_id"), n).GroupBy(addresses.C("user_id")).OrderBy(n.Desc()), "[[1 2] [2 1]]")
	r.expect(t, expr.Select(expr.Star()).From(nodes).Where(nodes.C("id").Eq(4)), "[[4 2 a1]]")
	r.expect(t, expr.Select(id).Where(expr.True(), expr.Not(expr.False()), expr.Eq(age.Gt(40), expr.True())), "[[4]]")
	// Values alone in expressions: PostgreSQL needs their types spelled out.
	r.expect(t, expr.Select(expr.Value(1, types.Integer()).Label("one"), expr.Value("x", types.String(5)),
		expr.Value(int64(2), types.BigInt()).Add(3), expr.Coalesce(expr.Value(nil, types.Integer()), 5),
		expr.Value(true, types.Boolean()), expr.Value(1.5, types.Double()), expr.Fn("abs", -4).WithType(types.Integer())),
		"[[1 x 5 5 true 1.5 4]]")
	u := expr.Alias(users, "u")
	r.expect(t, expr.Select(u.C("name")).Where(u.C("age").Gt(26)).OrderBy(u.C("name")), "[[bob] [jack]]")
	r.expect(t, expr.Select(items.C("select"), items.C("name").Label("Order")).Where(items.C("select").Eq(-1)), "[]")
}

func conformJoins(t *testing.T, r *runner) {
	id, name := users.C("id"), users.C("name")
	aEmail := addresses.C("email")
	r.expect(t, expr.Select(name, aEmail).Join(addresses, id.Eq(addresses.C("user_id")), aEmail.Like("%x.org")).OrderBy(aEmail),
		"[[jack j1@x.org] [wendy w@x.org]]")
	r.expect(t, expr.Select(name, aEmail).Join(addresses).OrderBy(aEmail), "[[jack j1@x.org] [jack j2@y.org] [wendy w@x.org]]")
	r.expect(t, expr.Select(aEmail, name).Join(users).Where(name.Eq("wendy")), "[[w@x.org wendy]]")
	r.expect(t, expr.Select(name, expr.Count(addresses.C("id"))).OuterJoin(addresses).GroupBy(name).OrderBy(name),
		"[[ann 0] [bob 0] [jack 2] [wendy 1]]")
	parent := expr.Alias(nodes, "parent")
	r.expect(t, expr.Select(nodes.C("label"), parent.C("label").Label("parent_label")).
		Join(parent, nodes.C("parent_id").Eq(parent.C("id"))).OrderBy(nodes.C("id")),
		"[[a root] [b root] [a1 a]]")
	j := expr.Join(users, addresses).OuterJoin(orders, orders.C("buyer_id").Eq(id))
	r.expect(t, expr.Select(name, aEmail, orders.C("total")).From(j).OrderBy(aEmail, orders.C("total")),
		"[[jack j1@x.org 10.50] [jack j1@x.org 20.00] [jack j2@y.org 10.50] [jack j2@y.org 20.00] [wendy w@x.org 5.25]]")
	r.expect(t, expr.Select(name, aEmail).From(addresses).Where(id.Eq(addresses.C("user_id")), name.Eq("wendy")),
		"[[wendy w@x.org]]")
	full := expr.Select(name, aEmail).FullJoin(addresses, id.Eq(addresses.C("user_id")), aEmail.Like("w%")).
		Where(expr.Or(name.IsNull(), addresses.C("id").IsNull())).OrderBy(expr.Coalesce(name, aEmail))
	if r.has(compile.FullOuterJoin) {
		r.expect(t, full, "[[ann <nil>] [bob <nil>] [<nil> j1@x.org] [<nil> j2@y.org] [jack <nil>]]")
	} else {
		r.unsupported(t, full)
	}
}

func conformSubqueries(t *testing.T, r *runner) {
	id, name, age := users.C("id"), users.C("name"), users.C("age")
	aUser := addresses.C("user_id")
	cnt := expr.Select(expr.Count(addresses.C("id"))).Where(aUser.Eq(id)).ScalarSubquery()
	r.expect(t, expr.Select(name, cnt.Label("n")).Where(cnt.Gt(0)).OrderBy(name), "[[jack 2] [wendy 1]]")
	r.expect(t, expr.Select(name).Where(expr.Exists(expr.Select(addresses.C("id")).Where(aUser.Eq(id)))).OrderBy(name),
		"[[jack] [wendy]]")
	r.expect(t, expr.Select(name).Where(expr.Not(expr.Exists(expr.Select(orders.C("id")).Where(orders.C("buyer_id").Eq(id))))).OrderBy(name),
		"[[ann] [bob]]")
	r.expect(t, expr.Select(name).Where(id.InSelect(expr.Select(aUser).Where(addresses.C("email").Like("%x.org")))).OrderBy(name),
		"[[jack] [wendy]]")
	r.expect(t, expr.Select(name).Where(id.NotInSelect(expr.Select(orders.C("buyer_id")))).OrderBy(name), "[[ann] [bob]]")
	sq := expr.Select(aUser, expr.Count(addresses.C("id")).Label("cnt")).GroupBy(aUser).Subquery("ac")
	r.expect(t, expr.Select(name, sq.C("cnt")).Join(sq, sq.C("user_id").Eq(id)).OrderBy(name), "[[jack 2] [wendy 1]]")
	older := expr.Select(id, name).Where(age.Gt(26)).Subquery("older")
	r.expect(t, expr.Select(older).OrderBy(older.C("name")), "[[4 bob] [1 jack]]")
	inner := expr.Select(expr.Max(orders.C("total"))).Where(orders.C("buyer_id").Eq(id)).ScalarSubquery()
	r.expect(t, expr.Select(name, inner.Label("max_total")).Where(expr.Exists(
		expr.Select(addresses.C("id")).Where(aUser.Eq(id), addresses.C("email").Ne(name)))).OrderBy(name),
		"[[jack 20.00] [wendy 5.25]]")
	if !r.has(compile.CTEs) {
		r.unsupported(t, expr.Select(expr.Select(id).CTE("c").C("id")))
		return
	}
	adults := expr.Select(id, name).Where(age.Ge(26)).CTE("adults")
	r.expect(t, expr.Select(adults.C("name"), addresses.C("email")).Join(addresses, aUser.Eq(adults.C("id"))).OrderBy(addresses.C("email")),
		"[[jack j1@x.org] [jack j2@y.org]]")
	a := expr.Select(id, age).Where(age.Gt(10)).CTE("a")
	b := expr.Select(a.C("id")).Where(a.C("age").Lt(50)).CTE("b")
	r.expect(t, expr.Select(b.C("id")).OrderBy(b.C("id")), "[[1] [2]]")
	tree := expr.Select(nodes.C("id"), nodes.C("parent_id"), nodes.C("label")).Where(nodes.C("id").Eq(1)).RecursiveCTE("tree")
	tree = tree.UnionAll(expr.Select(nodes.C("id"), nodes.C("parent_id"), nodes.C("label")).
		Join(tree, nodes.C("parent_id").Eq(tree.C("id"))))
	r.expect(t, expr.Select(tree.C("id"), tree.C("label")).OrderBy(tree.C("id")), "[[1 root] [2 a] [3 b] [4 a1]]")
}

func conformCompound(t *testing.T, r *runner) {
	id, name, age := users.C("id"), users.C("name"), users.C("age")
	aUser := addresses.C("user_id")
	r.expect(t, expr.Union(expr.Select(name).Where(age.Lt(28)), expr.Select(name).Where(age.Gt(60)), expr.Select(name).Where(age.Lt(27))).OrderBy(name),
		"[[bob] [wendy]]")
	r.expect(t, expr.Select(name).Where(age.Lt(28)).UnionAll(expr.Select(addresses.C("email"))).OrderBy(name).Limit(3).Offset(1),
		"[[j2@y.org] [w@x.org] [wendy]]")
	r.expect(t, expr.Union(expr.Select(name).Where(age.IsNotNull()).OrderBy(age.Desc()).Limit(1), expr.Select(name).Where(age.IsNotNull()).OrderBy(age).Limit(1)).OrderBy(name),
		"[[bob] [wendy]]")
	intersect := expr.Select(id).Intersect(expr.Select(aUser)).OrderBy(id)
	except := expr.Select(id).Except(expr.Select(aUser)).OrderBy(id)
	if r.has(compile.IntersectExcept) {
		r.expect(t, intersect, "[[1] [2]]")
		r.expect(t, except, "[[3] [4]]")
	} else {
		r.unsupported(t, intersect)
		r.unsupported(t, except)
	}
}

func conformWindowCaseCast(t *testing.T, r *runner) {
	id, name, age := users.C("id"), users.C("name"), users.C("age")
	if r.has(compile.WindowFunctions) {
		r.expect(t, expr.Select(addresses.C("email"),
			expr.RowNumber().Over().PartitionBy(addresses.C("user_id")).OrderBy(addresses.C("email").Desc()),
			expr.Sum(addresses.C("id")).Over().OrderBy(addresses.C("id")).Rows(expr.UnboundedPreceding, expr.CurrentRow).Label("running"),
			expr.Rank().Over().OrderBy(addresses.C("user_id")),
			expr.CountStar().Over()).OrderBy(addresses.C("id")),
			"[[j1@x.org 2 1 1 3] [j2@y.org 1 3 1 3] [w@x.org 1 6 3 3]]")
		r.expect(t, expr.Select(id, expr.Sum(id).Over().OrderBy(id).Rows(expr.Preceding(1), expr.Following(1))).Where(id.Le(3)).OrderBy(id),
			"[[1 3] [2 6] [3 5]]")
	} else {
		r.unsupported(t, expr.Select(expr.RowNumber().Over()))
	}
	r.expect(t, expr.Select(name,
		expr.Case().When(age.Lt(28), "young").When(age.Lt(65), "adult").Else("unknown").Label("bracket"),
		expr.Case(id).When(1, "one").When(2, "two").Label("word")).OrderBy(id),
		"[[jack adult one] [wendy young two] [ann unknown <nil>] [bob adult <nil>]]")
	r.expect(t, expr.Select(age.Cast(types.String(10)), expr.Cast("12.5", types.Numeric(10, 2)).Label("n"),
		expr.Cast(expr.Value("42", types.Text()), types.Integer())).Where(id.Eq(1)),
		"[[30 12.50 42]]")
}

func conformLocking(t *testing.T, r *runner) {
	id := users.C("id")
	err := r.eng.Begin(r.ctx, func(ctx context.Context, c *engine.Conn) error {
		res, err := c.Execute(ctx, expr.Select(id).Where(id.Eq(1)).ForUpdate())
		if err != nil {
			return err
		}
		if res.Len() != 1 {
			return fmt.Errorf("FOR UPDATE returned %d rows", res.Len())
		}
		for _, opt := range []expr.LockOption{expr.SkipLocked, expr.NoWait} {
			stmt := expr.Select(id).OrderBy(id).Limit(1).ForUpdate(opt)
			res, err := c.Execute(ctx, stmt)
			if !r.has(compile.ForUpdate) || !r.has(compile.SkipLocked) {
				if !errors.Is(err, compile.ErrUnsupported) {
					return fmt.Errorf("option %d: want ErrUnsupported, got %v", opt, err)
				}
				continue
			}
			if err != nil {
				return err
			}
			if res.Len() != 1 {
				return fmt.Errorf("option %d: %d rows", opt, res.Len())
			}
		}
		res, err = c.Execute(ctx, expr.Select(id).Where(id.Eq(2)).ForUpdate(expr.Share))
		if err != nil {
			return err
		}
		if res.Len() != 1 {
			return fmt.Errorf("FOR SHARE returned %d rows", res.Len())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func conformText(t *testing.T, r *runner) {
	stmt := expr.Text("SELECT id, name FROM users WHERE id = :id OR (name = :n AND ':x' = ':x') ORDER BY id",
		expr.Param("id", 1), expr.Param("n", "ann")).
		Columns(expr.Column("id", types.Integer()), expr.Column("name", types.String(50)))
	r.expect(t, stmt, "[[1 jack] [3 ann]]")
	r.expect(t, expr.Select(users.C("id")).Where(expr.Text("age > :a OR age < :b", expr.Param("a", 60), expr.Param("b", 26))).OrderBy(users.C("id")),
		"[[2] [4]]")
	if _, err := r.conn.Execute(r.ctx, expr.Text("SELECT :a", expr.Param("b", 1))); err == nil ||
		!strings.Contains(err.Error(), "no value for parameter :a") {
		t.Errorf("missing parameter: got %v", err)
	}
}

func conformInsert(t *testing.T, r *runner) {
	id, name := users.C("id"), users.C("name")
	res := r.exec(t, expr.Insert(users).Values(map[string]any{"id": 10, "name": "i10", "created_at": time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}))
	if res.RowsAffected() != 1 {
		t.Errorf("insert affected %d rows", res.RowsAffected())
	}
	r.expect(t, expr.Select(name, users.C("created_at")).Where(id.Eq(10)), "[[i10 2024-05-06 07:08:09 +0000 UTC]]")
	r.exec(t, expr.Insert(users).Values(map[string]any{"id": 11, "name": expr.Upper("i11"), "created_at": expr.Now()}))
	r.expect(t, expr.Select(name).Where(id.Eq(11), users.C("created_at").IsNotNull()), "[[I11]]")
	res = r.exec(t, expr.Insert(users).
		Values(map[string]any{"id": 12, "name": "i12"}).
		Values(map[string]any{"id": 13, "name": "i13"}))
	if res.RowsAffected() != 2 {
		t.Errorf("multi-row insert affected %d rows", res.RowsAffected())
	}
	r.exec(t, expr.Insert(addresses).FromSelect([]*expr.ColumnClause{addresses.C("user_id"), addresses.C("email")},
		expr.Select(id, name.Concat("@from.select")).Where(id.In(12, 13))))
	r.expect(t, expr.Select(addresses.C("email")).Where(addresses.C("user_id").In(12, 13)).OrderBy(addresses.C("email")),
		"[[i12@from.select] [i13@from.select]]")
	if r.has(compile.CTEs) {
		src := expr.Select(id, name).Where(id.Eq(10)).CTE("src")
		r.exec(t, expr.Insert(addresses).FromSelect([]*expr.ColumnClause{addresses.C("user_id"), addresses.C("email")},
			expr.Select(src.C("id"), src.C("name"))))
		r.expect(t, expr.Select(addresses.C("email")).Where(addresses.C("user_id").Eq(10)), "[[i10]]")
	}
	ret := expr.Insert(users).Values(map[string]any{"name": "auto"}).Returning(id.Gt(0).Label("positive"), name.Label("who"))
	if r.has(compile.InsertReturning) {
		r.expect(t, ret, "[[true auto]]")
	} else {
		r.unsupported(t, ret)
	}
	// Client-side defaults: status is a value, seq a function called per row.
	r.exec(t, expr.Insert(items).Values(map[string]any{"id": 1, "name": "pen"}).Values(map[string]any{"id": 2, "name": "ink"}))
	r.exec(t, expr.Update(items).Set(items.C("status"), "old").Where(items.C("id").Eq(2)))
	got := r.rows(t, expr.Select(items.C("name"), items.C("status"), items.C("seq")).OrderBy(items.C("id")))
	var s1, s2 int64
	var st1, st2 string
	if _, err := fmt.Sscanf(got, "[[pen %s %d] [ink %s %d]]", &st1, &s1, &st2, &s2); err != nil || st1 != "new" || !strings.HasPrefix(st2, "old") || s2 != s1+1 {
		t.Errorf("client defaults: got %s", got)
	}
	// No values: DEFAULT VALUES / () VALUES (), the key generated by the database.
	r.exec(t, expr.Insert(nodes))
	r.expect(t, expr.Select(expr.CountStar()).From(nodes).Where(nodes.C("label").IsNull()), "[[1]]")
}

func conformUpsert(t *testing.T, r *runner) {
	id, name, age := users.C("id"), users.C("name"), users.C("age")
	r.exec(t, expr.Insert(users).Values(map[string]any{"id": 20, "name": "u20", "age": 1}))
	if r.has(compile.OnConflict) {
		r.exec(t, expr.Insert(users).Values(map[string]any{"id": 20, "name": "ignored"}).OnConflict(id).DoNothing())
		r.exec(t, expr.Insert(users).Values(map[string]any{"id": 20, "name": "ignored"}).OnConflict().DoNothing())
		r.expect(t, expr.Select(name, age).Where(id.Eq(20)), "[[u20 1]]")
		r.exec(t, expr.Insert(users).Values(map[string]any{"id": 20, "name": "u20b", "age": 5}).OnConflict(id).
			Where(age.Lt(expr.Excluded(age))).DoUpdateSet(expr.Set(name, expr.Excluded(name)), expr.Set(age, age.Add(1))))
		r.expect(t, expr.Select(name, age).Where(id.Eq(20)), "[[u20b 2]]")
		r.exec(t, expr.Insert(users).Values(map[string]any{"id": 20, "name": "u20c", "age": 0}).OnConflict(id).
			Where(age.Lt(expr.Excluded(age))).DoUpdateSet(expr.Set(name, expr.Excluded(name))))
		r.expect(t, expr.Select(name, age).Where(id.Eq(20)), "[[u20b 2]]")
		if r.has(compile.InsertReturning) {
			r.expect(t, expr.Insert(users).Values(map[string]any{"id": 20, "name": "u20d"}).OnConflict(id).
				DoUpdateSet(expr.Set(name, expr.Excluded(name))).Returning(id, name), "[[20 u20d]]")
		}
		// INSERT ... SELECT ... ON CONFLICT (SQLite needs the WHERE the compiler adds).
		r.exec(t, expr.Insert(users).FromSelect([]*expr.ColumnClause{id, name},
			expr.Select(orders.C("id").Add(19), expr.Cast(orders.C("id"), types.String(10))).From(orders)).OnConflict(id).DoNothing())
		r.expect(t, expr.Select(id, name).Where(id.Between(20, 22)).OrderBy(id), "[[20 u20d] [21 2] [22 3]]")
		r.unsupported(t, expr.Insert(users).Values(map[string]any{"id": 20, "name": "x"}).OnDuplicateKeyUpdate(expr.Set(name, "x")))
	} else {
		r.exec(t, expr.Insert(users).Values(map[string]any{"id": 20, "name": "u20b"}).
			OnDuplicateKeyUpdate(expr.Set(name, expr.Inserted(name)), expr.Set(age, age.Add(1))))
		r.expect(t, expr.Select(name, age).Where(id.Eq(20)), "[[u20b 2]]")
		r.exec(t, expr.Insert(users).Values(map[string]any{"id": 21, "name": "u21"}).
			OnDuplicateKeyUpdate(expr.Set(name, expr.Inserted(name))))
		r.expect(t, expr.Select(name).Where(id.Eq(21)), "[[u21]]")
		r.unsupported(t, expr.Insert(users).Values(map[string]any{"id": 20, "name": "x"}).OnConflict(id).DoNothing())
	}
}

func conformUpdateDelete(t *testing.T, r *runner) {
	id, name, age := users.C("id"), users.C("name"), users.C("age")
	r.exec(t, expr.Insert(users).Values(map[string]any{"id": 30, "name": "u30", "age": 10}).Values(map[string]any{"id": 31, "name": "u31", "age": 11}))
	res := r.exec(t, expr.Update(users).Set(name, "new30").Set(age, age.Add(1)).Where(id.Eq(30)))
	if res.RowsAffected() != 1 {
		t.Errorf("update affected %d rows", res.RowsAffected())
	}
	r.expect(t, expr.Select(name, age).Where(id.Eq(30)), "[[new30 11]]")
	r.exec(t, expr.Update(users).Values(map[string]any{"email": "v@x", "name": "v31"}).Where(id.Eq(31)))
	r.expect(t, expr.Select(name, users.C("email")).Where(id.Eq(31)), "[[v31 v@x]]")
	r.exec(t, expr.Insert(addresses).Values(map[string]any{"user_id": 30, "email": "a30"}))
	cnt := expr.Select(expr.Count(addresses.C("id"))).Where(addresses.C("user_id").Eq(id)).ScalarSubquery()
	r.exec(t, expr.Update(users).Set(age, cnt).Where(id.In(30, 31)))
	r.expect(t, expr.Select(id, age).Where(id.In(30, 31)).OrderBy(id), "[[30 1] [31 0]]")
	upd := expr.Update(users).Set(age, 40).Where(id.Eq(30)).Returning(id, age)
	if r.has(compile.UpdateReturning) {
		r.expect(t, upd, "[[30 40]]")
	} else {
		r.unsupported(t, upd)
	}
	res = r.exec(t, expr.Delete(addresses).Where(addresses.C("user_id").InSelect(expr.Select(id).Where(id.Ge(30)))))
	if res.RowsAffected() != 1 {
		t.Errorf("delete with subquery affected %d rows", res.RowsAffected())
	}
	del := expr.Delete(users).Where(id.Eq(31)).Returning(id, name)
	if r.has(compile.DeleteReturning) {
		r.expect(t, del, "[[31 v31]]")
	} else {
		r.unsupported(t, del)
		r.exec(t, expr.Delete(users).Where(id.Eq(31)))
	}
	res = r.exec(t, expr.Delete(users).Where(id.In(30, 31), name.Ne("root")))
	if res.RowsAffected() != 1 {
		t.Errorf("delete affected %d rows", res.RowsAffected())
	}
	r.expect(t, expr.Select(expr.CountStar()).From(users).Where(id.In(30, 31)), "[[0]]")
}
