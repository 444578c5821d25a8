package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// ScanAuthor is embedded by pointer in the rows of TestScanAll. It is a plain value, not
// safe for concurrent writes, and lives as long as the test keeps it.
type ScanAuthor struct {
	AuthorID   int64  `retort:"author_id"`
	AuthorName string `retort:"author_name"`
}

type scanBase struct {
	ID int64
}

type scanPost struct {
	scanBase           // embedded by value: id
	*ScanAuthor        // embedded by pointer: nil when the outer join found no author
	Title       string // title
	PublishedAt time.Time
	Score       *float64 // nullable
	Skipped     string   `retort:"-"`
}

type scanReport struct {
	AuthorName string `retort:"author_name"`
	Posts      int64
	Latest     time.Time
	AvgScore   float64
}

// TestScanAll scans a Core select (with an outer join into an embedded pointer) and a
// raw expr.Text report (aggregates of undeclared types: text timestamps and numbers on
// SQLite) into structs, and reports a column no field matches.
func TestScanAll(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg)
		md := schema.NewMetaData()
		authors := md.MustTable("scan_authors",
			schema.Col("id", types.BigInt(), schema.PrimaryKey()),
			schema.Col("name", types.String(50), schema.NotNull()))
		posts := md.MustTable("scan_posts",
			schema.Col("id", types.BigInt(), schema.PrimaryKey()),
			schema.Col("author_id", types.BigInt(), schema.ForeignKey("scan_authors.id")),
			schema.Col("title", types.String(50), schema.NotNull()),
			schema.Col("published_at", types.Timestamp(true), schema.NotNull()),
			schema.Col("score", types.Double()))
		if err := eng.CreateAll(t.Context(), md); err != nil {
			t.Fatal(err)
		}
		c := connect(t, eng)
		t0 := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
		mustRun := func(s expr.Statement) {
			t.Helper()
			if _, err := c.Execute(t.Context(), s); err != nil {
				t.Fatal(err)
			}
		}
		mustRun(expr.Insert(authors).Columns(authors.C("id"), authors.C("name")).Row(1, "ann").Row(2, "bob"))
		mustRun(expr.Insert(posts).Columns(posts.C("id"), posts.C("author_id"), posts.C("title"), posts.C("published_at"), posts.C("score")).
			Row(10, 1, "first", t0, 4.5).Row(11, 1, "second", t0.Add(time.Hour), nil).Row(12, nil, "orphan", t0.Add(2*time.Hour), 3.0))

		res, err := c.Execute(t.Context(), expr.Select(posts.C("id"), posts.C("title"), posts.C("published_at"), posts.C("score"),
			authors.C("id").Label("author_id"), authors.C("name").Label("author_name")).
			From(posts).OuterJoin(authors, posts.C("author_id").Eq(authors.C("id"))).OrderBy(posts.C("id")))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ScanAll[scanPost](res)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d posts", len(got))
		}
		p := got[0]
		if p.ID != 10 || p.Title != "first" || !p.PublishedAt.Equal(t0) || p.Score == nil || *p.Score != 4.5 || p.ScanAuthor == nil || p.AuthorName != "ann" || p.AuthorID != 1 {
			t.Errorf("post 10: %+v (author %+v)", p, p.ScanAuthor)
		}
		if got[1].Score != nil {
			t.Errorf("post 11 score %v, want nil", *got[1].Score)
		}
		if got[2].ScanAuthor != nil {
			t.Errorf("post 12 (no author) has author %+v", got[2].ScanAuthor)
		}

		// Pointers to structs, and one row.
		ptrs, err := ScanAll[*scanPost](res)
		if err != nil || len(ptrs) != 3 || ptrs[2].Title != "orphan" {
			t.Fatalf("ScanAll[*scanPost]: %v, %v", ptrs, err)
		}
		var one scanPost
		if err := res.All()[1].ScanStruct(&one); err != nil || one.Title != "second" {
			t.Fatalf("ScanStruct: %+v, %v", one, err)
		}

		// A raw report: the columns' types are not declared.
		raw, err := c.Execute(t.Context(), expr.Text(`
			SELECT a.name AS author_name, count(*) AS posts, max(p.published_at) AS latest, avg(p.score) AS avg_score
			FROM scan_posts p JOIN scan_authors a ON a.id = p.author_id
			GROUP BY a.name ORDER BY a.name`))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := ScanAll[scanReport](raw)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep) != 1 || rep[0].AuthorName != "ann" || rep[0].Posts != 2 || !rep[0].Latest.Equal(t0.Add(time.Hour)) || rep[0].AvgScore != 4.5 {
			t.Errorf("report: %+v", rep)
		}

		// A column no field takes.
		_, err = ScanAll[scanReport](res)
		if err == nil || !strings.Contains(err.Error(), `cannot scan column "id" into engine.scanReport: no field matches it`) {
			t.Errorf("unmatched column: %v", err)
		}
		// A value that does not fit its field.
		type bad struct{ Title int64 }
		titles, err := c.Execute(t.Context(), expr.Select(posts.C("title")).From(posts).Limit(1))
		if err != nil {
			t.Fatal(err)
		}
		_, err = ScanAll[bad](titles)
		var se *ScanError
		if !errors.As(err, &se) || se.Column != "title" || !strings.Contains(err.Error(), "field Title (int64)") {
			t.Errorf("bad field type: %v", err)
		}
	})
}

func TestScanTextConversions(t *testing.T) {
	var tm time.Time
	if reason, ok := assign(&tm, "2026-12-03 08:42:41.123000"); !ok || !tm.Equal(time.Date(2026, 12, 3, 8, 42, 41, 123000000, time.UTC)) {
		t.Errorf("timestamp text: %v %v %s", tm, ok, reason)
	}
	if _, ok := assign(&tm, "yesterday"); ok {
		t.Error("assigned text that is no timestamp")
	}
	var n int64
	if _, ok := assign(&n, 3.0); !ok || n != 3 {
		t.Errorf("integral float: %v", n)
	}
	if _, ok := assign(&n, 3.5); ok {
		t.Error("assigned 3.5 to an int64")
	}
	var f float64
	if _, ok := assign(&f, []byte("2.25")); !ok || f != 2.25 {
		t.Errorf("numeric bytes: %v", f)
	}
}
