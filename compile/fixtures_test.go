package compile_test

import (
	"sync/atomic"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// The tables the golden tests compile statements against.
var (
	md    = schema.NewMetaData()
	users = md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(50), schema.NotNull()),
		schema.Col("email", types.String(100)),
		schema.Col("age", types.Integer()),
		schema.Col("created_at", types.Timestamp(false)))
	addresses = md.MustTable("addresses",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("user_id", types.Integer(), schema.NotNull(), schema.ForeignKey("users.id")),
		schema.Col("email", types.String(100), schema.NotNull()))
	orders = md.MustTable("orders",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("buyer_id", types.Integer(), schema.ForeignKey("users.id")),
		schema.Col("seller_id", types.Integer(), schema.ForeignKey("users.id")),
		schema.Col("total", types.Numeric(10, 2)))
	nodes = md.MustTable("nodes",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("parent_id", types.Integer(), schema.ForeignKey("nodes.id")),
		schema.Col("label", types.Text()))
	tokenN atomic.Int64
	items  = md.MustTable("items",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(40), schema.NotNull()),
		schema.Col("status", types.String(10), schema.Default("new")),
		schema.Col("seq", types.BigInt(), schema.Default(func() any { return tokenN.Add(1) })),
		schema.Col("select", types.Integer()))
)

type namedDialect struct {
	label string
	d     compile.Dialect
}

// goldenDialects are the dialects every golden case is compiled for.
var goldenDialects = []namedDialect{
	{"sqlite", sqlite.New()},
	{"postgresql", postgres.New()},
	{"mariadb 10.11", mysql.New(mysql.MariaDB, 10, 11, 0)},
	{"mysql 8.0.36", mysql.New(mysql.MySQL, 8, 0, 36)},
}
