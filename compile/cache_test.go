package compile_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

func TestCacheHitGivesSameSQLAndFreshArgs(t *testing.T) {
	d := postgres.New()
	build := func(n int, s string) expr.Statement {
		return expr.Select(users.C("id")).Where(users.C("id").Gt(n), users.C("name").Eq(s)).Limit(n + 1)
	}
	first, err := compile.Compile(d, build(1, "a"))
	if err != nil {
		t.Fatal(err)
	}
	h0, _, _ := compile.CacheStats()
	second, err := compile.Compile(d, build(2, "b"))
	if err != nil {
		t.Fatal(err)
	}
	h1, _, _ := compile.CacheStats()
	if h1 <= h0 {
		t.Errorf("second compile of the same shape was not a cache hit (hits %d -> %d)", h0, h1)
	}
	if first.SQL != second.SQL {
		t.Errorf("same shape, different SQL:\n%s\n%s", first.SQL, second.SQL)
	}
	if want := []any{1, "a", int64(2)}; !reflect.DeepEqual(first.Args, want) {
		t.Errorf("first args = %#v, want %#v", first.Args, want)
	}
	if want := []any{2, "b", int64(3)}; !reflect.DeepEqual(second.Args, want) {
		t.Errorf("second args = %#v, want %#v", second.Args, want)
	}
	// The first result must not have been changed by the second compile.
	if first.Args[1] != "a" {
		t.Errorf("first result's args were overwritten: %#v", first.Args)
	}
	if !reflect.DeepEqual(first.ArgTypes, []types.Type{types.Integer(), types.String(50), types.BigInt()}) {
		t.Errorf("arg types = %v", first.ArgTypes)
	}
}

func TestCacheShapesDoNotCollide(t *testing.T) {
	d := sqlite.New()
	id, name, age := users.C("id"), users.C("name"), users.C("age")
	aliasU := expr.Alias(users, "x")
	aliasA := expr.Alias(addresses, "x")
	sqA := expr.Select(id).Subquery("s")
	sqB := expr.Select(name).Subquery("s")
	// Each statement differs from the others in one structural detail only.
	stmts := []expr.Statement{
		expr.Select(id).Where(id.In(1, 2)),
		expr.Select(id).Where(id.In(1, 2, 3)),
		expr.Select(id).Where(id.NotIn(1, 2)),
		expr.Select(id).Where(id.Eq(1)),
		expr.Select(id).Where(id.Ne(1)),
		expr.Select(id).Where(age.Eq(1)),
		expr.Select(id).Where(id.Eq(nil)),
		expr.Select(id).Where(id.Eq(1)).Limit(1),
		expr.Select(id).Where(id.Eq(1)).Offset(1),
		expr.Select(id).Where(id.Eq(1)).Distinct(),
		expr.Select(id).Where(id.Eq(1)).OrderBy(id),
		expr.Select(id).Where(id.Eq(1)).OrderBy(id.Desc()),
		expr.Select(id).Where(id.Eq(1)).OrderBy(id.Desc().NullsLast()),
		expr.Select(id).Where(id.Eq(expr.Value(1, types.BigInt()))),
		expr.Select(id).Where(id.Eq(expr.Value(1, types.String(3)))),
		expr.Select(aliasU.C("id")),
		expr.Select(aliasA.C("id")),
		expr.Select(sqA.C("id")),
		expr.Select(sqB.C("name")),
		expr.Select(expr.Select(id).Subquery("").C("id")),
		expr.Select(expr.Text("a = :x", expr.Param("x", 1))),
		expr.Select(expr.Text("b = :x", expr.Param("x", 1))),
		expr.Select(name.Label("a")),
		expr.Select(name.Label("b")),
		expr.Select(expr.Fn("lower", name)),
		expr.Select(expr.Fn("upper", name)),
		expr.Insert(users).Values(map[string]any{"name": "a"}),
		expr.Insert(users).Values(map[string]any{"name": "a"}).Values(map[string]any{"name": "b"}),
		expr.Insert(users).Values(map[string]any{"email": "a"}),
		expr.Update(users).Set(name, "a"),
		expr.Update(users).Set(users.C("email"), "a"),
		expr.Delete(users).Where(id.Eq(1)),
		expr.Delete(addresses).Where(addresses.C("id").Eq(1)),
	}
	seen := map[string]int{}
	for i, s := range stmts {
		// Compile twice so that the second one comes from the cache.
		for round := 0; round < 2; round++ {
			c, err := compile.Compile(d, s)
			if err != nil {
				t.Fatalf("statement %d: %v", i, err)
			}
			u, err := compile.CompileUncached(d, s)
			if err != nil {
				t.Fatalf("statement %d uncached: %v", i, err)
			}
			if c.SQL != u.SQL {
				t.Errorf("statement %d (round %d): cache gave\n%s\nbut it compiles to\n%s", i, round, c.SQL, u.SQL)
			}
			if round == 0 {
				key := c.SQL + fmt.Sprint(c.ArgTypes)
				if j, dup := seen[key]; dup {
					t.Errorf("statements %d and %d compile to the same SQL %s", j, i, c.SQL)
				}
				seen[key] = i
			}
		}
	}
}

func TestCacheIsPerDialect(t *testing.T) {
	s := expr.Select(users.C("id")).Where(users.C("id").Eq(1))
	a, err := compile.Compile(sqlite.New(), s)
	if err != nil {
		t.Fatal(err)
	}
	b, err := compile.Compile(postgres.New(), s)
	if err != nil {
		t.Fatal(err)
	}
	if a.SQL == b.SQL {
		t.Fatalf("sqlite and postgresql share a cache entry: %s", a.SQL)
	}
}

