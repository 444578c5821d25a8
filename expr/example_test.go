package expr_test

import (
	"fmt"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// The schema of the examples: users and their posts.
var (
	md    = schema.NewMetaData()
	users = md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(50), schema.NotNull()),
		schema.Col("age", types.Integer()),
	)
	posts = md.MustTable("posts",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("user_id", types.Integer(), schema.ForeignKey("users.id")),
		schema.Col("title", types.String(200)),
	)
)

// show compiles stmt for PostgreSQL and prints its SQL and arguments.
func show(stmt expr.Statement) {
	c, err := compile.Compile(postgres.New(), stmt)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.SQL)
	fmt.Println(c.Args)
}

// SQLAlchemy's select(User).where(User.name == "x").order_by(User.id): every value is a
// bound parameter.
func ExampleSelect() {
	show(expr.Select(users).
		Where(users.C("name").Eq("spongebob"), users.C("age").Between(18, 65)).
		OrderBy(users.C("id")))
	// Output:
	// SELECT users.id, users.name, users.age FROM users WHERE users.name = $1 AND users.age BETWEEN $2 AND $3 ORDER BY users.id
	// [spongebob 18 65]
}

// A join whose ON clause comes from the foreign key posts.user_id -> users.id, with an
// aggregate, GROUP BY and HAVING.
func ExampleSelectStmt_Join() {
	n := expr.Count(posts.C("id")).Label("n")
	show(expr.Select(users.C("name"), n).
		Join(posts).
		GroupBy(users.C("name")).
		Having(expr.Count(posts.C("id")).Gt(1)).
		OrderBy(users.C("name").Desc()))
	// Output:
	// SELECT users.name, count(posts.id) AS n FROM users JOIN posts ON users.id = posts.user_id GROUP BY users.name HAVING count(posts.id) > $1 ORDER BY users.name DESC
	// [1]
}

// A window function: each post numbered within its user's posts.
func ExampleFuncCall_Over() {
	rn := expr.RowNumber().Over().PartitionBy(posts.C("user_id")).OrderBy(posts.C("id")).Label("rn")
	show(expr.Select(posts.C("title"), rn))
	// Output:
	// SELECT posts.title, row_number() OVER (PARTITION BY posts.user_id ORDER BY posts.id) AS rn FROM posts
	// []
}

// Upsert: PostgreSQL's ON CONFLICT DO UPDATE, and MySQL's ON DUPLICATE KEY UPDATE.
func ExampleInsertStmt_OnConflict() {
	ins := expr.Insert(users).Values(map[string]any{"id": 1, "name": "sandy", "age": 30})
	show(ins.OnConflict(users.C("id")).DoUpdateSet(expr.Set(users.C("name"), expr.Excluded(users.C("name")))))
	c, _ := compile.Compile(mysql.New(mysql.MariaDB, 10, 11, 0),
		ins.OnDuplicateKeyUpdate(expr.Set(users.C("name"), expr.Inserted(users.C("name")))))
	fmt.Println(c.SQL)
	// Output:
	// INSERT INTO users (id, name, age) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = excluded.name
	// [1 sandy 30]
	// INSERT INTO users (id, name, age) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE name = VALUES(name)
}

// Raw SQL with named parameters, SQLAlchemy's text(): :name placeholders become the
// dialect's, and a PostgreSQL cast (::) is left alone.
func ExampleText() {
	show(expr.Text("SELECT id FROM users WHERE name = :name AND age > :age::int",
		expr.Param("name", "patrick"), expr.Param("age", 20)))
	// Output:
	// SELECT id FROM users WHERE name = $1 AND age > $2::int
	// [patrick 20]
}
