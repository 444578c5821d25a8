package orm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/schema"
)

// Three levels of one-to-many for the loader tests: ldA has ldBs, each ldB has ldCs.
type ldA struct {
	ID   int64 `retort:"pk"`
	Name string
	Bs   []*ldB `retort:"back_populates=A"`
}

func (ldA) TableName() string { return "ld_a" }

type ldB struct {
	ID   int64 `retort:"pk"`
	AID  int64 `retort:"a_id,fk=ld_a.id"`
	Name string
	A    *ldA   `retort:"back_populates=Bs"`
	Cs   []*ldC `retort:"lazy=raise"`
}

func (ldB) TableName() string { return "ld_b" }

type ldC struct {
	ID   int64 `retort:"pk"`
	BID  int64 `retort:"b_id,fk=ld_b.id"`
	Name string
}

func (ldC) TableName() string { return "ld_c" }

// ldD has a default strategy of selectin for its ldEs.
type ldD struct {
	ID int64  `retort:"pk"`
	Es []*ldE `retort:"lazy=selectin"`
}

func (ldD) TableName() string { return "ld_d" }

type ldE struct {
	ID  int64 `retort:"pk"`
	DID int64 `retort:"d_id,fk=ld_d.id"`
}

func (ldE) TableName() string { return "ld_e" }

// Composite keys: ldP (region, num) has ldQs referencing both columns.
type ldP struct {
	Region string `retort:"pk,size=10"`
	Num    int64  `retort:"pk,autoincrement=false"`
	Qs     []*ldQ `retort:"back_populates=P"`
}

func (ldP) TableName() string { return "ld_p" }

type ldQ struct {
	ID     int64  `retort:"pk"`
	Region string `retort:"size=10"`
	PNum   int64
	P      *ldP `retort:"back_populates=Qs"`
}

func (ldQ) TableName() string { return "ld_q" }

type ldHandles struct {
	A struct {
		Table[ldA]
		ID Column[int64]
		Bs Relation[ldA, ldB]
	}
	B struct {
		Table[ldB]
		ID  Column[int64]
		AID Column[int64]
		A   Relation[ldB, ldA]
		Cs  Relation[ldB, ldC]
	}
	D struct {
		Table[ldD]
		ID Column[int64]
		Es Relation[ldD, ldE]
	}
	P struct {
		Table[ldP]
		Qs Relation[ldP, ldQ]
	}
}

func registerLoad(reg *Registry) error {
	if err := Register[ldA](reg); err != nil {
		return err
	}
	if err := Register[ldD](reg); err != nil {
		return err
	}
	if err := Register[ldQ](reg, WithTableItems(schema.ForeignKeyConstraint("fk_q_p", []string{"region", "p_num"}, "ld_p", []string{"region", "num"}))); err != nil {
		return err
	}
	return nil
}

func bindLoad(t *testing.T, e *env) *ldHandles {
	t.Helper()
	h := &ldHandles{}
	for _, x := range []any{&h.A, &h.B, &h.D, &h.P} {
		if err := RegisterHandle(e.reg, x); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// seedLoad adds n ldAs, each with two ldBs, each with one ldC, and returns their keys.
func seedLoad(t *testing.T, e *env, sm *SessionMaker, n int) []int64 {
	t.Helper()
	as := make([]any, n)
	for i := range as {
		as[i] = &ldA{Name: fmt.Sprint("a", i), Bs: []*ldB{
			{Name: "b1", Cs: []*ldC{{Name: "c"}}},
			{Name: "b2", Cs: []*ldC{{Name: "c"}}},
		}}
	}
	if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.AddAll(as...) }); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, n)
	for i, a := range as {
		ids[i] = a.(*ldA).ID
	}
	e.cap.take(true)
	return ids
}

// statements returns the statements captured since the last call (no transaction control).
func (e *env) statements() []string { return e.cap.take(false) }

func (e *env) wantCount(what string, n int) []string {
	e.t.Helper()
	got := e.statements()
	if len(got) != n {
		e.t.Errorf("%s: %d statements, want %d:\n  %s", what, len(got), n, strings.Join(got, "\n  "))
	}
	return got
}

