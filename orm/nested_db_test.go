package orm

import (
	"context"
	"errors"
	"testing"

	"github.com/retortdb/retort/engine"
)

func TestBeginNested(t *testing.T) {
	eachDB(t, registerAB, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg, ExpireOnCommit(false))
		s := sm.New()
		defer s.Close()
		ctx := e.ctx
		outer := &A{Data: ptr("outer")}
		if err := s.Add(outer); err != nil {
			t.Fatal(err)
		}
		// A savepoint whose function fails: only its work is undone.
		inner := &A{Data: ptr("inner")}
		boom := errors.New("boom")
		err := s.BeginNested(ctx, func(ctx context.Context) error {
			if err := s.Add(inner); err != nil {
				return err
			}
			if err := s.Flush(ctx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("BeginNested returned %v", err)
		}
		if s.Status(inner) != Transient || s.Status(outer) != Persistent {
			t.Errorf("after savepoint rollback: inner %v, outer %v", s.Status(inner), s.Status(outer))
		}
		// A savepoint whose flush fails (dangling foreign key): the session stays usable.
		err = s.BeginNested(ctx, func(ctx context.Context) error {
			if err := s.Add(&B{AID: 12345}); err != nil {
				return err
			}
			return s.Flush(ctx)
		})
		if !errors.Is(err, engine.ErrIntegrity) {
			t.Errorf("failing flush in savepoint: %v", err)
		}
		// A savepoint that succeeds.
		kept := &A{Data: ptr("kept")}
		if err := s.BeginNested(ctx, func(ctx context.Context) error { return s.Add(kept) }); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		s2 := sm.New()
		defer s2.Close()
		all, err := Scalars(ctx, s2, SelectOf[A](e.reg))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, a := range all.All() {
			names = append(names, *a.Data)
		}
		if len(names) != 2 || names[0] != "outer" || names[1] != "kept" {
			t.Errorf("committed rows %v, want [outer kept]", names)
		}
		bs, err := Scalars(ctx, s2, SelectOf[B](e.reg))
		if err != nil || bs.Len() != 0 {
			t.Errorf("b rows: %v %v", bs, err)
		}
	})
}
