package orm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
)

// TestReadsWithoutTransaction: at READ COMMITTED (PostgreSQL's default) and on SQLite a
// session reads without BEGIN and ROLLBACK until it writes, saving their round trips; at
// MariaDB's REPEATABLE READ, or with BeginOnRead(true), it begins at its first read. What
// the application sees is the same.
func TestReadsWithoutTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		e, rt := proxiedEnv(t, tg)
		ctx, c, eng, reg := e.ctx, e.cap, e.eng, e.reg
		sm := NewSessionMaker(eng, reg)
		seeded := seedAccts(t, e, sm, "a", "b")
		idA, idB := seeded[0].ID, seeded[1].ID
		autocommit := tg.Name != testdb.NameMariaDB
		if eng.AutocommitReads() != autocommit {
			t.Fatalf("AutocommitReads = %v on %s", eng.AutocommitReads(), tg.Name)
		}
		sel := e.sql("SELECT acct.id, acct.name, acct.balance, acct.created FROM acct WHERE acct.id = ?",
			"SELECT acct.id, acct.name, acct.balance, acct.created FROM acct WHERE acct.id = $1",
			"SELECT acct.id, acct.name, acct.balance, acct.created FROM acct WHERE acct.id = ?") + fmt.Sprintf(" | [%d]", idA)
		upd := e.sql("UPDATE acct SET balance = ? WHERE acct.id = ?", "UPDATE acct SET balance = $1 WHERE acct.id = $2", "UPDATE acct SET balance = ? WHERE acct.id = ?") + fmt.Sprintf(" | [7 %d]", idA)

		// A read-only session: one statement, one round trip on PostgreSQL (once the
		// statement is prepared on the connection: the warm-up's).
		s := sm.New()
		if _, err := GetOne[Acct](ctx, s, idA); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s = sm.New()
		c.take(true)
		rt.Take()
		if _, err := GetOne[Acct](ctx, s, idA); err != nil {
			t.Fatal(err)
		}
		if !s.InTransaction() {
			t.Error("the session has no transaction after a read")
		}
		if err := s.Begin(ctx, func(context.Context) error { return nil }); !errors.Is(err, ErrTxActive) {
			t.Errorf("Begin after a read: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		got, trips := c.take(true), rt.Take()
		if autocommit {
			if !slices.Equal(got, []string{sel}) || rt != nil && trips != 1 {
				t.Errorf("read-only session: %q in %d round trips, want the SELECT in 1", got, trips)
			}
		} else if !slices.Equal(got, []string{"BEGIN", sel, "ROLLBACK"}) {
			t.Errorf("read-only session: %q", got)
		}

		// Read, then write: the transaction begins with the first write.
		s = sm.New()
		a, err := GetOne[Acct](ctx, s, idA)
		if err != nil {
			t.Fatal(err)
		}
		a.Balance = 7
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close()
		got = c.take(true)
		if autocommit {
			if !slices.Equal(got, []string{sel, "BEGIN", upd, "COMMIT"}) {
				t.Errorf("read then write: %q", got)
			}
		} else if !slices.Equal(got, []string{"BEGIN", sel, upd, "COMMIT"}) {
			t.Errorf("read then write: %q", got)
		}

		// A locking read, and a statement the session cannot classify, begin at once.
		s = sm.New()
		var h struct {
			Table[Acct]
			ID Column[int64]
		}
		if err := RegisterHandle(reg, &h); err != nil {
			t.Fatal(err)
		}
		if _, err := Scalars(ctx, s, Select(h).Where(h.ID.Eq(idB)).ForUpdate()); err != nil {
			t.Fatal(err)
		}
		got = c.take(true)
		if len(got) != 2 || got[0] != "BEGIN" {
			t.Errorf("FOR UPDATE: %q, want BEGIN first", got)
		}
		s.Close()
		c.take(true)
		s = sm.New()
		if _, err := s.Execute(ctx, expr.Text("SELECT 1")); err != nil {
			t.Fatal(err)
		}
		if got = c.take(true); len(got) != 2 || got[0] != "BEGIN" {
			t.Errorf("Execute of text: %q, want BEGIN first", got)
		}
		s.Close()
		c.take(true)

		// BeginOnRead(true) brings BEGIN back; BeginOnRead(false) drops it anywhere.
		for _, on := range []bool{true, false} {
			s = NewSessionMaker(eng, reg, BeginOnRead(on)).New()
			if _, err := GetOne[Acct](ctx, s, idA); err != nil {
				t.Fatal(err)
			}
			s.Close()
			got = c.take(true)
			if on && (len(got) != 3 || got[0] != "BEGIN" || got[2] != "ROLLBACK") || !on && !slices.Equal(got, []string{sel}) {
				t.Errorf("BeginOnRead(%v): %q", on, got)
			}
		}

		// The rollback rules hold for a session that has only read: its objects expire.
		s = sm.New()
		defer s.Close()
		b, err := GetOne[Acct](ctx, s, idB)
		if err != nil {
			t.Fatal(err)
		}
		b.Name = "changed"
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if b.Name != "b" || !s.states[ptrOf(b)].expired {
			t.Errorf("after Rollback of a read-only session: %q expired %v", b.Name, s.states[ptrOf(b)].expired)
		}
	})
}

