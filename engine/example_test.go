package engine_test

import (
	"context"
	"fmt"
	"log"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// Example creates an in-memory SQLite database, fills a table inside a transaction, then
// reads it back as a buffered result, as scalars and as a stream.
func Example() {
	ctx := context.Background()
	eng, err := engine.Create(ctx, "sqlite://")
	if err != nil {
		log.Fatal(err)
	}
	defer eng.Close()

	md := schema.NewMetaData()
	users := md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(30), schema.NotNull()),
	)
	id, name := users.C("id"), users.C("name")

	err = eng.Begin(ctx, func(ctx context.Context, c *engine.Conn) error {
		if err := c.CreateAll(ctx, md); err != nil {
			return err
		}
		_, err := c.Execute(ctx, expr.Insert(users).
			Values(map[string]any{"id": 1, "name": "spongebob"}).
			Values(map[string]any{"id": 2, "name": "sandy"}).
			Values(map[string]any{"id": 3, "name": "patrick"}))
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	conn, err := eng.Connect(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	res, err := conn.Execute(ctx, expr.Select(id, name).From(users).Where(id.Gt(1)).OrderBy(id.Asc()))
	if err != nil {
		log.Fatal(err)
	}
	for row := range res.Rows() {
		var i int
		var n string
		if err := row.Scan(&i, &n); err != nil {
			log.Fatal(err)
		}
		fmt.Println(i, n)
	}

	count, err := conn.Scalar(ctx, expr.Select(expr.CountStar()).From(users))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("count:", count)

	for row, err := range conn.Stream(ctx, expr.Select(name).From(users).OrderBy(name.Asc())) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("streamed:", row.Get(0))
	}
	// Output:
	// 2 sandy
	// 3 patrick
	// count: 3
	// streamed: patrick
	// streamed: sandy
	// streamed: spongebob
}

// ExampleParseURL shows how URLs are parsed and that the password is never shown.
func ExampleParseURL() {
	u, err := engine.ParseURL("postgresql+asyncpg://scott:tiger@localhost:5432/test?sslmode=disable")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Dialect, u.Driver, u.Username, u.Host, u.Port, u.Database, u.Query.Get("sslmode"))
	fmt.Println(u)

	_, err = engine.ParseURL("oracle://scott:tiger@localhost/orcl")
	fmt.Println(err)
	// Output:
	// postgresql asyncpg scott localhost 5432 test disable
	// postgresql+asyncpg://scott:***@localhost:5432/test?sslmode=disable
	// engine: invalid database URL "oracle://scott:***@localhost/orcl": dialect: "oracle" is not a known dialect (want sqlite, postgresql, mysql or mariadb)
}
