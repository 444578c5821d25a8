package orm

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/expr"
)

// Ticket exercises hooks, validation and update_default.
type Ticket struct {
	ID        int64
	Title     string `retort:"size=100"`
	Slug      string `retort:"size=100"`
	Seq       int64
	Priority  int64
	UpdatedAt *time.Time `retort:"update_default=now()"`
	Revision  int64      `retort:"update_default=7"`

	events []string // what the hooks saw (not mapped)
}

var ticketT = struct {
	Table[Ticket]
	ID       Column[int64]
	Title    Column[string]
	Priority Column[int64]
}{}

var errProtected = errors.New("ticket is protected")

func (t *Ticket) BeforeInsert(ctx context.Context, s *Session) error {
	// The session is in reach: number the ticket after those already written.
	n, err := Count(ctx, s, ticketT.Select())
	if err != nil {
		return err
	}
	t.Seq = n + 1
	t.Slug = strings.ToLower(t.Title)
	t.events = append(t.events, "BeforeInsert")
	return nil
}

func (t *Ticket) AfterInsert(ctx context.Context, s *Session) error {
	if t.ID == 0 {
		return errors.New("no key after INSERT")
	}
	t.events = append(t.events, "AfterInsert")
	return nil
}

func (t *Ticket) BeforeUpdate(ctx context.Context, s *Session) error {
	t.Slug = strings.ToLower(t.Title)
	t.events = append(t.events, "BeforeUpdate")
	return nil
}

func (t *Ticket) AfterUpdate(ctx context.Context, s *Session) error {
	t.events = append(t.events, "AfterUpdate")
	return nil
}

func (t *Ticket) BeforeDelete(ctx context.Context, s *Session) error {
	if t.Priority > 5 {
		return errProtected
	}
	t.events = append(t.events, "BeforeDelete")
	return nil
}

func (t *Ticket) AfterDelete(ctx context.Context, s *Session) error {
	t.events = append(t.events, "AfterDelete")
	return s.Flush(ctx) // not allowed inside a hook
}

func (t *Ticket) AfterLoad(ctx context.Context, s *Session) error {
	t.events = append(t.events, "AfterLoad")
	return nil
}

func (t *Ticket) Validate() error {
	switch {
	case t.Title == "":
		return errors.New("title is empty")
	case t.Priority < 0:
		return errors.New("priority is negative")
	}
	return nil
}

func registerTickets(reg *Registry) error { return RegisterHandle(reg, &ticketT) }

