package orm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
)

// TestStreamBatches: a stream reads, hydrates and loads in batches, keeps one batch in the
// session, and keeps the objects the loop modified.
func TestStreamBatches(t *testing.T) {
	eachDB(t, registerLoad, func(e *env) {
		t := e.t
		h := bindLoad(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		seedLoad(t, e, sm, 1200)
		ctx := e.ctx
		s := sm.New()
		defer s.Close()

		q := Select(h.A).Options(SelectIn(h.A.Bs)).OrderBy(h.A.ID.Asc()).YieldPer(500)
		var first, changed *ldA
		n, maxHeld := 0, 0
		for a, err := range Stream(ctx, s, q) {
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Bs) != 2 || a.Bs[0].A != a {
				t.Fatalf("streamed a %d: %d Bs", a.ID, len(a.Bs))
			}
			switch n {
			case 0:
				first = a
			case 1:
				changed = a
				a.Name = "changed in the loop"
			}
			maxHeld = max(maxHeld, len(s.states))
			n++
		}
		if n != 1200 {
			t.Fatalf("streamed %d objects", n)
		}
		// One batch of As with its Bs at a time (plus the modified one).
		if maxHeld > 500*3+3 {
			t.Errorf("the session held up to %d objects during the stream", maxHeld)
		}
		// PostgreSQL: DECLARE, three FETCHes and three selectin loads; elsewhere the
		// query and three loads.
		want := 4
		if e.target.Name == testdb.NamePostgres {
			want = 7
		}
		e.wantCount("stream", want)
		if st := s.Status(first); st != Detached {
			t.Errorf("an unmodified object of the first batch is %v, want detached", st)
		}
		if st := s.Status(changed); st != Persistent {
			t.Errorf("a modified object of the first batch is %v, want persistent", st)
		}
		if err := s.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		got := e.statements()
		if len(got) != 1 || got[0] != e.sql("UPDATE ld_a SET name = ? WHERE ld_a.id = ?", "UPDATE ld_a SET name = $1 WHERE ld_a.id = $2", "UPDATE ld_a SET name = ? WHERE ld_a.id = ?")+fmt.Sprintf(` | ["changed in the loop" %d]`, changed.ID) {
			t.Errorf("commit after the stream: %q", got)
		}
		// A released object can be added again: its later change is an UPDATE.
		s2 := sm.New()
		defer s2.Close()
		first.Name = "changed later"
		if err := s2.Add(first); err != nil {
			t.Fatal(err)
		}
		if err := s2.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.statements(); len(got) != 1 || got[0][:6] != "UPDATE" {
			t.Errorf("re-added object: %q", got)
		}

		// Partitions of the batch size, and loads per partition.
		s3 := sm.New()
		defer s3.Close()
		var sizes []int
		for part, err := range StreamPartitions(ctx, s3, Select(h.A).Options(SelectIn(h.A.Bs).SelectIn(h.B.Cs)), 500) {
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(part))
			if cs, err := Related(s3, part[0].Bs[0], h.B.Cs); err != nil || len(cs) != 1 {
				t.Fatalf("Cs of a streamed partition: %v %v", cs, err)
			}
		}
		if fmt.Sprint(sizes) != "[500 500 200]" {
			t.Errorf("partition sizes %v", sizes)
		}
		e.statements()

		// Joined: many-to-one streams; a joined collection is refused.
		m := 0
		for b, err := range Stream(ctx, s3, Select(h.B).Options(Joined(h.B.A))) {
			if err != nil {
				t.Fatal(err)
			}
			if b.A == nil || b.A.ID != b.AID {
				t.Fatalf("b %d: A %v", b.ID, b.A)
			}
			m++
		}
		if m != 2400 {
			t.Errorf("streamed %d Bs", m)
		}
		for _, err := range Stream(ctx, s3, Select(h.A).Options(Joined(h.A.Bs))) {
			if !errors.Is(err, ErrStreamJoinedCollection) {
				t.Errorf("stream of a joined collection: %v", err)
			}
		}
		// ScalarResult.Partitions.
		all, err := Scalars(ctx, s3, Select(h.A).Limit(5))
		if err != nil {
			t.Fatal(err)
		}
		var ps []int
		for p := range all.Partitions(2) {
			ps = append(ps, len(p))
		}
		if fmt.Sprint(ps) != "[2 2 1]" {
			t.Errorf("Partitions(2) of 5: %v", ps)
		}
	})
}

