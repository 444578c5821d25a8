package schema_test

import (
	"fmt"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

func ExampleMetaData_Table() {
	md := schema.NewMetaData()
	// posts is defined before users, which it references.
	posts := md.MustTable("posts",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("user_id", types.Integer(), schema.NotNull(), schema.ForeignKey("users.id", schema.OnDelete("CASCADE"))),
		schema.Col("title", types.String(200), schema.NotNull(), schema.Indexed()),
	)
	md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("email", types.String(100), schema.NotNull(), schema.Unique()),
		schema.Col("created", types.Timestamp(true), schema.NotNull(), schema.ServerDefault(expr.Now())),
	)
	tables, err := md.SortedTables()
	if err != nil {
		panic(err)
	}
	d := postgres.New()
	for _, t := range tables {
		c, err := compile.Compile(d, &schema.CreateTable{Table: t})
		if err != nil {
			panic(err)
		}
		fmt.Println(c.SQL)
	}
	c, _ := compile.Compile(d, &schema.CreateIndex{Index: posts.Indexes[0]})
	fmt.Println(c.SQL)
	// Output:
	// CREATE TABLE users (id SERIAL NOT NULL, email VARCHAR(100) NOT NULL, created TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, PRIMARY KEY (id), UNIQUE (email))
	// CREATE TABLE posts (id SERIAL NOT NULL, user_id INTEGER NOT NULL, title VARCHAR(200) NOT NULL, PRIMARY KEY (id), FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE)
	// CREATE INDEX ix_posts_title ON posts (title)
}

func ExampleMetaData_Table_errors() {
	md := schema.NewMetaData()
	_, err := md.Table("t",
		schema.Col("a", types.Integer()),
		schema.Col("a", types.Text()),
		schema.UniqueConstraint("uq_t", "b"),
	)
	fmt.Println(err)
	// Output:
	// schema: table t column a: column defined twice
	// schema: table t column b: unique constraint "uq_t" names a column the table does not have
}
