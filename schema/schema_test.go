package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

func names(ts []*schema.Table) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.Name)
	}
	return strings.Join(s, ",")
}

func TestColumnOptions(t *testing.T) {
	md := schema.NewMetaData()
	now := func() any { return "x" }
	u := md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("email", types.String(100), schema.NotNull(), schema.Unique()),
		schema.Col("nick", types.String(20), schema.Unique(), schema.Indexed()),
		schema.Col("age", types.SmallInt(), schema.Indexed(), schema.Default(int64(3))),
		schema.Col("made", types.Timestamp(true), schema.Default(now)),
		schema.Col("flag", types.Boolean(), schema.ServerDefault(expr.Value(true, types.Boolean()))),
	)
	id, ok := u.Col("id")
	if !ok || !id.PrimaryKey || id.Nullable || !id.Autoincrement {
		t.Fatalf("id = %+v", id)
	}
	if c, _ := u.Col("email"); c.Nullable || !c.Unique || c.Index {
		t.Fatalf("email = %+v", c)
	}
	if c, _ := u.Col("age"); !c.Nullable || !c.Index {
		t.Fatalf("age = %+v", c)
	} else if v, ok := c.DefaultValue(); !ok || v != int64(3) {
		t.Fatalf("age default = %v %v", v, ok)
	}
	if c, _ := u.Col("made"); true {
		if v, ok := c.DefaultValue(); !ok || v != "x" {
			t.Fatalf("made default = %v %v", v, ok)
		}
	}
	if c, _ := u.Col("flag"); c.ServerDefault == nil {
		t.Fatal("flag has no server default")
	}
	if _, ok := u.Col("nope"); ok {
		t.Fatal("Col(nope) found")
	}
	if u.C("email") != u.Cols[1].ColumnClause || u.C("email").Table != u.TableClause {
		t.Fatal("C does not return the table's column clause")
	}
	if u.C("nope").Err == nil {
		t.Fatal("C(nope) has no error")
	}
	if len(u.PrimaryKey) != 1 || u.PrimaryKey[0] != id || u.AutoincrementColumn() != id {
		t.Fatalf("primary key %v", u.PrimaryKey)
	}
	if len(u.Uniques) != 1 || u.Uniques[0].Name != "" || u.Uniques[0].Columns[0] != "email" {
		t.Fatalf("uniques %+v", u.Uniques)
	}
	if len(u.Indexes) != 2 || u.Indexes[0].Name != "ix_users_nick" || u.Indexes[0].Table != u || u.Indexes[0].Columns[0] != "nick" || !u.Indexes[0].Unique ||
		u.Indexes[1].Name != "ix_users_age" || u.Indexes[1].Unique {
		t.Fatalf("indexes %+v %+v", u.Indexes[0], u.Indexes[1])
	}
	if got, ok := md.TableByName("users"); !ok || got != u {
		t.Fatal("TableByName")
	}
}

