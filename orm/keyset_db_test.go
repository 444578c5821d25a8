package orm

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
)

// ksPost is the model of the keyset-pagination tests: created_at is written by the
// server default, by expr.Now() and by bound time.Time values.
type ksPost struct {
	ID        int64 `retort:"pk"`
	Title     string
	CreatedAt time.Time `retort:"server_default=now()"`
}

type ksPostHandle = struct {
	Table[ksPost]
	ID        Column[int64]
	Title     Column[string]
	CreatedAt Column[time.Time]
}

// TestKeysetPagination pages through 1,000 rows by (created_at, id) with a row-value
// comparison. The timestamps come from the server default, from expr.Now() in VALUES
// and from bound time.Time values equal to ones the server wrote, so equality and
// ordering must hold whoever wrote a timestamp: every row is seen exactly once, in
// order, and created_at = <a value just read> finds the rows that have it.
func TestKeysetPagination(t *testing.T) {
	eachDB(t, func(reg *Registry) error { return Register[ksPost](reg) }, func(e *env) {
		t := e.t
		var ph ksPostHandle
		if err := RegisterHandle(e.reg, &ph); err != nil {
			t.Fatal(err)
		}
		tbl := ph.Core()
		conn, err := e.eng.Connect(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		insert := func(n int, withNow bool, at *time.Time) {
			t.Helper()
			stmt := expr.Insert(tbl).Columns(tbl.C("title"))
			if withNow || at != nil {
				stmt = expr.Insert(tbl).Columns(tbl.C("title"), tbl.C("created_at"))
			}
			for i := 0; i < n; i++ {
				switch {
				case withNow:
					stmt = stmt.Row("p", expr.Now())
				case at != nil:
					stmt = stmt.Row("p", *at)
				default:
					stmt = stmt.Row("p")
				}
			}
			if _, err := conn.Execute(e.ctx, stmt); err != nil {
				t.Fatal(err)
			}
		}
		insert(400, false, nil) // the server default
		insert(300, true, nil)  // expr.Now()
		res, err := conn.Execute(e.ctx, expr.Select(tbl.C("created_at")).OrderBy(tbl.C("id")).Limit(1))
		if err != nil {
			t.Fatal(err)
		}
		v, err := res.ScalarOne()
		if err != nil {
			t.Fatal(err)
		}
		first := v.(time.Time)
		insert(150, false, &first) // bound values equal to one the server wrote
		later := first.Add(-time.Hour).In(time.FixedZone("UTC+5", 5*3600))
		insert(150, false, &later) // bound values an hour earlier, in another zone

		// created_at = the value read finds the 150 bound rows and the server's row(s).
		n, err := conn.Scalar(e.ctx, expr.Select(expr.CountStar()).From(tbl).Where(ph.CreatedAt.Eq(first)))
		if err != nil {
			t.Fatal(err)
		}
		if n.(int64) < 151 {
			t.Errorf("rows with created_at = %v: %v, want at least 151", first, n)
		}

		sm := NewSessionMaker(e.eng, e.reg)
		s := sm.New()
		defer s.Close()
		seen := make(map[int64]bool)
		var last *ksPost
		pages := 0
		for {
			q := Select(ph).OrderBy(ph.CreatedAt.Asc(), ph.ID.Asc()).Limit(64)
			if last != nil {
				q = q.Where(expr.Tuple(ph.CreatedAt, ph.ID).Gt(last.CreatedAt, last.ID))
			}
			r, err := Scalars(e.ctx, s, q)
			if err != nil {
				t.Fatal(err)
			}
			page := r.All()
			if len(page) == 0 {
				break
			}
			pages++
			if pages > 20 {
				t.Fatalf("pagination did not end after %d pages (%d rows seen)", pages, len(seen))
			}
			for _, p := range page {
				if seen[p.ID] {
					t.Fatalf("row %d seen twice (page %d)", p.ID, pages)
				}
				seen[p.ID] = true
				if last != nil && (p.CreatedAt.Before(last.CreatedAt) || p.CreatedAt.Equal(last.CreatedAt) && p.ID < last.ID) {
					t.Fatalf("row %d (%v) after row %d (%v): out of order", p.ID, p.CreatedAt, last.ID, last.CreatedAt)
				}
				last = p
			}
		}
		if len(seen) != 1000 || pages != 16 {
			t.Fatalf("paged through %d rows in %d pages, want 1000 in 16", len(seen), pages)
		}
		if last.CreatedAt.Location() != time.UTC {
			t.Errorf("created_at read back in %v, want UTC", last.CreatedAt.Location())
		}
	})
}

// TestTypedAssignment checks that an ORM handle's typed Column[T].Set is taken by Core's
// UPDATE (UpdateStmt.Assign) next to expr.Set.
func TestTypedAssignment(t *testing.T) {
	eachDB(t, func(reg *Registry) error { return Register[ksPost](reg) }, func(e *env) {
		t := e.t
		var ph ksPostHandle
		if err := RegisterHandle(e.reg, &ph); err != nil {
			t.Fatal(err)
		}
		sm := NewSessionMaker(e.eng, e.reg)
		p := &ksPost{Title: "draft"}
		if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.Add(p) }); err != nil {
			t.Fatal(err)
		}
		when := time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)
		err := e.eng.Begin(e.ctx, func(ctx context.Context, c *engine.Conn) error {
			res, err := c.Execute(ctx, expr.Update(ph.Core()).Assign(ph.Title.Set("final"), ph.CreatedAt.Set(when)).Where(ph.ID.Eq(p.ID)))
			if err == nil && res.RowsAffected() != 1 {
				t.Errorf("rows affected: %d", res.RowsAffected())
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		s := sm.New()
		defer s.Close()
		got, err := Scalar(e.ctx, s, Select(ph).Where(ph.ID.Eq(p.ID)))
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "final" || !got.CreatedAt.Equal(when) {
			t.Fatalf("after the update: %+v", got)
		}
	})
}

// TestMemorySQLiteHeldConnection: on an in-memory SQLite engine, a connection held by
// the caller does not stop a session from querying and flushing in the same goroutine.
func TestMemorySQLiteHeldConnection(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	eng, err := engine.Create(ctx, "sqlite://")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	reg := NewRegistry()
	if err := Register[ksPost](reg); err != nil {
		t.Fatal(err)
	}
	if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	held, err := eng.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	s := NewSessionMaker(eng, reg).New()
	defer s.Close()
	if err := s.Add(&ksPost{Title: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx); err != nil {
		t.Fatalf("commit while a connection is held: %v", err)
	}
	n, err := held.Scalar(ctx, expr.Select(expr.CountStar()).From(reg.MetaData().Tables[0]))
	if err != nil || n != int64(1) {
		t.Fatalf("rows seen by the held connection: %v, %v", n, err)
	}
}

// ieUser has an unnamed unique email, for TestFlushIntegrityError.
type ieUser struct {
	ID    int64  `retort:"pk"`
	Email string `retort:"size=100,unique"`
}

// TestFlushIntegrityError: a flush that breaks a unique constraint fails with an
// IntegrityError naming the constraint (as the database names the unnamed one) and its
// column on every dialect; SQLite names no constraint.
func TestFlushIntegrityError(t *testing.T) {
	eachDB(t, func(reg *Registry) error { return Register[ieUser](reg) }, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.Add(&ieUser{Email: "a@x"}) }); err != nil {
			t.Fatal(err)
		}
		err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.Add(&ieUser{Email: "a@x"}) })
		var ie *engine.IntegrityError
		if !errors.As(err, &ie) {
			t.Fatalf("duplicate email: %v", err)
		}
		want := map[string]string{"postgresql": "ie_user_email_key", "mariadb": "email", "mysql-features": "email"}[e.target.Name]
		if ie.Kind != engine.UniqueViolation || ie.Constraint != want || ie.Column != "email" || ie.Table != "ie_user" {
			t.Errorf("IntegrityError %+v, want constraint %q column email table ie_user", ie, want)
		}
	})
}