// Models of the memory test: big rows, each referencing one of a few groups.
type bigGroup struct {
	ID   int64 `retort:"pk,autoincrement=false"`
	Name string
}

func (bigGroup) TableName() string { return "big_group" }

type bigRow struct {
	ID      int64 `retort:"pk,autoincrement=false"`
	GroupID int64 `retort:"group_id,fk=big_group.id"`
	Name    string
	Value   int64
	Group   *bigGroup
}

func (bigRow) TableName() string { return "big_row" }

// TestStreamMemory streams RETORT_TEST_STREAM_ROWS rows (20,000 unless set; scripts/test
// sets 1,000,000 in a run of its own, without -race) as objects with a selectin load of
// their many-to-one per batch, on SQLite and PostgreSQL, and checks that the live heap
// stays flat: measured after a garbage collection every tenth of the stream, the last
// sample may not exceed the first one by more than 16 MB. The samples are logged (go
// test -v) as the memory figure of the stream.
func TestStreamMemory(t *testing.T) {
	rows := 20000
	if v := os.Getenv("RETORT_TEST_STREAM_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			t.Fatalf("RETORT_TEST_STREAM_ROWS=%q: want a number of rows >= 1000", v)
		}
		rows = n
	}
	register := func(reg *Registry) error { return Register[bigRow](reg) }
	eachDB(t, register, func(e *env) {
		t := e.t
		if e.target.Name != testdb.NameSQLite && e.target.Name != testdb.NamePostgres {
			t.Skip("the memory figure is measured on SQLite and PostgreSQL (MySQL cannot load between batches of an open result)")
		}
		ctx := e.ctx
		conn, err := e.eng.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seed := []string{
			"INSERT INTO big_group (id, name) VALUES (1, 'one'), (2, 'two'), (3, 'three')",
			fmt.Sprintf("INSERT INTO big_row (id, group_id, name, value) SELECT g, 1 + g %% 3, 'row ' || g, g FROM generate_series(1, %d) AS g", rows),
		}
		if e.target.Name == testdb.NameSQLite {
			seed[1] = fmt.Sprintf("INSERT INTO big_row (id, group_id, name, value) WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %d) SELECT g, 1 + g %% 3, 'row ' || g, g FROM s", rows)
		}
		for _, q := range seed {
			if _, err := conn.Execute(ctx, expr.Text(q)); err != nil {
				t.Fatal(err)
			}
		}
		conn.Close()
		e.cap.take(true)
		// The echo logger records every statement: the stream runs on an engine without.
		quiet, err := engineQuiet(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		defer quiet.Close()
		sm := NewSessionMaker(quiet, e.reg)
		s := sm.New()
		defer s.Close()
		var rh struct {
			Table[bigRow]
			ID    Column[int64]
			Group Relation[bigRow, bigGroup]
		}
		if err := RegisterHandle(e.reg, &rh); err != nil {
			t.Fatal(err)
		}
		var samples []uint64
		sample := func() {
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			samples = append(samples, ms.HeapAlloc)
		}
		start := time.Now()
		n := 0
		var sum int64
		for r, err := range Stream(ctx, s, Select(rh).Options(SelectIn(rh.Group))) {
			if err != nil {
				t.Fatal(err)
			}
			if r.Group == nil || r.Group.ID != r.GroupID {
				t.Fatalf("row %d: group %v", r.ID, r.Group)
			}
			sum += r.Value
			n++
			if n%(rows/10) == 0 {
				sample()
			}
		}
		if n != rows || sum != int64(rows)*int64(rows+1)/2 {
			t.Fatalf("streamed %d rows, sum %d", n, sum)
		}
		mb := func(b uint64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }
		var figs []string
		for _, b := range samples {
			figs = append(figs, mb(b))
		}
		t.Logf("%s: streamed %d rows in %v; live heap after GC at each tenth: %v", e.target.Name, n, time.Since(start).Round(time.Millisecond), figs)
		if len(samples) >= 2 && samples[len(samples)-1] > samples[0]+16<<20 {
			t.Errorf("live heap grew from %s to %s over the stream", mb(samples[0]), mb(samples[len(samples)-1]))
		}
		if len(s.states) > 3*defaultYieldPer {
			t.Errorf("the session holds %d objects after the stream", len(s.states))
		}
	})
}

// engineQuiet returns a second engine on e's database without echo.
func engineQuiet(ctx context.Context, e *env) (*engine.Engine, error) {
	return engine.Create(ctx, e.target.URL)
}
