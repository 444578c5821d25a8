package orm

import (
	"sync"
	"testing"
)

// TestMergeResult: objects loaded by sessions in other goroutines join one session
// without SQL, as persistent unmodified objects, one pointer per key.
func TestMergeResult(t *testing.T) {
	eachDB(t, registerLoad, func(e *env) {
		t := e.t
		h := bindLoad(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		ids := seedLoad(t, e, sm, 4)
		ctx := e.ctx
		main := sm.New()
		defer main.Close()
		held, err := GetOne[ldA](ctx, main, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		// Two goroutines, each with a session of its own; ids[0] is in both results.
		results := make([][]*ldA, 2)
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := sm.New()
				defer s.Close()
				as, err := Scalars(ctx, s, Select(h.A).Where(h.A.ID.In(ids[0], ids[1+g])).OrderBy(h.A.ID.Asc()))
				if err != nil {
					t.Error(err)
					return
				}
				results[g] = as.All()
			}()
		}
		wg.Wait()
		e.statements()
		var merged [][]*ldA
		for _, r := range results {
			m, err := MergeResult(main, r)
			if err != nil {
				t.Fatal(err)
			}
			merged = append(merged, m)
		}
		e.wantCount("MergeResult", 0)
		if merged[0][0] != held || merged[1][0] != held {
			t.Error("the object the session held is not the one returned for its key")
		}
		for _, m := range merged {
			b := m[1]
			if b == results[0][1] || b == results[1][1] {
				t.Error("MergeResult returned the other session's object instead of a copy")
			}
			if main.Status(b) != Persistent {
				t.Errorf("merged object is %v", main.Status(b))
			}
			if mod, err := main.IsModified(b); err != nil || mod {
				t.Errorf("merged object modified: %v %v", mod, err)
			}
			if _, err := Related(main, b, h.A.Bs); err == nil {
				t.Error("a merged copy's relationship is loaded")
			}
		}
		if _, err := MergeResult(main, []*ldA{nil}); err == nil {
			t.Error("MergeResult of nil: no error")
		}
		// RowsResult.Partitions.
		rr, err := main.Rows(ctx, SelectRows(h.A.ID))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for p := range rr.Partitions(3) {
			n += len(p)
			if len(p) > 3 {
				t.Errorf("partition of %d rows", len(p))
			}
		}
		if n != 4 {
			t.Errorf("partitions hold %d rows", n)
		}
	})
}
