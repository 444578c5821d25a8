package expr_test

import (
	"reflect"
	"testing"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

var (
	tbl  = expr.NewTable("t", expr.Column("id", types.Integer()), expr.Column("name", types.String(20)), expr.Column("n", types.Numeric(8, 2)))
	id   = tbl.C("id")
	name = tbl.C("name")
)

func TestTextParsing(t *testing.T) {
	cases := []struct {
		sql  string
		want []expr.TextSegment
	}{
		{"SELECT :a", []expr.TextSegment{{SQL: "SELECT "}, {Param: "a"}}},
		{"x::int = :v_1 AND y=:w", []expr.TextSegment{{SQL: "x::int = "}, {Param: "v_1"}, {SQL: " AND y="}, {Param: "w"}}},
		{"':no' \":no\" `:no` 'it''s :no'", []expr.TextSegment{{SQL: "':no' \":no\" `:no` 'it''s :no'"}}},
		{`a \:b :c`, []expr.TextSegment{{SQL: "a :b "}, {Param: "c"}}},
		{"ab:c :1 :", []expr.TextSegment{{SQL: "ab:c :1 :"}}},
		{"'unterminated :x", []expr.TextSegment{{SQL: "'unterminated :x"}}},
	}
	for _, tc := range cases {
		got := expr.Text(tc.sql).Segments
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Text(%q) segments = %#v, want %#v", tc.sql, got, tc.want)
		}
	}
	if names := expr.Text(":a + :b + :a").ParamNames(); !reflect.DeepEqual(names, []string{"a", "b", "a"}) {
		t.Errorf("ParamNames = %v", names)
	}
}

func TestOperatorsBindWithColumnType(t *testing.T) {
	e := id.Eq(5)
	b, ok := e.Right.(*expr.Bind)
	if !ok || b.Value != 5 || !b.Type.Equal(types.Integer()) || !e.Type.Equal(types.Boolean()) {
		t.Fatalf("id.Eq(5) = %#v", e)
	}
	if e := name.Eq(nil); e.Op != expr.OpIs || e.Right != expr.Null() {
		t.Errorf("Eq(nil) = %#v, want IS NULL", e)
	}
	if e := name.Ne(expr.Null()); e.Op != expr.OpIsNot {
		t.Errorf("Ne(Null()) = %#v, want IS NOT NULL", e)
	}
	if e := id.Eq(name); e.Right != name {
		t.Errorf("an expression operand must be used as it is: %#v", e.Right)
	}
	if e := id.Add(1); !e.Type.Equal(types.Integer()) {
		t.Errorf("id + 1 has type %v", e.Type)
	}
	if e := name.Concat("x"); !e.Type.Equal(types.String(0)) {
		t.Errorf("concat has type %v", e.Type)
	}
	in := id.In([]int{1, 2, 3})
	if len(in.Values) != 3 || in.Values[2].(*expr.Bind).Value != 3 {
		t.Errorf("In(slice) did not expand: %#v", in.Values)
	}
	if in := id.In([]byte("ab")); len(in.Values) != 1 {
		t.Errorf("a []byte is one value, got %d", len(in.Values))
	}
	if e := expr.Eq(3, id).(*expr.BinaryExpr); !e.Left.(*expr.Bind).Type.Equal(types.Integer()) {
		t.Errorf("a Go value on the left takes the right side's type: %#v", e.Left)
	}
	if c := expr.Coalesce(tbl.C("n"), "0"); !c.Args[1].(*expr.Bind).Type.Equal(types.Numeric(8, 2)) || !c.Type.Equal(types.Numeric(8, 2)) {
		t.Errorf("coalesce types: %#v", c)
	}
}

func TestNotNegatesDirectly(t *testing.T) {
	if e := expr.Not(id.Lt(3)).(*expr.BinaryExpr); e.Op != expr.OpGe {
		t.Errorf("NOT (a < b) = %v", e.Op)
	}
	if e := expr.Not(id.In(1)).(*expr.InExpr); !e.Negate {
		t.Error("NOT IN not negated")
	}
	if e := expr.Not(id.Between(1, 2)).(*expr.BetweenExpr); !e.Negate {
		t.Error("NOT BETWEEN not negated")
	}
	if e := expr.Not(name.Like("a")).(*expr.BinaryExpr); e.Op != expr.OpNotLike {
		t.Error("NOT LIKE not negated")
	}
	x := expr.Exists(expr.Select(id))
	if e := expr.Not(expr.Not(x)); e != x {
		t.Error("double negation not removed")
	}
	if expr.Not(expr.True()) != expr.False() {
		t.Error("NOT TRUE is not FALSE")
	}
	orig := id.Eq(1)
	expr.Not(orig)
	if orig.Op != expr.OpEq {
		t.Error("Not modified its argument")
	}
}

