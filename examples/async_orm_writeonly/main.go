package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/orm"
)

// A is the parent model (table a): SQLAlchemy's
//
//	id: Mapped[int] = mapped_column(primary_key=True)
//	data: Mapped[Optional[str]]
//	create_date: Mapped[datetime.datetime] = mapped_column(server_default=func.now())
//	bs: WriteOnlyMapped[B] = relationship()
//
// Collection relationships are declared with orm.WriteOnly: there is no separate
// collection type, and the collection is never loaded.
type A struct {
	ID         int64     `retort:"pk"`
	Data       *string   // nullable: Optional[str]
	CreateDate time.Time `retort:"server_default=now()"`
	Bs         orm.WriteOnly[B]
}

// TableName names A's table "a", as __tablename__ does.
func (A) TableName() string { return "a" }

// String renders a as A(id=1, data='a1').
func (a *A) String() string {
	return fmt.Sprintf("A(id=%d, data=%s)", a.ID, pyStr(a.Data))
}

// B is the child model (table b): SQLAlchemy's
//
//	id: Mapped[int] = mapped_column(primary_key=True)
//	a_id: Mapped[int] = mapped_column(ForeignKey("a.id"))
//	data: Mapped[Optional[str]]
type B struct {
	ID   int64   `retort:"pk"`
	AID  int64   `retort:"a_id,fk=a.id"`
	Data *string // nullable: Optional[str]
}

// TableName names B's table "b".
func (B) TableName() string { return "b" }

// String renders b as B(id=1, a_id=1, data=None).
func (b *B) String() string {
	return fmt.Sprintf("B(id=%d, a_id=%d, data=%s)", b.ID, b.AID, pyStr(b.Data))
}

// reg holds the mapping of A and B (and so the MetaData that drop_all/create_all use).
var reg = orm.NewRegistry()

// AT is A's typed handle: the columns the queries name, checked against A when it is
// registered at start-up.
var AT = struct {
	orm.Table[A]
	ID orm.Column[int64]
}{}

func init() { orm.MustRegister(reg, &AT) }

func main() {
	url := flag.String("url", "sqlite://", "database URL (SQLAlchemy style); the default is an in-memory SQLite database")
	echo := flag.Bool("echo", true, "log every SQL statement to standard error (echo=True in the seed)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, *echo, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "async_orm_writeonly:", err)
		os.Exit(1)
	}
}

// run is the program: it writes its output to out and, when echo is set, the SQL it runs
// to standard error.
func run(ctx context.Context, url string, echo bool, out io.Writer) error {
	var log *slog.Logger
	if echo {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		}))
	}
	return runLogged(ctx, url, log, out)
}

// runLogged is run with the echo going to log (no echo when log is nil); the tests call it
// with a logger that records the statements.
func runLogged(ctx context.Context, url string, log *slog.Logger, out io.Writer) error {
	opts := []engine.Option{engine.Echo(log != nil)}
	if log != nil {
		opts = append(opts, engine.WithLogger(log))
	}
	eng, err := engine.Create(ctx, url, opts...)
	if err != nil {
		return err
	}
	defer eng.Close()

	// async with engine.begin() as conn: await conn.run_sync(Base.metadata.drop_all)
	// and the same for create_all, each in its own transaction.
	err = eng.Begin(ctx, func(ctx context.Context, conn *engine.Conn) error {
		return conn.DropAll(ctx, reg.MetaData())
	})
	if err != nil {
		return err
	}
	err = eng.Begin(ctx, func(ctx context.Context, conn *engine.Conn) error {
		return conn.CreateAll(ctx, reg.MetaData())
	})
	if err != nil {
		return err
	}

	// async_session = async_sessionmaker(engine, expire_on_commit=False)
	sessions := orm.NewSessionMaker(eng, reg, orm.ExpireOnCommit(false))

	// async with async_session() as session: (closed, and so rolled back, at the end)
	s := sessions.New()
	defer s.Close()

	// async with session.begin(): session.add_all([...]) — committed when the function
	// returns nil. A write-only collection may be populated when its parent is created.
	err = s.Begin(ctx, func(ctx context.Context) error {
		return s.AddAll(
			&A{Bs: orm.WriteOnlyOf(&B{}, &B{}), Data: ptr("a1")},
			&A{Bs: orm.WriteOnlyOf(&B{}), Data: ptr("a2")},
			&A{Bs: orm.WriteOnlyOf(&B{}, &B{}), Data: ptr("a3")},
		)
	})
	if err != nil {
		return err
	}

	stmt := orm.Select(AT)

	// result = await session.scalars(stmt)
	result, err := orm.Scalars(ctx, s, stmt)
	if err != nil {
		return err
	}
	for a1 := range result.Values() {
		fmt.Fprintln(out, a1)
		fmt.Fprintf(out, "created at: %s\n", pyDatetime(a1.CreateDate))

		// to iterate a collection, emit a SELECT statement
		bs, err := orm.Scalars(ctx, s, a1.Bs.Select())
		if err != nil {
			return err
		}
		for b1 := range bs.Values() {
			fmt.Fprintln(out, b1)
		}
	}

	// result = await session.stream(stmt); async for a1 in result.scalars():
	//
	// A session runs one statement at a time and its stream holds the connection until
	// the loop ends, so the streamed A's are gathered first and the inner streams run
	// after the outer one (see the package documentation).
	var streamed []*A
	for a1, err := range orm.Stream(ctx, s, stmt) {
		if err != nil {
			return err
		}
		streamed = append(streamed, a1)
	}
	for _, a1 := range streamed {
		fmt.Fprintln(out, a1)

		// similar using "streaming" (server side cursors)
		for b1, err := range orm.Stream(ctx, s, a1.Bs.Select()) {
			if err != nil {
				return err
			}
			fmt.Fprintln(out, b1)
		}
	}

	// await session.commit()
	if err := s.Commit(ctx); err != nil {
		return err
	}

	// result = await session.scalars(select(A).order_by(A.id)); a1 = result.first()
	result, err = orm.Scalars(ctx, s, orm.Select(AT).OrderBy(AT.ID.Asc()))
	if err != nil {
		return err
	}
	a1, err := result.First()
	if err != nil {
		return err
	}
	// The change is never committed: leaving the session's block (Close, deferred
	// above) rolls it back, as in the seed.
	a1.Data = ptr("new data")
	return nil
}

// pyStr renders a nullable string as Python's repr does: None, or the text in single
// quotes (double quotes when it holds a single quote and no double quote), with
// backslashes and the chosen quote escaped.
func pyStr(s *string) string {
	if s == nil {
		return "None"
	}
	q := "'"
	if strings.Contains(*s, "'") && !strings.Contains(*s, `"`) {
		q = `"`
	}
	return q + strings.NewReplacer(`\`, `\\`, q, `\`+q).Replace(*s) + q
}

// pyDatetime renders a time as Python's str(datetime) does for a naive datetime:
// 2025-01-02 03:04:05, with .ffffff when there are microseconds.
func pyDatetime(t time.Time) string {
	if t.Nanosecond()/1000 != 0 {
		return t.Format("2006-01-02 15:04:05.000000")
	}
	return t.Format("2006-01-02 15:04:05")
}

// ptr returns a pointer to a copy of v, for the nullable fields.
func ptr[T any](v T) *T { return &v }