func TestAutoincrementRules(t *testing.T) {
	md := schema.NewMetaData()
	cases := []struct {
		name  string
		items []schema.TableItem
		want  string // the autoincrement column, or ""
	}{
		{"a", []schema.TableItem{schema.Col("id", types.BigInt(), schema.PrimaryKey())}, "id"},
		{"b", []schema.TableItem{schema.Col("id", types.String(10), schema.PrimaryKey())}, ""},
		{"c", []schema.TableItem{schema.Col("id", types.Integer(), schema.PrimaryKey(), schema.Autoincrement(false))}, ""},
		{"d", []schema.TableItem{schema.Col("a", types.Integer(), schema.PrimaryKey()), schema.Col("b", types.Integer(), schema.PrimaryKey())}, ""},
		{"e", []schema.TableItem{schema.Col("a", types.Integer(), schema.PrimaryKey(), schema.Autoincrement(true)), schema.Col("b", types.Integer(), schema.PrimaryKey())}, "a"},
		{"f", []schema.TableItem{schema.Col("id", types.Integer(), schema.PrimaryKey(), schema.ForeignKey("a.id"))}, ""},
		{"g", []schema.TableItem{schema.Col("id", types.Integer(), schema.PrimaryKey(), schema.Default(int64(1)))}, ""},
		{"h", []schema.TableItem{schema.Col("id", types.Integer()), schema.PrimaryKeyConstraint("id")}, "id"},
	}
	for _, c := range cases {
		tb, err := md.Table(c.name, c.items...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := ""
		if a := tb.AutoincrementColumn(); a != nil {
			got = a.Name
		}
		if got != c.want {
			t.Errorf("%s: autoincrement column %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCompositeKeys(t *testing.T) {
	md := schema.NewMetaData()
	md.MustTable("p", schema.Col("a", types.Integer()), schema.Col("b", types.String(5)), schema.PrimaryKeyConstraint("b", "a"))
	c := md.MustTable("c",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("pa", types.Integer(), schema.NotNull()),
		schema.Col("pb", types.String(5), schema.NotNull()),
		schema.ForeignKeyConstraint("fk_c_p", []string{"pb", "pa"}, "p", []string{"b", "a"}, schema.OnDelete("cascade"), schema.OnUpdate("set  null")),
		schema.UniqueConstraint("uq_c", "pa", "pb"),
		schema.CheckConstraint("ck_c", "pa > 0"),
		schema.Index("ix_c_pab", "pa", "pb"),
	)
	p, _ := md.TableByName("p")
	if len(p.PrimaryKey) != 2 || p.PrimaryKey[0].Name != "b" || p.PrimaryKey[1].Name != "a" || p.PrimaryKey[1].Nullable {
		t.Fatalf("pk %v", p.PrimaryKey)
	}
	if p.AutoincrementColumn() != nil {
		t.Fatal("composite key autoincrements")
	}
	fk := c.ForeignKeys[0]
	if fk.Name != "fk_c_p" || fk.Table != c || fk.OnDelete != "CASCADE" || fk.OnUpdate != "SET NULL" ||
		strings.Join(fk.Columns, ",") != "pb,pa" || strings.Join(fk.RefCols, ",") != "b,a" {
		t.Fatalf("fk %+v", fk)
	}
	if ref, err := fk.Target(); err != nil || ref != p {
		t.Fatalf("Target = %v, %v", ref, err)
	}
	if len(c.Checks) != 1 || c.Checks[0].SQL != "pa > 0" || len(c.Uniques) != 1 || len(c.Indexes) != 1 {
		t.Fatalf("constraints %+v %+v %+v", c.Checks, c.Uniques, c.Indexes)
	}
}

func TestDefinitionErrors(t *testing.T) {
	cases := []struct {
		name  string
		items []schema.TableItem
		want  string
	}{
		{"", []schema.TableItem{schema.Col("a", types.Integer())}, "schema: table name is empty"},
		{"t", nil, "schema: table t: table has no columns"},
		{"t", []schema.TableItem{schema.Col("", types.Integer())}, "schema: table t: column name is empty"},
		{"t", []schema.TableItem{schema.Col("a", types.Integer()), schema.Col("a", types.Text())}, "schema: table t column a: column defined twice"},
		{"t", []schema.TableItem{schema.Col("a", types.Integer()), schema.UniqueConstraint("u", "a", "zz")}, `schema: table t column zz: unique constraint "u" names a column the table does not have`},
		{"t", []schema.TableItem{schema.Col("a", types.Integer()), schema.Index("ix", "b")}, "schema: table t column b: index ix names a column the table does not have"},
		{"t", []schema.TableItem{schema.Col("a", types.Integer()), schema.Index("", "a")}, "schema: table t column a: index name is empty"},
		{"t", []schema.TableItem{schema.Col("a", types.Integer()), schema.PrimaryKeyConstraint("b")}, "schema: table t column b: PrimaryKeyConstraint names a column the table does not have"},
		{"t", []schema.TableItem{schema.Col("a", types.Integer(), schema.PrimaryKey()), schema.PrimaryKeyConstraint("a")}, "schema: table t: primary key given both by PrimaryKey() column options and by PrimaryKeyConstraint"},
		{"t", []schema.TableItem{
			schema.Col("a", types.Integer(), schema.PrimaryKey(), schema.Autoincrement(true)),
			schema.Col("b", types.Integer(), schema.PrimaryKey(), schema.Autoincrement(true))},
			"schema: table t column b: two autoincrement columns (a and b); a table has at most one"},
		{"t", []schema.TableItem{schema.Col("a", types.Text(), schema.Autoincrement(true))}, "schema: table t column a: Autoincrement(true) needs an integer primary key column (type is text)"},
		{"t", []schema.TableItem{schema.Col("a", types.Integer(), schema.PrimaryKey(), schema.Nullable())}, "schema: table t column a: a primary key column cannot be Nullable"},
		{"t", []schema.TableItem{schema.Col("a", types.Integer(), schema.ForeignKey("users"))}, `schema: table t column a: foreign key target "users" must be written "table.column"`},
		{"t", []schema.TableItem{schema.Col("a", types.Integer(), schema.ForeignKey("u.id", schema.OnDelete("explode")))}, `schema: table t column a: unknown ON DELETE action "explode"; want one of CASCADE, SET NULL, SET DEFAULT, RESTRICT, NO ACTION`},
		{"t", []schema.TableItem{schema.Col("a", types.Integer()), schema.ForeignKeyConstraint("f", []string{"a"}, "u", []string{"x", "y"})}, "schema: table t column a: foreign key has 1 columns but references 2 columns of u"},
		{"t", []schema.TableItem{schema.Col("a", types.Integer()), schema.ForeignKeyConstraint("f", []string{"b"}, "u", []string{"x"})}, "schema: table t column b: foreign key to u names a column the table does not have"},
		{"t", []schema.TableItem{schema.Col("a", types.Integer(), schema.Default(func() int { return 1 }))}, "schema: table t column a: Default function has type func() int; want func() any"},
		{"t", []schema.TableItem{schema.Col("a", types.Enum("e"))}, `schema: table t column a: enum type "e" has no values`},
		{"t", []schema.TableItem{schema.Col("a", types.Integer()), schema.CheckConstraint("c", " ")}, `schema: table t: CheckConstraint "c" has an empty condition`},
	}
	for _, c := range cases {
		md := schema.NewMetaData()
		tb, err := md.Table(c.name, c.items...)
		if err == nil {
			t.Errorf("%q: no error, want %s", c.want, c.want)
			continue
		}
		if tb != nil || len(md.Tables) != 0 {
			t.Errorf("%s: table added despite error", c.want)
		}
		if err.Error() != c.want {
			t.Errorf("error\n got %s\nwant %s", err, c.want)
		}
		var de *schema.DefinitionError
		if !errors.Is(err, schema.ErrDefinition) || !errors.As(err, &de) {
			t.Errorf("%s: not a DefinitionError", err)
		}
	}
}

func TestDuplicateTableAndIndex(t *testing.T) {
	md := schema.NewMetaData()
	md.MustTable("a", schema.Col("x", types.Integer(), schema.Indexed()))
	if _, err := md.Table("a", schema.Col("x", types.Integer())); err == nil || err.Error() != "schema: table a: table defined twice in this MetaData" {
		t.Fatalf("err = %v", err)
	}
	if _, err := md.Table("b", schema.Col("x", types.Integer()), schema.Index("ix_a_x", "x")); err == nil || err.Error() != "schema: table b: index name ix_a_x is already used by table a" {
		t.Fatalf("err = %v", err)
	}
	s := md.MustTable("a", schema.InSchema("other"), schema.Col("x", types.Integer()))
	if got, ok := md.TableByName("other.a"); !ok || got != s || s.Key() != "other.a" {
		t.Fatal("schema-qualified table not found")
	}
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("MustTable did not panic")
		}
	}()
	md.MustTable("a", schema.Col("x", types.Integer()))
}

func TestSortedTables(t *testing.T) {
	md := schema.NewMetaData()
	// Defined children first: sort must put parents first, independents in definition order.
	md.MustTable("comments", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("post_id", types.Integer(), schema.ForeignKey("posts.id")))
	md.MustTable("tags", schema.Col("id", types.Integer(), schema.PrimaryKey()))
	md.MustTable("posts", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("user_id", types.Integer(), schema.ForeignKey("users.id")),
		schema.Col("parent_id", types.Integer(), schema.ForeignKey("posts.id"))) // self-reference
	md.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()))
	md.MustTable("audit", schema.Col("id", types.Integer(), schema.PrimaryKey()))
	got, err := md.SortedTables()
	if err != nil {
		t.Fatal(err)
	}
	if names(got) != "tags,users,posts,comments,audit" {
		t.Fatalf("order %s", names(got))
	}
	for _, tb := range md.Tables {
		for _, fk := range tb.ForeignKeys {
			if fk.UseAlter {
				t.Fatalf("%s fk marked UseAlter without a cycle", tb.Name)
			}
		}
	}
	// A later definition invalidates the cached order.
	md.MustTable("early", schema.Col("id", types.Integer(), schema.PrimaryKey()))
	got, _ = md.SortedTables()
	if names(got) != "tags,users,posts,comments,audit,early" {
		t.Fatalf("order %s", names(got))
	}
}

