package orm

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/retortdb/retort/internal/testdb"
)

// Author/Book: a nullable foreign key without ON DELETE, so deleting an author sets its
// books' author_id to NULL (SQLAlchemy's default without a delete cascade).
type Author struct {
	ID    int64
	Name  string
	Books []*Book `retort:"rel,back_populates=Author"`
}

type Book struct {
	ID       int64
	Title    string
	AuthorID *int64  `retort:"fk=author.id"`
	Author   *Author `retort:"rel,back_populates=Books"`
}

func TestDeleteParentReleasesChildren(t *testing.T) {
	eachDB(t, func(reg *Registry) error {
		if err := Register[Author](reg); err != nil {
			return err
		}
		return Register[A](reg)
	}, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		seed := &Author{Name: "ann", Books: []*Book{{Title: "one"}, {Title: "two"}}}
		err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error {
			return s.Add(seed)
		})
		annID, b1ID, b2ID := seed.ID, seed.Books[0].ID, seed.Books[1].ID
		if err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		s := sm.New()
		defer s.Close()
		ann, err := GetOne[Author](e.ctx, s, annID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ann); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		// The books are loaded, released (UPDATE ... SET author_id = NULL), then the author
		// is deleted. PostgreSQL pipelines one UPDATE per book; elsewhere the two rows'
		// UPDATEs merge into one.
		release := []string{
			fmt.Sprintf("UPDATE book SET author_id = $1 WHERE book.id = $2 | [NULL %d]", b1ID),
			fmt.Sprintf("UPDATE book SET author_id = $1 WHERE book.id = $2 | [NULL %d]", b2ID),
		}
		if e.target.Name != testdb.NamePostgres {
			release = []string{fmt.Sprintf("UPDATE book SET author_id = CASE book.id WHEN ? THEN ? WHEN ? THEN ? END WHERE book.id IN (?, ?) | [%d NULL %d NULL %d %d]", b1ID, b2ID, b1ID, b2ID)}
		}
		want := []string{
			e.sqlf("SELECT author.id, author.name FROM author WHERE author.id = ? | [%d]", "SELECT author.id, author.name FROM author WHERE author.id = $1 | [%d]", "SELECT author.id, author.name FROM author WHERE author.id = ? | [%d]", annID),
			e.sqlf("SELECT book.id, book.title, book.author_id FROM book WHERE book.author_id IN (?) ORDER BY book.id | [%d]", "SELECT book.id, book.title, book.author_id FROM book WHERE book.author_id IN ($1) ORDER BY book.id | [%d]", "SELECT book.id, book.title, book.author_id FROM book WHERE book.author_id IN (?) ORDER BY book.id | [%d]", annID),
		}
		want = append(want, release...)
		want = append(want, e.sqlf("DELETE FROM author WHERE author.id = ? | [%d]", "DELETE FROM author WHERE author.id = $1 | [%d]", "DELETE FROM author WHERE author.id = ? | [%d]", annID))
		e.expect(want...)
		b1, err := GetOne[Book](e.ctx, s, b1ID)
		if err != nil || b1.AuthorID != nil || b1.Author != nil {
			t.Errorf("book after its author's deletion: %+v %v", b1, err)
		}

		// A child whose foreign key cannot be NULL stops the flush before any SQL.
		added := &A{Bs: []*B{{}}}
		if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error {
			return s.Add(added)
		}); err != nil {
			t.Fatal(err)
		}
		s2 := sm.New()
		defer s2.Close()
		a, err := GetOne[A](e.ctx, s2, added.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s2.Delete(a); err != nil {
			t.Fatal(err)
		}
		err = s2.Flush(e.ctx)
		if err == nil || !strings.Contains(err.Error(), "deleting a orm.A leaves a orm.B that references it, and B.AID cannot be NULL") {
			t.Errorf("flush: %v", err)
		}
	})
}
