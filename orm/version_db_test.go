package orm

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/retortdb/retort/engine"
)

// Counter has an optimistic version counter (SQLAlchemy's version_id_col).
type Counter struct {
	ID      int64 `retort:"pk"`
	Name    string
	Value   int64
	Version int64 `retort:"version"`
}

func registerCounter(reg *Registry) error { return Register[Counter](reg) }

// TestVersionCounter: a new row has version 1; an UPDATE carries WHERE version = the
// loaded one and sets the next; a row changed by another transaction since it was loaded
// fails the UPDATE, the DELETE and a Merge with a StaleDataError that is retryable.
func TestVersionCounter(t *testing.T) {
	eachDB(t, registerCounter, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		c := &Counter{Name: "hits"}
		if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.Add(c) }); err != nil {
			t.Fatal(err)
		}
		if c.Version != 1 {
			t.Fatalf("version after INSERT = %d, want 1", c.Version)
		}
		e.cap.take(true)

		s := sm.New()
		defer s.Close()
		got, err := GetOne[Counter](e.ctx, s, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		got.Value = 5
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.cap.take(false) // the SELECT
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got.Version != 2 {
			t.Errorf("version after UPDATE = %d, want 2", got.Version)
		}

		// Another session changes the row: the first one's next UPDATE matches nothing.
		s2 := sm.New()
		defer s2.Close()
		other, err := GetOne[Counter](e.ctx, s2, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		other.Value = 7
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		got.Value = 6
		err = s.Flush(e.ctx)
		e.expect(e.sqlf("UPDATE counter SET value = ?, version = ? WHERE counter.id = ? AND counter.version = ? | [6 3 %d 2]",
			"UPDATE counter SET value = $1, version = $2 WHERE counter.id = $3 AND counter.version = $4 | [6 3 %d 2]",
			"UPDATE counter SET value = ?, version = ? WHERE counter.id = ? AND counter.version = ? | [6 3 %d 2]", c.ID))
		var se *StaleDataError
		if !errors.As(err, &se) || !se.Version || se.Op != "UPDATE" || se.Matched != 0 {
			t.Fatalf("UPDATE of a changed row: %v", err)
		}
		if !errors.Is(err, ErrStaleData) || !errors.Is(err, engine.ErrRetryable) || !engine.IsRetryable(err) {
			t.Errorf("a version mismatch is ErrStaleData and retryable: %v", err)
		}
		if got.Version != 2 {
			t.Errorf("version after the failed flush = %d, want 2 (restored)", got.Version)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		if v, err := GetOne[Counter](e.ctx, s, c.ID); err != nil || v.Value != 7 || v.Version != 3 {
			t.Fatalf("row after the other session's commit: %+v %v", v, err)
		}

		// Merge of a copy made from an older version.
		s3 := sm.New()
		defer s3.Close()
		if _, err := Merge(e.ctx, s3, &Counter{ID: c.ID, Name: "hits", Value: 1, Version: 2}); !errors.As(err, &se) || se.Op != "MERGE" || !engine.IsRetryable(err) {
			t.Errorf("Merge of version 2 over version 3: %v", err)
		}
		if m, err := Merge(e.ctx, s3, &Counter{ID: c.ID, Name: "hits", Value: 8, Version: 3}); err != nil || m.Value != 8 {
			t.Errorf("Merge of the current version: %+v %v", m, err)
		}
		if err := s3.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}

		// DELETE of a row changed since (s still holds version 3; s3 made it 4).
		e.cap.take(true)
		if err := s.Delete(got); err != nil {
			t.Fatal(err)
		}
		err = s.Flush(e.ctx)
		e.expect(e.sqlf("DELETE FROM counter WHERE counter.id = ? AND counter.version = ? | [%d 3]",
			"DELETE FROM counter WHERE counter.id = $1 AND counter.version = $2 | [%d 3]",
			"DELETE FROM counter WHERE counter.id = ? AND counter.version = ? | [%d 3]", c.ID))
		if !errors.As(err, &se) || se.Op != "DELETE" || !engine.IsRetryable(err) {
			t.Errorf("DELETE of a changed row: %v", err)
		}
	})
}

// TestVersionNoLostUpdate: two writers read a row without a lock and write back an
// absolute value (value+1). With the version counter a writer that read an old version
// fails with a retryable StaleDataError and SessionMaker.Retry runs it again, so no
// increment is lost (without it, up to all of them are).
func TestVersionNoLostUpdate(t *testing.T) {
	eachDB(t, registerCounter, func(e *env) {
		lostUpdateRounds(e.t, e.eng, e.reg, 25)
	})
}

// lostUpdateRounds runs two writers of rounds increments each against one Counter, each
// increment a read (no FOR UPDATE) and an absolute write-back in a Retry, and checks that
// the counter ends at 2*rounds. The writers' engines may differ (two cluster nodes).
func lostUpdateRounds(t *testing.T, eng *engine.Engine, reg *Registry, rounds int, others ...*engine.Engine) {
	t.Helper()
	ctx := context.Background()
	sm := NewSessionMaker(eng, reg)
	c := &Counter{Name: "race"}
	if err := sm.Begin(ctx, func(ctx context.Context, s *Session) error { return s.Add(c) }); err != nil {
		t.Fatal(err)
	}
	writers := []*SessionMaker{sm, sm}
	if len(others) > 0 {
		writers[1] = NewSessionMaker(others[0], reg)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(writers))
	for _, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				err := w.Retry(ctx, func(ctx context.Context, s *Session) error {
					cur, err := GetOne[Counter](ctx, s, c.ID)
					if err != nil {
						return err
					}
					cur.Value = cur.Value + 1 // an absolute value written back
					return nil
				}, engine.RetryAttempts(200), engine.RetryBackoff(0, 0))
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}
	s := sm.New()
	defer s.Close()
	final, err := GetOne[Counter](ctx, s, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(2 * rounds); final.Value != want || final.Version != want+1 {
		t.Errorf("after %d increments: value %d version %d, want %d and %d (lost updates: %d)",
			2*rounds, final.Value, final.Version, want, want+1, want-final.Value)
	}
}
