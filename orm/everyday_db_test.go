package orm

import (
	"errors"
	"testing"

	"github.com/retortdb/retort/expr"
)

// Writer and Article are the models of the everyday-API tests.
type Writer struct {
	ID       int64
	Name     string     `retort:"size=50,unique"`
	Articles []*Article `retort:"rel,back_populates=Writer"`
}

type Article struct {
	ID       int64
	WriterID int64 `retort:"fk=writer.id"`
	Title    string
	Score    int64
	Writer   *Writer `retort:"rel,back_populates=Articles"`
}

var writerT = struct {
	Table[Writer]
	ID       Column[int64]
	Name     Column[string]
	Articles Relation[Writer, Article]
}{}

var articleT = struct {
	Table[Article]
	ID       Column[int64]
	WriterID Column[int64]
	Title    Column[string]
	Score    Column[int64]
}{}

func registerWriters(reg *Registry) error {
	if err := RegisterHandle(reg, &writerT); err != nil {
		return err
	}
	return RegisterHandle(reg, &articleT)
}

// seedWriters adds writers "w0".."w<n-1>", writer i with i+1 articles scored 1..i+1,
// committed; it returns the writers.
func seedWriters(t *testing.T, e *env, n int) []*Writer {
	t.Helper()
	s := NewSessionMaker(e.eng, e.reg).New()
	defer s.Close()
	ws := make([]*Writer, n)
	for i := range ws {
		w := &Writer{Name: "w" + string(rune('0'+i))}
		for k := 0; k <= i; k++ {
			w.Articles = append(w.Articles, &Article{Title: "t", Score: int64(k + 1)})
		}
		ws[i] = w
	}
	if err := AddAll(s, ws); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.cap.take(true)
	return ws
}

// TestCountExists: Count and Exists run one statement for any query, plain (rewritten
// to count(*)), or with DISTINCT, GROUP BY, LIMIT (counted as a subquery), and see
// pending objects through autoflush.
func TestCountExists(t *testing.T) {
	eachDB(t, registerWriters, func(e *env) {
		t, ctx := e.t, e.ctx
		seedWriters(t, e, 3) // articles: 1 + 2 + 3
		s := NewSessionMaker(e.eng, e.reg).New()
		defer s.Close()
		check := func(name string, q Query, want int64, sql string) {
			t.Helper()
			n, err := Count(ctx, s, q)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if n != want {
				t.Errorf("%s: Count = %d, want %d", name, n, want)
			}
			if got := e.cap.take(false); len(got) != 1 || sql != "" && got[0] != sql {
				t.Errorf("%s: statements %q, want %q", name, got, sql)
			}
		}
		check("all", articleT.Select().OrderBy(articleT.ID.Desc()), 6,
			"SELECT count(*) AS count_1 FROM article")
		check("where", articleT.Select().Where(articleT.Score.Gt(1)), 3,
			e.sql("SELECT count(*) AS count_1 FROM article WHERE article.score > ? | [1]",
				"SELECT count(*) AS count_1 FROM article WHERE article.score > $1 | [1]",
				"SELECT count(*) AS count_1 FROM article WHERE article.score > ? | [1]"))
		check("join", writerT.Select().Join(articleT.Core()).Where(articleT.Score.Eq(3)), 1, "")
		check("limit", articleT.Select().OrderBy(articleT.ID.Asc()).Limit(4), 4, "")
		check("offset", articleT.Select().OrderBy(articleT.ID.Asc()).Limit(4).Offset(4), 2, "")
		check("distinct rows", SelectRows(articleT.Score).Distinct(), 3, "")
		check("group by", writerT.Select().Join(articleT.Core()).GroupBy(writerT.ID).Having(expr.CountStar().Gt(1)), 2, "")
		check("rows group by", SelectRows(articleT.WriterID, expr.CountStar()).GroupBy(articleT.WriterID), 3, "")

		// Autoflush: a pending object is counted.
		if err := s.Add(&Writer{Name: "new"}); err != nil {
			t.Fatal(err)
		}
		if n, err := Count(ctx, s, writerT.Select()); err != nil || n != 4 {
			t.Errorf("Count after Add = %d, %v; want 4", n, err)
		}
		e.cap.take(false)

		for _, c := range []struct {
			q    Query
			want bool
		}{
			{articleT.Select().Where(articleT.Score.Eq(3)).OrderBy(articleT.ID.Asc()), true},
			{articleT.Select().Where(articleT.Score.Eq(9)), false},
			{articleT.Select().OrderBy(articleT.ID.Asc()).Offset(6), false},
			{articleT.Select().OrderBy(articleT.ID.Asc()).Offset(5), true},
			{SelectRows(articleT.WriterID).GroupBy(articleT.WriterID).Having(expr.CountStar().Gt(2)), true},
		} {
			got, err := Exists(ctx, s, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("Exists(%v) = %v, want %v", c.q.Statement(), got, c.want)
			}
			if n := len(e.cap.take(false)); n != 1 {
				t.Errorf("Exists: %d statements", n)
			}
		}
		var unbound struct {
			Table[Writer]
		}
		if _, err := Count(ctx, s, Select(unbound)); !errors.Is(err, ErrUnboundHandle) {
			t.Errorf("Count of an unbound handle: %v", err)
		}
	})
}

