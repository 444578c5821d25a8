package orm

import (
	"fmt"
	"testing"
)

func TestMerge(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		seeded := seedAB(t, e, sm)
		k2 := seeded[1].ID
		// A detached object from a closed session, changed, merged into a new session.
		s1 := sm.New()
		detached, err := GetOne[A](e.ctx, s1, k2)
		if err != nil {
			t.Fatal(err)
		}
		s1.Close()
		detached.Data = ptr("merged")
		s := sm.New()
		defer s.Close()
		got, err := Merge(e.ctx, s, detached)
		if err != nil {
			t.Fatal(err)
		}
		if got == detached || *got.Data != "merged" || s.Status(got) != Persistent || s.Status(detached) != Detached {
			t.Fatalf("Merge: got %p (%v) data %q, detached %v", got, s.Status(got), *got.Data, s.Status(detached))
		}
		again, err := Merge(e.ctx, s, &A{ID: k2, Data: ptr("again"), CreateDate: got.CreateDate})
		if err != nil || again != got || *got.Data != "again" {
			t.Errorf("second Merge: %p %v, want %p", again, err, got)
		}
		// A new object (zero key) becomes a pending copy.
		fresh, err := Merge(e.ctx, s, &A{Data: ptr("new")})
		if err != nil || s.Status(fresh) != Pending {
			t.Fatalf("Merge of a new object: %v %v", s.Status(fresh), err)
		}
		e.cap.take(true)
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if e.mysql() {
			// No RETURNING: the key from the last insert id, create_date by a SELECT.
			e.expect(
				"INSERT INTO a (data) VALUES (?) | [\"new\"]",
				fmt.Sprintf("SELECT a.id, a.create_date FROM a WHERE a.id = ? | [%d]", fresh.ID),
				fmt.Sprintf("UPDATE a SET data = ? WHERE a.id = ? | [\"again\" %d]", k2),
			)
		} else {
			e.expect(
				e.sql("INSERT INTO a (data) VALUES (?) RETURNING id, create_date | [\"new\"]", "INSERT INTO a (data) VALUES ($1) RETURNING id, create_date | [\"new\"]", "INSERT INTO a (data) VALUES (?) RETURNING id, create_date | [\"new\"]"),
				e.sqlf("UPDATE a SET data = ? WHERE a.id = ? | [\"again\" %[1]d]", "UPDATE a SET data = $1 WHERE a.id = $2 | [\"again\" %[1]d]", "UPDATE a SET data = ? WHERE a.id = ? | [\"again\" %[1]d]", k2),
			)
		}
		if fresh.ID <= seeded[2].ID || fresh.CreateDate.IsZero() {
			t.Errorf("merged new object after commit: id %d, create_date %v", fresh.ID, fresh.CreateDate)
		}
	})
}
