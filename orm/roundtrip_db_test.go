package orm

import (
	"context"
	"errors"
	"log/slog"
	"slices"
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
		ctx := context.Background()
		ptg, rt := testdb.Proxy(t, tg)
		c := &capture{}
		eng, err := engine.Create(ctx, ptg.URL, engine.Echo(true), engine.WithLogger(slog.New(c)), engine.PoolSize(1))
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		reg := NewRegistry()
		if err := registerAcct(reg); err != nil {
			t.Fatal(err)
		}
		if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
			t.Fatal(err)
		}
		e := &env{t: t, target: tg, eng: eng, reg: reg, cap: c, ctx: ctx}
		sm := NewSessionMaker(eng, reg)
		seedAccts(t, e, sm, "a", "b")
		autocommit := tg.Name != testdb.NameMariaDB
		if eng.AutocommitReads() != autocommit {
			t.Fatalf("AutocommitReads = %v on %s", eng.AutocommitReads(), tg.Name)
		}
		sel := e.sql("SELECT acct.id, acct.name, acct.balance, acct.created FROM acct WHERE acct.id = ? | [1]",
			"SELECT acct.id, acct.name, acct.balance, acct.created FROM acct WHERE acct.id = $1 | [1]",
			"SELECT acct.id, acct.name, acct.balance, acct.created FROM acct WHERE acct.id = ? | [1]")
		upd := e.sql("UPDATE acct SET balance = ? WHERE acct.id = ? | [7 1]", "UPDATE acct SET balance = $1 WHERE acct.id = $2 | [7 1]", "UPDATE acct SET balance = ? WHERE acct.id = ? | [7 1]")

		// A read-only session: one statement, one round trip on PostgreSQL (once the
		// statement is prepared on the connection: the warm-up's).
		s := sm.New()
		if _, err := GetOne[Acct](ctx, s, int64(1)); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s = sm.New()
		c.take(true)
		rt.Take()
		if _, err := GetOne[Acct](ctx, s, int64(1)); err != nil {
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
		a, err := GetOne[Acct](ctx, s, int64(1))
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
		if _, err := Scalars(ctx, s, Select(h).Where(h.ID.Eq(2)).ForUpdate()); err != nil {
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
			if _, err := GetOne[Acct](ctx, s, int64(1)); err != nil {
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
		b, err := GetOne[Acct](ctx, s, int64(2))
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
