package compile_test

import (
	"fmt"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

func ExampleCompile() {
	users := expr.NewTable("users",
		expr.Column("id", types.Integer()),
		expr.Column("name", types.String(50)),
		expr.Column("age", types.Integer()))
	stmt := expr.Select(users.C("id"), users.C("name")).
		Where(users.C("age").Ge(18), users.C("name").ILike("j%")).
		OrderBy(users.C("name").Asc().NullsLast()).
		Limit(10)
	for _, d := range []compile.Dialect{sqlite.New(), postgres.New(), mysql.New(mysql.MariaDB, 10, 11, 0)} {
		c, err := compile.Compile(d, stmt)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(c.SQL, c.Args)
	}
	// Output:
	// SELECT users.id, users.name FROM users WHERE users.age >= ? AND lower(users.name) LIKE lower(?) ORDER BY users.name NULLS LAST LIMIT ? [18 j% 10]
	// SELECT users.id, users.name FROM users WHERE users.age >= $1 AND users.name ILIKE $2 ORDER BY users.name NULLS LAST LIMIT $3 [18 j% 10]
	// SELECT users.id, users.name FROM users WHERE users.age >= ? AND lower(users.name) LIKE lower(?) ORDER BY users.name IS NULL, users.name LIMIT ? [18 j% 10]
}

func ExampleAppendInline() {
	check := expr.And(expr.Column("qty", types.Integer()).Gt(0), expr.Column("state", types.Text()).In("new", "it's"))
	b, err := compile.AppendInline(mysql.New(mysql.MySQL, 8, 0, 36), []byte("CHECK ("), check)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(append(b, ')')))
	// Output: CHECK (qty > 0 AND state IN ('new', 'it''s'))
}
