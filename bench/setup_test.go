package bench

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
	_ "modernc.org/sqlite"

	"github.com/retortdb/retort/bench/ent"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/orm"
)

// retortEnv is retort on one database, and on PostgreSQL a second engine with echo on,
// whose log counts statements.
type retortEnv struct {
	main    *sessions
	counted *sessions         // through trips, echoing to counter
	counter *StatementCounter // statements of counted
	trips   *RoundTripProxy   // round trips of counted
}

// pgEnv holds every library's connection to the PostgreSQL database.
type pgEnv struct {
	retortEnv
	pool      *pgxpool.Pool
	std       *sql.DB
	bun       *bun.DB
	gorm      *gorm.DB
	ent       *ent.Client
	pgCounter *StatementCounter // counts the statements of pool, std, bun, gorm and ent
	streamed  int               // rows in big_row (0 until the Stream case seeds it)
}

var (
	pgOnce  sync.Once
	pgState *pgEnv
	pgErr   error

	myOnce  sync.Once
	myState *rawEnv
	myErr   error

	liteOnce  sync.Once
	liteState *rawEnv
	liteErr   error
	liteDir   string

	closers []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
	if liteDir != "" {
		os.RemoveAll(liteDir)
	}
	os.Exit(code)
}

// newRetort opens retort on url, creates the benchmark tables (dropping old ones) and
// seeds item, parent and child.
func newRetort(ctx context.Context, url string, counted bool) (retortEnv, error) {
	var r retortEnv
	eng, err := engine.Create(ctx, url, engine.PoolSize(PoolConns))
	if err != nil {
		return r, err
	}
	closers = append(closers, func() { eng.Close() })
	md := Registry.MetaData()
	if err := eng.DropAll(ctx, md); err != nil {
		return r, err
	}
	if err := eng.CreateAll(ctx, md); err != nil {
		return r, err
	}
	if err := seed(ctx, eng); err != nil {
		return r, err
	}
	r.main = newSessions(eng)
	if counted {
		u, err := engine.ParseURL(url)
		if err != nil {
			return r, err
		}
		port := u.Port
		if port == 0 {
			port = 5432
		}
		if r.trips, err = StartRoundTripProxy(net.JoinHostPort(u.Host, strconv.Itoa(port))); err != nil {
			return r, err
		}
		closers = append(closers, func() { r.trips.Close() })
		curl, err := r.trips.Through(url)
		if err != nil {
			return r, err
		}
		r.counter = new(StatementCounter)
		ceng, err := engine.Create(ctx, curl, engine.PoolSize(1), engine.Echo(true), engine.WithLogger(slog.New(r.counter)))
		if err != nil {
			return r, err
		}
		closers = append(closers, func() { ceng.Close() })
		// Connect now, so that no op counts the connection's start-up.
		r.counted = newSessions(ceng)
		s := r.counted.sm.New()
		_, err = orm.Get[Item](ctx, s, int64(1))
		s.Close()
		if err != nil {
			return r, err
		}
	}
	return r, nil
}

// seed fills item (SeedItems rows), parent and child (EagerParents x ChildrenPer) with
// retort's Core, the same rows on every database.
func seed(ctx context.Context, eng *engine.Engine) error {
	return eng.Begin(ctx, func(ctx context.Context, c *engine.Conn) error {
		ins := expr.Insert(ItemT.Core())
		for i := 1; i <= SeedItems; i++ {
			ins = ins.Values(map[string]any{"id": int64(i), "name": fmt.Sprintf("item %d", i), "value": int64(i)})
		}
		if _, err := c.Execute(ctx, ins); err != nil {
			return err
		}
		pins := expr.Insert(ParentT.Core())
		cins := expr.Insert(ChildT.Core())
		for p := 1; p <= EagerParents; p++ {
			pins = pins.Values(map[string]any{"id": int64(p), "name": fmt.Sprintf("parent %d", p)})
			for k := 1; k <= ChildrenPer; k++ {
				id := (p-1)*ChildrenPer + k
				cins = cins.Values(map[string]any{"id": int64(id), "parent_id": int64(p), "name": fmt.Sprintf("child %d", id)})
			}
		}
		if _, err := c.Execute(ctx, pins); err != nil {
			return err
		}
		_, err := c.Execute(ctx, cins)
		return err
	})
}