// proxiedEnv returns a test environment for tg whose engine (one pooled connection,
// echo captured) reaches the server through testdb.Proxy, with the acct and note tables,
// and the proxy's round-trip counter (nil for SQLite).
func proxiedEnv(t *testing.T, tg testdb.Target) (*env, *testdb.RoundTrips) {
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
	if err := registerAcct(reg); err != nil {
		t.Fatal(err)
	}
	if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, target: tg, eng: eng, reg: reg, cap: c, ctx: ctx}, rt
}

// TestAutocommitReadsIsolation: the engine reads outside a transaction only where every
// statement takes its own snapshot anyway.
func TestAutocommitReadsIsolation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		for _, c := range []struct {
			iso  string
			want bool
		}{
			{"", tg.Name != testdb.NameMariaDB},
			{"READ COMMITTED", tg.Name != testdb.NameSQLite},
			{"SERIALIZABLE", false},
			{"REPEATABLE READ", false},
		} {
			if tg.Name == testdb.NameSQLite && c.iso != "" {
				continue // SQLite has no isolation levels to choose
			}
			eng, err := engine.Create(context.Background(), tg.URL, engine.IsolationLevel(c.iso))
			if err != nil {
				t.Fatal(err)
			}
			if got := eng.AutocommitReads(); got != c.want {
				t.Errorf("isolation %q: AutocommitReads %v, want %v", c.iso, got, c.want)
			}
			eng.Close()
		}
	})
}

