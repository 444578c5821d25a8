package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/retortdb/retort/internal/testdb"
)

// TestBlog runs the program on the three databases (and MariaDB limited to MySQL's
// features) and checks the statements each operation sends.
func TestBlog(t *testing.T) {
	// want: the statements per operation on SQLite, PostgreSQL and MariaDB, and where
	// MySQL (no RETURNING) differs.
	want := map[string][2]int{
		"sign up 3 users":                      {1, 4},
		"reject an invalid e-mail":             {0, 0},
		"upsert 3 tags":                        {1, 2},
		"publish 25 posts with tags":           {3, 28},
		"comment on a post 3 times":            {1, 4},
		"page through posts (10 a page)":       {4, 4},
		"show a post (author, comments, tags)": {4, 4},
		"count and exists":                     {2, 2},
		"edit a post's title":                  {2, 2},
		"transfer ownership (25 posts)":        {26, 26},
		"bulk transfer back (one UPDATE)":      {1, 1},
		"raw report into a struct":             {1, 1},
		"delete a post (comments cascade)":     {2, 2},
	}
	// merged: the statements where the flush merges UPDATEs of many rows into one (every
	// database but PostgreSQL, which pipelines one UPDATE per row in one round trip).
	merged := map[string]int{"transfer ownership (25 posts)": 2}
	run := func(t *testing.T, tg testdb.Target) {
		var out bytes.Buffer
		counts, err := runCounted(context.Background(), tg.URL, false, &out)
		if err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		if len(counts) != len(want) {
			t.Fatalf("%d operations, want %d:\n%s", len(counts), len(want), out.String())
		}
		mysql := tg.Name == testdb.NameMySQLFeatures
		for _, c := range counts {
			w, ok := want[c.Op]
			if !ok {
				t.Errorf("unexpected operation %q", c.Op)
				continue
			}
			n := w[0]
			if mysql {
				n = w[1]
			}
			if m, ok := merged[c.Op]; ok && tg.Name != testdb.NamePostgres {
				n = m
			}
			if c.Stmts != n {
				t.Errorf("%s: %d statements, want %d", c.Op, c.Stmts, n)
			}
		}
		if !strings.Contains(out.String(), "Ann 25/3, Bob 0/0, Cy 0/0") {
			t.Errorf("report:\n%s", out.String())
		}
	}
	testdb.Each(t, run)
	t.Run("postgresql-round-trips", func(t *testing.T) {
		tg, rt := testdb.Proxy(t, testdb.Postgres(t))
		roundTrips = rt.Take
		defer func() { roundTrips = nil }()
		var out bytes.Buffer
		counts, err := runCounted(context.Background(), tg.URL, false, &out)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range counts {
			t.Logf("%-38s %2d statements %d round trips", c.Op, c.Stmts, c.Trips)
			if c.Op == "transfer ownership (25 posts)" && c.Trips > 5 {
				t.Errorf("the transfer took %d round trips for %d statements", c.Trips, c.Stmts)
			}
		}
	})
	t.Run(testdb.NameMySQLFeatures, func(t *testing.T) { run(t, testdb.MySQLFeatures(t)) })
}