func TestCacheBounded(t *testing.T) {
	defer compile.SetCacheSize(compile.DefaultCacheSize)
	compile.SetCacheSize(4)
	d := sqlite.New()
	for i := 0; i < 20; i++ {
		vals := make([]any, i+1)
		for j := range vals {
			vals[j] = j
		}
		if _, err := compile.Compile(d, expr.Select(users.C("id")).Where(users.C("id").In(vals...))); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, size := compile.CacheStats(); size > 4 {
		t.Fatalf("cache holds %d entries, bound is 4", size)
	}
	// The most recent shape is still cached; the oldest is gone.
	h0, m0, _ := compile.CacheStats()
	vals := make([]any, 20)
	for j := range vals {
		vals[j] = j
	}
	compile.Compile(d, expr.Select(users.C("id")).Where(users.C("id").In(vals...)))
	compile.Compile(d, expr.Select(users.C("id")).Where(users.C("id").In(0)))
	h1, m1, _ := compile.CacheStats()
	if h1-h0 != 1 || m1-m0 != 1 {
		t.Fatalf("want one hit and one miss, got %d hits %d misses", h1-h0, m1-m0)
	}
}

// TestConcurrentSharedStatement shares one statement between goroutines that derive new
// statements from it and compile them; run under -race it shows that builders copy.
func TestConcurrentSharedStatement(t *testing.T) {
	d := postgres.New()
	base := expr.Select(users.C("id"), users.C("name")).Where(users.C("age").Gt(18))
	baseIns := expr.Insert(users).Values(map[string]any{"name": "x"})
	want, err := compile.Compile(d, base)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				s := base.Where(users.C("id").Eq(g)).OrderBy(users.C("name")).Limit(i + 1)
				c, err := compile.Compile(d, s)
				if err != nil {
					errs <- err
					return
				}
				wantSQL := "SELECT users.id, users.name FROM users WHERE users.age > $1 AND users.id = $2 ORDER BY users.name LIMIT $3"
				if c.SQL != wantSQL || c.Args[1] != g || c.Args[2] != int64(i+1) {
					errs <- fmt.Errorf("goroutine %d: got %s %v", g, c.SQL, c.Args)
					return
				}
				ins := baseIns.Values(map[string]any{"name": fmt.Sprint(g)})
				ci, err := compile.Compile(d, ins)
				if err != nil || len(ci.Args) != 2 || ci.Args[1] != fmt.Sprint(g) {
					errs <- fmt.Errorf("goroutine %d: insert %v %v", g, ci, err)
					return
				}
				if again, err := compile.Compile(d, base); err != nil || again.SQL != want.SQL || len(again.Args) != 1 {
					errs <- fmt.Errorf("goroutine %d: base changed: %v %v", g, again, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(base.Wheres) != 1 || len(baseIns.Rows) != 1 {
		t.Fatalf("shared statements were modified: %d wheres, %d rows", len(base.Wheres), len(baseIns.Rows))
	}
}

func TestBuildersDoNotShareBackingArrays(t *testing.T) {
	base := expr.Select(users.C("id")).Where(users.C("age").Gt(1)).Where(users.C("age").Lt(9))
	a := base.Where(users.C("name").Eq("a"))
	b := base.Where(users.C("name").Eq("b"))
	d := sqlite.New()
	ca, _ := compile.Compile(d, a)
	cb, _ := compile.Compile(d, b)
	if ca.Args[2] != "a" || cb.Args[2] != "b" {
		t.Fatalf("derived statements share state: %v %v", ca.Args, cb.Args)
	}
	ins := expr.Insert(users).Values(map[string]any{"name": "1"})
	i1 := ins.Values(map[string]any{"name": "2"})
	i2 := ins.Values(map[string]any{"name": "3"})
	c1, _ := compile.Compile(d, i1)
	c2, _ := compile.Compile(d, i2)
	if c1.Args[1] != "2" || c2.Args[1] != "3" {
		t.Fatalf("derived inserts share rows: %v %v", c1.Args, c2.Args)
	}
}

func TestClientDefaultFuncCalledPerRowAndCompile(t *testing.T) {
	d := sqlite.New()
	stmt := expr.Insert(items).Values(map[string]any{"name": "a"}).Values(map[string]any{"name": "b"})
	c1, err := compile.Compile(d, stmt)
	if err != nil {
		t.Fatal(err)
	}
	want := "INSERT INTO items (name, status, seq) VALUES (?, ?, ?), (?, ?, ?)"
	if c1.SQL != want {
		t.Fatalf("SQL = %s, want %s", c1.SQL, want)
	}
	s1, s2 := c1.Args[2].(int64), c1.Args[5].(int64)
	if s2 != s1+1 || c1.Args[1] != "new" || c1.Args[4] != "new" {
		t.Fatalf("defaults not applied per row: %#v", c1.Args)
	}
	c2, err := compile.Compile(d, stmt) // a cache hit: defaults are computed again
	if err != nil {
		t.Fatal(err)
	}
	if c2.SQL != want || c2.Args[2].(int64) != s2+1 || c2.Args[5].(int64) != s2+2 {
		t.Fatalf("defaults not recomputed on a cache hit: %#v", c2.Args)
	}
	// No values at all: one row of defaults.
	c3, err := compile.Compile(d, expr.Insert(items))
	if err != nil || c3.SQL != "INSERT INTO items (status, seq) VALUES (?, ?)" {
		t.Fatalf("insert of defaults only: %v %v", c3, err)
	}
}
