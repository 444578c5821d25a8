package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/orm"
)

// Parent has children whose amounts add up to its Total.
type Parent struct {
	ID       int64 `retort:"pk"`
	Worker   int64
	Total    int64
	Children []*Child `retort:"rel"`
}

// TableName names the parents' table.
func (Parent) TableName() string { return "soak_parent" }

// Child belongs to a parent.
type Child struct {
	ID       int64 `retort:"pk"`
	ParentID int64 `retort:"parent_id,fk=soak_parent.id"`
	Amount   int64
}

// TableName names the children's table.
func (Child) TableName() string { return "soak_child" }

// Counter is one row every goroutine increments.
type Counter struct {
	ID int64 `retort:"pk"`
	N  int64
}

// TableName names the counter's table.
func (Counter) TableName() string { return "soak_counter" }

// The registry of the soak's models and their handles (PT parents, CT children, KT the
// counter), registered at start-up.
var (
	reg = orm.NewRegistry()
	PT  = struct {
		orm.Table[Parent]
		ID       orm.Column[int64]
		Worker   orm.Column[int64]
		Children orm.Relation[Parent, Child]
	}{}
	CT = struct {
		orm.Table[Child]
		ParentID orm.Column[int64]
	}{}
	KT = struct {
		orm.Table[Counter]
		ID orm.Column[int64]
	}{}
)

func init() {
	orm.MustRegister(reg, &PT)
	orm.MustRegister(reg, &CT)
	orm.MustRegister(reg, &KT)
}

func main() {
	url := flag.String("url", "sqlite:///retort-soak.db", "database URL (SQLAlchemy style)")
	duration := flag.Duration("duration", 60*time.Second, "how long the load runs")
	workers := flag.Int("workers", 32, "goroutines")
	pool := flag.Int("pool", 4, "connections in the engine's pool (no overflow)")
	isolation := flag.String("isolation", "", `transaction isolation level ("" for the database's default); the reads check that
a parent and its children (loaded by two statements) agree, which needs a snapshot
per transaction: REPEATABLE READ on PostgreSQL`)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, config{url: *url, duration: *duration, workers: *workers, pool: *pool, isolation: *isolation}, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "retort-soak:", err)
		os.Exit(1)
	}
}

type config struct {
	url       string
	duration  time.Duration
	workers   int
	pool      int
	isolation string
}

// ledger is what one worker's committed transactions wrote: its parents' totals and
// child counts. Used by its worker only.
type ledger struct {
	parents map[int64]parentRec
	counter int64 // increments of the shared counter
}

type parentRec struct {
	total    int64
	children int64
}

// stats are the counts of the whole run. Safe for concurrent use.
type stats struct {
	ops     [numOps]atomic.Int64
	retries atomic.Int64
	mu      sync.Mutex
	errs    map[string]int
	samples map[string]string
}

const (
	opInsert = iota
	opUpdate
	opDelete
	opRead
	opStream
	opSavepoint
	opCounter
	numOps
)

var opNames = [numOps]string{"insert", "update", "delete", "selectin read", "stream", "savepoint", "counter"}

func (s *stats) fail(err error) {
	kind := errorKind(err)
	s.mu.Lock()
	s.errs[kind]++
	if _, ok := s.samples[kind]; !ok {
		s.samples[kind] = err.Error()
	}
	s.mu.Unlock()
}

// errorKind names the class of err for the report.
func errorKind(err error) string {
	var re *engine.RetryableError
	var de *engine.DataError
	var ie *engine.IntegrityError
	switch {
	case errors.As(err, &re):
		return "retryable: " + re.Kind.String() + " (attempts used up)"
	case errors.Is(err, engine.ErrConnectionLost):
		return "connection lost"
	case errors.Is(err, engine.ErrPoolTimeout):
		return "pool timeout"
	case errors.As(err, &de):
		return "data: " + de.Kind.String()
	case errors.As(err, &ie):
		return "integrity: " + ie.Kind.String()
	case errors.Is(err, orm.ErrStaleData):
		return "stale data"
	case errors.Is(err, errInconsistent):
		return "inconsistent read"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "context ended"
	}
	return "other"
}

var errInconsistent = errors.New("a parent's total differs from the sum of its children")