// TestLoaderStatementCounts: the statement counts of the loader strategies are part of
// the contract.
func TestLoaderStatementCounts(t *testing.T) {
	eachDB(t, registerLoad, func(e *env) {
		t := e.t
		h := bindLoad(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		ids := seedLoad(t, e, sm, 40)
		ctx := e.ctx

		// N parents, one selectin collection: 2 statements.
		s := sm.New()
		as, err := Scalars(ctx, s, Select(h.A).Options(SelectIn(h.A.Bs)).OrderBy(h.A.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		e.wantCount("selectin", 2)
		if as.Len() != 40 || len(as.All()[0].Bs) != 2 || as.All()[0].Bs[0].A != as.All()[0] || as.All()[0].ID != ids[0] {
			t.Errorf("selectin result: %d objects, first has %d Bs", as.Len(), len(as.All()[0].Bs))
		}
		s.Close()

		// Three levels: 3 statements, every collection filled.
		s = sm.New()
		as, err = Scalars(ctx, s, Select(h.A).Options(SelectIn(h.A.Bs).SelectIn(h.B.Cs)))
		if err != nil {
			t.Fatal(err)
		}
		e.wantCount("three levels", 3)
		for _, a := range as.All() {
			for _, b := range a.Bs {
				if cs, err := Related(s, b, h.B.Cs); err != nil || len(cs) != 1 {
					t.Fatalf("b %d: Cs %v %v", b.ID, cs, err)
				}
			}
		}
		s.Close()

		// Joined: 1 statement, unique parents.
		s = sm.New()
		as, err = Scalars(ctx, s, Select(h.A).Options(Joined(h.A.Bs)).Unique().OrderBy(h.A.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		e.wantCount("joined", 1)
		if as.Len() != 40 || len(as.All()[5].Bs) != 2 || as.All()[5].Bs[0].ID > as.All()[5].Bs[1].ID {
			t.Errorf("joined: %d parents, %d children", as.Len(), len(as.All()[5].Bs))
		}
		s.Close()

		// Joined then selectin below it: 2 statements.
		s = sm.New()
		_, err = Scalars(ctx, s, Select(h.A).Options(Joined(h.A.Bs).SelectIn(h.B.Cs)).Unique())
		if err != nil {
			t.Fatal(err)
		}
		e.wantCount("joined + selectin", 2)
		s.Close()
	})
}

// TestSelectInChunks: 1,200 parents with a selectin collection take 1 + 3 statements
// (500 keys per IN list); ChunkSize changes the size.
func TestSelectInChunks(t *testing.T) {
	eachDB(t, registerLoad, func(e *env) {
		t := e.t
		h := bindLoad(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		seedLoad(t, e, sm, 1200)
		s := sm.New()
		defer s.Close()
		as, err := Scalars(e.ctx, s, Select(h.A).Options(SelectIn(h.A.Bs)))
		if err != nil {
			t.Fatal(err)
		}
		e.wantCount("1,200 parents", 4)
		for _, a := range as.All() {
			if len(a.Bs) != 2 {
				t.Fatalf("a %d has %d Bs", a.ID, len(a.Bs))
			}
		}
		s2 := sm.New()
		defer s2.Close()
		if _, err := Scalars(e.ctx, s2, Select(h.A).Options(SelectIn(h.A.Bs).ChunkSize(400))); err != nil {
			t.Fatal(err)
		}
		e.wantCount("ChunkSize(400)", 1+3)
	})
}

// TestJoinedSQL: the joined statement, the unique rule, LIMIT with a joined collection
// and inner joins.
func TestJoinedSQL(t *testing.T) {
	eachDB(t, registerLoad, func(e *env) {
		t := e.t
		h := bindLoad(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		ids := seedLoad(t, e, sm, 3)
		ctx := e.ctx
		// One parent without children, for the inner join.
		lonely := &ldA{Name: "lonely"}
		if err := sm.Begin(ctx, func(ctx context.Context, s *Session) error { return s.Add(lonely) }); err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		s := sm.New()
		defer s.Close()

		// SQLAlchemy raises unless unique() is called; first() does not need it.
		if _, err := Scalars(ctx, s, Select(h.A).Options(Joined(h.A.Bs))); !errors.Is(err, ErrUniqueRequired) {
			t.Errorf("joined collection without Unique: %v", err)
		}
		if _, err := ScalarOne(ctx, s, Select(h.A).Options(Joined(h.A.Bs)).Where(h.A.ID.Eq(ids[0]))); !errors.Is(err, ErrUniqueRequired) {
			t.Errorf("ScalarOne of a joined collection without Unique: %v", err)
		}
		a, err := Scalar(ctx, s, Select(h.A).Options(Joined(h.A.Bs)).Where(h.A.ID.Eq(ids[0])))
		if err != nil || len(a.Bs) != 2 {
			t.Fatalf("Scalar with a joined collection: %v %v", a, err)
		}
		e.expect(e.sql(
			"SELECT ld_a.id, ld_a.name, ld_b_1.id, ld_b_1.a_id, ld_b_1.name FROM ld_a LEFT OUTER JOIN ld_b AS ld_b_1 ON ld_a.id = ld_b_1.a_id WHERE ld_a.id = ? | ["+fmt.Sprint(ids[0])+"]",
			"SELECT ld_a.id, ld_a.name, ld_b_1.id, ld_b_1.a_id, ld_b_1.name FROM ld_a LEFT OUTER JOIN ld_b AS ld_b_1 ON ld_a.id = ld_b_1.a_id WHERE ld_a.id = $1 | ["+fmt.Sprint(ids[0])+"]",
			"SELECT ld_a.id, ld_a.name, ld_b_1.id, ld_b_1.a_id, ld_b_1.name FROM ld_a LEFT OUTER JOIN ld_b AS ld_b_1 ON ld_a.id = ld_b_1.a_id WHERE ld_a.id = ? | ["+fmt.Sprint(ids[0])+"]"))

		// LIMIT counts parents: the query becomes a subquery, as in SQLAlchemy.
		two, err := Scalars(ctx, s, Select(h.A).Options(Joined(h.A.Bs)).Unique().OrderBy(h.A.ID.Asc()).Limit(2))
		if err != nil {
			t.Fatal(err)
		}
		if two.Len() != 2 || two.All()[0].ID != ids[0] || two.All()[1].ID != ids[1] || len(two.All()[1].Bs) != 2 {
			t.Errorf("joined + LIMIT 2: %d parents", two.Len())
		}
		got := e.statements()
		if len(got) != 1 || !strings.Contains(got[0], "FROM (SELECT ld_a.id, ld_a.name FROM ld_a ORDER BY ld_a.id") || !strings.Contains(got[0], "AS anon_1 LEFT OUTER JOIN ld_b AS ld_b_1 ON anon_1.id = ld_b_1.a_id ORDER BY anon_1.id") {
			t.Errorf("joined + LIMIT: %q", got)
		}

		// Inner join: the parent without children is left out.
		all, err := Scalars(ctx, s, Select(h.A).Options(Joined(h.A.Bs).InnerJoin()).Unique())
		if err != nil {
			t.Fatal(err)
		}
		if all.Len() != 3 {
			t.Errorf("inner joined: %d parents, want 3", all.Len())
		}
		got = e.statements()
		if len(got) != 1 || !strings.Contains(got[0], "FROM ld_a JOIN ld_b AS ld_b_1 ON ld_a.id = ld_b_1.a_id") {
			t.Errorf("inner join: %q", got)
		}

		// Many-to-one joined: no unique needed; the parent and its back reference.
		bs, err := Scalars(ctx, s, Select(h.B).Options(Joined(h.B.A)))
		if err != nil {
			t.Fatal(err)
		}
		e.wantCount("joined many-to-one", 1)
		for _, b := range bs.All() {
			if b.A == nil || b.A.ID != b.AID {
				t.Fatalf("b %d: A %v", b.ID, b.A)
			}
		}
	})
}

// TestNotLoadedRaiseNoLoad: the accessor tells not loaded, raise and noload apart.
func TestNotLoadedRaiseNoLoad(t *testing.T) {
	eachDB(t, registerLoad, func(e *env) {
		t := e.t
		h := bindLoad(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		seedLoad(t, e, sm, 2)
		ctx := e.ctx
		s := sm.New()
		defer s.Close()
		as, err := Scalars(ctx, s, Select(h.A).OrderBy(h.A.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		a := as.All()[0]
		// Default (select): not loaded, distinguishable from empty.
		_, err = Related(s, a, h.A.Bs)
		var nl *NotLoadedError
		if !errors.Is(err, ErrNotLoaded) || !errors.As(err, &nl) || nl.Raise || nl.Relation != "Bs" {
			t.Errorf("Related of an unloaded collection: %v", err)
		}
		if _, err := RelatedOne(s, a, h.A.Bs); err == nil {
			t.Error("RelatedOne of a collection: no error")
		}
		// ldB.Cs is lazy=raise: loading the Bs marks their Cs.
		if err := Load(ctx, s, h.A.Bs, a); err != nil {
			t.Fatal(err)
		}
		bs, err := Related(s, a, h.A.Bs)
		if err != nil || len(bs) != 2 {
			t.Fatalf("Related after Load: %v %v", bs, err)
		}
		if p, err := RelatedOne(s, bs[0], h.B.A); err != nil || p != a {
			t.Errorf("back reference after Load: %v %v", p, err)
		}
		e.statements()
		_, err = Related(s, bs[0], h.B.Cs)
		if !errors.As(err, &nl) || !nl.Raise || !strings.Contains(err.Error(), "lazy=raise") {
			t.Errorf("Related of a lazy=raise collection: %v", err)
		}
		e.wantCount("accessors", 0)

		// Raise option on a fresh session; then noload.
		s2 := sm.New()
		defer s2.Close()
		as2, err := Scalars(ctx, s2, Select(h.A).Options(Raise(h.A.Bs)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Related(s2, as2.All()[0], h.A.Bs); !errors.As(err, &nl) || !nl.Raise {
			t.Errorf("Raise option: %v", err)
		}
		e.statements()
		s3 := sm.New()
		defer s3.Close()
		as3, err := Scalars(ctx, s3, Select(h.A).Options(NoLoad(h.A.Bs)))
		if err != nil {
			t.Fatal(err)
		}
		e.wantCount("noload", 1)
		if bs, err := Related(s3, as3.All()[0], h.A.Bs); err != nil || bs == nil || len(bs) != 0 {
			t.Errorf("NoLoad: %v %v", bs, err)
		}
		// Options overriding a default: the explicit path loads ldB.Cs.
		s4 := sm.New()
		defer s4.Close()
		if _, err := Scalars(ctx, s4, Select(h.B).Options(SelectIn(h.B.Cs))); err != nil {
			t.Fatal(err)
		}
		e.wantCount("override lazy=raise", 2)
		// A chained step that does not start where the path ends.
		if _, err := Scalars(ctx, s4, Select(h.A).Options(SelectIn(h.A.Bs).SelectIn(h.A.Bs))); err == nil || !strings.Contains(err.Error(), "the path reaches") {
			t.Errorf("bad path: %v", err)
		}
		if _, err := Scalars(ctx, s4, Select(h.A).Options(SelectIn(h.B.Cs))); err == nil {
			t.Error("option for another model: no error")
		}
	})
}

// TestDefaultStrategyAndComposite: lazy=selectin loads without options (overridable), and
// composite keys are matched by selectin and joined loads.
func TestDefaultStrategyAndComposite(t *testing.T) {
	eachDB(t, registerLoad, func(e *env) {
		t := e.t
		h := bindLoad(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		ctx := e.ctx
		err := sm.Begin(ctx, func(ctx context.Context, s *Session) error {
			return s.AddAll(&ldD{Es: []*ldE{{}, {}}}, &ldD{},
				&ldP{Region: "eu", Num: 1}, &ldP{Region: "us", Num: 1}, &ldP{Region: "eu", Num: 2},
				&ldQ{Region: "eu", PNum: 1}, &ldQ{Region: "us", PNum: 1}, &ldQ{Region: "us", PNum: 1})
		})
		if err != nil {
			t.Fatal(err)
		}
		e.cap.take(true)
		s := sm.New()
		defer s.Close()
		ds, err := Scalars(ctx, s, Select(h.D).OrderBy(h.D.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		e.wantCount("lazy=selectin", 2)
		if len(ds.All()[0].Es) != 2 || ds.All()[1].Es == nil || len(ds.All()[1].Es) != 0 {
			t.Errorf("lazy=selectin: %d and %v", len(ds.All()[0].Es), ds.All()[1].Es)
		}
		s2 := sm.New()
		defer s2.Close()
		if _, err := Scalars(ctx, s2, Select(h.D).Options(NoLoad(h.D.Es))); err != nil {
			t.Fatal(err)
		}
		e.wantCount("lazy=selectin overridden", 1)

		ps, err := Scalars(ctx, s2, Select(h.P).Options(SelectIn(h.P.Qs)))
		if err != nil {
			t.Fatal(err)
		}
		got := e.wantCount("composite selectin", 2)
		if len(got) == 2 && !strings.Contains(got[1], "ld_q.region = "+e.sql("?", "$1", "?")+" AND ld_q.p_num = "+e.sql("?", "$2", "?")+" OR ") {
			t.Errorf("composite IN: %s", got[1])
		}
		counts := map[string]int{}
		for _, p := range ps.All() {
			counts[fmt.Sprint(p.Region, p.Num)] = len(p.Qs)
		}
		if counts["eu1"] != 1 || counts["us1"] != 2 || counts["eu2"] != 0 {
			t.Errorf("composite collections: %v", counts)
		}
		s3 := sm.New()
		defer s3.Close()
		ps, err = Scalars(ctx, s3, Select(h.P).Options(Joined(h.P.Qs)).Unique())
		if err != nil {
			t.Fatal(err)
		}
		e.wantCount("composite joined", 1)
		for _, p := range ps.All() {
			if n := counts[fmt.Sprint(p.Region, p.Num)]; len(p.Qs) != n {
				t.Errorf("joined %s %d: %d Qs, want %d", p.Region, p.Num, len(p.Qs), n)
			}
		}
	})
}

// TestBatchedLoad: Load on one object of a result loads every object of the result: the
// N+1 loop costs 2 statements.
func TestBatchedLoad(t *testing.T) {
	eachDB(t, registerLoad, func(e *env) {
		t := e.t
		h := bindLoad(t, e)
		sm := NewSessionMaker(e.eng, e.reg)
		seedLoad(t, e, sm, 30)
		ctx := e.ctx
		s := sm.New()
		defer s.Close()
		as, err := Scalars(ctx, s, Select(h.A))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as.All() {
			if err := Load(ctx, s, h.A.Bs, a); err != nil {
				t.Fatal(err)
			}
			if len(a.Bs) != 2 {
				t.Fatalf("a %d: %d Bs", a.ID, len(a.Bs))
			}
			// The related objects form a result too: loading their Cs is one statement.
			for _, b := range a.Bs {
				if err := Load(ctx, s, h.B.Cs, b); err != nil {
					t.Fatal(err)
				}
			}
		}
		e.wantCount("N+1 loop", 3)
	})
}

// TestNPlusOneDetector: one-object loads and repeated statements are reported as warnings,
// or as errors in strict mode, naming the relationship and the fix.
func TestNPlusOneDetector(t *testing.T) {
	eachDB(t, registerLoad, func(e *env) {
		t := e.t
		h := bindLoad(t, e)
		seed := NewSessionMaker(e.eng, e.reg)
		ids := seedLoad(t, e, seed, 5)
		ctx := e.ctx

		// Strict: the third one-object load of ldA.Bs fails (the objects come from Get,
		// before the session turns the detector on).
		sm := NewSessionMaker(e.eng, e.reg, DetectNPlusOne(NPlusOne{Threshold: 3, Strict: true}))
		s := sm.New()
		defer s.Close()
		s.DetectNPlusOne(nil)
		var objs []*ldA
		for _, id := range ids[:3] {
			a, err := Get[ldA](ctx, s, id)
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, a)
		}
		s.DetectNPlusOne(&NPlusOne{Threshold: 3, Strict: true})
		var err error
		for i, a := range objs {
			err = Load(ctx, s, h.A.Bs, a)
			if i < 2 && err != nil {
				t.Fatal(err)
			}
		}
		var ne *NPlusOneError
		if !errors.As(err, &ne) || !errors.Is(err, ErrNPlusOne) || !strings.Contains(ne.Relation, "ldA.Bs") || !strings.Contains(ne.Fix, "orm.SelectIn") {
			t.Errorf("strict one-object loads: %v", err)
		}

		// A hand-written N+1 loop: the same statement shape, naming the relationship.
		s2 := sm.New()
		defer s2.Close()
		for _, id := range ids[:3] {
			_, err = Scalars(ctx, s2, Select(h.B).Where(h.B.AID.Eq(id)))
		}
		if !errors.As(err, &ne) || ne.Count != 3 || ne.SQL == "" || !strings.Contains(ne.Relation, "ldA.Bs") {
			t.Errorf("strict repeated statement: %v", err)
		}

		// The engine-wide default: every SessionMaker made on the engine afterwards.
		DetectNPlusOneOn(e.eng, &NPlusOne{Threshold: 2, Strict: true})
		em := NewSessionMaker(e.eng, e.reg)
		DetectNPlusOneOn(e.eng, nil)
		s4 := em.New()
		defer s4.Close()
		for _, id := range ids[:2] {
			_, err = Get[ldA](ctx, s4, id)
		}
		if !errors.As(err, &ne) {
			t.Errorf("engine-wide strict detector: %v", err)
		}
		if NewSessionMaker(e.eng, e.reg).opts.nPlusOne != nil {
			t.Error("DetectNPlusOneOn(eng, nil) left the default on")
		}

		// Warning mode: logged once through the engine's logger.
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		weng, err := engine.Create(ctx, e.target.URL, engine.WithLogger(log))
		if err != nil {
			t.Fatal(err)
		}
		defer weng.Close()
		wm := NewSessionMaker(weng, e.reg, DetectNPlusOne(NPlusOne{Threshold: 2}))
		s3 := wm.New()
		defer s3.Close()
		for _, id := range ids {
			a, err := Get[ldA](ctx, s3, id)
			if err != nil {
				t.Fatal(err)
			}
			if err := Load(ctx, s3, h.A.Bs, a); err != nil {
				t.Fatalf("warning mode returned %v", err)
			}
		}
		out := buf.String()
		if strings.Count(out, "loaded one object at a time") != 1 || !strings.Contains(out, "level=WARN") {
			t.Errorf("warning log: %s", out)
		}
	})
}

// TestJoinedOrderBy: a joined collection follows the relationship's order_by, as the
// selectin load's ORDER BY does.
func TestJoinedOrderBy(t *testing.T) {
	eachDB(t, func(reg *Registry) error { return Register[Dir](reg) }, func(e *env) {
		t := e.t
		var dh struct {
			Table[Dir]
			Files Relation[Dir, DirFile]
		}
		if err := RegisterHandle(e.reg, &dh); err != nil {
			t.Fatal(err)
		}
		sm := NewSessionMaker(e.eng, e.reg)
		d := &Dir{Name: "d", Files: []*DirFile{{Name: "c"}, {Name: "a"}, {Name: "b"}}}
		if err := sm.Begin(e.ctx, func(ctx context.Context, s *Session) error { return s.Add(d) }); err != nil {
			t.Fatal(err)
		}
		for _, opt := range []*Loader{Joined(dh.Files), SelectIn(dh.Files)} {
			s := sm.New()
			dirs, err := Scalars(e.ctx, s, Select(dh).Options(opt).Unique())
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range dirs.All()[0].Files {
				names = append(names, f.Name)
			}
			if strings.Join(names, "") != "abc" {
				t.Errorf("%s: files in order %v, want a b c", opt.steps[0].strat, names)
			}
			s.Close()
		}
	})
}
