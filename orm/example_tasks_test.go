package orm_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/orm"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// The models of the task examples: authors and their stories.
type Author struct {
	ID      int64
	Email   string   `retort:"size=100,unique"`
	Name    string   `retort:"size=100"`
	Stories []*Story `retort:"rel,back_populates=Author"`
}

type Story struct {
	ID        int64
	AuthorID  int64 `retort:"fk=author.id"`
	Title     string
	Score     int64
	Published time.Time  `retort:"type=timestamptz"`
	UpdatedAt *time.Time `retort:"update_default=now()"`
	Author    *Author    `retort:"rel,back_populates=Stories"`
}

var blogReg = orm.NewRegistry()

var AuthorT = struct {
	orm.Table[Author]
	ID      orm.Column[int64]
	Email   orm.Column[string]
	Name    orm.Column[string]
	Stories orm.Relation[Author, Story]
}{}

var StoryT = struct {
	orm.Table[Story]
	ID        orm.Column[int64]
	AuthorID  orm.Column[int64]
	Title     orm.Column[string]
	Score     orm.Column[int64]
	Published orm.Column[time.Time]
}{}

// Label is a many-to-many companion of Story, through the Core table story_label.
type Label struct {
	ID      int64
	Name    string   `retort:"size=50,unique"`
	Stories []*Story `retort:"secondary=story_label,order_by=title"`
}

var LabelT = struct {
	orm.Table[Label]
	Name    orm.Column[string]
	Stories orm.Relation[Label, Story]
}{}

func init() {
	orm.MustRegister(blogReg, &AuthorT)
	orm.MustRegister(blogReg, &StoryT)
	// The association table of a many-to-many relationship is a Core table of the
	// registry's MetaData, defined before the model that names it.
	if _, err := blogReg.MetaData().Table("story_label",
		schema.Col("label_id", types.BigInt(), schema.PrimaryKey(), schema.ForeignKey("label.id")),
		schema.Col("story_id", types.BigInt(), schema.PrimaryKey(), schema.ForeignKey("story.id")),
	); err != nil {
		panic(err)
	}
	orm.MustRegister(blogReg, &LabelT)
}

// openBlog returns an in-memory SQLite engine with ann (3 stories) and bob (2 stories).
func openBlog(ctx context.Context) (*engine.Engine, *orm.SessionMaker) {
	eng, err := engine.Create(ctx, "sqlite://")
	if err != nil {
		log.Fatal(err)
	}
	if err := eng.CreateAll(ctx, blogReg.MetaData()); err != nil {
		log.Fatal(err)
	}
	sm := orm.NewSessionMaker(eng, blogReg)
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	story := func(title string, score int64, hours int) *Story {
		return &Story{Title: title, Score: score, Published: day.Add(time.Duration(hours) * time.Hour)}
	}
	err = sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		return orm.AddAll(s, []*Author{
			{Email: "ann@example.com", Name: "Ann", Stories: []*Story{story("a1", 5, 1), story("a2", 3, 2), story("a3", 8, 3)}},
			{Email: "bob@example.com", Name: "Bob", Stories: []*Story{story("b1", 1, 2), story("b2", 9, 4)}},
		})
	})
	if err != nil {
		log.Fatal(err)
	}
	return eng, sm
}

