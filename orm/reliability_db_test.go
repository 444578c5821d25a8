package orm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
)

// Tally is a counter row for the retry tests.
type Tally struct {
	ID int64 `retort:"pk"`
	N  int64
}

// Memo is a plain row for the lost-connection tests.
type Memo struct {
	ID   int64 `retort:"pk"`
	Text string
}

func openReliability(t *testing.T, tg testdb.Target, opts ...engine.Option) (*engine.Engine, *SessionMaker) {
	t.Helper()
	eng, err := engine.Create(t.Context(), tg.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	reg := NewRegistry()
	if err := errors.Join(Register[Tally](reg), Register[Memo](reg)); err != nil {
		t.Fatal(err)
	}
	if err := eng.CreateAll(t.Context(), reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	return eng, NewSessionMaker(eng, reg)
}

// TestSessionRetryConflicts has goroutines increment one row read through the ORM (read,
// then write) under SERIALIZABLE on the servers and the default settings on SQLite;
// SessionMaker.Retry runs the conflicting transactions again and the total is exact.
func TestSessionRetryConflicts(t *testing.T) {
	const workers, rounds = 6, 10
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		var opts []engine.Option
		if tg.Name != testdb.NameSQLite {
			opts = append(opts, engine.IsolationLevel("SERIALIZABLE"))
		}
		_, sm := openReliability(t, tg, append(opts, engine.PoolSize(workers))...)
		ctx := t.Context()
		if err := sm.Begin(ctx, func(ctx context.Context, s *Session) error { return s.Add(&Tally{ID: 1}) }); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		conflicts := map[string]int{}
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds {
					err := sm.Retry(ctx, func(ctx context.Context, s *Session) error {
						tl, err := GetOne[Tally](ctx, s, int64(1))
						if err != nil {
							return err
						}
						tl.N++
						err = s.Flush(ctx)
						var re *engine.RetryableError
						if errors.As(err, &re) {
							mu.Lock()
							conflicts[re.Kind.String()]++
							mu.Unlock()
						}
						return err
					}, engine.RetryAttempts(50), engine.RetryBackoff(time.Millisecond, 50*time.Millisecond))
					if err != nil {
						errs <- fmt.Errorf("worker %d round %d: %w", w, i, err)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		s := sm.New()
		defer s.Close()
		got, err := GetOne[Tally](ctx, s, int64(1))
		if err != nil || got.N != workers*rounds {
			t.Errorf("counter = %+v, %v; want %d", got, err, workers*rounds)
		}
		t.Logf("%s: conflicts during flushes %v", tg.Name, conflicts)
	})
}

// TestSessionAfterLostConnection ends a session's server connection during its
// transaction: the failed flush or commit reports ErrConnectionLost, Rollback succeeds,
// nothing of the transaction was committed, and the same session works again.
func TestSessionAfterLostConnection(t *testing.T) {
	kill := map[string][2]string{
		testdb.NamePostgres: {"SELECT pg_backend_pid()", "SELECT pg_terminate_backend(%d, 10000)"},
		testdb.NameMariaDB:  {"SELECT CONNECTION_ID()", "KILL CONNECTION %d"},
	}
	testdb.EachServer(t, func(t *testing.T, tg testdb.Target) {
		name := tg.Name
		eng, sm := openReliability(t, tg)
		ctx := t.Context()
		killSession := func(s *Session) {
			t.Helper()
			id, err := s.Scalar(ctx, expr.Text(kill[name][0]))
			if err != nil {
				t.Fatal(err)
			}
			if err := eng.Begin(ctx, func(ctx context.Context, c *engine.Conn) error {
				_, err := c.Execute(ctx, expr.Text(fmt.Sprintf(kill[name][1], id)))
				return err
			}); err != nil {
				t.Fatalf("kill: %v", err)
			}
		}
		s := sm.New()
		defer s.Close()

		// Lost before COMMIT: the commit fails.
		if err := s.Add(&Memo{ID: 1, Text: "lost at commit"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		killSession(s)
		err := s.Commit(ctx)
		if !errors.Is(err, engine.ErrConnectionLost) {
			t.Errorf("Commit on a lost connection: %v, want ErrConnectionLost", err)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Errorf("Rollback after the lost commit: %v", err)
		}

		// Lost before a flush: the flush fails, the session needs a rollback.
		if _, err := s.Scalar(ctx, expr.Text("SELECT 1")); err != nil {
			t.Fatalf("session after the first loss: %v", err)
		}
		killSession(s)
		n2 := &Memo{ID: 2, Text: "lost at flush"}
		if err := s.Add(n2); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(ctx); !errors.Is(err, engine.ErrConnectionLost) {
			t.Errorf("Flush on a lost connection: %v, want ErrConnectionLost", err)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Errorf("Rollback after the lost flush: %v", err)
		}
		// The object whose INSERT never ran is the caller's to drop (or keep).
		if err := s.Expunge(n2); err != nil && !errors.Is(err, ErrNotInSession) {
			t.Fatal(err)
		}

		// The session works again.
		if err := s.Add(&Memo{ID: 3, Text: "after"}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatalf("Commit after recovery: %v", err)
		}
		// Only the row committed after the recovery is there.
		res, err := s.Execute(ctx, expr.Text("SELECT id FROM memo ORDER BY id"))
		if err != nil {
			t.Fatal(err)
		}
		var ids []any
		for row := range res.Rows() {
			ids = append(ids, row.Get(0))
		}
		if len(ids) != 1 || ids[0] != int64(3) {
			t.Errorf("rows %v, want only id 3", ids)
		}
	})
}
