package engine_test

import (
	"context"
	"database/sql"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the comparison

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// The benchmarks compare retort with raw pgx (pgxpool) and raw database/sql (pgx's stdlib
// driver) doing the same work on PostgreSQL. They run only when RETORT_TEST_POSTGRES is
// set:
//
//	RETORT_TEST_POSTGRES=postgresql://postgres@127.0.0.1:5432/test \
//	  go test -run '^$' -bench . -benchmem ./engine

const benchRows = 1000

type benchEnv struct {
	eng   *engine.Engine
	table *schema.Table
	dsn   string // pgx connection string of the same database
}

func setupBench(b *testing.B) *benchEnv {
	b.Helper()
	if os.Getenv(testdb.PostgresEnv) == "" {
		b.Skip("set " + testdb.PostgresEnv + " to run the PostgreSQL benchmarks")
	}
	tg := testdb.Postgres(b)
	ctx := context.Background()
	// The same connection settings for all three: no TLS on the local connection.
	sep := "?"
	if strings.Contains(tg.URL, "?") {
		sep = "&"
	}
	eng, err := engine.Create(ctx, tg.URL+sep+"sslmode=disable", engine.PoolSize(4))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { eng.Close() })
	md := schema.NewMetaData()
	t := md.MustTable("bench",
		schema.Col("id", types.BigInt(), schema.PrimaryKey()),
		schema.Col("name", types.String(50), schema.NotNull()),
		schema.Col("score", types.BigInt(), schema.NotNull()),
	)
	if err := eng.CreateAll(ctx, md); err != nil {
		b.Fatal(err)
	}
	ins := expr.Insert(t)
	for i := 1; i <= benchRows; i++ {
		ins = ins.Values(map[string]any{"id": i, "name": "name" + strconv.Itoa(i), "score": i % 100})
	}
	if err := eng.Begin(ctx, func(ctx context.Context, c *engine.Conn) error {
		_, err := c.Execute(ctx, ins)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	u, err := engine.ParseURL(tg.URL)
	if err != nil {
		b.Fatal(err)
	}
	port := u.Port
	if port == 0 {
		port = 5432
	}
	dsn := &url.URL{Scheme: "postgres", User: url.User(u.Username), Host: net.JoinHostPort(u.Host, strconv.Itoa(port)),
		Path: "/" + u.Database, RawQuery: "sslmode=disable"}
	if u.Password != "" {
		dsn.User = url.UserPassword(u.Username, u.Password)
	}
	return &benchEnv{eng: eng, table: t, dsn: dsn.String()}
}

// pgxConn opens a pgx pool on the benchmark database and holds one of its connections,
// both released when b ends. Only the timed loops differ between the benchmarks, so they
// stay written out in each: they are the baselines retort is compared with.
func (env *benchEnv) pgxConn(b *testing.B) *pgxpool.Conn {
	b.Helper()
	pool, err := pgxpool.New(context.Background(), env.dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	conn, err := pool.Acquire(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(conn.Release)
	return conn
}

// sqlConn opens a database/sql pool (pgx's stdlib driver) on the benchmark database and
// holds one of its connections, both closed when b ends.
func (env *benchEnv) sqlConn(b *testing.B) *sql.Conn {
	b.Helper()
	db, err := sql.Open("pgx", env.dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn
}

const (
	sql3Pred   = "SELECT bench.id, bench.name, bench.score FROM bench WHERE bench.id = $1 AND bench.score > $2 AND bench.name <> $3"
	sqlScan100 = "SELECT bench.id, bench.name, bench.score FROM bench WHERE bench.id <= $1 ORDER BY bench.id"
)

// BenchmarkSelect3Pred builds (retort), compiles (cached by shape) and runs a select with
// three predicates that returns one row, and scans it.
func BenchmarkSelect3Pred(b *testing.B) {
	env := setupBench(b)
	ctx := context.Background()
	t := env.table
	id, name, score := t.C("id"), t.C("name"), t.C("score")

	b.Run("retort", func(b *testing.B) {
		conn, err := env.eng.Connect(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		var gotID, gotScore int64
		var gotName string
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			k := int64(i%benchRows) + 1
			stmt := expr.Select(id, name, score).From(t).Where(id.Eq(k), score.Gt(-1), name.Ne("x"))
			res, err := conn.Execute(ctx, stmt)
			if err != nil {
				b.Fatal(err)
			}
			row, err := res.One()
			if err != nil {
				b.Fatal(err)
			}
			if err := row.Scan(&gotID, &gotName, &gotScore); err != nil || gotID != k {
				b.Fatal(err, gotID)
			}
		}
	})

	b.Run("pgx", func(b *testing.B) {
		conn := env.pgxConn(b)
		var gotID, gotScore int64
		var gotName string
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			k := int64(i%benchRows) + 1
			rows, err := conn.Query(ctx, sql3Pred, k, int64(-1), "x")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				if err := rows.Scan(&gotID, &gotName, &gotScore); err != nil {
					b.Fatal(err)
				}
				n++
			}
			rows.Close()
			if rows.Err() != nil || n != 1 || gotID != k {
				b.Fatal(rows.Err(), n, gotID)
			}
		}
	})

	b.Run("databasesql", func(b *testing.B) {
		conn := env.sqlConn(b)
		var gotID, gotScore int64
		var gotName string
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			k := int64(i%benchRows) + 1
			rows, err := conn.QueryContext(ctx, sql3Pred, k, int64(-1), "x")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				if err := rows.Scan(&gotID, &gotName, &gotScore); err != nil {
					b.Fatal(err)
				}
				n++
			}
			rows.Close()
			if rows.Err() != nil || n != 1 || gotID != k {
				b.Fatal(rows.Err(), n, gotID)
			}
		}
	})
}

// BenchmarkScan100 reads 100 rows of three columns into typed variables.
func BenchmarkScan100(b *testing.B) {
	env := setupBench(b)
	ctx := context.Background()
	t := env.table
	id, name, score := t.C("id"), t.C("name"), t.C("score")
	stmt := expr.Select(id, name, score).From(t).Where(id.Le(100)).OrderBy(id.Asc())

	b.Run("retort", func(b *testing.B) {
		conn, err := env.eng.Connect(ctx)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		var gotID, gotScore int64
		var gotName string
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			res, err := conn.Execute(ctx, stmt)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for row := range res.Rows() {
				if err := row.Scan(&gotID, &gotName, &gotScore); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != 100 {
				b.Fatal(n)
			}
		}
	})

	b.Run("pgx", func(b *testing.B) {
		conn := env.pgxConn(b)
		var gotID, gotScore int64
		var gotName string
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			rows, err := conn.Query(ctx, sqlScan100, int64(100))
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				if err := rows.Scan(&gotID, &gotName, &gotScore); err != nil {
					b.Fatal(err)
				}
				n++
			}
			rows.Close()
			if rows.Err() != nil || n != 100 {
				b.Fatal(rows.Err(), n)
			}
		}
	})

	b.Run("databasesql", func(b *testing.B) {
		conn := env.sqlConn(b)
		var gotID, gotScore int64
		var gotName string
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			rows, err := conn.QueryContext(ctx, sqlScan100, int64(100))
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				if err := rows.Scan(&gotID, &gotName, &gotScore); err != nil {
					b.Fatal(err)
				}
				n++
			}
			rows.Close()
			if rows.Err() != nil || n != 100 {
				b.Fatal(rows.Err(), n)
			}
		}
	})
}
