package orm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// abHandles is the handle of A used by the session tests (bound per registry).
type abHandle = struct {
	Table[A]
	ID         Column[int64]
	Data       Column[*string]
	CreateDate Column[time.Time]
	Bs         Relation[A, B]
}

type bHandle = struct {
	Table[B]
	ID   Column[int64]
	AID  Column[int64]
	Data Column[*string]
}

func registerAB(reg *Registry) error { return Register[A](reg) }

// bindAB binds fresh handles of A and B to e's registry.
func bindAB(t *testing.T, e *env) (*abHandle, *bHandle) {
	t.Helper()
	var ah abHandle
	var bh bHandle
	if err := RegisterHandle(e.reg, &ah); err != nil {
		t.Fatal(err)
	}
	if err := RegisterHandle(e.reg, &bh); err != nil {
		t.Fatal(err)
	}
	return &ah, &bh
}

// seedAB adds the seed's three A's with five B's and commits.
func seedAB(t *testing.T, e *env, sm *SessionMaker) []*A {
	t.Helper()
	as := []*A{
		{Bs: []*B{{}, {}}, Data: ptr("a1")},
		{Bs: []*B{{}}, Data: ptr("a2")},
		{Bs: []*B{{}, {}}, Data: ptr("a3")},
	}
	err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error {
		return s.AddAll(as[0], as[1], as[2])
	})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func TestSeedAsyncORM(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		ah, _ := bindAB(t, e)
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		ctx := e.ctx

		// add_all inside session.begin(): parents first, children after with their
		// foreign keys filled, each table in one multi-row INSERT ... RETURNING.
		as := seedAB(t, e, sm)
		k1, k2, k3 := as[0].ID, as[1].ID, as[2].ID // generated: not assumed 1, 2, 3
		if e.mysql() {
			// Without RETURNING (MySQL), as SQLAlchemy: one INSERT per row with its key
			// from the last insert id, then the server default create_date read back by
			// one SELECT per batch.
			e.expect(
				"INSERT INTO a (data) VALUES (?) | [\"a1\"]",
				"INSERT INTO a (data) VALUES (?) | [\"a2\"]",
				"INSERT INTO a (data) VALUES (?) | [\"a3\"]",
				fmt.Sprintf("SELECT a.id, a.create_date FROM a WHERE a.id IN (?, ?, ?) | [%d %d %d]", k1, k2, k3),
				fmt.Sprintf("INSERT INTO b (a_id, data) VALUES (?, ?) | [%d NULL]", k1),
				fmt.Sprintf("INSERT INTO b (a_id, data) VALUES (?, ?) | [%d NULL]", k1),
				fmt.Sprintf("INSERT INTO b (a_id, data) VALUES (?, ?) | [%d NULL]", k2),
				fmt.Sprintf("INSERT INTO b (a_id, data) VALUES (?, ?) | [%d NULL]", k3),
				fmt.Sprintf("INSERT INTO b (a_id, data) VALUES (?, ?) | [%d NULL]", k3),
			)
		} else {
			e.expect(
				e.sql("INSERT INTO a (data) VALUES (?), (?), (?) RETURNING id, create_date | [\"a1\" \"a2\" \"a3\"]",
					"INSERT INTO a (data) VALUES ($1), ($2), ($3) RETURNING id, create_date | [\"a1\" \"a2\" \"a3\"]",
					"INSERT INTO a (data) VALUES (?), (?), (?) RETURNING id, create_date | [\"a1\" \"a2\" \"a3\"]"),
				e.sqlf("INSERT INTO b (a_id, data) VALUES (?, ?), (?, ?), (?, ?), (?, ?), (?, ?) RETURNING id | [%[1]d NULL %[1]d NULL %[2]d NULL %[3]d NULL %[3]d NULL]",
					"INSERT INTO b (a_id, data) VALUES ($1, $2), ($3, $4), ($5, $6), ($7, $8), ($9, $10) RETURNING id | [%[1]d NULL %[1]d NULL %[2]d NULL %[3]d NULL %[3]d NULL]",
					"INSERT INTO b (a_id, data) VALUES (?, ?), (?, ?), (?, ?), (?, ?), (?, ?) RETURNING id | [%[1]d NULL %[1]d NULL %[2]d NULL %[3]d NULL %[3]d NULL]", k1, k2, k3),
			)
		}
		for i, a := range as {
			if a.ID <= 0 || (i > 0 && a.ID <= as[i-1].ID) || a.CreateDate.IsZero() {
				t.Errorf("A %d after flush: id %d create_date %v (server default not fetched back?)", i, a.ID, a.CreateDate)
			}
			for _, b := range a.Bs {
				if b.AID != a.ID || b.ID == 0 {
					t.Errorf("B of A %d: id %d a_id %d", a.ID, b.ID, b.AID)
				}
			}
		}

		s := sm.New()
		defer s.Close()
		// select(A).options(selectinload(A.bs))
		stmt := Select(*ah).Options(SelectIn(ah.Bs)).OrderBy(ah.ID.Asc())
		res, err := Scalars(ctx, s, stmt)
		if err != nil {
			t.Fatal(err)
		}
		e.expect(
			"SELECT a.id, a.data, a.create_date FROM a ORDER BY a.id",
			e.sqlf("SELECT b.id, b.a_id, b.data FROM b WHERE b.a_id IN (?, ?, ?) ORDER BY b.id | [%d %d %d]",
				"SELECT b.id, b.a_id, b.data FROM b WHERE b.a_id IN ($1, $2, $3) ORDER BY b.id | [%d %d %d]",
				"SELECT b.id, b.a_id, b.data FROM b WHERE b.a_id IN (?, ?, ?) ORDER BY b.id | [%d %d %d]", k1, k2, k3),
		)
		got := res.All()
		if len(got) != 3 {
			t.Fatalf("%d A's", len(got))
		}
		var counts []int
		for i, a := range got {
			counts = append(counts, len(a.Bs))
			if *a.Data != "a"+string(rune('1'+i)) || !a.CreateDate.Equal(as[i].CreateDate.Truncate(time.Microsecond)) && a.CreateDate.IsZero() {
				t.Errorf("A %d: %q %v", i, *a.Data, a.CreateDate)
			}
			if !IsLoaded(s, a, ah.Bs) {
				t.Errorf("A %d: Bs not marked loaded", i)
			}
			for _, b := range a.Bs {
				if b.AID != a.ID {
					t.Errorf("B %d in A %d's collection has a_id %d", b.ID, a.ID, b.AID)
				}
			}
		}
		if counts[0] != 2 || counts[1] != 1 || counts[2] != 2 {
			t.Errorf("collection sizes %v, want [2 1 2]", counts)
		}

		// session.stream(stmt): the same objects (identity map), relationships loaded.
		i := 0
		for a, err := range Stream(ctx, s, stmt) {
			if err != nil {
				t.Fatal(err)
			}
			if a != got[i] || len(a.Bs) != counts[i] {
				t.Errorf("streamed A %d is %p with %d Bs, want %p with %d", i, a, len(a.Bs), got[i], counts[i])
			}
			i++
		}
		if i != 3 {
			t.Errorf("stream yielded %d objects", i)
		}
		e.cap.take(false)

		// select(A).order_by(A.id).limit(1) ... .one(); change data; commit.
		a1, err := ScalarOne(ctx, s, Select(*ah).OrderBy(ah.ID.Asc()).Limit(1))
		if err != nil {
			t.Fatal(err)
		}
		if a1 != got[0] {
			t.Error(".one() returned another pointer for the same row")
		}
		e.cap.take(false)
		a1.Data = ptr("new data")
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		e.expect(e.sqlf("UPDATE a SET data = ? WHERE a.id = ? | [\"new data\" %d]",
			"UPDATE a SET data = $1 WHERE a.id = $2 | [\"new data\" %d]",
			"UPDATE a SET data = ? WHERE a.id = ? | [\"new data\" %d]", k1))
		if *a1.Data != "new data" {
			t.Errorf("after commit a1.data = %q", *a1.Data)
		}
		// await a1.awaitable_attrs.bs: an explicit load (after Expire, which marks Bs not
		// loaded; a loaded collection is left as it is, with no SQL).
		if err := s.Expire(a1); err != nil {
			t.Fatal(err)
		}
		if err := Load(ctx, s, ah.Bs, a1); err != nil {
			t.Fatal(err)
		}
		if len(a1.Bs) != 2 || a1.Bs[0] != got[0].Bs[0] && a1.Bs[0].ID != as[0].Bs[0].ID {
			t.Errorf("Load(a1.Bs) = %v", a1.Bs)
		}
		// The database has the change.
		s2 := sm.New()
		defer s2.Close()
		fresh, err := GetOne[A](ctx, s2, k1)
		if err != nil || *fresh.Data != "new data" || fresh == a1 {
			t.Errorf("fresh session Get: %v %v", fresh, err)
		}
	})
}

