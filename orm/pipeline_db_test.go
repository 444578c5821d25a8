package orm

import (
	"context"
	"log/slog"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/internal/testdb"
)

// sibA has two collections, loaded by sibling selectin loads.
type sibA struct {
	ID int64   `retort:"pk"`
	Xs []*sibX `retort:"lazy=selectin"`
	Ys []*sibY `retort:"lazy=selectin"`
}

func (sibA) TableName() string { return "sib_a" }

type sibX struct {
	ID  int64   `retort:"pk"`
	AID int64   `retort:"a_id,fk=sib_a.id"`
	Zs  []*sibZ `retort:"lazy=selectin"`
}

func (sibX) TableName() string { return "sib_x" }

type sibZ struct {
	ID  int64 `retort:"pk"`
	XID int64 `retort:"x_id,fk=sib_x.id"`
}

func (sibZ) TableName() string { return "sib_z" }

type sibY struct {
	ID  int64 `retort:"pk"`
	AID int64 `retort:"a_id,fk=sib_a.id"`
}

func (sibY) TableName() string { return "sib_y" }

// TestSiblingSelectInPipelined: the selectin loads of sibling relationships (and the
// chunks of one) are independent; on PostgreSQL they go in one round trip per level: a
// query of 600 parents with two selectin collections, one of which has a selectin
// collection too, is 1 + (2 + 2) + 2 statements in 3 round trips.
func TestSiblingSelectInPipelined(t *testing.T) {
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
		if err := Register[sibA](reg); err != nil {
			t.Fatal(err)
		}
		if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
			t.Fatal(err)
		}
		sm := NewSessionMaker(eng, reg)
		objs := make([]any, 600)
		for i := range objs {
			objs[i] = &sibA{Xs: []*sibX{{Zs: []*sibZ{{}}}}, Ys: []*sibY{{}, {}}}
		}
		if err := sm.Begin(ctx, func(ctx context.Context, s *Session) error { return s.AddAll(objs...) }); err != nil {
			t.Fatal(err)
		}
		load := func() []*sibA {
			s := sm.New()
			defer s.Close()
			as, err := Scalars(ctx, s, SelectOf[sibA](reg))
			if err != nil {
				t.Fatal(err)
			}
			return as.All()
		}
		load() // prepares the statements on the connection
		c.take(true)
		rt.Take()
		as := load()
		stmts, trips := c.take(false), rt.Take()
		if len(as) != 600 || len(as[0].Xs) != 1 || len(as[599].Ys) != 2 || len(as[7].Xs[0].Zs) != 1 {
			t.Fatalf("loaded %d parents", len(as))
		}
		if len(stmts) != 7 {
			t.Errorf("%d statements, want 7: %q", len(stmts), stmts)
		}
		if tg.Name == testdb.NamePostgres && trips != 3 {
			t.Errorf("%d round trips on PostgreSQL, want 3 (the query, its four loads pipelined, the two loads below)", trips)
		}
		t.Logf("%s: %d statements in %d round trips", tg.Name, len(stmts), trips)
	})
}