func TestSortedTablesCycle(t *testing.T) {
	md := schema.NewMetaData()
	md.MustTable("orders", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("customer_id", types.Integer(), schema.ForeignKey("customers.id")))
	md.MustTable("lines", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("order_id", types.Integer(), schema.ForeignKey("orders.id")))
	md.MustTable("customers", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("last_order_id", types.Integer(), schema.ForeignKey("orders.id")),
		schema.Col("region_id", types.Integer(), schema.ForeignKey("regions.id")))
	md.MustTable("regions", schema.Col("id", types.Integer(), schema.PrimaryKey()))
	got, err := md.SortedTables()
	if err != nil {
		t.Fatal(err)
	}
	if names(got) != "orders,lines,regions,customers" {
		t.Fatalf("order %s", names(got))
	}
	var alter []string
	for _, tb := range md.Tables {
		for _, fk := range tb.ForeignKeys {
			if fk.UseAlter {
				alter = append(alter, fk.ConstraintName())
			}
		}
	}
	if strings.Join(alter, ",") != "fk_orders_customer_id_customers,fk_customers_last_order_id_orders" {
		t.Fatalf("UseAlter keys %v", alter)
	}
}

func TestSortedTablesUnresolved(t *testing.T) {
	md := schema.NewMetaData()
	md.MustTable("posts", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("user_id", types.Integer(), schema.ForeignKey("users.id")))
	_, err := md.SortedTables()
	if err == nil || err.Error() != "schema: table posts column user_id: foreign key references table users, which is not defined in the MetaData" ||
		!errors.Is(err, schema.ErrDefinition) {
		t.Fatalf("err = %v", err)
	}
	md.MustTable("users", schema.Col("uid", types.Integer(), schema.PrimaryKey()))
	_, err = md.SortedTables()
	if err == nil || err.Error() != "schema: table posts column user_id: foreign key references column users.id, which table users does not have" {
		t.Fatalf("err = %v", err)
	}
}