// Count rows and test for existence: Count and Exists take any query, in one statement.
func ExampleCount() {
	ctx := context.Background()
	eng, sm := openBlog(ctx)
	defer eng.Close()
	s := sm.New()
	defer s.Close()

	n, err := orm.Count(ctx, s, StoryT.Select().Where(StoryT.Score.Ge(5)).OrderBy(StoryT.ID.Asc()))
	if err != nil {
		log.Fatal(err)
	}
	// Authors with more than two stories: the grouped query is counted as a subquery.
	prolific, err := orm.Count(ctx, s, AuthorT.Select().Join(StoryT.Core()).
		GroupBy(AuthorT.ID).Having(expr.CountStar().Gt(2)))
	if err != nil {
		log.Fatal(err)
	}
	any, err := orm.Exists(ctx, s, StoryT.Select().Where(StoryT.Title.Eq("b2")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, prolific, any)
	// Output: 3 1 true
}

// Paginate by keyset: order by (published, id), and ask for the rows after the last one
// seen with a row-value comparison, so that each page is one indexed range scan whatever
// its depth. OFFSET pagination is Limit and Offset, with Count for the total.
func ExampleAll_paginate() {
	ctx := context.Background()
	eng, sm := openBlog(ctx)
	defer eng.Close()
	s := sm.New()
	defer s.Close()

	page := StoryT.Select().OrderBy(StoryT.Published.Asc(), StoryT.ID.Asc()).Limit(2)
	var last *Story
	for {
		q := page
		if last != nil {
			q = q.Where(expr.Tuple(StoryT.Published, StoryT.ID).Gt(last.Published, last.ID))
		}
		stories, err := orm.All(ctx, s, q)
		if err != nil {
			log.Fatal(err)
		}
		if len(stories) == 0 {
			break
		}
		var titles []string
		for _, st := range stories {
			titles = append(titles, st.Title)
		}
		fmt.Println(strings.Join(titles, " "))
		last = stories[len(stories)-1]
	}
	// Output:
	// a1 a2
	// b1 a3
	// b2
}

// Aggregate into a struct: a row query of an object and aggregates, scanned into a
// struct whose embedded model pointer receives the object (from the identity map).
func ExampleScanRows_authorStats() {
	ctx := context.Background()
	eng, sm := openBlog(ctx)
	defer eng.Close()
	s := sm.New()
	defer s.Close()

	type authorStats struct {
		*Author
		Stories int64 `retort:"stories"`
		Best    int64 `retort:"best"`
	}
	q := orm.SelectRows(AuthorT, expr.Count(StoryT.ID).Label("stories"), expr.Max(StoryT.Score).Label("best")).
		Join(StoryT.Core()).GroupBy(AuthorT.ID, AuthorT.Email, AuthorT.Name).OrderBy(AuthorT.Name.Asc())
	stats, err := orm.ScanRows[authorStats](ctx, s, q)
	if err != nil {
		log.Fatal(err)
	}
	for _, st := range stats {
		fmt.Println(st.Name, st.Stories, st.Best)
	}
	// Output:
	// Ann 3 8
	// Bob 2 9
}

// Raw SQL into a struct: columns match fields by tag, snake_case name or name.
func ExampleScan_report() {
	ctx := context.Background()
	eng, sm := openBlog(ctx)
	defer eng.Close()
	s := sm.New()
	defer s.Close()

	type report struct {
		Author string
		Total  int64
	}
	rows, err := orm.Scan[report](ctx, s, expr.Text(
		`SELECT a.name AS author, sum(s.score) AS total FROM author a JOIN story s ON s.author_id = a.id GROUP BY a.name ORDER BY total DESC`))
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Println(r.Author, r.Total)
	}
	// Output:
	// Ann 16
	// Bob 10
}

// Bulk update and delete by criteria: one statement each, and the session's objects of
// the rows they change are brought in line (here the story already loaded).
func ExampleExec() {
	ctx := context.Background()
	eng, sm := openBlog(ctx)
	defer eng.Close()
	s := sm.New()
	defer s.Close()

	b1, err := orm.ScalarOne(ctx, s, StoryT.Select().Where(StoryT.Title.Eq("b1")))
	if err != nil {
		log.Fatal(err)
	}
	n, err := orm.Exec(ctx, s, orm.Update(StoryT).Where(StoryT.Score.Lt(4)).
		Set(expr.Set(StoryT.Score.Expr(), StoryT.Score.Add(10))))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("updated", n, "b1 score", b1.Score, "b1 updated_at set", b1.UpdatedAt != nil)

	n, err = orm.Exec(ctx, s, orm.Delete(StoryT).Where(StoryT.Score.Gt(10)))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted", n, "b1 is", s.Status(b1))
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	// Output:
	// updated 2 b1 score 11 b1 updated_at set true
	// deleted 2 b1 is deleted
}

