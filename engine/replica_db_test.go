package engine

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// warnings records the warnings an engine logs.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler           { return w }
func (w *warnings) WithGroup(string) slog.Handler                { return w }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	msg := r.Message
	r.Attrs(func(a slog.Attr) bool { msg += " " + a.Key + "=" + a.Value.String(); return true })
	w.mu.Lock()
	w.msgs = append(w.msgs, msg)
	w.mu.Unlock()
	return nil
}
func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// inRecovery reports whether c's server is a standby: SELECT pg_is_in_recovery(), an
// expr SELECT (so that a replica connection may fail over).
func inRecovery(t *testing.T, ctx context.Context, c *Conn) bool {
	t.Helper()
	v, err := c.Scalar(ctx, expr.Select(expr.Fn("pg_is_in_recovery").WithType(types.Boolean())))
	if err != nil {
		t.Fatalf("SELECT pg_is_in_recovery(): %v", err)
	}
	return v.(bool)
}

func readConn(t *testing.T, ctx context.Context, rs interface {
	ConnectRead(context.Context) (*Conn, error)
}) *Conn {
	t.Helper()
	c, err := rs.ConnectRead(ctx)
	if err != nil {
		t.Fatalf("ConnectRead: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestReplicaConnectRead: on a real primary and hot standby, ConnectRead reads from the
// standby, UsePrimary from the primary; a write sent to the standby fails with the
// server's read-only error (SQLSTATE 25006) classified as ErrReadOnly; a commit on the
// primary with synchronous_commit = remote_apply is visible on the standby at once.
func TestReplicaConnectRead(t *testing.T) {
	primary, standby := testdb.PGReplica(t, true)
	ctx := t.Context()
	eng := openEngine(t, primary, Replicas([]string{standby.URL}))
	rs := eng.Replicas()
	if rs == nil || len(rs.Replicas()) != 1 || rs.Primary() != eng {
		t.Fatalf("Replicas() = %+v, want one replica of eng", rs)
	}

	w := connect(t, eng)
	mustExec(t, w, "CREATE TABLE items (id integer PRIMARY KEY, name text)")
	mustExec(t, w, "INSERT INTO items VALUES (1, 'a')")

	c := readConn(t, ctx, eng)
	if c.Engine() == eng || !inRecovery(t, ctx, c) {
		t.Fatalf("ConnectRead reads from the primary, want the standby")
	}
	if n := count(t, c, "items"); n != 1 {
		t.Fatalf("standby count = %d, want 1 (remote_apply)", n)
	}
	_, err := exec(ctx, c, "INSERT INTO items VALUES (2, 'b')")
	var ro *ReadOnlyError
	var se *StatementError
	if !errors.Is(err, ErrReadOnly) || !errors.As(err, &ro) || !errors.As(err, &se) || !strings.Contains(se.SQL, "INSERT") {
		t.Fatalf("write on the standby: %v, want a *StatementError wrapping *ReadOnlyError", err)
	}
	if !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("error text %q does not say read-only", err)
	}

	p := readConn(t, UsePrimary(ctx), eng)
	if p.Engine() != eng || inRecovery(t, ctx, p) {
		t.Fatalf("ConnectRead(UsePrimary) does not read from the primary")
	}

	// A READ ONLY transaction on the primary refuses writes the same way.
	err = eng.Begin(ctx, func(ctx context.Context, c *Conn) error {
		_, err := exec(ctx, c, "INSERT INTO items VALUES (3, 'c')")
		return err
	}, ReadOnly())
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write in a READ ONLY transaction: %v, want ErrReadOnly", err)
	}
}

// TestReplicaPolicy: a set over two replica engines takes them in turn (RoundRobin), a
// policy hook chooses among the candidates, and a policy returning nil reads from the
// primary; an engine without replicas reads from itself.
func TestReplicaPolicy(t *testing.T) {
	primary, standby := testdb.PGReplica(t, false)
	ctx := t.Context()
	eng := openEngine(t, primary)
	r1, r2 := openEngine(t, standby), openEngine(t, standby)

	if c := readConn(t, ctx, eng); c.Engine() != eng {
		t.Fatalf("engine without replicas: ConnectRead went elsewhere")
	}
	rs, err := NewReplicaSet(eng, []*Engine{r1, r2})
	if err != nil {
		t.Fatal(err)
	}
	var got []*Engine
	for range 4 {
		c, err := rs.ConnectRead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !inRecovery(t, ctx, c) {
			t.Fatalf("round-robin read on the primary")
		}
		got = append(got, c.Engine())
		c.Close()
	}
	if got[0] == got[1] || got[0] != got[2] || got[1] != got[3] {
		t.Fatalf("round robin over two replicas chose %v", got)
	}

	var seen [][]*Engine
	last := func(c []*Engine) *Engine { seen = append(seen, c); return c[len(c)-1] }
	rs, err = NewReplicaSet(eng, []*Engine{r1, r2}, ReadPolicy(last))
	if err != nil {
		t.Fatal(err)
	}
	if c := readConn(t, ctx, rs); c.Engine() != r2 {
		t.Fatalf("policy chose r2, read went to %p", c.Engine())
	}
	if len(seen) != 1 || len(seen[0]) != 2 {
		t.Fatalf("policy saw %v, want both replicas", seen)
	}
	rs, _ = NewReplicaSet(eng, []*Engine{r1}, ReadPolicy(func([]*Engine) *Engine { return nil }))
	if c := readConn(t, ctx, rs); c.Engine() != eng || inRecovery(t, ctx, c) {
		t.Fatalf("policy returning nil: read not on the primary")
	}

	if _, err := NewReplicaSet(nil, nil); err == nil {
		t.Fatal("NewReplicaSet(nil primary) succeeded")
	}
	if _, err := NewReplicaSet(eng, []*Engine{nil}); err == nil || !strings.Contains(err.Error(), "replica 0 is nil") {
		t.Fatalf("nil replica: %v", err)
	}
	if _, err := NewReplicaSet(eng, []*Engine{eng}); err == nil {
		t.Fatal("primary as its own replica accepted")
	}
	if _, err := NewReplicaSet(eng, nil, FallbackWait(0)); err == nil {
		t.Fatal("FallbackWait(0) accepted")
	}
}

// TestReplicaFallback: the standby goes away (a proxy in front of it is cut). A read in
// flight on a replica connection runs again on the primary, for Execute and for Stream;
// later reads go to the primary without waiting; each failure is one logged warning
// naming the replica (without a password).
func TestReplicaFallback(t *testing.T) {
	primary, standby := testdb.PGReplica(t, false)
	ctx := t.Context()
	standby, outage := testdb.WithOutage(t, standby)
	w := &warnings{}
	eng := openEngine(t, primary, WithLogger(slog.New(w)),
		Replicas([]string{standby.URL}, FallbackWait(time.Second), ReplicaCooldown(time.Hour)))

	c := readConn(t, ctx, eng)
	s := readConn(t, ctx, eng)
	if !inRecovery(t, ctx, c) || !inRecovery(t, ctx, s) {
		t.Fatal("reads before the outage not on the standby")
	}
	outage.Cut()

	if inRecovery(t, ctx, c) || c.Engine() != eng {
		t.Fatal("Execute after the outage: not answered by the primary")
	}
	if n := len(w.all()); n != 1 {
		t.Fatalf("warnings after one failover: %q", w.all())
	}
	if msg := w.all()[0]; !strings.Contains(msg, "read replica unavailable") || !strings.Contains(msg, "replica=postgresql://") {
		t.Fatalf("warning %q", msg)
	}

	stmt := expr.Select(expr.Fn("pg_is_in_recovery").WithType(types.Boolean()))
	rows := 0
	for row, err := range s.Stream(ctx, stmt) {
		if err != nil {
			t.Fatalf("Stream after the outage: %v", err)
		}
		if row.Get(0).(bool) {
			t.Fatal("Stream answered by the standby after the outage")
		}
		rows++
	}
	if rows != 1 || s.Engine() != eng {
		t.Fatalf("Stream after the outage: %d rows, engine primary %v", rows, s.Engine() == eng)
	}

	// The replica is left out: the next reads go straight to the primary.
	before := len(w.all())
	for range 3 {
		r := readConn(t, ctx, eng)
		if r.Engine() != eng || inRecovery(t, ctx, r) {
			t.Fatal("read during the cooldown not on the primary")
		}
		r.Close()
	}
	if len(w.all()) != before {
		t.Fatalf("warnings during the cooldown: %q", w.all()[before:])
	}

	// A replica that is down when a read connects: the read goes to the primary, with a
	// warning (whether the pool notices at checkout or at the statement).
	_, standby2 := testdb.PGReplica(t, false)
	standby2, outage2 := testdb.WithOutage(t, standby2)
	r2 := openEngine(t, standby2)
	outage2.Cut()
	rs, err := NewReplicaSet(eng, []*Engine{r2}, FallbackWait(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	r := readConn(t, ctx, rs)
	if inRecovery(t, ctx, r) || r.Engine() != eng {
		t.Fatal("read with the replica down: not on the primary")
	}
	r.Close()
	if len(w.all()) != before+1 {
		t.Fatalf("warnings for the replica down at connect: %q", w.all()[before:])
	}

	// A write on a replica connection is never moved to the primary.
	_, standby3 := testdb.PGReplica(t, false)
	standby3, outage3 := testdb.WithOutage(t, standby3)
	r3 := openEngine(t, standby3)
	rs, _ = NewReplicaSet(eng, []*Engine{r3})
	wc := readConn(t, ctx, rs)
	if !inRecovery(t, ctx, wc) {
		t.Fatal("read before the third outage not on the standby")
	}
	outage3.Cut()
	if _, err := exec(ctx, wc, "CREATE TABLE nowhere (id integer)"); !errors.Is(err, ErrConnectionLost) || wc.Engine() != r3 {
		t.Fatalf("write on a lost replica connection: %v (moved to the primary: %v)", err, wc.Engine() == eng)
	}
}

// TestReadOnlyError: a write inside a READ ONLY transaction fails with the server's
// read-only error on every database (PostgreSQL 25006, MariaDB 1792, SQLite
// SQLITE_READONLY under PRAGMA query_only), classified as ErrReadOnly; nothing is written.
func TestReadOnlyError(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := openEngine(t, tg)
		c := connect(t, eng)
		mustExec(t, c, "CREATE TABLE ro_items (id integer PRIMARY KEY)")
		err := eng.Begin(ctx, func(ctx context.Context, c *Conn) error {
			_, err := exec(ctx, c, sqlf(eng, "INSERT INTO ro_items (id) VALUES (?)"), int64(1))
			return err
		}, ReadOnly())
		var ro *ReadOnlyError
		if !errors.Is(err, ErrReadOnly) || !errors.As(err, &ro) {
			t.Fatalf("INSERT in a READ ONLY transaction: %v, want ErrReadOnly", err)
		}
		if n := count(t, c, "ro_items"); n != 0 {
			t.Fatalf("%d rows written", n)
		}
	})
}

// TestReplicaFallbackWait: a replica that accepts connections and never answers (a hung
// server) holds a read no longer than FallbackWait: the read goes to the primary, with a
// warning.
func TestReplicaFallbackWait(t *testing.T) {
	primary, standby := testdb.PGReplica(t, false)
	ctx := t.Context()
	standby, outage := testdb.WithOutage(t, standby)
	w := &warnings{}
	eng := openEngine(t, primary, WithLogger(slog.New(w)))
	r := openEngine(t, standby, PoolPrePing(true)) // every checkout is checked
	rs, err := NewReplicaSet(eng, []*Engine{r}, FallbackWait(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if c := readConn(t, ctx, rs); !inRecovery(t, ctx, c) {
		t.Fatal("read before the stall not on the standby")
	} else {
		c.Close()
	}
	outage.Stall()
	c := readConn(t, ctx, rs)
	if c.Engine() != eng || inRecovery(t, ctx, c) {
		t.Fatal("read with a hung replica: not on the primary")
	}
	if got := w.all(); len(got) != 1 || !strings.Contains(got[0], "read replica unavailable") {
		t.Fatalf("warnings: %q", got)
	}
}
