package orm

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// RAccount is the model of the read-replica tests.
type RAccount struct {
	ID      int64 `retort:"pk"`
	Name    string
	Balance int64
}

type raHandle struct {
	Table[RAccount]
	ID      Column[int64]
	Name    Column[string]
	Balance Column[int64]
}

var recoveryQuery = expr.Select(expr.Fn("pg_is_in_recovery").WithType(types.Boolean()))

// onStandby runs SELECT pg_is_in_recovery() through the session: true when the session
// read from the standby.
func onStandby(t *testing.T, ctx context.Context, s *Session) bool {
	t.Helper()
	v, err := s.Scalar(ctx, recoveryQuery)
	if err != nil {
		t.Fatalf("SELECT pg_is_in_recovery(): %v", err)
	}
	return v.(bool)
}

// replicaEnv is a primary and a standby database with the RAccount table, an engine on
// each echoing into its own capture.
type replicaEnv struct {
	primary, standby       testdb.Target
	peng, seng             *engine.Engine
	pcap, scap             *capture
	reg                    *Registry
	h                      *raHandle
	ctx                    context.Context
	primaryURL, standbyURL string
}

func newReplicaEnv(t *testing.T) *replicaEnv {
	t.Helper()
	ctx := t.Context()
	p, s := testdb.PGReplica(t, false)
	e := &replicaEnv{primary: p, standby: s, pcap: &capture{}, scap: &capture{}, reg: NewRegistry(), ctx: ctx}
	var err error
	if e.peng, err = engine.Create(ctx, p.URL, engine.Echo(true), engine.WithLogger(slog.New(e.pcap))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.peng.Close() })
	if e.seng, err = engine.Create(ctx, s.URL, engine.Echo(true), engine.WithLogger(slog.New(e.scap))); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.seng.Close() })
	e.h = &raHandle{}
	if err := RegisterHandle(e.reg, e.h); err != nil {
		t.Fatal(err)
	}
	if err := e.peng.CreateAll(ctx, e.reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	e.pcap.take(true)
	return e
}

// replay waits until the standby shows everything committed on the primary (the lag of
// asynchronous replication is real).
func (e *replicaEnv) replay(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	if err := testdb.WaitReplay(ctx, e.primary.URL, e.standby.URL); err != nil {
		t.Fatal(err)
	}
}

func names(as []*RAccount) string {
	var b []string
	for _, a := range as {
		b = append(b, a.Name)
	}
	return strings.Join(b, ",")
}

