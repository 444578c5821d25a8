package engine

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// openEngine creates an engine for tg, closed when t ends.
func openEngine(t testing.TB, tg testdb.Target, opts ...Option) *Engine {
	t.Helper()
	eng, err := Create(t.Context(), tg.URL, opts...)
	if err != nil {
		t.Fatalf("Create(%s): %v", tg.Name, err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// connect checks out a connection, closed when t ends.
func connect(t testing.TB, eng *Engine) *Conn {
	t.Helper()
	c, err := eng.Connect(t.Context())
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// sqlf replaces each "?" in sql with the dialect's placeholder for its position.
func sqlf(eng *Engine, sql string) string {
	if !strings.Contains(sql, "?") {
		return sql
	}
	var b []byte
	n := 0
	for i := 0; i < len(sql); i++ {
		if sql[i] == '?' {
			n++
			b = eng.Dialect().AppendPlaceholder(b, n)
			continue
		}
		b = append(b, sql[i])
	}
	return string(b)
}

// col is a typed result column.
func col(name string, t types.Type) compile.ResultColumn {
	return compile.ResultColumn{Name: name, Type: t}
}

// query runs a raw query with typed result columns and typed-unknown arguments.
func query(ctx context.Context, c *Conn, sql string, cols []compile.ResultColumn, args ...any) (*Result, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.leave()
	return c.run(ctx, &compile.Compiled{SQL: sqlf(c.eng, sql), Args: args, ArgTypes: make([]types.Type, len(args)),
		Columns: cols, Returns: true})
}

// mustQuery is query that fails t on error.
func mustQuery(t testing.TB, c *Conn, sql string, cols []compile.ResultColumn, args ...any) *Result {
	t.Helper()
	res, err := query(t.Context(), c, sql, cols, args...)
	if err != nil {
		t.Fatalf("query %q: %v", sql, err)
	}
	return res
}

// exec runs a raw statement that returns no rows.
func exec(ctx context.Context, c *Conn, sql string, args ...any) (int64, error) {
	res, err := c.execSQL(ctx, sqlf(c.eng, sql), false, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected(), nil
}

// mustExec is exec that fails t on error.
func mustExec(t testing.TB, c *Conn, sql string, args ...any) int64 {
	t.Helper()
	n, err := exec(t.Context(), c, sql, args...)
	if err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
	return n
}

// count returns the number of rows of table.
func count(t testing.TB, c *Conn, table string) int64 {
	t.Helper()
	v, err := mustQuery(t, c, "SELECT COUNT(*) FROM "+table, []compile.ResultColumn{col("n", types.BigInt())}).ScalarOne()
	if err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return v.(int64)
}

// createItems creates table items(id, name, score) with n rows: id i, name "item<i>",
// score i*10 (NULL for every id divisible by 5).
func createItems(t testing.TB, c *Conn, n int) {
	t.Helper()
	mustExec(t, c, "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL UNIQUE, score INTEGER)")
	for i := 1; i <= n; i++ {
		var score any
		if i%5 != 0 {
			score = int64(i * 10)
		}
		mustExec(t, c, "INSERT INTO items (id, name, score) VALUES (?, ?, ?)", int64(i), "item"+strconv.Itoa(i), score)
	}
}

var itemCols = []compile.ResultColumn{col("id", types.Integer()), col("name", types.String(50)), col("score", types.Integer())}
