package orm

import (
	"errors"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// registryBlocks counts the blocks of the attachment registry that cover addr's page.
func registryBlocks(addr uintptr) int {
	page := addr >> pageShift
	sh := shardOfPage(page)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return len(sh.pages[page])
}

// waitFor runs the collector until cond holds (cleanups run after a collection, on their
// own goroutine), for at most two seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); {
		runtime.GC()
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s: not after two seconds of collections", what)
}

// TestSessionDroppedWithoutClose: a session that is garbage collected without Close lets
// go of its objects, which become detached (Add re-attaches them) instead of staying
// attached to a session nobody can close.
func TestSessionDroppedWithoutClose(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		seeded := seedAccts(t, e, sm, "a", "b")
		var a *Acct
		func() {
			s1 := sm.New()
			var err error
			if a, err = GetOne[Acct](e.ctx, s1, seeded[0].ID); err != nil {
				t.Fatal(err)
			}
			if err := s1.Commit(e.ctx); err != nil { // releases the connection; s1 is not closed
				t.Fatal(err)
			}
		}()
		waitFor(t, "the dropped session's objects detached", func() bool {
			rec, owner := lookupAttachment(unsafe.Pointer(a))
			return rec != nil && owner == nil
		})
		s2 := sm.New()
		defer s2.Close()
		if err := s2.Add(a); err != nil || s2.Status(a) != Persistent {
			t.Fatalf("Add after the first session was collected: %v, %v", err, s2.Status(a))
		}
	})
}

// TestRegistryLetsGo: the registry keeps no detached object alive, and drops the records of
// collected ones; one object kept from a result keeps its record.
func TestRegistryLetsGo(t *testing.T) {
	eachDB(t, registerAcct, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		seedAccts(t, e, sm, "a", "b", "c")
		s := sm.New()
		all, err := Scalars(e.ctx, s, SelectOf[Acct](e.reg))
		if err != nil {
			t.Fatal(err)
		}
		kept := all.All()[1]
		addr := uintptr(unsafe.Pointer(all.All()[0]))
		all = nil
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if registryBlocks(addr) == 0 {
			t.Fatal("no registry block for the hydrated result")
		}
		// kept keeps the result's memory (one allocation) and so its record.
		runtime.GC()
		runtime.GC()
		if rec, owner := lookupAttachment(unsafe.Pointer(kept)); rec == nil || owner != nil {
			t.Fatalf("record of a detached object still referenced: %v %v", rec, owner)
		}
		s2 := sm.New()
		defer s2.Close()
		kept.Balance = 5
		if err := s2.Add(kept); err != nil || s2.Status(kept) != Persistent {
			t.Fatalf("re-attach: %v %v", err, s2.Status(kept))
		}
		if err := s2.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if err := s2.Expunge(kept); err != nil && !errors.Is(err, ErrNotInSession) {
			t.Fatal(err)
		}
		kept = nil
		waitFor(t, "the result's block swept", func() bool { return registryBlocks(addr) == 0 })
		if got := acctRows(t, e); len(got) != 3 || got[1] != "b:5" {
			t.Errorf("rows %v", got)
		}
	})
}