// TestGroupByObjects: an ORM select grouped by the key with a HAVING on a joined table's
// aggregate returns objects through the identity map.
func TestGroupByObjects(t *testing.T) {
	eachDB(t, registerWriters, func(e *env) {
		t, ctx := e.t, e.ctx
		ws := seedWriters(t, e, 3)
		s := NewSessionMaker(e.eng, e.reg).New()
		defer s.Close()
		got, err := All(ctx, s, writerT.Select().Join(articleT.Core()).GroupBy(writerT.ID, writerT.Name).
			Having(expr.CountStar().Ge(2)).OrderBy(writerT.ID.Asc()))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != ws[1].ID || got[1].ID != ws[2].ID || got[1].Name != "w2" {
			t.Errorf("grouped writers: %+v", got)
		}
	})
}

// TestAllGetNotFound: All returns a slice (empty, not nil error, for no rows); the
// handle's Get and GetOne infer the model; the not-found rule: Get and the OrNone calls
// return nil without error, GetOne, ScalarOne, Scalar and First return ErrNoResult.
func TestAllGetNotFound(t *testing.T) {
	eachDB(t, registerWriters, func(e *env) {
		t, ctx := e.t, e.ctx
		ws := seedWriters(t, e, 2)
		s := NewSessionMaker(e.eng, e.reg).New()
		defer s.Close()
		all, err := All(ctx, s, writerT.Select().OrderBy(writerT.ID.Asc()))
		if err != nil || len(all) != 2 || all[0].Name != "w0" {
			t.Fatalf("All: %v %v", all, err)
		}
		none, err := All(ctx, s, writerT.Select().Where(writerT.Name.Eq("nobody")))
		if err != nil || len(none) != 0 {
			t.Fatalf("All of nothing: %v %v", none, err)
		}
		w, err := writerT.Get(ctx, s, ws[1].ID)
		if err != nil || w != all[1] {
			t.Errorf("writerT.Get = %p, %v; want the identity map's %p", w, err, all[1])
		}
		missing := ws[0].ID + ws[1].ID + 1000
		if w, err := writerT.Get(ctx, s, missing); w != nil || err != nil {
			t.Errorf("Get of a missing key = %v, %v; want nil, nil", w, err)
		}
		if _, err := writerT.GetOne(ctx, s, missing); !errors.Is(err, ErrNoResult) {
			t.Errorf("GetOne of a missing key: %v", err)
		}
		q := writerT.Select().Where(writerT.Name.Eq("nobody"))
		if _, err := ScalarOne(ctx, s, q); !errors.Is(err, ErrNoResult) {
			t.Errorf("ScalarOne: %v", err)
		}
		if _, err := Scalar(ctx, s, q); !errors.Is(err, ErrNoResult) {
			t.Errorf("Scalar: %v", err)
		}
		if w, ok, err := ScalarOneOrNone(ctx, s, q); w != nil || ok || err != nil {
			t.Errorf("ScalarOneOrNone: %v %v %v", w, ok, err)
		}
		var unbound struct {
			Table[Writer]
		}
		if _, err := unbound.Get(ctx, s, 1); !errors.Is(err, ErrUnboundHandle) {
			t.Errorf("Get through an unbound handle: %v", err)
		}
		if err := AddAll(s, []*Writer{{Name: "x"}, nil}); err == nil {
			t.Error("AddAll with a nil element: no error")
		}
	})
}