// Upsert: insert rows or update those whose unique key exists, and get the session's
// objects of the rows back (ON CONFLICT on PostgreSQL and SQLite, ON DUPLICATE KEY UPDATE
// on MySQL and MariaDB).
func ExampleUpsert() {
	ctx := context.Background()
	eng, sm := openBlog(ctx)
	defer eng.Close()
	s := sm.New()
	defer s.Close()

	ann, err := orm.ScalarOne(ctx, s, AuthorT.Select().Where(AuthorT.Email.Eq("ann@example.com")))
	if err != nil {
		log.Fatal(err)
	}
	authors, err := orm.Upsert(ctx, s, orm.Insert(AuthorT).
		Values(&Author{Email: "ann@example.com", Name: "Ann B."}, &Author{Email: "cy@example.com", Name: "Cy"}).
		OnConflict(AuthorT.Email).DoUpdate(AuthorT.Name))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(authors[0] == ann, ann.Name, authors[1].Name, authors[1].ID != 0)
	if err := s.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	// Output: true Ann B. Cy true
}

// Transactions: SessionMaker.Begin commits when the function returns nil and rolls back
// when it returns an error (or panics); the flush in between batches the UPDATEs of the
// moved stories into one round trip on PostgreSQL.
func ExampleSessionMaker_Begin() {
	ctx := context.Background()
	eng, sm := openBlog(ctx)
	defer eng.Close()

	transfer := func(from, to string) error {
		return sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
			src, err := orm.ScalarOne(ctx, s, AuthorT.Select().Where(AuthorT.Email.Eq(from)))
			if err != nil {
				return err
			}
			dst, err := orm.ScalarOne(ctx, s, AuthorT.Select().Where(AuthorT.Email.Eq(to)))
			if err != nil {
				return err
			}
			stories, err := orm.All(ctx, s, StoryT.Select().Where(StoryT.AuthorID.Eq(src.ID)))
			if err != nil {
				return err
			}
			for _, st := range stories {
				st.AuthorID = dst.ID
			}
			if len(stories) > 2 {
				return errors.New("too many stories to move at once")
			}
			return nil
		})
	}
	fmt.Println(transfer("ann@example.com", "bob@example.com"))
	fmt.Println(transfer("bob@example.com", "ann@example.com"))

	s := sm.New()
	defer s.Close()
	n, _ := orm.Count(ctx, s, StoryT.Select().Join(AuthorT.Core()).Where(AuthorT.Name.Eq("Ann")))
	fmt.Println("Ann's stories:", n)
	// Output:
	// too many stories to move at once
	// <nil>
	// Ann's stories: 5
}

// Many-to-many: a []*T field tagged secondary=<table> is written as its collection
// changes (association rows inserted and deleted by the flush) and loaded with SelectIn.
func ExampleSelectIn_manyToMany() {
	ctx := context.Background()
	eng, sm := openBlog(ctx)
	defer eng.Close()

	err := sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		stories, err := orm.All(ctx, s, StoryT.Select().OrderBy(StoryT.Title.Asc()))
		if err != nil {
			return err
		}
		return orm.AddAll(s, []*Label{
			{Name: "fiction", Stories: []*Story{stories[0], stories[3]}},
			{Name: "short", Stories: []*Story{stories[0], stories[1], stories[4]}},
		})
	})
	if err != nil {
		log.Fatal(err)
	}

	s := sm.New()
	defer s.Close()
	labels, err := orm.All(ctx, s, LabelT.Select().Options(orm.SelectIn(LabelT.Stories)).OrderBy(LabelT.Name.Asc()))
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range labels {
		var titles []string
		for _, st := range l.Stories {
			titles = append(titles, st.Title)
		}
		fmt.Println(l.Name, strings.Join(titles, " "))
	}
	// Output:
	// fiction a1 b1
	// short a1 a2 b2
}