func TestIdentityMap(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		ah, _ := bindAB(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		k2 := seedAB(t, e, sm)[1].ID
		e.cap.take(true)
		s := sm.New()
		defer s.Close()
		a, err := Get[A](e.ctx, s, k2)
		if err != nil || a == nil || *a.Data != "a2" {
			t.Fatalf("Get %d: %v %v", k2, a, err)
		}
		e.expect(e.sqlf("SELECT a.id, a.data, a.create_date FROM a WHERE a.id = ? | [%[1]d]",
			"SELECT a.id, a.data, a.create_date FROM a WHERE a.id = $1 | [%[1]d]",
			"SELECT a.id, a.data, a.create_date FROM a WHERE a.id = ? | [%[1]d]", k2))
		// A hit in the identity map emits no SQL and returns the same pointer; an int
		// key converts to the int64 field's type.
		again, err := Get[A](e.ctx, s, int(k2))
		if err != nil || again != a {
			t.Errorf("second Get: %p %v, want %p", again, err, a)
		}
		e.expect()
		// A query returning the row gives the same pointer, and does not overwrite the
		// unflushed... (autoflush writes the change first, so the row has it).
		a.Data = ptr("changed")
		q, err := ScalarOne(e.ctx, s, Select(*ah).Where(ah.ID.Eq(k2)))
		if err != nil || q != a || *q.Data != "changed" {
			t.Errorf("query: %p %v, want %p", q, err, a)
		}
		e.expect(e.sqlf("UPDATE a SET data = ? WHERE a.id = ? | [\"changed\" %[1]d]", "UPDATE a SET data = $1 WHERE a.id = $2 | [\"changed\" %[1]d]", "UPDATE a SET data = ? WHERE a.id = ? | [\"changed\" %[1]d]", k2),
			e.sqlf("SELECT a.id, a.data, a.create_date FROM a WHERE a.id = ? | [%[1]d]", "SELECT a.id, a.data, a.create_date FROM a WHERE a.id = $1 | [%[1]d]", "SELECT a.id, a.data, a.create_date FROM a WHERE a.id = ? | [%[1]d]", k2))
		// Missing rows.
		if none, err := Get[A](e.ctx, s, 99); none != nil || err != nil {
			t.Errorf("Get 99 = %v, %v", none, err)
		}
		if _, err := GetOne[A](e.ctx, s, 99); !errors.Is(err, ErrNoResult) {
			t.Errorf("GetOne 99: %v", err)
		}
		if _, err := Get[A](e.ctx, s, "x"); err == nil || !strings.Contains(err.Error(), "string value for orm.A.ID, which is int64") {
			t.Errorf("Get with a string key: %v", err)
		}
	})
}

