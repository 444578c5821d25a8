package orm_test

import (
	"context"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/orm"
)

// The benchmarks of issue 3 compare the ORM with the same work written in raw pgx
// (pgxpool) on the same PostgreSQL database. They run only when RETORT_TEST_POSTGRES is
// set:
//
//	RETORT_TEST_POSTGRES=postgresql://postgres@127.0.0.1:5432/test \
//	  go test -run '^$' -bench . -benchmem ./orm

// Item is the benchmark model.
type Item struct {
	ID    int64  `retort:"pk"`
	Name  string `retort:"size=50"`
	Score int64
}

const benchRows = 1000

type benchEnv struct {
	sm   *orm.SessionMaker
	reg  *orm.Registry
	pool *pgxpool.Pool
}

func setupBench(b *testing.B) *benchEnv {
	b.Helper()
	if os.Getenv(testdb.PostgresEnv) == "" {
		b.Skip("set " + testdb.PostgresEnv + " to run the PostgreSQL benchmarks")
	}
	tg := testdb.Postgres(b)
	ctx := context.Background()
	sep := "?"
	if strings.Contains(tg.URL, "?") {
		sep = "&"
	}
	eng, err := engine.Create(ctx, tg.URL+sep+"sslmode=disable", engine.PoolSize(4))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { eng.Close() })
	reg := orm.NewRegistry()
	if err := orm.Register[Item](reg); err != nil {
		b.Fatal(err)
	}
	if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
		b.Fatal(err)
	}
	t, _ := orm.TableOf[Item](reg)
	ins := expr.Insert(t)
	for i := 1; i <= benchRows; i++ {
		ins = ins.Values(map[string]any{"name": "name" + strconv.Itoa(i), "score": i % 100})
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
		Path: "/" + u.Database, RawQuery: "sslmode=disable&pool_max_conns=4"}
	if u.Password != "" {
		dsn.User = url.UserPassword(u.Username, u.Password)
	}
	pool, err := pgxpool.New(ctx, dsn.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return &benchEnv{sm: orm.NewSessionMaker(eng, reg), reg: reg, pool: pool}
}

// BenchmarkGet: Get by primary key in a fresh session (one SELECT, one object).
func BenchmarkGet(b *testing.B) {
	env := setupBench(b)
	ctx := context.Background()
	b.Run("retort", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			s := env.sm.New()
			it, err := orm.Get[Item](ctx, s, int64(1+i%benchRows))
			if err != nil || it == nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
	b.Run("pgx", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			it := new(Item)
			err := env.pool.QueryRow(ctx, "SELECT item.id, item.name, item.score FROM item WHERE item.id = $1", int64(1+i%benchRows)).
				Scan(&it.ID, &it.Name, &it.Score)
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSelect100: 100 rows into new objects (fresh session each time).
func BenchmarkSelect100(b *testing.B) {
	env := setupBench(b)
	ctx := context.Background()
	t, _ := orm.TableOf[Item](env.reg)
	b.Run("retort", func(b *testing.B) {
		b.ReportAllocs()
		q := orm.SelectOf[Item](env.reg).Where(t.C("id").Le(int64(100))).OrderBy(t.C("id"))
		for b.Loop() {
			s := env.sm.New()
			res, err := orm.Scalars(ctx, s, q)
			if err != nil || res.Len() != 100 {
				b.Fatal(err)
			}
			s.Close()
		}
	})
	b.Run("pgx", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rows, err := env.pool.Query(ctx, "SELECT item.id, item.name, item.score FROM item WHERE item.id <= $1 ORDER BY item.id", int64(100))
			if err != nil {
				b.Fatal(err)
			}
			out := make([]*Item, 0, 100)
			for rows.Next() {
				it := new(Item)
				if err := rows.Scan(&it.ID, &it.Name, &it.Score); err != nil {
					b.Fatal(err)
				}
				out = append(out, it)
			}
			if rows.Err() != nil || len(out) != 100 {
				b.Fatal(rows.Err())
			}
		}
	})
}

// BenchmarkAddCommit: n new objects, one transaction (multi-row INSERT ... RETURNING id).
func BenchmarkAddCommit(b *testing.B) {
	env := setupBench(b)
	ctx := context.Background()
	for _, n := range []int{1, 100} {
		b.Run("retort/"+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s := env.sm.New()
				for k := 0; k < n; k++ {
					if err := s.Add(&Item{Name: "new", Score: int64(k)}); err != nil {
						b.Fatal(err)
					}
				}
				if err := s.Commit(ctx); err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
		})
		b.Run("pgx/"+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				items := make([]*Item, n)
				var sb strings.Builder
				sb.WriteString("INSERT INTO item (name, score) VALUES ")
				args := make([]any, 0, 2*n)
				for k := range items {
					items[k] = &Item{Name: "new", Score: int64(k)}
					if k > 0 {
						sb.WriteString(", ")
					}
					sb.WriteString("($" + strconv.Itoa(2*k+1) + ", $" + strconv.Itoa(2*k+2) + ")")
					args = append(args, items[k].Name, items[k].Score)
				}
				sb.WriteString(" RETURNING id")
				err := pgx.BeginFunc(ctx, env.pool, func(tx pgx.Tx) error {
					rows, err := tx.Query(ctx, sb.String(), args...)
					if err != nil {
						return err
					}
					k := 0
					for rows.Next() {
						if err := rows.Scan(&items[k].ID); err != nil {
							return err
						}
						k++
					}
					return rows.Err()
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