func TestAndOrFlatten(t *testing.T) {
	a, b, c := id.Eq(1), id.Eq(2), id.Eq(3)
	l := expr.And(expr.And(a, b), nil, c).(*expr.BoolList)
	if len(l.Items) != 3 {
		t.Errorf("And not flattened: %d items", len(l.Items))
	}
	if expr.And(a) != expr.Expr(a) {
		t.Error("And of one is not the condition itself")
	}
	if expr.And() != expr.Expr(expr.True()) || expr.Or() != expr.Expr(expr.False()) {
		t.Error("empty And/Or are not TRUE/FALSE")
	}
	o := expr.Or(expr.And(a, b), c).(*expr.BoolList)
	if len(o.Items) != 2 {
		t.Errorf("Or flattened an And: %d items", len(o.Items))
	}
}

func TestResultColumnNames(t *testing.T) {
	s := expr.Select(id, expr.CountStar(), expr.Count(id), name.Label("who"), id.Add(1), expr.Max(id).Over(), expr.Star())
	var got []string
	for _, c := range s.ResultColumns() {
		got = append(got, c.Name)
	}
	want := []string{"id", "count_1", "count_2", "who", "anon_1", "max_1", "*"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
	sq := s.Subquery("sq")
	if c := sq.C("count_2"); c.Err != nil || !c.Type.Equal(types.BigInt()) || c.Table != sq {
		t.Errorf("subquery column count_2 = %#v", c)
	}
	if c := sq.C("*"); c.Err == nil {
		t.Error("* is not a column of a subquery")
	}
	if typ := expr.Select(name).ScalarSubquery().SQLType(); !typ.Equal(types.String(20)) {
		t.Errorf("scalar subquery type = %v", typ)
	}
}

func TestInsertValuesOrderAndErrors(t *testing.T) {
	ins := expr.Insert(tbl).Values(map[string]any{"name": "a", "id": 1})
	if len(ins.Cols) != 2 || ins.Cols[0] != id || ins.Cols[1] != name || ins.Err != nil {
		t.Fatalf("columns not in table order: %v %v", ins.Cols, ins.Err)
	}
	bad := expr.Insert(tbl).Values(map[string]any{"zz": 1, "id": 1})
	if bad.Err == nil || bad.Err.Error() != "expr: table t has no column zz" {
		t.Errorf("unknown column error = %v", bad.Err)
	}
	bad = ins.Values(map[string]any{"id": 2})
	if bad.Err == nil {
		t.Error("a row with fewer columns was accepted")
	}
	if ins.Err != nil || len(ins.Rows) != 1 {
		t.Error("a failed Values call changed its receiver")
	}
}

func TestCaseTypes(t *testing.T) {
	c := expr.Case(id).When(1, "one").Else("many")
	if !c.Whens[0].Cond.(*expr.Bind).Type.Equal(types.Integer()) {
		t.Error("simple CASE value not bound with the compared column's type")
	}
	c2 := expr.Case().When(id.Eq(1), name).When(id.Eq(2), "x")
	if !c2.SQLType().Equal(types.String(20)) || !c2.Whens[1].Result.(*expr.Bind).Type.Equal(types.String(20)) {
		t.Errorf("CASE result types: %v", c2.SQLType())
	}
	if len(c.Whens) != 1 {
		t.Error("Else changed the receiver")
	}
}

func TestRecursiveCTEKeepsName(t *testing.T) {
	anchor := expr.Select(id).Where(id.Eq(1)).RecursiveCTE("r")
	full := anchor.UnionAll(expr.Select(id).Join(anchor, id.Eq(anchor.C("id"))))
	if full.Name != "r" || !full.Recursive || full.C("id").Err != nil {
		t.Fatalf("UnionAll lost the CTE: %#v", full)
	}
	if _, ok := full.Select.(*expr.CompoundSelect); !ok {
		t.Fatal("recursive part not set-combined")
	}
}
