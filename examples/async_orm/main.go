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
//	bs: Mapped[List[B]] = relationship()
type A struct {
	ID         int64     `retort:"pk"`
	Data       *string   // nullable: Optional[str]
	CreateDate time.Time `retort:"server_default=now()"`
	Bs         []*B      `retort:"rel"`
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

// AT is A's typed handle: the columns and relationship the queries name, checked against
// A when it is registered at start-up.
var AT = struct {
	orm.Table[A]
	ID   orm.Column[int64]
	Data orm.Column[*string]
	Bs   orm.Relation[A, B]
}{}

func init() { orm.MustRegister(reg, &AT) }

func main() {
	url := flag.String("url", "sqlite://", "database URL (SQLAlchemy style); the default is an in-memory SQLite database")
	echo := flag.Bool("echo", true, "log every SQL statement to standard error (echo=True in the seed)")
	joined := flag.Bool("joined", false, "load A.bs with a LEFT OUTER JOIN (joinedload) instead of a second SELECT (selectinload)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, *echo, *joined, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "async_orm:", err)
		os.Exit(1)
	}
}

// run is the program: it writes its output to out and, when echo is set, the SQL it runs
// to standard error; joined selects joined loading of A.bs.
func run(ctx context.Context, url string, echo, joined bool, out io.Writer) error {
	var log *slog.Logger
	if echo {
		log = stderrLogger()
	}
	return runLogged(ctx, url, log, joined, out)
}

// stderrLogger returns the echo logger: slog text lines on standard error, without the
// time stamp (the statements are what matters).
func stderrLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// runLogged is run with the echo going to log (no echo when log is nil); the tests call it
// with a logger that records the statements.
func runLogged(ctx context.Context, url string, log *slog.Logger, joined bool, out io.Writer) error {
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

	// expire_on_commit=False keeps the objects' values after commit (see orm.ExpireOnCommit).
	sessions := orm.NewSessionMaker(eng, reg, orm.ExpireOnCommit(false))

	// async with async_session() as session:
	s := sessions.New()
	defer s.Close()

	// async with session.begin(): session.add_all([...]) — committed when the function
	// returns nil, rolled back if it fails.
	err = s.Begin(ctx, func(ctx context.Context) error {
		return s.AddAll(
			&A{Bs: []*B{{}, {}}, Data: ptr("a1")},
			&A{Bs: []*B{{}}, Data: ptr("a2")},
			&A{Bs: []*B{{}, {}}, Data: ptr("a3")},
		)
	})
	if err != nil {
		return err
	}

	// For relationship loading, eager loading is applied: select(A).options(selectinload(A.bs)).
	// The seed has no ORDER BY; one is added so that the output is the same on every
	// database (without it the row order is the server's choice).
	stmt := orm.Select(AT).Options(orm.SelectIn(AT.Bs)).OrderBy(AT.ID.Asc())
	if joined {
		// joinedload(A.bs): one SELECT ... FROM a LEFT OUTER JOIN b AS b_1 ...; a query
		// joining a collection must be unique (SQLAlchemy's result.unique()), since each
		// A comes once per B row.
		stmt = orm.Select(AT).Options(orm.Joined(AT.Bs)).Unique().OrderBy(AT.ID.Asc())
	}

	// result = await session.scalars(stmt): a buffered result.
	result, err := orm.Scalars(ctx, s, stmt)
	if err != nil {
		return err
	}
	for a1 := range result.Values() {
		fmt.Fprintln(out, a1)
		fmt.Fprintf(out, "created at: %s\n", pyDatetime(a1.CreateDate))
		for _, b1 := range a1.Bs {
			fmt.Fprintln(out, b1)
		}
	}

	// result = await session.stream(stmt); async for a1 in result.scalars(): a Go iterator
	// over a streaming result. A stream cannot join a collection (as SQLAlchemy's
	// yield_per refuses joined collections), so with -joined it loads A.bs with selectin.
	streamed := stmt
	if joined {
		streamed = orm.Select(AT).Options(orm.SelectIn(AT.Bs)).OrderBy(AT.ID.Asc())
	}
	for a1, err := range orm.Stream(ctx, s, streamed) {
		if err != nil {
			return err
		}
		fmt.Fprintln(out, a1)
		for _, b1 := range a1.Bs {
			fmt.Fprintln(out, b1)
		}
	}

	// result = await session.scalars(select(A).order_by(A.id)); a1 = result.first()
	all, err := orm.Scalars(ctx, s, orm.Select(AT).OrderBy(AT.ID.Asc()))
	if err != nil {
		return err
	}
	a1, err := all.First()
	if err != nil {
		return err
	}
	a1.Data = ptr("new data")
	if err := s.Commit(ctx); err != nil { // UPDATE a SET data=... WHERE a.id = 1; COMMIT
		return err
	}

	// for b1 in await a1.awaitable_attrs.bs: the explicit, ctx-taking form of the load.
	bs, err := awaitBs(ctx, s, a1)
	if err != nil {
		return err
	}
	for _, b1 := range bs {
		fmt.Fprintln(out, b1)
	}
	return nil
}

// awaitBs is the Go spelling of "await a.awaitable_attrs.bs": it returns a's B's, running a
// SELECT ... WHERE b.a_id IN (...) only when the session has not loaded the collection yet
// (Python's awaitable attribute returns an already-loaded collection without I/O too).
// Nothing loads on field access in retort, so the I/O is explicit and takes ctx.
func awaitBs(ctx context.Context, s *orm.Session, a *A) ([]*B, error) {
	if !orm.IsLoaded(s, a, AT.Bs) {
		if err := orm.Load(ctx, s, AT.Bs, a); err != nil {
			return nil, err
		}
	}
	return a.Bs, nil
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
