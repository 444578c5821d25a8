package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/logcapture"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/orm"
)

var item = regexp.MustCompile(`^\[A\(id_=(\d+), data='(a_\d+)'\)\]$`)

// TestRun runs the program on each database and checks its one line: the 30 rows the
// seeded choice picks, each with the key the database gave it; and that merging the 30
// results into the main session sends no SQL.
func TestRun(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		tr := &logcapture.Recorder{}
		var out bytes.Buffer
		if err := run(ctx, tg.URL, slog.New(tr), 7, &out); err != nil {
			t.Fatal(err)
		}
		line := strings.TrimSuffix(out.String(), "\n")
		if strings.Count(out.String(), "\n") != 1 || !strings.HasPrefix(line, "results: [") || !strings.HasSuffix(line, "]") {
			t.Fatalf("output %q, want one results line", out.String())
		}
		items := strings.Split(strings.TrimSuffix(strings.TrimPrefix(line, "results: ["), "]"), ", [")
		for i := 1; i < len(items); i++ {
			items[i] = "[" + items[i]
		}
		if len(items) != 30 {
			t.Fatalf("%d results, want 30: %s", len(items), line)
		}
		keys := keysByData(t, ctx, tg.URL)
		rnd := rand.New(rand.NewPCG(7, 7))
		for i, it := range items {
			m := item.FindStringSubmatch(it)
			want := fmt.Sprintf("a_%d", rnd.IntN(100))
			if m == nil || m[2] != want || m[1] != strconv.FormatInt(keys[want], 10) {
				t.Errorf("result %d = %s, want [A(id_=%d, data='%s')]", i, it, keys[want], want)
			}
		}
		// The 30 SELECTs run before the output; nothing is echoed after them (the merge
		// sends no SQL): the last statement echoed is a SELECT of a.
		var stmts []string
		for _, e := range tr.Entries() {
			if strings.HasPrefix(e, "SELECT a.id, a.data FROM a WHERE a.data = ") {
				stmts = append(stmts, e)
			}
		}
		if len(stmts) != 30 {
			t.Errorf("%d SELECTs echoed, want 30", len(stmts))
		}
		entries := tr.Entries()
		if last := entries[len(entries)-1]; !strings.HasPrefix(last, "SELECT a.id, a.data FROM a WHERE a.data = ") && last != "ROLLBACK" {
			t.Errorf("last statement echoed: %q", last)
		}
	})
}

// keysByData reads the keys of the 100 rows the program added.
func keysByData(t *testing.T, ctx context.Context, url string) map[string]int64 {
	t.Helper()
	eng, err := engine.Create(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	conn, err := eng.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	a, err := orm.TableOf[A](reg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := conn.Execute(ctx, expr.Select(a.C("id"), a.C("data")))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]int64{}
	for _, row := range res.All() {
		var id int64
		var data string
		if err := row.Scan(&id, &data); err != nil {
			t.Fatal(err)
		}
		keys[data] = id
	}
	if len(keys) != 100 {
		t.Fatalf("%d rows in a, want 100", len(keys))
	}
	return keys
}
