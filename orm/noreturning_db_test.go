package orm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// Models whose server-generated columns are not keys: on dialects without RETURNING
// (MySQL) the flush reads them back with a SELECT by key.
type Label struct {
	Code string    `retort:"pk,size=20"`
	Name string    `retort:"size=20"`
	Prio int64     `retort:"server_default=7"`
	Made time.Time `retort:"server_default=now()"`
}

type Cell struct {
	X    int64  `retort:"pk"`
	Y    int64  `retort:"pk"`
	Mark string `retort:"size=5,server_default='x'"`
}

// Slot's key is a server default: only RETURNING can tell the flush what it is.
type Slot struct {
	Code string `retort:"pk,size=10,server_default='s1'"`
	N    int64
}

func registerDefaults(reg *Registry) error {
	return errors.Join(Register[Label](reg), Register[Cell](reg), Register[Slot](reg))
}

// TestFlushServerDefaultsByKey: new rows with their keys given get their server defaults
// back: in the INSERT's RETURNING where the dialect has it, otherwise (MySQL) through
// multi-row INSERTs followed by one SELECT of the generated columns by key per batch
// (single and composite keys).
func TestFlushServerDefaultsByKey(t *testing.T) {
	eachDB(t, registerDefaults, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		labels := []*Label{{Code: "a", Name: "A"}, {Code: "b", Name: "B"}, {Code: "c", Name: "C", Prio: 3}}
		cells := []*Cell{{X: 1, Y: 1}, {X: 1, Y: 2}, {X: 2, Y: 1, Mark: "m"}}
		err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error {
			for _, l := range labels {
				if err := s.Add(l); err != nil {
					return err
				}
			}
			for _, c := range cells {
				if err := s.Add(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if e.mysql() {
			e.expect(
				`INSERT INTO label (code, name) VALUES (?, ?), (?, ?) | ["a" "A" "b" "B"]`,
				`SELECT label.code, label.prio, label.made FROM label WHERE label.code IN (?, ?) | ["a" "b"]`,
				`INSERT INTO label (code, name, prio) VALUES (?, ?, ?) | ["c" "C" 3]`,
				`SELECT label.code, label.made FROM label WHERE label.code = ? | ["c"]`,
				`INSERT INTO cell (x, y) VALUES (?, ?), (?, ?) | [1 1 1 2]`,
				`SELECT cell.x, cell.y, cell.mark FROM cell WHERE cell.x = ? AND cell.y = ? OR cell.x = ? AND cell.y = ? | [1 1 1 2]`,
				`INSERT INTO cell (x, y, mark) VALUES (?, ?, ?) | [2 1 "m"]`,
			)
		} else {
			e.expect(
				e.sql(`INSERT INTO label (code, name) VALUES (?, ?), (?, ?) RETURNING code, prio, made | ["a" "A" "b" "B"]`,
					`INSERT INTO label (code, name) VALUES ($1, $2), ($3, $4) RETURNING code, prio, made | ["a" "A" "b" "B"]`,
					`INSERT INTO label (code, name) VALUES (?, ?), (?, ?) RETURNING code, prio, made | ["a" "A" "b" "B"]`),
				e.sql(`INSERT INTO label (code, name, prio) VALUES (?, ?, ?) RETURNING code, made | ["c" "C" 3]`,
					`INSERT INTO label (code, name, prio) VALUES ($1, $2, $3) RETURNING code, made | ["c" "C" 3]`,
					`INSERT INTO label (code, name, prio) VALUES (?, ?, ?) RETURNING code, made | ["c" "C" 3]`),
				e.sql(`INSERT INTO cell (x, y) VALUES (?, ?), (?, ?) RETURNING x, y, mark | [1 1 1 2]`,
					`INSERT INTO cell (x, y) VALUES ($1, $2), ($3, $4) RETURNING x, y, mark | [1 1 1 2]`,
					`INSERT INTO cell (x, y) VALUES (?, ?), (?, ?) RETURNING x, y, mark | [1 1 1 2]`),
				e.sql(`INSERT INTO cell (x, y, mark) VALUES (?, ?, ?) | [2 1 "m"]`,
					`INSERT INTO cell (x, y, mark) VALUES ($1, $2, $3) | [2 1 "m"]`,
					`INSERT INTO cell (x, y, mark) VALUES (?, ?, ?) | [2 1 "m"]`),
			)
		}
		// The objects hold what the database holds.
		check := sm.New()
		defer check.Close()
		for _, l := range labels {
			got, err := GetOne[Label](e.ctx, check, l.Code)
			if err != nil {
				t.Fatal(err)
			}
			if got.Prio != l.Prio || got.Made.IsZero() || !got.Made.Equal(l.Made) {
				t.Errorf("label %s: object prio %d made %v, database %d %v", l.Code, l.Prio, l.Made, got.Prio, got.Made)
			}
		}
		for _, c := range cells {
			got, err := GetOne[Cell](e.ctx, check, c.X, c.Y)
			if err != nil {
				t.Fatal(err)
			}
			if got.Mark != c.Mark {
				t.Errorf("cell %d,%d: object mark %q, database %q", c.X, c.Y, c.Mark, got.Mark)
			}
		}
		if labels[0].Prio != 7 || labels[1].Prio != 7 || labels[2].Prio != 3 {
			t.Errorf("prio: %d %d %d, want 7 7 3", labels[0].Prio, labels[1].Prio, labels[2].Prio)
		}
		if cells[0].Mark != "x" || cells[1].Mark != "x" || cells[2].Mark != "m" {
			t.Errorf("marks: %q %q %q, want x x m", cells[0].Mark, cells[1].Mark, cells[2].Mark)
		}

		// A key left to a server default can only be read back with RETURNING.
		s := sm.New()
		defer s.Close()
		slot := &Slot{N: 1}
		if err := s.Add(slot); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		err = s.Flush(e.ctx)
		if !e.mysql() {
			if err != nil || slot.Code != "s1" {
				t.Fatalf("flush of a server-default key: %v, code %q", err, slot.Code)
			}
			return
		}
		const want = "orm: flush: INSERT into slot: key column code is left to its server default, which dialect mariadb cannot read back without INSERT ... RETURNING (give Slot.Code a value): compile: not supported by dialect"
		if err == nil || err.Error() != want || !errors.Is(err, compile.ErrUnsupported) {
			t.Fatalf("flush of a server-default key without RETURNING:\n got: %v\nwant: %s", err, want)
		}
		if got := e.cap.take(false); len(got) != 0 {
			t.Errorf("statements sent: %s", strings.Join(got, "; "))
		}
		if err := s.Flush(e.ctx); !errors.Is(err, ErrPendingRollback) {
			t.Errorf("after the failed flush: %v, want ErrPendingRollback", err)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		slot.Code = "given"
		if err := s.Add(slot); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatalf("with the key given: %v", err)
		}
	})
}

// TestUpdateToCurrentValueIsNotStale: an UPDATE that writes the values the row already
// has (another transaction made the same change) matches its row on every database (on
// MySQL-family servers thanks to CLIENT_FOUND_ROWS), so it is no stale-data error.
func TestUpdateToCurrentValueIsNotStale(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		ah, _ := bindAB(t, e)
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		k1 := seedAB(t, e, sm)[0].ID
		s := sm.New()
		defer s.Close()
		a1, err := GetOne[A](e.ctx, s, k1)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil { // a1 keeps its loaded snapshot
			t.Fatal(err)
		}
		err = e.eng.Begin(e.ctx, func(ctx context.Context, c *engine.Conn) error {
			_, err := c.Execute(ctx, expr.Update(ah.Core()).Set(ah.Data.ColumnClause, "same").Where(ah.ID.Eq(k1)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		a1.Data = ptr("same")
		e.cap.take(true)
		if err := s.Commit(e.ctx); err != nil {
			t.Fatalf("commit: %v", err)
		}
		e.expect(e.sqlf(`UPDATE a SET data = ? WHERE a.id = ? | ["same" %[1]d]`, `UPDATE a SET data = $1 WHERE a.id = $2 | ["same" %[1]d]`, `UPDATE a SET data = ? WHERE a.id = ? | ["same" %[1]d]`, k1))
	})
}
