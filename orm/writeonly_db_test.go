package orm

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/retortdb/retort/expr"
)

// Write-only collections: Feed.Posts releases removed posts (foreign key set to NULL);
// Queue.Jobs deletes them (delete-orphan) and cascades deletes without loading
// (passive_deletes with ON DELETE CASCADE).
type Feed struct {
	ID    int64
	Name  string
	Posts WriteOnly[FeedPost] `retort:"order_by=title desc"`
}

type FeedPost struct {
	ID     int64
	Title  string
	FeedID *int64 `retort:"fk=feed.id"`
}

type Queue struct {
	ID   int64
	Jobs WriteOnly[Job] `retort:"cascade=all|delete-orphan,passive_deletes"`
}

type Job struct {
	ID      int64
	N       int64
	QueueID int64 `retort:"fk=queue.id,ondelete=cascade"`
}

func registerWriteOnly(reg *Registry) error {
	if err := Register[Feed](reg); err != nil {
		return err
	}
	return Register[Queue](reg)
}

func TestWriteOnlyCollection(t *testing.T) {
	eachDB(t, registerWriteOnly, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		f := &Feed{Name: "f", Posts: WriteOnlyOf(&FeedPost{Title: "a"}, &FeedPost{Title: "b"})}
		s := sm.New()
		defer s.Close()
		if err := s.Add(f); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if added, _ := f.Posts.Pending(); len(added) != 0 {
			t.Errorf("queue not emptied by the flush: %v", added)
		}
		// Add queues without loading: the flush writes one batched INSERT.
		for i := range 5 {
			f.Posts.Add(&FeedPost{Title: fmt.Sprintf("n%d", i)})
		}
		e.cap.take(true)
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		stmts := e.cap.take(false)
		if e.mysql() {
			if len(stmts) != 5 {
				t.Errorf("MySQL path: %d INSERTs, want 5 (one per generated key)", len(stmts))
			}
		} else if len(stmts) != 1 || !strings.HasPrefix(stmts[0], "INSERT INTO feed_post (title, feed_id) VALUES") {
			t.Errorf("statements:\n%s", strings.Join(stmts, "\n"))
		}
		// Reading only through Select: filtered, ordered by order_by (title desc), run.
		q := f.Posts.Select().Where(expr.Text("feed_post.title LIKE 'n%'"))
		got, err := Scalars(e.ctx, s, q)
		if err != nil {
			t.Fatal(err)
		}
		if got.Len() != 5 || got.All()[0].Title != "n4" || *got.All()[0].FeedID != f.ID {
			t.Fatalf("select: %d rows, first %+v", got.Len(), got.All()[0])
		}
		// Streamed.
		n := 0
		for p, err := range Stream(e.ctx, s, f.Posts.Select()) {
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 && p.Title != "n4" {
				t.Errorf("first streamed post %q", p.Title)
			}
			n++
		}
		if n != 7 {
			t.Errorf("streamed %d posts, want 7", n)
		}
		// Remove: without delete-orphan the foreign key is set to NULL.
		f.Posts.Remove(got.All()[0])
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT title FROM feed_post WHERE feed_id IS NULL", "n4")
		// A write-only collection cannot be loaded.
		if err := Load(e.ctx, s, relationOf[Feed, FeedPost](e.reg, "Posts"), f); !errors.Is(err, ErrWriteOnly) {
			t.Errorf("Load of a write-only collection: %v", err)
		}
		// Deleting the parent without a delete cascade: its posts are read and released.
		if err := s.Delete(f); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT COUNT(*) FROM feed_post WHERE feed_id IS NULL", "7")
		// Select on a collection whose parent no session has seen.
		var lone Feed
		if _, err := Scalars(e.ctx, s, lone.Posts.Select()); !errors.Is(err, ErrWriteOnly) {
			t.Errorf("Select of an unbound collection: %v", err)
		}
	})
}

func TestWriteOnlyDeleteOrphan(t *testing.T) {
	eachDB(t, registerWriteOnly, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		q := &Queue{Jobs: WriteOnlyOf(&Job{N: 1}, &Job{N: 2}, &Job{N: 3})}
		s := sm.New()
		defer s.Close()
		if err := s.Add(q); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		// A queue loaded in another session: remove a job it never loaded.
		s2 := sm.New()
		defer s2.Close()
		q2, err := GetOne[Queue](e.ctx, s2, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		jobs, err := Scalars(e.ctx, s2, q2.Jobs.Select().Where(expr.Text("job.n = 2")))
		if err != nil || jobs.Len() != 1 {
			t.Fatal(jobs, err)
		}
		q2.Jobs.Remove(jobs.All()[0])
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		assertRows(t, e, "SELECT n FROM job ORDER BY n", "1", "3")
		// Deleting the queue: passive_deletes leaves the jobs to ON DELETE CASCADE.
		if err := s2.Delete(q2); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if stmts := e.cap.take(false); len(stmts) != 1 || !strings.HasPrefix(stmts[0], "DELETE FROM queue") {
			t.Errorf("statements: %v", stmts)
		}
		assertRows(t, e, "SELECT COUNT(*) FROM job", "0")
	})
}
