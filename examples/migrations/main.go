package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/migrate"

	"github.com/retortdb/retort/examples/migrations/migrations"
	v1 "github.com/retortdb/retort/examples/migrations/model/v1"
	v2 "github.com/retortdb/retort/examples/migrations/model/v2"
	v3 "github.com/retortdb/retort/examples/migrations/model/v3"
	v4 "github.com/retortdb/retort/examples/migrations/model/v4"
)

func main() {
	url := flag.String("url", "sqlite://", "database URL (SQLAlchemy style), e.g. postgresql://user:pass@host/db")
	echo := flag.Bool("echo", false, "log every SQL statement and its parameters")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, *echo); err != nil {
		fmt.Fprintln(os.Stderr, "migrations:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url string, echo bool) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	eng, err := engine.Create(ctx, url, engine.Echo(echo), engine.WithLogger(logger))
	if err != nil {
		return err
	}
	defer eng.Close()
	fmt.Println("engine:", eng.URL(), "dialect:", eng.Dialect().Name())

	hist, err := migrations.Chain.History()
	if err != nil {
		return err
	}
	if len(hist) != 4 {
		return fmt.Errorf("the chain has %d revisions, want 4", len(hist))
	}
	m := migrate.New(eng, migrations.Chain, migrate.WithLogger(logger))
	step := func(rev string) error {
		if err := m.Upgrade(ctx, rev); err != nil {
			return err
		}
		fmt.Println("upgraded to", rev)
		return nil
	}

	// v1: two users and a note.
	if err := step(hist[0].Revision); err != nil {
		return err
	}
	if err := eng.Begin(ctx, func(ctx context.Context, c *engine.Conn) error {
		if _, err := c.Execute(ctx, expr.Insert(v1.Users).
			Values(map[string]any{"id": 1, "name": "spongebob"}).
			Values(map[string]any{"id": 2, "name": "sandy"})); err != nil {
			return err
		}
		_, err := c.Execute(ctx, expr.Insert(v1.Notes).Values(map[string]any{"id": 1, "body": "to be dropped"}))
		return err
	}); err != nil {
		return err
	}

	// v2: an email column.
	if err := step("+1"); err != nil {
		return err
	}
	if err := eng.Begin(ctx, func(ctx context.Context, c *engine.Conn) error {
		_, err := c.Execute(ctx, expr.Update(v2.Users).Set(v2.Users.C("email"), "sb@example.com").Where(v2.Users.C("id").Eq(1)))
		return err
	}); err != nil {
		return err
	}

	// v3: name renamed full_name; the rows must have kept their names.
	if err := step("+1"); err != nil {
		return err
	}
	names, err := column(ctx, eng, expr.Select(v3.Users.C("full_name")).OrderBy(v3.Users.C("id")))
	if err != nil {
		return err
	}
	if !slices.Equal(names, []string{"spongebob", "sandy"}) {
		return fmt.Errorf("after the rename, users.full_name holds %q, want [spongebob sandy]", names)
	}
	fmt.Println("the rename kept the data:", names)
	if err := eng.Begin(ctx, func(ctx context.Context, c *engine.Conn) error {
		if _, err := c.Execute(ctx, expr.Insert(v3.Teams).Values(map[string]any{"id": 1, "title": "krusty krab"})); err != nil {
			return err
		}
		_, err := c.Execute(ctx, expr.Update(v3.Users).Set(v3.Users.C("team_id"), 1).Where(v3.Users.C("id").Eq(1)))
		return err
	}); err != nil {
		return err
	}

	// v4: notes dropped.
	if err := step("head"); err != nil {
		return err
	}
	emails, err := column(ctx, eng, expr.Select(v4.Users.C("email")).Where(v4.Users.C("team_id").Eq(1)))
	if err != nil {
		return err
	}
	if !slices.Equal(emails, []string{"sb@example.com"}) {
		return fmt.Errorf("at head, the user of team 1 has email %q", emails)
	}
	if err := check(ctx, m); err != nil {
		return err
	}

	// Down to base, and up again.
	if err := m.Downgrade(ctx, "base"); err != nil {
		return err
	}
	md, err := eng.Reflect(ctx)
	if err != nil {
		return err
	}
	if len(md.Tables) != 1 || md.Tables[0].Name != migrate.DefaultVersionTable {
		return fmt.Errorf("after downgrading to base the database still has %d tables", len(md.Tables))
	}
	fmt.Println("downgraded to base: only", migrate.DefaultVersionTable, "is left")
	if err := step("head"); err != nil {
		return err
	}
	st, err := m.Current(ctx)
	if err != nil {
		return err
	}
	if heads := migrations.Chain.Heads(); !slices.Equal(st.Heads, heads) {
		return fmt.Errorf("current %v, want head %v", st.Heads, heads)
	}
	fmt.Println("current:", st.Heads)
	return check(ctx, m)
}

// check compares the last models with the database (migrate check).
func check(ctx context.Context, m *migrate.Migrator) error {
	changes, err := m.Check(ctx, v4.MetaData())
	if err != nil {
		return err
	}
	for _, ch := range changes {
		fmt.Println("  differs:", ch.Up)
	}
	if len(changes) > 0 {
		return fmt.Errorf("the database does not match the models at head (%d changes)", len(changes))
	}
	fmt.Println("check: the database matches the models at head")
	return nil
}

// column returns the first column of a query's rows as text.
func column(ctx context.Context, eng *engine.Engine, q *expr.SelectStmt) ([]string, error) {
	c, err := eng.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res, err := c.Scalars(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []string
	for v := range res.Values() {
		out = append(out, fmt.Sprint(v))
	}
	return out, nil
}