func TestFlushNoChangeAndChangedColumnsOnly(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		bindAB(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		k1 := seedAB(t, e, sm)[0].ID
		s := sm.New()
		defer s.Close()
		a, err := GetOne[A](e.ctx, s, k1)
		if err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.expect() // nothing changed: no SQL
		if mod, _ := s.IsModified(a); mod {
			t.Error("IsModified true without a change")
		}
		a.CreateDate = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
		if mod, _ := s.IsModified(a); !mod || len(s.Dirty()) != 1 {
			t.Error("IsModified false after a change")
		}
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.expect(e.sqlf("UPDATE a SET create_date = ? WHERE a.id = ? | [2020-01-02T03:04:05Z %d]",
			"UPDATE a SET create_date = $1 WHERE a.id = $2 | [2020-01-02T03:04:05Z %d]",
			"UPDATE a SET create_date = ? WHERE a.id = ? | [2020-01-02T03:04:05Z %d]", k1))
		if err := s.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		e.expect()
	})
}

func TestDeleteChildrenBeforeParents(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		ah, _ := bindAB(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		seedAB(t, e, sm)
		s := sm.New()
		defer s.Close()
		as, err := Scalars(e.ctx, s, Select(*ah).Options(SelectIn(ah.Bs)).OrderBy(ah.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		a1 := as.All()[0]
		// Delete the parent first and its children after: the flush orders them.
		for _, o := range []any{a1, a1.Bs[0], a1.Bs[1]} {
			if err := s.Delete(o); err != nil {
				t.Fatal(err)
			}
		}
		if len(s.Deleted()) != 3 || s.Status(a1) != Deleted {
			t.Errorf("Deleted() = %d, status %v", len(s.Deleted()), s.Status(a1))
		}
		e.cap.take(true)
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		b1, b2 := a1.Bs[0].ID, a1.Bs[1].ID
		e.expect(e.sqlf("DELETE FROM b WHERE b.id IN (?, ?) | [%d %d]", "DELETE FROM b WHERE b.id IN ($1, $2) | [%d %d]", "DELETE FROM b WHERE b.id IN (?, ?) | [%d %d]", b1, b2),
			e.sqlf("DELETE FROM a WHERE a.id = ? | [%d]", "DELETE FROM a WHERE a.id = $1 | [%d]", "DELETE FROM a WHERE a.id = ? | [%d]", a1.ID))
		if s.Status(a1) != Detached {
			t.Errorf("after commit the deleted object is %v, want detached", s.Status(a1))
		}
		n, err := s.Execute(e.ctx, expr.Select(expr.CountStar()).From(ah.Core()))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := n.Scalar(); v != int64(2) {
			t.Errorf("%v rows left in a", v)
		}
	})
}

func TestFailedFlushRollsBack(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		bindAB(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		seedAB(t, e, sm)
		s := sm.New()
		defer s.Close()
		good := &A{Data: ptr("good")}
		bad := &B{AID: 999} // no such A: the foreign key fails
		if err := s.AddAll(good, bad); err != nil {
			t.Fatal(err)
		}
		a2, err := GetOne[A](e.ctx, s, 2) // autoflush inserts good (and fails on bad)
		if err == nil {
			// SQLite enforces foreign keys; if the INSERT succeeded the test is wrong.
			t.Fatalf("flush with a dangling foreign key succeeded (a2=%v)", a2)
		}
		if !errors.Is(err, engine.ErrIntegrity) {
			t.Errorf("flush error %v is not an integrity error", err)
		}
		// Objects are as before the flush: good has no key and is still pending.
		if good.ID != 0 || bad.ID != 0 || s.Status(good) != Pending || s.Status(bad) != Pending {
			t.Errorf("after failed flush: good id %d %v, bad id %d %v", good.ID, s.Status(good), bad.ID, s.Status(bad))
		}
		// Everything else reports the pending rollback.
		if _, err := Get[A](e.ctx, s, 1); !errors.Is(err, ErrPendingRollback) || !errors.Is(err, engine.ErrIntegrity) {
			t.Errorf("Get after failed flush: %v", err)
		}
		if err := s.Add(&A{}); !errors.Is(err, ErrPendingRollback) {
			t.Errorf("Add after failed flush: %v", err)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
		// The database is unchanged.
		s2 := sm.New()
		defer s2.Close()
		res, err := s2.Execute(e.ctx, expr.Select(expr.CountStar()).From(e.reg.mappers[typeOf[A]()].table))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := res.Scalar(); v != int64(3) {
			t.Errorf("a has %v rows after the failed flush, want 3", v)
		}
		// The session works again; fix the bad row and commit.
		if err := s.Expunge(bad); err != nil && !errors.Is(err, ErrNotInSession) {
			t.Fatal(err)
		}
		if err := s.Add(good); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		// (PostgreSQL and MariaDB do not give back key values of rolled back inserts.)
		if good.ID < 4 {
			t.Errorf("good.ID = %d after commit", good.ID)
		}
		s3 := sm.New() // s2's transaction still sees the database as it was
		defer s3.Close()
		if back, err := GetOne[A](e.ctx, s3, good.ID); err != nil || *back.Data != "good" {
			t.Errorf("committed row: %v %v", back, err)
		}
	})
}

func TestStaleData(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		ah, _ := bindAB(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		k3 := seedAB(t, e, sm)[2].ID
		s := sm.New()
		defer s.Close()
		a, err := GetOne[A](e.ctx, s, k3)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		// Someone else deletes the row (children first).
		err = e.eng.Begin(e.ctx, func(ctx context.Context, c *engine.Conn) error {
			if _, err := c.Execute(ctx, expr.Delete(e.reg.mappers[typeOf[B]()].table).Where(expr.Eq(e.reg.mappers[typeOf[B]()].table.C("a_id"), k3))); err != nil {
				return err
			}
			_, err := c.Execute(ctx, expr.Delete(ah.Core()).Where(ah.ID.Eq(k3)))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		a.Data = ptr("too late")
		err = s.Flush(e.ctx)
		var se *StaleDataError
		if !errors.As(err, &se) || !errors.Is(err, ErrStaleData) || se.Op != "UPDATE" || se.Matched != 0 {
			t.Errorf("flush of an update to a deleted row: %v", err)
		}
		if err := s.Rollback(e.ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConcurrentUseDetected(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		ah, _ := bindAB(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		as := seedAB(t, e, sm)
		s := sm.New()
		defer s.Close()
		// Inside a stream the session is busy: using it from the loop body is reported.
		for _, err := range Stream(e.ctx, s, Select(*ah)) {
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Add(&A{}); !errors.Is(err, ErrConcurrentUse) {
				t.Errorf("Add during a stream: %v", err)
			}
			break
		}
		// Many goroutines at once: each call either works or reports ErrConcurrentUse;
		// nothing else goes wrong (run with -race).
		var wg sync.WaitGroup
		var mu sync.Mutex
		busy, ok := 0, 0
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; k < 20; k++ {
					a, err := Get[A](e.ctx, s, as[k%3].ID)
					mu.Lock()
					switch {
					case errors.Is(err, ErrConcurrentUse):
						busy++
					case err == nil && a != nil:
						ok++
					default:
						t.Errorf("concurrent Get: %v", err)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if ok == 0 {
			t.Error("no Get succeeded")
		}
		t.Logf("%d calls succeeded, %d reported concurrent use", ok, busy)
	})
}
