package orm

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// Folder is an adjacency list without a relationship field: parent_id references the
// same table.
type Folder struct {
	ID       int64
	ParentID *int64 `retort:"fk=folder.id"`
	Name     string
}

// TestSelfReferentialDeleteOrder: deleting a tree in one flush deletes the leaves first,
// one level per statement, on MariaDB too (which checks the foreign key row by row).
func TestSelfReferentialDeleteOrder(t *testing.T) {
	eachDB(t, func(reg *Registry) error { return Register[Folder](reg) }, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		// 1 <- 2, 3; 2 <- 4, 5; 4 <- 6 (keys given, so that the SQL is exact).
		parents := map[int64]int64{2: 1, 3: 1, 4: 2, 5: 2, 6: 4}
		err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error {
			for id := int64(1); id <= 6; id++ {
				n := &Folder{ID: id, Name: "n"}
				if p, ok := parents[id]; ok {
					n.ParentID = &p
				}
				if err := s.Add(n); err != nil {
					return err
				}
				if err := s.Flush(ctx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		s := sm.New()
		defer s.Close()
		all, err := Scalars(e.ctx, s, SelectOf[Folder](e.reg))
		if err != nil {
			t.Fatal(err)
		}
		// Deleted in the order that violates the key most: parents first.
		for _, n := range all.All() {
			if err := s.Delete(n); err != nil {
				t.Fatal(err)
			}
		}
		e.cap.take(true)
		if err := s.Commit(e.ctx); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		e.expect(
			e.sql("DELETE FROM folder WHERE folder.id IN (?, ?, ?) | [3 5 6]", "DELETE FROM folder WHERE folder.id IN ($1, $2, $3) | [3 5 6]", "DELETE FROM folder WHERE folder.id IN (?, ?, ?) | [3 5 6]"),
			e.sql("DELETE FROM folder WHERE folder.id = ? | [4]", "DELETE FROM folder WHERE folder.id = $1 | [4]", "DELETE FROM folder WHERE folder.id = ? | [4]"),
			e.sql("DELETE FROM folder WHERE folder.id = ? | [2]", "DELETE FROM folder WHERE folder.id = $1 | [2]", "DELETE FROM folder WHERE folder.id = ? | [2]"),
			e.sql("DELETE FROM folder WHERE folder.id = ? | [1]", "DELETE FROM folder WHERE folder.id = $1 | [1]", "DELETE FROM folder WHERE folder.id = ? | [1]"),
		)
		c, err := e.eng.Connect(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if n, err := c.Scalar(e.ctx, expr.Text("SELECT COUNT(*) FROM folder")); err != nil || n != int64(0) {
			t.Errorf("%v rows left (%v)", n, err)
		}
	})
}

// warnings is a slog handler that keeps the messages logged at Warn and above.
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

// TestDeleteOfMissingRowsWarns: a DELETE that matches fewer rows than expected is a
// warning and the flush goes on; an UPDATE that matches none is a StaleDataError.
func TestDeleteOfMissingRowsWarns(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		w := &warnings{}
		eng, err := engine.Create(e.ctx, e.target.URL, engine.WithLogger(slog.New(w)))
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		sm := NewSessionMaker(eng, e.reg)
		seeded := seedAccts(t, e, sm, "a", "b", "c", "d")
		s := sm.New()
		defer s.Close()
		all := make([]*Acct, 3)
		for i := range all {
			if all[i], err = GetOne[Acct](e.ctx, s, seeded[i].ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		c, err := eng.Connect(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Execute(e.ctx, expr.Text("DELETE FROM acct WHERE id IN (:a, :b, :c)",
			expr.Param("a", all[0].ID), expr.Param("b", all[1].ID), expr.Param("c", all[2].ID))); err != nil {
			t.Fatal(err)
		}
		c.Close()
		for _, a := range all[:2] {
			if err := s.Delete(a); err != nil {
				t.Fatal(err)
			}
		}
		kept := &Acct{Name: "kept"}
		if err := s.Add(kept); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatalf("Commit with rows already deleted: %v", err)
		}
		if len(w.msgs) != 1 || !strings.Contains(w.msgs[0], "DELETE matched fewer rows") || !strings.Contains(w.msgs[0], "table=acct expected=2 matched=0") {
			t.Errorf("warnings %q", w.msgs)
		}
		if s.Status(all[0]) != Detached || kept.ID == 0 {
			t.Errorf("after Commit: %v, kept id %d", s.Status(all[0]), kept.ID)
		}
		// An UPDATE of a row deleted by someone else fails.
		third := all[2]
		third.Balance = 1
		err = s.Commit(e.ctx)
		var se *StaleDataError
		if !errors.As(err, &se) || se.Op != "UPDATE" {
			t.Errorf("UPDATE of a deleted row: %v", err)
		}
	})
}
