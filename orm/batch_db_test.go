package orm

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
)

// writersProxied is an env of the Writer models on tg through a round-trip counting
// proxy, with one pooled connection.
func writersProxied(t *testing.T, tg testdb.Target) (*env, *testdb.RoundTrips) {
	t.Helper()
	ctx := context.Background()
	ptg, rt := testdb.Proxy(t, tg)
	c := &capture{}
	eng, err := engine.Create(ctx, ptg.URL, engine.Echo(true), engine.WithLogger(slog.New(c)), engine.PoolSize(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	reg := NewRegistry()
	if err := registerWriters(reg); err != nil {
		t.Fatal(err)
	}
	if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, target: tg, eng: eng, reg: reg, cap: c, ctx: ctx}, rt
}

// TestFlushBatchesUpdates: moving 25 articles to another writer is 25 UPDATEs of the
// same shape, sent in one round trip on PostgreSQL (with the deferred BEGIN), then
// COMMIT; each is checked to match its row, and a stale row among them fails the flush
// and leaves the database unchanged.
func TestFlushBatchesUpdates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		e, rt := writersProxied(t, tg)
		ctx := e.ctx
		sm := NewSessionMaker(e.eng, e.reg)
		s := sm.New()
		from, to := &Writer{Name: "from"}, &Writer{Name: "to"}
		for range 25 {
			from.Articles = append(from.Articles, &Article{Title: "a"})
		}
		if err := AddAll(s, []*Writer{from, to}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close()

		move := func(src, dst *Writer) {
			t.Helper()
			s := sm.New()
			defer s.Close()
			arts, err := All(ctx, s, articleT.Select().Where(articleT.WriterID.Eq(src.ID)).OrderBy(articleT.ID.Asc()))
			if err != nil {
				t.Fatal(err)
			}
			if len(arts) != 25 {
				t.Fatalf("%d articles to move", len(arts))
			}
			e.cap.take(true)
			rt.Take()
			for _, a := range arts {
				a.WriterID = dst.ID
			}
			if err := s.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			got := e.cap.take(false)
			if tg.Name == testdb.NamePostgres {
				// Pipelined: one UPDATE per row, in one round trip.
				if len(got) != 25 || !strings.HasPrefix(got[0], "UPDATE article SET writer_id = ") {
					t.Errorf("%d statements, first %q", len(got), got[0])
				}
			} else if len(got) != 1 || !strings.HasPrefix(got[0], "UPDATE article SET writer_id = CASE article.id WHEN ") ||
				!strings.Contains(got[0], "WHERE article.id IN (") {
				// Elsewhere: the rows merged into one UPDATE.
				t.Errorf("%d statements, want one UPDATE with CASE: %q", len(got), got)
			}
		}
		move(from, to) // prepares the statement on the pooled connection
		move(to, from)
		if rt != nil && tg.Name == testdb.NamePostgres {
			if n := rt.Take(); n != 2 {
				t.Errorf("moving 25 articles: %d round trips, want 2 (BEGIN and the UPDATEs, COMMIT)", n)
			}
		}
		s = sm.New()
		defer s.Close()
		if n, err := Count(ctx, s, articleT.Select().Where(articleT.WriterID.Eq(from.ID))); err != nil || n != 25 {
			t.Errorf("articles of from: %d, %v", n, err)
		}

		// A row deleted by someone else: the batch's check fails the flush, which
		// changes nothing.
		arts, err := All(ctx, s, articleT.Select().Where(articleT.WriterID.Eq(from.ID)).OrderBy(articleT.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		other, err := engine.Create(ctx, tg.URL) // the proxied engine's one connection is the session's
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		c, err := other.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Execute(ctx, expr.Delete(articleT.Core()).Where(articleT.ID.Eq(arts[3].ID))); err != nil {
			t.Fatal(err)
		}
		c.Close()
		for _, a := range arts {
			a.WriterID = to.ID
		}
		if err := s.Flush(ctx); !errors.Is(err, ErrStaleData) {
			t.Fatalf("flush over a deleted row: %v", err)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := Count(ctx, s, articleT.Select().Where(articleT.WriterID.Eq(to.ID))); err != nil || n != 0 {
			t.Errorf("after the failed flush, %d articles moved (%v)", n, err)
		}
	})
}