func TestEnumTypes(t *testing.T) {
	md := schema.NewMetaData()
	mood := types.Enum("mood", "sad", "ok")
	md.MustTable("a", schema.Col("m", mood), schema.Col("n", types.Enum("", "x")))
	md.MustTable("b", schema.Col("m", mood), schema.Col("s", types.Enum("size", "s", "l")))
	got, err := md.EnumTypes()
	if err != nil || len(got) != 2 || got[0].EnumName != "mood" || got[1].EnumName != "size" {
		t.Fatalf("EnumTypes = %v, %v", got, err)
	}
	md.MustTable("c", schema.Col("m", types.Enum("mood", "happy")))
	if _, err := md.EnumTypes(); err == nil || err.Error() != "schema: table c column m: enum type mood has values (happy) here but (sad, ok) on a.m" {
		t.Fatalf("err = %v", err)
	}
}

func TestConstraintNameShortened(t *testing.T) {
	md := schema.NewMetaData()
	long := strings.Repeat("x", 40)
	tb := md.MustTable(long, schema.Col(long, types.Integer(), schema.ForeignKey(long+"2.id")))
	n := tb.ForeignKeys[0].ConstraintName()
	if len(n) != 63 || !strings.HasPrefix(n, "fk_"+long) {
		t.Fatalf("name %q (%d)", n, len(n))
	}
	if n != tb.ForeignKeys[0].ConstraintName() {
		t.Fatal("not deterministic")
	}
}

func TestTableOfColumnOf(t *testing.T) {
	md := schema.NewMetaData()
	u := md.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(20), schema.Default("anon")))
	if got, ok := schema.TableOf(u.TableClause); !ok || got != u {
		t.Fatal("TableOf")
	}
	c, ok := schema.ColumnOf(u.C("name"))
	if !ok || c.Default != "anon" {
		t.Fatalf("ColumnOf = %v, %v", c, ok)
	}
	if _, ok := schema.ColumnOf(u.C("missing")); ok {
		t.Fatal("ColumnOf found an unknown column")
	}
	if _, ok := schema.TableOf(expr.NewTable("users")); ok {
		t.Fatal("TableOf found a plain TableClause")
	}
	if _, ok := schema.ColumnOf(expr.Column("x", types.Integer())); ok {
		t.Fatal("ColumnOf found a free column")
	}
}
