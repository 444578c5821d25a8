package orm

import (
	"strconv"
	"testing"
	"unsafe"
)

type benchRow struct {
	ID    int64
	Name  string
	Score int64
	Note  *string
}

// BenchmarkHydrate100 moves 100 rows of canonical values (as the engine returns them)
// into new objects through the identity map of a fresh session: the per-row path of every
// ORM query, without I/O. Per row it allocates the object (and the *string of a non-NULL
// nullable field); the session's records come from slabs; no reflection by name, no maps
// beyond the session's own two. The session is closed, as every session should be, which
// detaches the objects.
func BenchmarkHydrate100(b *testing.B) {
	reg := NewRegistry()
	if err := Register[benchRow](reg); err != nil {
		b.Fatal(err)
	}
	m, _ := reg.mapperOf(typeOf[benchRow]())
	rows := make([][]any, 100)
	for i := range rows {
		rows[i] = []any{int64(i + 1), "name" + strconv.Itoa(i), int64(i % 10), nil}
	}
	sm := &SessionMaker{reg: reg}
	b.ReportAllocs()
	for b.Loop() {
		s := sm.New()
		sl := newSlab(m, len(rows))
		s.reserve(len(rows))
		for _, r := range rows {
			if _, err := s.hydrate(m, r, 0, false, sl); err != nil {
				b.Fatal(err)
			}
		}
		s.Close()
	}
}

// TestHydrateAllocations pins the per-row allocation count of hydration.
func TestHydrateAllocations(t *testing.T) {
	reg := NewRegistry()
	if err := Register[benchRow](reg); err != nil {
		t.Fatal(err)
	}
	m, _ := reg.mapperOf(typeOf[benchRow]())
	rows := make([][]any, 1000)
	for i := range rows {
		rows[i] = []any{int64(i + 1), "n", int64(1), nil}
	}
	s := (&SessionMaker{reg: reg}).New()
	sl := newSlab(m, len(rows))
	i := 0
	allocs := testing.AllocsPerRun(len(rows)-1, func() {
		if _, err := s.hydrate(m, rows[i], 0, false, sl); err != nil {
			t.Fatal(err)
		}
		i++
	})
	// The object itself, plus amortised growth of the session's two maps.
	if allocs > 2 {
		t.Errorf("hydrate allocates %.1f times per row, want at most 2", allocs)
	}
	st := s.states[unsafe.Pointer(s.identity[m.keyOfValues([]any{int64(5)})].base)]
	if st == nil || (*benchRow)(st.base).ID != 5 {
		t.Error("hydrated object not found by key")
	}
}