// postgresEnv returns the shared PostgreSQL environment, skipping without RETORT_BENCH_POSTGRES.
func postgresEnv(b *testing.B) *pgEnv {
	b.Helper()
	retortURL, dsn, ok := PostgresURLs()
	if !ok {
		b.Skip("set " + PostgresEnv + " to a throwaway PostgreSQL database to run these benchmarks")
	}
	pgOnce.Do(func() {
		ctx := context.Background()
		e := &pgEnv{pgCounter: new(StatementCounter)}
		pgState, pgErr = e, func() error {
			var err error
			if e.retortEnv, err = newRetort(ctx, retortURL, true); err != nil {
				return err
			}
			// Sequences continue after the seeded keys.
			for _, t := range []string{"item", "parent", "child"} {
				q := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))", t, t)
				if err := execSQL(ctx, dsn, q); err != nil {
					return err
				}
			}
			if e.pool, err = PgxPool(ctx, dsn, e.pgCounter); err != nil {
				return err
			}
			closers = append(closers, e.pool.Close)
			if e.std, err = StdlibDB(dsn, e.pgCounter); err != nil {
				return err
			}
			closers = append(closers, func() { e.std.Close() })
			// Bun over pgx's database/sql driver, as Bun's PostgreSQL page shows.
			e.bun = bun.NewDB(e.std, pgdialect.New())
			// GORM with its defaults (a transaction around each write), on the same pool.
			e.gorm, err = gorm.Open(postgres.New(postgres.Config{Conn: e.std}), &gorm.Config{Logger: logger.Discard})
			if err != nil {
				return err
			}
			e.ent = ent.NewClient(ent.Driver(entsql.OpenDB("postgres", e.std)))
			// Open a connection in each pool before anything is timed.
			if err := e.pool.Ping(ctx); err != nil {
				return err
			}
			return e.std.PingContext(ctx)
		}()
	})
	if pgErr != nil {
		b.Fatal(pgErr)
	}
	return pgState
}

// execSQL runs one statement on its own pgx connection.
func execSQL(ctx context.Context, dsn, q string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, q)
	return err
}

// rawEnv is retort and a raw database/sql pool on one database (MariaDB or SQLite).
type rawEnv struct {
	retortEnv
	raw rawDB
}

// mysqlEnv returns the shared MariaDB environment, skipping without RETORT_BENCH_MYSQL.
func mysqlEnv(b *testing.B) *rawEnv {
	b.Helper()
	retortURL, dsn, ok, err := MySQLURLs()
	if !ok {
		b.Skip("set " + MySQLEnv + " to a throwaway MariaDB database to run these benchmarks")
	}
	if err != nil {
		b.Fatal(err)
	}
	myOnce.Do(func() {
		ctx := context.Background()
		e := &rawEnv{}
		myState, myErr = e, func() error {
			var err error
			if e.retortEnv, err = newRetort(ctx, retortURL, false); err != nil {
				return err
			}
			db, err := sql.Open("mysql", dsn)
			if err != nil {
				return err
			}
			db.SetMaxOpenConns(PoolConns)
			db.SetMaxIdleConns(PoolConns)
			closers = append(closers, func() { db.Close() })
			e.raw = rawDB{db: db, ph: questionMark}
			return db.PingContext(ctx)
		}()
	})
	if myErr != nil {
		b.Fatal(myErr)
	}
	return myState
}

// sqliteEnv returns the shared SQLite environment (a database file in a temporary directory).
func sqliteEnv(b *testing.B) *rawEnv {
	b.Helper()
	liteOnce.Do(func() {
		ctx := context.Background()
		e := &rawEnv{}
		liteState, liteErr = e, func() error {
			var err error
			if liteDir, err = os.MkdirTemp("", "retort-bench-"); err != nil {
				return err
			}
			path := filepath.Join(liteDir, "bench.db")
			if e.retortEnv, err = newRetort(ctx, "sqlite:///"+path, false); err != nil {
				return err
			}
			db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
			if err != nil {
				return err
			}
			db.SetMaxOpenConns(1)
			closers = append(closers, func() { db.Close() })
			e.raw = rawDB{db: db, ph: questionMark, returning: true}
			return nil
		}()
	})
	if liteErr != nil {
		b.Fatal(liteErr)
	}
	return liteState
}
