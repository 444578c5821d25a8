package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/orm"
)

// A is the model (table a): SQLAlchemy's
//
//	id: Mapped[int] = mapped_column(primary_key=True)
//	data: Mapped[str]
type A struct {
	ID   int64 `retort:"pk"`
	Data string
}

// TableName names A's table "a", as __tablename__ does.
func (A) TableName() string { return "a" }

// String renders a as the seed's __repr__ does: A(id_=1, data='a_5').
func (a *A) String() string { return fmt.Sprintf("A(id_=%d, data='%s')", a.ID, a.Data) }

// reg holds the mapping of A.
var reg = orm.NewRegistry()

// AT is A's typed handle.
var AT = struct {
	orm.Table[A]
	ID   orm.Column[int64]
	Data orm.Column[string]
}{}

func init() { orm.MustRegister(reg, &AT) }

func main() {
	url := flag.String("url", "sqlite://", "database URL (SQLAlchemy style); the default is an in-memory SQLite database")
	echo := flag.Bool("echo", false, "log every SQL statement to standard error")
	seed := flag.Uint64("seed", 1, "seed of the random choice of the rows to select")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var log *slog.Logger
	if *echo {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if err := run(ctx, *url, log, *seed, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gather:", err)
		os.Exit(1)
	}
}

// run is the program, writing its output to out (and the echo to log, when not nil).
func run(ctx context.Context, url string, log *slog.Logger, seed uint64, out io.Writer) error {
	opts := []engine.Option{engine.Echo(log != nil)}
	if log != nil {
		opts = append(opts, engine.WithLogger(log))
	}
	// Each goroutine holds a connection: the pool must have room for them.
	opts = append(opts, engine.PoolSize(10))
	eng, err := engine.Create(ctx, url, opts...)
	if err != nil {
		return err
	}
	defer eng.Close()

	// async with engine.begin() as conn: drop_all, create_all.
	err = eng.Begin(ctx, func(ctx context.Context, conn *engine.Conn) error {
		if err := conn.DropAll(ctx, reg.MetaData()); err != nil {
			return err
		}
		return conn.CreateAll(ctx, reg.MetaData())
	})
	if err != nil {
		return err
	}

	sessions := orm.NewSessionMaker(eng, reg, orm.ExpireOnCommit(false))
	s := sessions.New()
	defer s.Close()

	// async with async_session() as session, session.begin(): add_all 100 As.
	err = s.Begin(ctx, func(ctx context.Context) error {
		for i := range 100 {
			if err := s.Add(&A{Data: fmt.Sprintf("a_%d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	// 30 statements select(A).where(A.data == "a_%d" % random.choice(range(100))); the
	// choice is seeded (-seed) so that the output can be checked.
	rnd := rand.New(rand.NewPCG(seed, seed))
	statements := make([]*orm.SelectStmt[A], 30)
	for i := range statements {
		statements[i] = orm.Select(AT).Where(AT.Data.Eq(fmt.Sprintf("a_%d", rnd.IntN(100))))
	}

	// asyncio.gather(*(run_out_of_band(...) for statement in statements)): one goroutine
	// per statement, each on a session (and connection) of its own; the first error
	// cancels the others.
	frozen := make([][]*A, len(statements))
	g, gctx := errgroup.WithContext(ctx)
	for i, stmt := range statements {
		g.Go(func() error {
			objs, err := runOutOfBand(gctx, sessions, stmt)
			frozen[i] = objs
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	// merge_frozen_result(session, statement, result, load=False): the objects, detached
	// since their sessions closed, join the main session without SQL.
	results := make([][]*A, len(frozen))
	for i, objs := range frozen {
		if results[i], err = orm.MergeResult(s, objs); err != nil {
			return err
		}
	}

	// print(f"results: {[r.all() for r in results]}")
	parts := make([]string, len(results))
	for i, r := range results {
		items := make([]string, len(r))
		for k, a := range r {
			items[k] = a.String()
		}
		parts[i] = "[" + strings.Join(items, ", ") + "]"
	}
	fmt.Fprintf(out, "results: [%s]\n", strings.Join(parts, ", "))
	return nil
}

// runOutOfBand runs statement in a session of its own and returns its objects, which
// become detached when the session closes (SQLAlchemy's result.freeze()). The session
// only reads: where the engine allows reads outside a transaction (see
// orm.BeginOnRead) no BEGIN is sent, the counterpart of the seed's AUTOCOMMIT.
func runOutOfBand(ctx context.Context, sessions *orm.SessionMaker, statement *orm.SelectStmt[A]) ([]*A, error) {
	oob := sessions.New()
	defer oob.Close()
	result, err := orm.Scalars(ctx, oob, statement)
	if err != nil {
		return nil, err
	}
	return result.All(), nil
}