// TestSessionReadReplicas: a session maker with ReadReplicas reads from the standby
// outside a transaction that has written (queries, Get, Execute of a SELECT), writes on
// the primary, and once it has written reads from the primary (seeing its uncommitted
// change) until Commit; after Commit it reads from the standby again. UsePrimary reads
// the commit at once, before the standby has it.
func TestSessionReadReplicas(t *testing.T) {
	e := newReplicaEnv(t)
	ctx := e.ctx
	rs, err := engine.NewReplicaSet(e.peng, []*engine.Engine{e.seng})
	if err != nil {
		t.Fatal(err)
	}
	sm := NewSessionMaker(e.peng, e.reg, ReadReplicas(rs), ExpireOnCommit(false))
	var ids []int64
	if err := sm.Begin(ctx, func(ctx context.Context, s *Session) error {
		as := []*RAccount{{Name: "a", Balance: 10}, {Name: "b", Balance: 20}}
		if err := s.AddAll(as[0], as[1]); err != nil {
			return err
		}
		if err := s.Flush(ctx); err != nil {
			return err
		}
		ids = []int64{as[0].ID, as[1].ID}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := e.scap.take(false); len(got) != 0 {
		t.Fatalf("the writing transaction ran on the standby: %q", got)
	}
	e.replay(t)
	e.pcap.take(true)

	s := sm.New()
	defer s.Close()
	all, err := Scalars(ctx, s, Select(e.h).OrderBy(e.h.ID.Asc()))
	if err != nil {
		t.Fatal(err)
	}
	if names(all.All()) != "a,b" {
		t.Fatalf("read %q", names(all.All()))
	}
	if !onStandby(t, ctx, s) {
		t.Fatal("Execute of a SELECT outside a transaction: not on the standby")
	}
	if got := e.pcap.take(true); len(got) != 0 {
		t.Fatalf("reads went to the primary: %q", got)
	}
	if got := e.scap.take(true); len(got) != 2 || !strings.HasPrefix(got[0], "SELECT") || strings.Contains(strings.Join(got, " "), "BEGIN") {
		t.Fatalf("standby statements: %q, want two SELECTs without BEGIN", got)
	}

	// A write: the flush runs in a transaction on the primary, and the reads after it in
	// the same transaction, which see the uncommitted change.
	a := all.All()[0]
	a.Balance = 11
	again, err := Scalars(ctx, s, Select(e.h).Where(e.h.Balance.Eq(int64(11))))
	if err != nil {
		t.Fatal(err)
	}
	if again.Len() != 1 || again.All()[0] != a {
		t.Fatalf("read after the write found %d rows", again.Len())
	}
	if onStandby(t, ctx, s) {
		t.Fatal("read inside the written transaction on the standby")
	}
	got, err := Get[RAccount](ctx, s, ids[1])
	if err != nil || got.Name != "b" {
		t.Fatalf("Get: %v %v", got, err)
	}
	if st := e.scap.take(true); len(st) != 0 {
		t.Fatalf("statements on the standby inside the written transaction: %q", st)
	}
	pst := e.pcap.take(true)
	if len(pst) < 3 || pst[0] != "BEGIN" || !strings.HasPrefix(pst[1], "UPDATE") {
		t.Fatalf("primary statements: %q, want BEGIN, UPDATE, SELECTs", pst)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	// Read your writes: UsePrimary sees the commit at once; the standby once replayed.
	got, err = ScalarOne(UsePrimary(ctx), s, Select(e.h).Where(e.h.ID.Eq(ids[0])))
	if err != nil || got.Balance != 11 {
		t.Fatalf("UsePrimary read: %+v %v", got, err)
	}
	if onStandby(t, UsePrimary(ctx), s) {
		t.Fatal("UsePrimary read on the standby")
	}
	e.replay(t)
	if !onStandby(t, ctx, s) {
		t.Fatal("read after Commit not on the standby")
	}
	s.ExpireAll()
	got, err = ScalarOne(ctx, s, Select(e.h).Where(e.h.ID.Eq(ids[0])))
	if err != nil || got.Balance != 11 {
		t.Fatalf("standby read after replay: %+v %v", got, err)
	}

	// Explicit Begin: the whole transaction is the primary's.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sm.Begin(ctx, func(ctx context.Context, s *Session) error {
		if onStandby(t, ctx, s) {
			t.Error("read inside Begin on the standby")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// ReadReplicas(nil): the primary only.
	only := NewSessionMaker(e.peng, e.reg, ReadReplicas(nil)).New()
	defer only.Close()
	if onStandby(t, ctx, only) {
		t.Fatal("ReadReplicas(nil) read on the standby")
	}
}

// TestEngineReplicasSession: an engine created with engine.Replicas routes its sessions'
// reads to the standby with no session option; a write routed to the standby by mistake
// (a session maker on the standby's engine) fails with ErrReadOnly, and the session rolls
// back cleanly.
func TestEngineReplicasSession(t *testing.T) {
	e := newReplicaEnv(t)
	ctx := e.ctx
	eng, err := engine.Create(ctx, e.primary.URL, engine.Replicas([]string{e.standby.URL}))
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	s := NewSessionMaker(eng, e.reg).New()
	defer s.Close()
	if !onStandby(t, ctx, s) {
		t.Fatal("engine-level replicas: read not on the standby")
	}
	if err := s.Add(&RAccount{Name: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if onStandby(t, ctx, s) {
		t.Fatal("read after a flush not on the primary")
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	// The standby must have replayed the table first, or the write fails because the
	// table is missing there rather than because the server is read-only.
	if err := testdb.WaitReplay(ctx, e.primary.URL, e.standby.URL); err != nil {
		t.Fatal(err)
	}
	wrong := NewSessionMaker(e.seng, e.reg).New()
	defer wrong.Close()
	if err := wrong.Add(&RAccount{Name: "lost"}); err != nil {
		t.Fatal(err)
	}
	err = wrong.Commit(ctx)
	var ro *engine.ReadOnlyError
	if !errors.Is(err, engine.ErrReadOnly) || !errors.As(err, &ro) {
		t.Fatalf("write on the standby: %v, want ErrReadOnly", err)
	}
	if err := wrong.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if len(wrong.New()) != 0 {
		t.Fatalf("after Rollback the session still has %d new objects", len(wrong.New()))
	}
	check := NewSessionMaker(eng, e.reg).New()
	defer check.Close()
	n, err := check.Scalar(UsePrimary(ctx), expr.Select(expr.CountStar()).From(e.h.Core()))
	if err != nil || n.(int64) != 1 {
		t.Fatalf("rows on the primary: %v %v, want 1", n, err)
	}
}

// warnLog records the warnings of an engine.
type warnLog struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnLog) WithAttrs([]slog.Attr) slog.Handler           { return w }
func (w *warnLog) WithGroup(string) slog.Handler                { return w }
func (w *warnLog) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	w.msgs = append(w.msgs, r.Message)
	w.mu.Unlock()
	return nil
}

func (w *warnLog) count(sub string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, m := range w.msgs {
		if strings.Contains(m, sub) {
			n++
		}
	}
	return n
}

// TestSessionReplicaFallback: the standby stops answering (a proxy in front of it is
// cut) while sessions read from it: their reads go to the primary, with one logged
// warning, and return the right rows.
func TestSessionReplicaFallback(t *testing.T) {
	e := newReplicaEnv(t)
	ctx := e.ctx
	standby, outage := testdb.WithOutage(t, e.standby)
	w := &warnLog{}
	eng, err := engine.Create(ctx, e.primary.URL, engine.WithLogger(slog.New(w)),
		engine.Replicas([]string{standby.URL}, engine.FallbackWait(time.Second), engine.ReplicaCooldown(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	sm := NewSessionMaker(eng, e.reg)
	if err := sm.Begin(ctx, func(ctx context.Context, s *Session) error {
		return s.Add(&RAccount{Name: "x", Balance: 1})
	}); err != nil {
		t.Fatal(err)
	}
	e.replay(t)

	s := sm.New()
	defer s.Close()
	if !onStandby(t, ctx, s) {
		t.Fatal("read before the outage not on the standby")
	}
	outage.Cut()
	as, err := Scalars(ctx, s, Select(e.h))
	if err != nil {
		t.Fatalf("read during the outage: %v", err)
	}
	if names(as.All()) != "x" || onStandby(t, ctx, s) {
		t.Fatalf("read during the outage: %q, or not on the primary", names(as.All()))
	}
	s2 := sm.New()
	defer s2.Close()
	if onStandby(t, ctx, s2) {
		t.Fatal("new session during the outage reads from the standby")
	}
	if n := w.count("read replica unavailable"); n != 1 {
		t.Fatalf("%d warnings, want 1: %q", n, w.msgs)
	}
}

// TestSessionReplicaRoundRobin: sessions of a session maker over two replicas read from
// them in turn; a policy hook over the same replicas decides instead when given.
func TestSessionReplicaRoundRobin(t *testing.T) {
	e := newReplicaEnv(t)
	ctx := e.ctx
	cap2 := &capture{}
	seng2, err := engine.Create(ctx, e.standby.URL, engine.Echo(true), engine.WithLogger(slog.New(cap2)))
	if err != nil {
		t.Fatal(err)
	}
	defer seng2.Close()
	e.replay(t)
	rs, err := engine.NewReplicaSet(e.peng, []*engine.Engine{e.seng, seng2})
	if err != nil {
		t.Fatal(err)
	}
	sm := NewSessionMaker(e.peng, e.reg, ReadReplicas(rs))
	var order []int
	for range 4 {
		s := sm.New()
		if _, err := Scalars(ctx, s, Select(e.h)); err != nil {
			t.Fatal(err)
		}
		s.Close()
		switch {
		case len(e.scap.take(false)) == 1:
			order = append(order, 1)
		case len(cap2.take(false)) == 1:
			order = append(order, 2)
		}
	}
	if len(order) != 4 || order[0] == order[1] || order[0] != order[2] || order[1] != order[3] {
		t.Fatalf("replicas read in the order %v, want alternating", order)
	}
	if got := e.pcap.take(true); len(got) != 0 {
		t.Fatalf("reads on the primary: %q", got)
	}

	second := func(c []*engine.Engine) *engine.Engine { return c[len(c)-1] }
	rs, err = engine.NewReplicaSet(e.peng, []*engine.Engine{e.seng, seng2}, engine.ReadPolicy(second))
	if err != nil {
		t.Fatal(err)
	}
	s := NewSessionMaker(e.peng, e.reg, ReadReplicas(rs)).New()
	defer s.Close()
	for range 2 {
		if _, err := Get[RAccount](ctx, s, int64(12345)); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := len(e.scap.take(false)), len(cap2.take(false)); a != 0 || b != 2 {
		t.Fatalf("policy hook: %d reads on the first replica, %d on the second, want 0 and 2", a, b)
	}
}
