package orm

import (
	"context"
	"errors"
	"strings"
	"testing"
)

type unregistered struct{ ID int64 }

func TestSessionErrors(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		k1 := seedAB(t, e, sm)[0].ID
		ctx := e.ctx
		s := sm.New()
		if err := s.Add(&unregistered{}); !errors.Is(err, ErrNotRegistered) || !strings.Contains(err.Error(), "orm.unregistered") {
			t.Errorf("Add of an unregistered type: %v", err)
		}
		if err := s.Add(A{}); err == nil || !strings.Contains(err.Error(), "want a non-nil pointer to a model struct, got orm.A") {
			t.Errorf("Add of a struct value: %v", err)
		}
		if err := s.Add((*A)(nil)); err == nil {
			t.Error("Add of a nil pointer succeeded")
		}
		if err := s.Delete(&A{ID: 1}); !errors.Is(err, ErrNotPersistent) {
			t.Errorf("Delete of an untracked object: %v", err)
		}
		if err := s.Refresh(ctx, &A{}); !errors.Is(err, ErrNotPersistent) {
			t.Errorf("Refresh of an untracked object: %v", err)
		}
		if _, err := Get[unregistered](ctx, s, 1); !errors.Is(err, ErrNotRegistered) {
			t.Errorf("Get of an unregistered type: %v", err)
		}
		if _, err := Get[A](ctx, s, 1, 2); err == nil || !strings.Contains(err.Error(), "2 key values for a 1-column primary key") {
			t.Errorf("Get with two key values: %v", err)
		}
		if _, err := Scalars(ctx, s, SelectOf[unregistered](e.reg)); !errors.Is(err, ErrNotRegistered) {
			t.Errorf("query of an unregistered type: %v", err)
		}
		var unbound abHandle
		if _, err := Scalars(ctx, s, Select(unbound)); !errors.Is(err, ErrUnboundHandle) {
			t.Errorf("query through an unbound handle: %v", err)
		}
		// A deleted pending object just leaves the session.
		p := &A{}
		if err := s.Add(p); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(p); err != nil || s.Status(p) != Transient {
			t.Errorf("Delete of a pending object: %v, status %v", err, s.Status(p))
		}
		// Begin inside a transaction.
		if _, err := GetOne[A](ctx, s, k1); err != nil {
			t.Fatal(err)
		}
		if err := s.Begin(ctx, func(context.Context) error { return nil }); !errors.Is(err, ErrTxActive) {
			t.Errorf("Begin with a transaction open: %v", err)
		}
		// A panic inside Begin rolls back and propagates.
		s2 := sm.New()
		func() {
			defer func() {
				if recover() == nil {
					t.Error("panic did not propagate out of Begin")
				}
			}()
			_ = s2.Begin(ctx, func(ctx context.Context) error {
				if err := s2.Add(&A{Data: ptr("panicked")}); err != nil {
					return err
				}
				if err := s2.Flush(ctx); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		if s2.InTransaction() {
			t.Error("transaction still open after a panic in Begin")
		}
		if n, _ := Scalars(ctx, s2, Select(*mustBind(t, e)).Where(mustBind(t, e).Data.Eq(ptr("panicked")))); n == nil || n.Len() != 0 {
			t.Errorf("the panicked transaction's row is visible: %v", n)
		}
		s2.Close()
		// A cancelled context fails the flush cleanly and the session recovers.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		x := &A{Data: ptr("cancelled")}
		if err := s.Add(x); err != nil {
			t.Fatal(err)
		}
		if err := s.Flush(cctx); !errors.Is(err, context.Canceled) {
			t.Errorf("flush with a cancelled context: %v", err)
		}
		if err := s.Rollback(ctx); err != nil {
			t.Errorf("Rollback after a cancelled flush: %v", err)
		}
		// Closed sessions.
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if err := s.Add(&A{}); !errors.Is(err, ErrSessionClosed) {
			t.Errorf("Add after Close: %v", err)
		}
		if _, err := Get[A](ctx, s, 1); !errors.Is(err, ErrSessionClosed) {
			t.Errorf("Get after Close: %v", err)
		}
	})
}

func mustBind(t *testing.T, e *env) *abHandle {
	t.Helper()
	var h abHandle
	if err := RegisterHandle(e.reg, &h); err != nil {
		t.Fatal(err)
	}
	return &h
}