// TestCommitRoundTrips: Commit's flush sends its last statement with COMMIT (one round
// trip for a unit of work of one statement on PostgreSQL, BEGIN included), keeping the
// flush's failure rules: nothing is committed when a statement fails, and an UPDATE
// carries COMMIT only when it is the transaction's one write.
func TestCommitRoundTrips(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		pe, rt := proxiedEnv(t, tg)
		ctx, eng, reg := pe.ctx, pe.eng, pe.reg
		// Other clients (and the checks of the rows) use an engine of their own: the
		// session's pool has one connection.
		side, err := engine.Create(ctx, tg.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer side.Close()
		e := &env{t: t, target: tg, eng: side, reg: reg, cap: pe.cap, ctx: ctx}
		sm := NewSessionMaker(eng, reg, ExpireOnCommit(false))
		pg := tg.Name == testdb.NamePostgres
		trips := func(what string, want int64, fn func(s *Session) error) {
			t.Helper()
			// Twice: the first run prepares the statements on the connection.
			for i := 0; i < 2; i++ {
				s := sm.New()
				rt.Take()
				err := fn(s)
				n := rt.Take()
				s.Close()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if i == 1 && pg && n != want {
					t.Errorf("%s: %d round trips, want %d", what, n, want)
				}
			}
		}
		// made holds the accounts added, with the keys the database gave them.
		var made []*Acct
		next := func() *Acct {
			made = append(made, &Acct{Name: "n" + strconv.Itoa(len(made))})
			return made[len(made)-1]
		}
		trips("insert one", 1, func(s *Session) error {
			if err := s.Add(next()); err != nil {
				return err
			}
			return s.Commit(ctx)
		})
		trips("insert 100", 1, func(s *Session) error {
			for range 100 {
				if err := s.Add(next()); err != nil {
					return err
				}
			}
			return s.Commit(ctx)
		})
		trips("update one (object loaded)", 1, func(s *Session) error {
			a, err := GetOne[Acct](ctx, s, made[0].ID)
			if err != nil {
				return err
			}
			rt.Take() // the read: one round trip of its own
			a.Balance++
			return s.Commit(ctx)
		})
		// Deleting an Acct loads its notes first (to set their acct_id to NULL, as
		// SQLAlchemy does without a delete cascade): that SELECT, then DELETE with COMMIT.
		trips("delete one", 2, func(s *Session) error {
			a, err := GetOne[Acct](ctx, s, made[len(made)-1].ID)
			if err != nil {
				return err
			}
			made = made[:len(made)-1]
			rt.Take()
			if err := s.Delete(a); err != nil {
				return err
			}
			return s.Commit(ctx)
		})
		// Two statements that depend on each other: the parent's INSERT, then the child's
		// with COMMIT.
		trips("parent and child", 2, func(s *Session) error {
			parent := next()
			parent.Notes = []*Note{{Body: "x"}}
			if err := s.Add(parent); err != nil {
				return err
			}
			return s.Commit(ctx)
		})
		before := acctRows(t, e)

		// A failing INSERT with COMMIT: nothing committed, the rollback rules as ever.
		s := sm.New()
		dup := &Acct{Name: made[0].Name}
		if err := s.Add(dup); err != nil {
			t.Fatal(err)
		}
		var ie *engine.IntegrityError
		if err := s.Commit(ctx); !errors.As(err, &ie) {
			t.Fatalf("Commit of a duplicate: %v", err)
		}
		if err := s.Rollback(ctx); err != nil || s.Status(dup) != Transient {
			t.Fatalf("Rollback: %v, %v", err, s.Status(dup))
		}
		s.Close()

		// An INSERT, then an UPDATE of a row deleted meanwhile: the UPDATE is not the
		// transaction's one write, so it goes without COMMIT, and the INSERT is rolled back
		// with it.
		s = sm.New()
		victim, err := GetOne[Acct](ctx, s, made[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		other, err := side.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Execute(ctx, expr.Text("DELETE FROM acct WHERE id = :id", expr.Param("id", victim.ID))); err != nil {
			t.Fatal(err)
		}
		other.Close()
		before = slices.DeleteFunc(before, func(r string) bool { return r == victim.Name+":100" })
		victim.Balance = 5
		if err := s.Add(&Acct{Name: "lost"}); err != nil {
			t.Fatal(err)
		}
		var se *StaleDataError
		if err := s.Commit(ctx); !errors.As(err, &se) {
			t.Fatalf("Commit with a stale UPDATE: %v", err)
		}
		_ = s.Rollback(ctx)
		s.Close()
		// The same UPDATE alone carries COMMIT, and commits nothing either.
		s = sm.New()
		defer s.Close()
		third, err := GetOne[Acct](ctx, s, made[2].ID)
		if err != nil {
			t.Fatal(err)
		}
		other, err = side.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Execute(ctx, expr.Text("DELETE FROM acct WHERE id = :id", expr.Param("id", third.ID))); err != nil {
			t.Fatal(err)
		}
		other.Close()
		before = slices.DeleteFunc(before, func(r string) bool { return r == third.Name+":100" })
		third.Balance = 6
		if err := s.Commit(ctx); !errors.As(err, &se) {
			t.Fatalf("Commit of a lone stale UPDATE: %v", err)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if got := acctRows(t, e); !slices.Equal(got, before) {
			t.Errorf("rows after the failures:\n got  %v\n want %v", got, before)
		}
	})
}