func run(ctx context.Context, cfg config, out io.Writer) error {
	eng, err := engine.Create(ctx, cfg.url, engine.PoolSize(cfg.pool), engine.MaxOverflow(0), engine.IsolationLevel(cfg.isolation))
	if err != nil {
		return err
	}
	defer eng.Close()
	md := reg.MetaData()
	if err := eng.Begin(ctx, func(ctx context.Context, c *engine.Conn) error {
		if err := c.DropAll(ctx, md); err != nil {
			return err
		}
		return c.CreateAll(ctx, md)
	}); err != nil {
		return fmt.Errorf("create tables: %w", err)
	}
	sm := orm.NewSessionMaker(eng, reg)
	if err := sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error { return s.Add(&Counter{ID: 1}) }); err != nil {
		return fmt.Errorf("create the counter: %w", err)
	}

	st := &stats{errs: map[string]int{}, samples: map[string]string{}}
	ledgers := make([]*ledger, cfg.workers)
	loadCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range cfg.workers {
		ledgers[w] = &ledger{parents: map[int64]parentRec{}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(ctx, loadCtx, sm, int64(w), ledgers[w], st)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	var total int64
	for i := range st.ops {
		total += st.ops[i].Load()
	}
	fmt.Fprintf(out, "retort-soak: %s, %d goroutines, pool of %d, %s\n", eng.Dialect().Name(), cfg.workers, cfg.pool, elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "operations: %d (%.0f ops/s)\n", total, float64(total)/elapsed.Seconds())
	for i, n := range opNames {
		fmt.Fprintf(out, "  %-14s %d\n", n, st.ops[i].Load())
	}
	fmt.Fprintf(out, "retries after conflicts: %d\n", st.retries.Load())
	kinds := make([]string, 0, len(st.errs))
	nerr := 0
	for k, n := range st.errs {
		kinds = append(kinds, k)
		nerr += n
	}
	sort.Strings(kinds)
	fmt.Fprintf(out, "errors: %d\n", nerr)
	for _, k := range kinds {
		fmt.Fprintf(out, "  %-40s %d (first: %s)\n", k, st.errs[k], st.samples[k])
	}
	verr := verify(ctx, eng, ledgers, out)
	if verr != nil {
		fmt.Fprintf(out, "verification: FAILED: %v\n", verr)
	} else {
		fmt.Fprintln(out, "verification: ok")
	}
	if st := eng.Stats(); st.InUse != 0 {
		verr = errors.Join(verr, fmt.Errorf("%d connection(s) still checked out", st.InUse))
	}
	if nerr > 0 {
		return errors.Join(fmt.Errorf("%d unexpected error(s)", nerr), verr)
	}
	return verr
}

// work runs random operations until load ends. Each operation runs under ctx, not load,
// so that the end of the run never interrupts a COMMIT whose outcome would then be
// unknown. Only its own parents are written, so that its ledger is exact; the counter
// and the reads are shared.
func work(ctx, load context.Context, sm *orm.SessionMaker, w int64, l *ledger, st *stats) {
	rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
	retry := []engine.RetryOption{engine.RetryAttempts(30), engine.RetryBackoff(time.Millisecond, 100*time.Millisecond)}
	for load.Err() == nil && ctx.Err() == nil {
		op := rng.IntN(numOps)
		if len(l.parents) == 0 {
			op = opInsert
		}
		attempts := 0
		var commit func() // updates the ledger once the transaction committed
		fn := func(ctx context.Context, s *orm.Session) error {
			attempts++
			commit = nil
			var err error
			commit, err = step(ctx, s, op, w, l, rng)
			return err
		}
		err := sm.Retry(ctx, fn, retry...)
		if attempts > 1 {
			st.retries.Add(int64(attempts - 1))
		}
		if err != nil {
			if ctx.Err() != nil {
				st.fail(err) // interrupted by the user: the outcome is unknown
				return
			}
			st.fail(err)
			continue
		}
		if commit != nil {
			commit()
		}
		st.ops[op].Add(1)
	}
}

// anyParent picks one of the worker's parents.
func anyParent(l *ledger, rng *rand.Rand) int64 {
	n := rng.IntN(len(l.parents))
	for id := range l.parents {
		if n == 0 {
			return id
		}
		n--
	}
	return 0
}

// step runs one operation in the session's transaction and returns what to record in
// the ledger once it commits.
func step(ctx context.Context, s *orm.Session, op int, w int64, l *ledger, rng *rand.Rand) (func(), error) {
	switch op {
	case opInsert:
		p := &Parent{Worker: w}
		for range 1 + rng.IntN(3) {
			a := rng.Int64N(1000)
			p.Children = append(p.Children, &Child{Amount: a})
			p.Total += a
		}
		if err := s.Add(p); err != nil {
			return nil, err
		}
		if err := s.Flush(ctx); err != nil {
			return nil, err
		}
		rec := parentRec{total: p.Total, children: int64(len(p.Children))}
		return func() { l.parents[p.ID] = rec }, nil

	case opUpdate:
		id := anyParent(l, rng)
		p, err := orm.ScalarOne(ctx, s, orm.Select(PT).Where(PT.ID.Eq(id)).Options(orm.SelectIn(PT.Children)))
		if err != nil {
			return nil, err
		}
		a := rng.Int64N(1000)
		p.Children = append(p.Children, &Child{Amount: a})
		p.Total += a
		rec := l.parents[id]
		rec.total += a
		rec.children++
		return func() { l.parents[id] = rec }, nil

	case opDelete:
		id := anyParent(l, rng)
		p, err := orm.ScalarOne(ctx, s, orm.Select(PT).Where(PT.ID.Eq(id)).Options(orm.SelectIn(PT.Children)))
		if err != nil {
			return nil, err
		}
		for _, c := range p.Children {
			if err := s.Delete(c); err != nil {
				return nil, err
			}
		}
		if err := s.Flush(ctx); err != nil {
			return nil, err
		}
		if err := s.Delete(p); err != nil {
			return nil, err
		}
		return func() { delete(l.parents, id) }, nil

	case opRead:
		// Another worker's parents: each must be consistent in a committed state.
		other := rng.Int64N(32)
		res, err := orm.Scalars(ctx, s, orm.Select(PT).Where(PT.Worker.Eq(other)).Options(orm.SelectIn(PT.Children)).Limit(20))
		if err != nil {
			return nil, err
		}
		for p := range res.Values() {
			if err := consistent(p); err != nil {
				return nil, err
			}
		}
		return nil, nil

	case opStream:
		n := 0
		for p, err := range orm.Stream(ctx, s, orm.Select(PT).Where(PT.Worker.Eq(w)).OrderBy(PT.ID.Asc())) {
			if err != nil {
				return nil, err
			}
			if _, ok := l.parents[p.ID]; !ok {
				return nil, fmt.Errorf("stream: parent %d is not in the ledger: %w", p.ID, errInconsistent)
			}
			n++
		}
		if n != len(l.parents) {
			return nil, fmt.Errorf("stream: %d parents, the ledger has %d: %w", n, len(l.parents), errInconsistent)
		}
		return nil, nil

	case opSavepoint:
		// A savepoint rolled back (its new parent must be neither in the database nor in
		// the session), then one released.
		errUndo := errors.New("undo")
		undone := &Parent{Worker: w, Total: 7, Children: []*Child{{Amount: 7}}}
		err := s.BeginNested(ctx, func(ctx context.Context) error {
			if err := s.Add(undone); err != nil {
				return err
			}
			if err := s.Flush(ctx); err != nil {
				return err
			}
			return errUndo
		})
		if !errors.Is(err, errUndo) {
			return nil, fmt.Errorf("savepoint to roll back: %w", err)
		}
		if st := s.Status(undone); st != orm.Transient {
			return nil, fmt.Errorf("parent added in a rolled back savepoint is %v, want transient: %w", st, errInconsistent)
		}
		if undone.ID != 0 {
			n, err := s.Scalar(ctx, expr.Select(expr.CountStar()).From(PT.Core()).Where(PT.Core().C("id").Eq(undone.ID)))
			if err != nil {
				return nil, err
			}
			if n != int64(0) {
				return nil, fmt.Errorf("parent %d of a rolled back savepoint is in the database: %w", undone.ID, errInconsistent)
			}
		}
		// A change to an existing parent and its children, rolled back with its
		// savepoint: reloaded, the parent is as before.
		id := anyParent(l, rng)
		p, err := orm.ScalarOne(ctx, s, orm.Select(PT).Where(PT.ID.Eq(id)).Options(orm.SelectIn(PT.Children)))
		if err != nil {
			return nil, err
		}
		err = s.BeginNested(ctx, func(ctx context.Context) error {
			p.Children = append(p.Children, &Child{Amount: 1_000_000})
			p.Total += 1_000_000
			if err := s.Flush(ctx); err != nil {
				return err
			}
			return errUndo
		})
		if !errors.Is(err, errUndo) {
			return nil, fmt.Errorf("savepoint to roll back: %w", err)
		}
		p, err = orm.ScalarOne(ctx, s, orm.Select(PT).Where(PT.ID.Eq(id)).Options(orm.SelectIn(PT.Children)))
		if err != nil {
			return nil, err
		}
		if err := consistent(p); err != nil {
			return nil, err
		}
		if rec := l.parents[id]; p.Total != rec.total || int64(len(p.Children)) != rec.children {
			return nil, fmt.Errorf("parent %d after a rolled back savepoint: total %d with %d children, want %d with %d: %w",
				id, p.Total, len(p.Children), rec.total, rec.children, errInconsistent)
		}
		a := rng.Int64N(1000)
		if err := s.BeginNested(ctx, func(ctx context.Context) error {
			p.Children = append(p.Children, &Child{Amount: a})
			p.Total += a
			return nil
		}); err != nil {
			return nil, err
		}
		rec := l.parents[id]
		rec.total += a
		rec.children++
		return func() { l.parents[id] = rec }, nil

	case opCounter:
		k, err := orm.ScalarOne(ctx, s, orm.Select(KT).Where(KT.ID.Eq(1)).ForUpdate())
		if err != nil {
			return nil, err
		}
		k.N++
		return func() { l.counter++ }, nil
	}
	return nil, nil
}

// consistent checks a parent loaded with its children.
func consistent(p *Parent) error {
	var sum int64
	for _, c := range p.Children {
		sum += c.Amount
	}
	if sum != p.Total {
		return fmt.Errorf("parent %d: total %d, children sum to %d: %w", p.ID, p.Total, sum, errInconsistent)
	}
	return nil
}

// verify counts every row and computes checksums with Core queries on a fresh
// connection, and compares them with the ledgers.
func verify(ctx context.Context, eng *engine.Engine, ledgers []*ledger, out io.Writer) error {
	var wantParents, wantChildren, wantSum, wantIDs, wantCounter int64
	for _, l := range ledgers {
		for id, r := range l.parents {
			wantParents++
			wantChildren += r.children
			wantSum += r.total
			wantIDs += id
		}
		wantCounter += l.counter
	}
	c, err := eng.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	pt, ct, kt := PT.Core(), CT.Core(), KT.Core()
	scalar := func(stmt expr.Statement) (int64, error) {
		v, err := c.Scalar(ctx, stmt)
		if err != nil {
			return 0, err
		}
		switch x := v.(type) {
		case int64:
			return x, nil
		case nil:
			return 0, nil
		}
		return 0, fmt.Errorf("unexpected %T from %v", v, stmt)
	}
	var gotParents, gotChildren, gotSum, gotTotals, gotIDs, gotCounter int64
	var verr error
	for _, q := range []struct {
		dst  *int64
		stmt expr.Statement
	}{
		{&gotParents, expr.Select(expr.CountStar()).From(pt)},
		{&gotChildren, expr.Select(expr.CountStar()).From(ct)},
		{&gotSum, expr.Select(expr.Coalesce(expr.Sum(ct.C("amount")), 0)).From(ct)},
		{&gotTotals, expr.Select(expr.Coalesce(expr.Sum(pt.C("total")), 0)).From(pt)},
		{&gotIDs, expr.Select(expr.Coalesce(expr.Sum(pt.C("id")), 0)).From(pt)},
		{&gotCounter, expr.Select(kt.C("n")).Where(kt.C("id").Eq(1))},
	} {
		v, err := scalar(q.stmt)
		if err != nil {
			verr = errors.Join(verr, err)
		}
		*q.dst = v
	}
	orphans, err := scalar(expr.Select(expr.CountStar()).From(ct).Where(expr.Not(ct.C("parent_id").InSelect(expr.Select(pt.C("id"))))))
	verr = errors.Join(verr, err)
	fmt.Fprintf(out, "rows: %d parents (ledger %d), %d children (ledger %d), amounts %d / totals %d (ledger %d), id checksum %d (ledger %d), counter %d (ledger %d), orphans %d\n",
		gotParents, wantParents, gotChildren, wantChildren, gotSum, gotTotals, wantSum, gotIDs, wantIDs, gotCounter, wantCounter, orphans)
	if verr != nil {
		return verr
	}
	if gotParents != wantParents || gotChildren != wantChildren || gotSum != wantSum || gotTotals != wantSum ||
		gotIDs != wantIDs || gotCounter != wantCounter || orphans != 0 {
		return errors.New("the database does not hold what the committed transactions wrote")
	}
	return nil
}