// TestHooks: before hooks run before the statements with the session usable (a query),
// their changes are written; after hooks run after them; AfterLoad when a query fills an
// object; a failing before hook or Validate stops the flush before any SQL, restores what
// hooks wrote, and leaves the session usable.
func TestHooks(t *testing.T) {
	eachDB(t, registerTickets, func(e *env) {
		t, ctx := e.t, e.ctx
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		s := sm.New()
		defer s.Close()
		a, b := &Ticket{Title: "First"}, &Ticket{Title: "Second"}
		if err := AddAll(s, []*Ticket{a, b}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if a.Slug != "first" || a.Seq != 1 || b.Seq != 1 || strings.Join(a.events, ",") != "BeforeInsert,AfterInsert" {
			t.Errorf("after insert: %+v", a)
		}
		if a.UpdatedAt != nil || a.Revision != 0 {
			t.Errorf("update_default applied on INSERT: %v %d", a.UpdatedAt, a.Revision)
		}

		// Validation rejects the flush: no SQL, the session usable, the hook's write undone.
		e.cap.take(true)
		a.events = nil
		a.Title, a.Priority = "Renamed", -1
		err := s.Flush(ctx)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Object != a || !strings.Contains(err.Error(), "priority is negative") {
			t.Fatalf("flush of an invalid ticket: %v", err)
		}
		if got := e.cap.take(true); len(got) != 0 {
			t.Errorf("statements sent by a rejected flush: %q", got)
		}
		if a.Slug != "first" || a.Title != "Renamed" {
			t.Errorf("after the rejected flush: slug %q title %q", a.Slug, a.Title)
		}
		a.Priority = 2
		before := time.Now().UTC().Add(-time.Second)
		if err := s.Commit(ctx); err != nil {
			t.Fatalf("commit after fixing the ticket: %v", err)
		}
		if a.Slug != "renamed" || a.UpdatedAt == nil || a.UpdatedAt.Before(before) || a.Revision != 7 {
			t.Errorf("after update: slug %q updated_at %v revision %d", a.Slug, a.UpdatedAt, a.Revision)
		}
		if !strings.Contains(strings.Join(a.events, ","), "BeforeUpdate,AfterUpdate") {
			t.Errorf("update events: %v", a.events)
		}
		upd := e.cap.take(false)
		if len(upd) != 1 || !strings.Contains(upd[0], "updated_at = ") || !strings.Contains(upd[0], "revision = ") {
			t.Errorf("UPDATE: %q", upd)
		}

		// The row holds what the object holds, and AfterLoad runs on a fresh load.
		s2 := sm.New()
		defer s2.Close()
		got, err := ticketT.GetOne(ctx, s2, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.UpdatedAt == nil || !got.UpdatedAt.Equal(*a.UpdatedAt) || got.Slug != "renamed" || len(got.events) != 1 || got.events[0] != "AfterLoad" {
			t.Errorf("loaded: %+v (object had %v)", got, a.UpdatedAt)
		}

		// A bulk update applies update_default too.
		if _, err := Exec(ctx, s2, Update(ticketT).Where(ticketT.ID.Eq(b.ID)).Set(ticketT.Priority.Set(9))); err != nil {
			t.Fatal(err)
		}
		if err := s2.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		c, _ := ticketT.GetOne(ctx, s2, b.ID)
		if c == nil || c.UpdatedAt == nil || c.Revision != 7 || c.Priority != 9 {
			t.Errorf("after the bulk update: %+v", c)
		}

		// A before hook's error: the delete does not happen.
		if err := s2.Delete(c); err != nil {
			t.Fatal(err)
		}
		var he *HookError
		if err := s2.Flush(ctx); !errors.As(err, &he) || he.Hook != "BeforeDelete" || !errors.Is(err, errProtected) {
			t.Fatalf("flush deleting a protected ticket: %v", err)
		}
		if err := s2.NoAutoflush(func() error {
			n, err := Count(ctx, s2, ticketT.Select().Where(ticketT.ID.Eq(b.ID)))
			if n != 1 {
				t.Errorf("the protected ticket was deleted (%v)", err)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := s2.Rollback(ctx); err != nil {
			t.Fatal(err)
		}

		// An after hook that fails (here: Flush inside a hook) fails the flush as a
		// failed statement does: rolled back, ErrPendingRollback until Rollback.
		g, err := ticketT.GetOne(ctx, s2, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := s2.Delete(g); err != nil {
			t.Fatal(err)
		}
		err = s2.Flush(ctx)
		if !errors.Is(err, ErrInHook) || !errors.As(err, &he) || he.Hook != "AfterDelete" {
			t.Fatalf("Flush inside AfterDelete: %v", err)
		}
		if err := s2.Flush(ctx); !errors.Is(err, ErrPendingRollback) {
			t.Errorf("after a failed after hook: %v", err)
		}
		if err := s2.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := Count(ctx, s2, ticketT.Select()); n != 2 {
			t.Errorf("%d tickets after the rolled back delete", n)
		}
	})
}

// TestUpdateDefaultMapping: update_default= is checked at registration.
func TestUpdateDefaultMapping(t *testing.T) {
	type BadUpd struct {
		ID   int64
		Name string `retort:"update_default=now()"`
	}
	type BadUpd2 struct {
		ID int64
		N  int64 `retort:"update_default=abc"`
	}
	reg := NewRegistry()
	if err := Register[BadUpd](reg); err == nil || !strings.Contains(err.Error(), "update_default=now() needs a timestamp column") {
		t.Errorf("now() on a string: %v", err)
	}
	if err := Register[BadUpd2](reg); err == nil || !strings.Contains(err.Error(), "update_default") {
		t.Errorf("a non-integer on an integer: %v", err)
	}
}

// TestAfterLoadStream: AfterLoad runs for objects a Stream yields, before they are
// yielded.
func TestAfterLoadStream(t *testing.T) {
	eachDB(t, registerTickets, func(e *env) {
		t, ctx := e.t, e.ctx
		sm := NewSessionMaker(e.eng, e.reg)
		if err := sm.Begin(ctx, func(ctx context.Context, s *Session) error {
			return AddAll(s, []*Ticket{{Title: "a"}, {Title: "b"}, {Title: "c"}})
		}); err != nil {
			t.Fatal(err)
		}
		s := sm.New()
		defer s.Close()
		n := 0
		for tk, err := range Stream(ctx, s, ticketT.Select().OrderBy(ticketT.ID.Asc())) {
			if err != nil {
				t.Fatal(err)
			}
			if len(tk.events) != 1 || tk.events[0] != "AfterLoad" {
				t.Errorf("streamed ticket %s: events %v", tk.Title, tk.events)
			}
			n++
		}
		if n != 3 {
			t.Errorf("%d tickets streamed", n)
		}
	})
}

type Doc struct {
	ID       int64
	Body     string
	EditedBy *string
	Edits    int64
}

// TestOnUpdateOption: OnUpdate gives a column a value computed in Go by every UPDATE of
// the flush and by bulk updates; its mistakes are reported at registration.
func TestOnUpdateOption(t *testing.T) {
	editor := "ann"
	register := func(reg *Registry) error {
		return Register[Doc](reg, OnUpdate("EditedBy", func() *string { e := editor; return &e }))
	}
	eachDB(t, register, func(e *env) {
		t, ctx := e.t, e.ctx
		editor = "ann"
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		s := sm.New()
		defer s.Close()
		d := &Doc{Body: "v1"}
		if err := s.Add(d); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if d.EditedBy != nil {
			t.Errorf("OnUpdate applied on INSERT: %q", *d.EditedBy)
		}
		d.Body = "v2"
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if d.EditedBy == nil || *d.EditedBy != "ann" {
			t.Errorf("after the flush's UPDATE: %v", d.EditedBy)
		}
		editor = "bob"
		m, _ := e.reg.mapperOf(typeOf[Doc]())
		var h struct{ Table[Doc] }
		h.bindTable(m)
		if _, err := Exec(ctx, s, Update(h).Set(expr.Set(m.table.C("edits"), 5))); err != nil {
			t.Fatal(err)
		}
		if d.EditedBy == nil || *d.EditedBy != "bob" || d.Edits != 5 {
			t.Errorf("after the bulk update: %v %d", d.EditedBy, d.Edits)
		}
	})
	for _, c := range []struct {
		opt  Option
		want string
	}{
		{OnUpdate("Nope", func() int64 { return 1 }), "OnUpdate names a field"},
		{OnUpdate("Edits", func() int { return 1 }), "OnUpdate gives a int for a field of type int64"},
	} {
		if err := Register[Doc](NewRegistry(), c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Register: %v, want %q", err, c.want)
		}
	}
}
