package orm

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
)

// SUser and SPost are the models of the sharding tests: users live on the shard of
// their region, their posts with them.
type SUser struct {
	ID     int64 `retort:"pk"`
	Region string
	Name   string
	Score  *int64
	Posts  []*SPost
}

type SPost struct {
	ID      int64 `retort:"pk"`
	SUserID int64 `retort:"s_user_id,fk=s_user.id"`
	Title   string
}

type sUserHandle struct {
	Table[SUser]
	ID     Column[int64]
	Region Column[string]
	Name   Column[string]
	Score  Column[*int64]
	Posts  Relation[SUser, SPost]
}

// shardEnv is three shards (two PostgreSQL databases and one SQLite file) with the same
// models, each engine echoing into its own capture.
type shardEnv struct {
	ids  []string
	engs map[string]*engine.Engine
	caps map[string]*capture
	reg  *Registry
	h    *sUserHandle
}

var regionShard = map[string]string{"eu": "pg-eu", "us": "pg-us", "asia": "sqlite-asia"}

func newShardEnv(t *testing.T) *shardEnv {
	t.Helper()
	ctx := t.Context()
	e := &shardEnv{ids: []string{"pg-eu", "pg-us", "sqlite-asia"}, engs: map[string]*engine.Engine{}, caps: map[string]*capture{}, reg: NewRegistry(), h: &sUserHandle{}}
	if err := RegisterHandle(e.reg, e.h); err != nil {
		t.Fatal(err)
	}
	targets := []testdb.Target{testdb.Postgres(t), testdb.Postgres(t), testdb.SQLite(t)}
	for i, id := range e.ids {
		c := &capture{}
		eng, err := engine.Create(ctx, targets[i].URL, engine.Echo(true), engine.WithLogger(slog.New(c)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		if err := eng.CreateAll(ctx, e.reg.MetaData()); err != nil {
			t.Fatal(err)
		}
		c.take(true)
		e.engs[id], e.caps[id] = eng, c
	}
	return e
}

func (e *shardEnv) shards() []Shard {
	var out []Shard
	for _, id := range e.ids {
		out = append(out, Shard{ID: id, Engine: e.engs[id]})
	}
	return out
}

// queried returns the shards that ran a SELECT since the last call.
func (e *shardEnv) queried() []string {
	var out []string
	for _, id := range e.ids {
		for _, s := range e.caps[id].take(false) {
			if strings.HasPrefix(s, "SELECT") {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

func byRegion(obj any) (string, error) {
	u, ok := obj.(*SUser)
	if !ok {
		return "", fmt.Errorf("no shard for %T", obj)
	}
	return regionShard[u.Region], nil
}

// TestShardedSession: three shards of two dialects under one sharded session. New
// objects go to the shard of their region, with their posts; equal primary keys on two
// shards are two objects; Get follows the identity chooser; a query goes to the shards
// its WHERE clause names (ShardKeys) or to all, and the results are merged in ORDER BY
// order and cut to OFFSET and LIMIT; SelectIn loads each shard's children there; updates
// and deletes go to the object's own shard.
func TestShardedSession(t *testing.T) {
	e := newShardEnv(t)
	ctx := t.Context()
	h := e.h
	var getAsked []string
	cfg := ShardConfig{
		ShardChooser: byRegion,
		IdentityChooser: func(model reflect.Type, pk []any) []string {
			if model != reflect.TypeFor[SUser]() {
				return nil
			}
			getAsked = append(getAsked, fmt.Sprint(pk...))
			return nil // any shard may hold a key
		},
		QueryChooser: func(q *expr.SelectStmt) []string {
			regions, ok := ShardKeys(q, h.Region)
			if !ok {
				return nil
			}
			var ids []string
			for _, r := range regions {
				ids = append(ids, regionShard[r.(string)])
			}
			return ids
		},
	}
	sm, err := NewShardedSessionMaker(e.reg, e.shards(), cfg, ExpireOnCommit(false))
	if err != nil {
		t.Fatal(err)
	}
	users := []*SUser{
		{ID: 7, Region: "eu", Name: "erika", Score: ptr[int64](5), Posts: []*SPost{{Title: "e1"}, {Title: "e2"}}},
		{ID: 7, Region: "us", Name: "uma", Score: ptr[int64](9), Posts: []*SPost{{Title: "u1"}}},
		{Region: "eu", Name: "emil"},
		{Region: "us", Name: "ulla", Score: ptr[int64](1)},
		{Region: "asia", Name: "aiko", Score: ptr[int64](7), Posts: []*SPost{{Title: "a1"}}},
		{Region: "asia", Name: "anh", Score: ptr[int64](3)},
	}
	ss := sm.New()
	for _, u := range users {
		if err := ss.Add(u); err != nil {
			t.Fatal(err)
		}
	}
	if err := ss.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if id, _ := ss.ShardOf(u); id != regionShard[u.Region] {
			t.Fatalf("%s on shard %q, want %q", u.Name, id, regionShard[u.Region])
		}
		for _, p := range u.Posts {
			if id, _ := ss.ShardOf(p); id != regionShard[u.Region] || p.SUserID != u.ID {
				t.Fatalf("post %s of %s on shard %q with user id %d", p.Title, u.Name, id, p.SUserID)
			}
		}
	}
	// Each shard holds its own rows only.
	for _, id := range e.ids {
		c, err := e.engs[id].Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.Scalar(ctx, expr.Select(expr.CountStar()).From(h.Core()))
		c.Close()
		if err != nil || n.(int64) != 2 {
			t.Fatalf("shard %s holds %v users (%v), want 2", id, n, err)
		}
	}
	if err := ss.Close(); err != nil {
		t.Fatal(err)
	}
	e.queried()

	// The same key on two shards: two objects.
	ss = sm.New()
	defer ss.Close()
	eu, err := ShardGet[SUser](ctx, ss, int64(7))
	if err != nil || eu == nil || eu.Name != "erika" {
		t.Fatalf("ShardGet(7): %+v %v, want erika from the first shard", eu, err)
	}
	if got := e.queried(); !slices.Equal(got, []string{"pg-eu"}) || len(getAsked) != 1 {
		t.Fatalf("ShardGet asked %v (chooser called %d times), want pg-eu alone", got, len(getAsked))
	}
	us, err := ss.Shard("pg-us")
	if err != nil {
		t.Fatal(err)
	}
	uma, err := Get[SUser](ctx, us, int64(7))
	if err != nil || uma == nil || uma.Name != "uma" || uma == eu {
		t.Fatalf("Get(7) on pg-us: %+v %v, want uma, another object", uma, err)
	}
	if a, _ := ss.ShardOf(eu); a != "pg-eu" {
		t.Fatalf("ShardOf(erika) = %q", a)
	}
	if b, _ := ss.ShardOf(uma); b != "pg-us" {
		t.Fatalf("ShardOf(uma) = %q", b)
	}
	e.queried()
	anhID := users[5].ID
	anh, err := ShardGet[SUser](ctx, ss, anhID)
	if err != nil || anh == nil || anh.Name != "anh" {
		t.Fatalf("ShardGet(anh): %+v %v", anh, err)
	}
	if missing, err := ShardGet[SUser](ctx, ss, int64(1_000_000)); missing != nil || err != nil {
		t.Fatalf("ShardGet of a missing key: %v %v", missing, err)
	}

	// Queries: merged in order, cut to OFFSET and LIMIT, across dialects.
	e.queried()
	all := slices.Clone(users)
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	res, err := ShardScalars(ctx, ss, Select(h).OrderBy(h.Name.Asc()).Offset(1).Limit(3))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{all[1].Name, all[2].Name, all[3].Name}
	if got := sNames(res.All()); !slices.Equal(got, want) {
		t.Fatalf("ORDER BY name OFFSET 1 LIMIT 3: %v, want %v", got, want)
	}
	if got := e.queried(); len(got) != 3 {
		t.Fatalf("query without a region condition asked %v, want every shard", got)
	}
	// DESC with NULLs first (PostgreSQL's rule), then a second key.
	res, err = ShardScalars(ctx, ss, Select(h).OrderBy(h.Score.Desc(), h.Name.Asc()))
	if err != nil {
		t.Fatal(err)
	}
	if got := sNames(res.All()); !slices.Equal(got, []string{"emil", "uma", "aiko", "erika", "anh", "ulla"}) {
		t.Fatalf("ORDER BY score DESC, name: %v", got)
	}
	// The query chooser: two regions, two shards; loads run on each shard.
	e.queried()
	res, err = ShardScalars(ctx, ss, Select(h).Where(h.Region.In("us", "asia")).OrderBy(h.ID.Asc()).Options(SelectIn(h.Posts)))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.queried(); !slices.Equal(got, []string{"pg-us", "sqlite-asia"}) {
		t.Fatalf("Region IN (us, asia) asked %v", got)
	}
	posts := map[string]int{}
	for _, u := range res.All() {
		posts[u.Name] = len(u.Posts)
	}
	if res.Len() != 4 || posts["uma"] != 1 || posts["aiko"] != 1 || posts["ulla"] != 0 {
		t.Fatalf("us and asia with posts: %v", posts)
	}
	res, err = ShardScalars(ctx, ss, Select(h).Where(h.Region.Eq("eu")))
	if err != nil || res.Len() != 2 {
		t.Fatalf("Region = eu: %v %v", res, err)
	}
	if got := e.queried(); !slices.Equal(got, []string{"pg-eu"}) {
		t.Fatalf("Region = eu asked %v", got)
	}

	// Writes go to the object's shard.
	uma.Name = "uma2"
	if err := ss.Delete(anh); err != nil {
		t.Fatal(err)
	}
	for _, id := range e.ids {
		e.caps[id].take(true)
	}
	if err := ss.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"pg-eu": "", "pg-us": "UPDATE", "sqlite-asia": "DELETE"} {
		got := strings.Join(e.caps[id].take(false), "; ")
		if (want == "") != (got == "") || !strings.HasPrefix(got, want) {
			t.Fatalf("shard %s ran %q, want %s", id, got, want)
		}
	}
	eu2, err := ShardGet[SUser](UsePrimary(ctx), ss, int64(7))
	if err != nil || eu2 != eu || eu.Name != "erika" {
		t.Fatalf("erika after uma's update: %+v %v", eu2, err)
	}
	// A flush that fails on one shard commits nothing on any shard.
	if err := ss.AddAll(&SUser{Region: "eu", Name: "new-eu"}, &SUser{ID: 7, Region: "us", Name: "dup"}); err != nil {
		t.Fatal(err)
	}
	err = ss.Commit(ctx)
	if !errors.Is(err, engine.ErrIntegrity) || !strings.Contains(err.Error(), `shard "pg-us"`) {
		t.Fatalf("Commit with a duplicate key on pg-us: %v", err)
	}
	if err := ss.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range e.ids {
		c, err := e.engs[id].Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.Scalar(ctx, expr.Select(expr.CountStar()).From(h.Core()).Where(h.Name.In("new-eu", "dup")))
		c.Close()
		if err != nil || n.(int64) != 0 {
			t.Fatalf("shard %s has %v rows of the failed commit (%v)", id, n, err)
		}
	}
}

func sNames(us []*SUser) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Name)
	}
	return out
}

// TestShardedSessionErrors: bad configurations and bad queries are errors naming the
// problem.
func TestShardedSessionErrors(t *testing.T) {
	ctx := t.Context()
	reg := NewRegistry()
	h := &sUserHandle{}
	if err := RegisterHandle(reg, h); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Create(ctx, testdb.SQLite(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		shards []Shard
		cfg    ShardConfig
		want   string
	}{
		{nil, ShardConfig{ShardChooser: byRegion}, "no shard"},
		{[]Shard{{ID: "a", Engine: eng}}, ShardConfig{}, "ShardChooser is required"},
		{[]Shard{{ID: "", Engine: eng}}, ShardConfig{ShardChooser: byRegion}, "shard 0 has no ID"},
		{[]Shard{{ID: "a"}}, ShardConfig{ShardChooser: byRegion}, `shard "a" has no engine`},
		{[]Shard{{ID: "a", Engine: eng}, {ID: "a", Engine: eng}}, ShardConfig{ShardChooser: byRegion}, `shard "a" given twice`},
	} {
		if _, err := NewShardedSessionMaker(reg, c.shards, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewShardedSessionMaker: %v, want %q", err, c.want)
		}
	}
	sm, err := NewShardedSessionMaker(reg, []Shard{{ID: "sqlite-asia", Engine: eng}}, ShardConfig{ShardChooser: byRegion})
	if err != nil {
		t.Fatal(err)
	}
	ss := sm.New()
	defer ss.Close()
	if err := ss.Add(&SUser{Region: "eu"}); !errors.Is(err, ErrUnknownShard) || !strings.Contains(err.Error(), `"pg-eu"`) {
		t.Fatalf("Add to an unknown shard: %v", err)
	}
	if err := ss.Add(&SPost{}); err == nil || !strings.Contains(err.Error(), "no shard for *orm.SPost") {
		t.Fatalf("shard chooser error: %v", err)
	}
	if _, err := ShardScalars(ctx, ss, Select(h).OrderBy(expr.Lower(h.Name))); err == nil || !strings.Contains(err.Error(), "ORDER BY items must be columns") {
		t.Fatalf("ORDER BY an expression: %v", err)
	}
	if err := ss.Delete(&SUser{}); !errors.Is(err, ErrNotInSession) {
		t.Fatalf("Delete of an untracked object: %v", err)
	}
	if _, err := ss.Shard("nowhere"); !errors.Is(err, ErrUnknownShard) {
		t.Fatalf("Shard(nowhere): %v", err)
	}
}
