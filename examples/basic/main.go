package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// meta and t1 are the schema: t1(id integer primary key, name string).
var (
	meta = schema.NewMetaData()
	t1   = meta.MustTable("t1",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(50)),
	)
)

func main() {
	url := flag.String("url", "sqlite://", "database URL (SQLAlchemy style), e.g. postgresql://user:pass@host/db")
	echo := flag.Bool("echo", false, "log every SQL statement and its parameters")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, *echo); err != nil {
		fmt.Fprintln(os.Stderr, "basic:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url string, echo bool) error {
	// The engine is shared by the whole program and safe for concurrent use.
	eng, err := engine.Create(ctx, url, engine.Echo(echo),
		engine.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	if err != nil {
		return err
	}
	defer eng.Close()
	fmt.Println("engine:", eng.URL(), "dialect:", eng.Dialect().Name())

	// One transaction: drop and create the table, insert two rows. It commits when the
	// function returns nil and rolls back if it returns an error or panics.
	err = eng.Begin(ctx, func(ctx context.Context, conn *engine.Conn) error {
		if err := conn.DropAll(ctx, meta); err != nil {
			return err
		}
		if err := conn.CreateAll(ctx, meta); err != nil {
			return err
		}
		res, err := conn.Execute(ctx, expr.Insert(t1).
			Values(map[string]any{"name": "some name 1"}).
			Values(map[string]any{"name": "some name 2"}))
		if err != nil {
			return err
		}
		fmt.Println("inserted", res.RowsAffected(), "rows")
		return nil
	})
	if err != nil {
		return err
	}

	conn, err := eng.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	id, name := t1.C("id"), t1.C("name")
	selectAll := expr.Select(t1).OrderBy(id.Asc())

	// A buffered result: every row is read before Execute returns.
	res, err := conn.Execute(ctx, selectAll)
	if err != nil {
		return err
	}
	fmt.Println("all:", formatRows(res.All()))

	// A streamed result: rows are read as the loop asks for them (through a server-side
	// cursor on PostgreSQL), so memory stays constant however many there are.
	for row, err := range conn.Stream(ctx, selectAll) {
		if err != nil {
			return err
		}
		fmt.Println("streamed:", formatRow(row))
	}

	// Update and delete in a transaction of the connection. The second row is updated by
	// the key the database gave it (2 on a fresh table of one server, but a Galera
	// cluster steps keys by its node count).
	second, err := conn.Scalar(ctx, expr.Select(id).Where(name.Eq("some name 2")))
	if err != nil {
		return err
	}
	err = conn.Transaction(ctx, func(ctx context.Context, conn *engine.Conn) error {
		res, err := conn.Execute(ctx, expr.Update(t1).Set(name, "new name 2").Where(id.Eq(second)))
		if err != nil {
			return err
		}
		fmt.Println("updated", res.RowsAffected(), "row")
		res, err = conn.Execute(ctx, expr.Delete(t1).Where(name.Eq("some name 1")))
		if err != nil {
			return err
		}
		fmt.Println("deleted", res.RowsAffected(), "row")
		return nil
	})
	if err != nil {
		return err
	}

	row, err := mustOne(conn.Execute(ctx, selectAll))
	if err != nil {
		return err
	}
	var gotID int
	var gotName string
	if err := row.Scan(&gotID, &gotName); err != nil {
		return err
	}
	fmt.Printf("remaining: id=%d name=%q\n", gotID, gotName)

	n, err := conn.Scalar(ctx, expr.Select(expr.CountStar()).From(t1))
	if err != nil {
		return err
	}
	fmt.Println("count:", n)
	return nil
}

func mustOne(res *engine.Result, err error) (engine.Row, error) {
	if err != nil {
		return engine.Row{}, err
	}
	return res.One()
}

// formatRow renders a row as a tuple, as Python prints it: (1, 'some name 1').
func formatRow(r engine.Row) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range r.Values() {
		if i > 0 {
			b.WriteString(", ")
		}
		switch x := v.(type) {
		case string:
			b.WriteString(strconv.Quote(x))
		case nil:
			b.WriteString("NULL")
		default:
			fmt.Fprint(&b, x)
		}
	}
	b.WriteByte(')')
	return b.String()
}

func formatRows(rows []engine.Row) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = formatRow(r)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
