package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/orm"
)

func main() {
	url := flag.String("url", "sqlite://", "database URL (SQLAlchemy style); the default is an in-memory SQLite database")
	echo := flag.Bool("echo", false, "also log every SQL statement to standard error")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, *echo, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "blog:", err)
		os.Exit(1)
	}
}

// counter is a slog.Handler that counts the statements the engine echoes: SQL statements
// and transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT ...) apart. It forwards
// every record to next when next is set.
type counter struct {
	mu        sync.Mutex
	stmts, tx int
	next      slog.Handler
}

func (c *counter) Enabled(context.Context, slog.Level) bool { return true }

func (c *counter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo {
		c.mu.Lock()
		switch word, _, _ := strings.Cut(r.Message, " "); word {
		case "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE":
			c.tx++
		default:
			c.stmts++
		}
		c.mu.Unlock()
	}
	if c.next != nil {
		return c.next.Handle(ctx, r)
	}
	return nil
}

func (c *counter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *counter) WithGroup(string) slog.Handler      { return c }

// take returns the counts since the last call.
func (c *counter) take() (stmts, tx int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	stmts, tx = c.stmts, c.tx
	c.stmts, c.tx = 0, 0
	return stmts, tx
}

// blog is the data layer: the engine and the session factory.
type blog struct {
	eng *engine.Engine
	sm  *orm.SessionMaker
	out io.Writer
	cnt *counter
}

// Counts is what run reports per operation: the operation's name and the statements it
// sent (transaction control apart).
type Counts struct {
	Op        string
	Stmts, Tx int
	Trips     int64 // round trips, when roundTrips is set
}

// roundTrips, when set (by the tests, through a counting proxy), returns the round trips
// to the server since its last call.
var roundTrips func() int64

func run(ctx context.Context, url string, echo bool, out io.Writer) error {
	_, err := runCounted(ctx, url, echo, out)
	return err
}

// runCounted runs the program and returns the statement counts of its operations.
func runCounted(ctx context.Context, url string, echo bool, out io.Writer) ([]Counts, error) {
	cnt := &counter{}
	if echo {
		cnt.next = slog.NewTextHandler(os.Stderr, nil)
	}
	eng, err := engine.Create(ctx, url, engine.Echo(true), engine.WithLogger(slog.New(cnt)))
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	b := &blog{eng: eng, sm: orm.NewSessionMaker(eng, reg, orm.ExpireOnCommit(false)), out: out, cnt: cnt}
	var counts []Counts
	step := func(op string, fn func(ctx context.Context) (string, error)) error {
		cnt.take()
		if roundTrips != nil {
			roundTrips()
		}
		res, err := fn(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		st, tx := cnt.take()
		c := Counts{Op: op, Stmts: st, Tx: tx}
		if roundTrips != nil {
			c.Trips = roundTrips()
		}
		counts = append(counts, c)
		fmt.Fprintf(out, "%-38s %-42s %2d statements, %d transaction control\n", op, res, st, tx)
		return nil
	}
	if err := eng.DropAll(ctx, reg.MetaData()); err != nil {
		return nil, err
	}
	if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
		return nil, err
	}
	var ann, bob *User
	var first *Post
	steps := []struct {
		op string
		fn func(ctx context.Context) (string, error)
	}{
		{"sign up 3 users", func(ctx context.Context) (string, error) {
			users, err := b.signUp(ctx, "ann@example.com:Ann", "bob@example.com:Bob", "cy@example.com:Cy")
			if err == nil {
				ann, bob = users[0], users[1]
			}
			return fmt.Sprintf("%d users", len(users)), err
		}},
		{"reject an invalid e-mail", func(ctx context.Context) (string, error) {
			_, err := b.signUp(ctx, "nobody:Nobody")
			if err == nil {
				return "", fmt.Errorf("an invalid e-mail was accepted")
			}
			return "rejected before any SQL", nil
		}},
		{"upsert 3 tags", func(ctx context.Context) (string, error) {
			tags, err := b.upsertTags(ctx, "go", "sql", "orm")
			return fmt.Sprintf("%d tags", len(tags)), err
		}},
		{"publish 25 posts with tags", func(ctx context.Context) (string, error) {
			posts, err := b.publish(ctx, ann, 25, "go", "orm")
			if err == nil {
				first = posts[0]
			}
			return fmt.Sprintf("%d posts, first slug %s", len(posts), posts[0].Slug), err
		}},
		{"comment on a post 3 times", func(ctx context.Context) (string, error) {
			return "3 comments", b.comment(ctx, first.ID, bob.ID, 3)
		}},
		{"page through posts (10 a page)", func(ctx context.Context) (string, error) {
			pages, n, err := b.pageAll(ctx, 10)
			return fmt.Sprintf("%d pages, %d posts", pages, n), err
		}},
		{"show a post (author, comments, tags)", func(ctx context.Context) (string, error) {
			return b.showPost(ctx, first.ID)
		}},
		{"count and exists", func(ctx context.Context) (string, error) {
			return b.countPosts(ctx, ann.ID)
		}},
		{"edit a post's title", func(ctx context.Context) (string, error) {
			return b.editTitle(ctx, first.ID, "Hello Again")
		}},
		{"transfer ownership (25 posts)", func(ctx context.Context) (string, error) {
			n, err := b.transfer(ctx, ann.ID, bob.ID)
			return fmt.Sprintf("%d posts moved", n), err
		}},
		{"bulk transfer back (one UPDATE)", func(ctx context.Context) (string, error) {
			n, err := b.bulkTransfer(ctx, bob.ID, ann.ID)
			return fmt.Sprintf("%d posts moved", n), err
		}},
		{"raw report into a struct", func(ctx context.Context) (string, error) {
			return b.report(ctx)
		}},
		{"delete a post (comments cascade)", func(ctx context.Context) (string, error) {
			return "deleted", b.deletePost(ctx, first.ID)
		}},
	}
	for _, s := range steps {
		if err := step(s.op, s.fn); err != nil {
			return counts, err
		}
	}
	return counts, nil
}

// signUp adds users given as "email:name", in one statement.
func (b *blog) signUp(ctx context.Context, specs ...string) ([]*User, error) {
	users := make([]*User, len(specs))
	for i, sp := range specs {
		email, name, _ := strings.Cut(sp, ":")
		users[i] = &User{Email: email, Name: name}
	}
	err := b.sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		return orm.AddAll(s, users)
	})
	return users, err
}

// upsertTags makes sure the tags exist and returns them, in one statement.
func (b *blog) upsertTags(ctx context.Context, names ...string) ([]*Tag, error) {
	var tags []*Tag
	err := b.sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		q := orm.Insert(TagT).OnConflict(TagT.Name).DoNothing()
		for _, n := range names {
			q = q.Values(&Tag{Name: n})
		}
		var err error
		tags, err = orm.Upsert(ctx, s, q)
		return err
	})
	return tags, err
}

// publish adds n posts by author, tagged with the named tags.
func (b *blog) publish(ctx context.Context, author *User, n int, tagNames ...string) ([]*Post, error) {
	posts := make([]*Post, n)
	err := b.sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		tags, err := orm.All(ctx, s, TagT.Select().Where(TagT.Name.In(tagNames...)))
		if err != nil {
			return err
		}
		for i := range posts {
			posts[i] = &Post{AuthorID: author.ID, Title: fmt.Sprintf("Post number %d", i+1), Body: "...", Tags: tags}
		}
		return orm.AddAll(s, posts)
	})
	return posts, err
}

// comment adds n comments by user on post.
func (b *blog) comment(ctx context.Context, postID, userID int64, n int) error {
	return b.sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		for i := range n {
			if err := s.Add(&Comment{PostID: postID, AuthorID: userID, Body: fmt.Sprintf("comment %d", i+1)}); err != nil {
				return err
			}
		}
		return nil
	})
}

// pageAll reads every post, newest first, by keyset pagination on (created_at, id).
func (b *blog) pageAll(ctx context.Context, size int) (pages, total int, err error) {
	s := b.sm.New()
	defer s.Close()
	q := PostT.Select().OrderBy(PostT.CreatedAt.Desc(), PostT.ID.Desc()).Limit(size)
	var last *Post
	for {
		page := q
		if last != nil {
			page = page.Where(expr.Tuple(PostT.CreatedAt, PostT.ID).Lt(last.CreatedAt, last.ID))
		}
		posts, err := orm.All(ctx, s, page)
		if err != nil {
			return 0, 0, err
		}
		if len(posts) == 0 {
			return pages, total, nil
		}
		pages++
		total += len(posts)
		last = posts[len(posts)-1]
	}
}

// showPost loads a post with its author, comments and tags (selectin loads).
func (b *blog) showPost(ctx context.Context, id int64) (string, error) {
	s := b.sm.New()
	defer s.Close()
	p, err := orm.ScalarOne(ctx, s, PostT.Select().Where(PostT.ID.Eq(id)).
		Options(orm.SelectIn(PostT.Author), orm.SelectIn(PostT.Comments), orm.SelectIn(PostT.Tags)))
	if err != nil {
		return "", err
	}
	names := make([]string, len(p.Tags))
	for i, t := range p.Tags {
		names[i] = t.Name
	}
	return fmt.Sprintf("by %s, %d comments, tags %s", p.Author.Name, len(p.Comments), strings.Join(names, ",")), nil
}

// countPosts counts an author's posts and checks for posts without comments.
func (b *blog) countPosts(ctx context.Context, author int64) (string, error) {
	s := b.sm.New()
	defer s.Close()
	n, err := orm.Count(ctx, s, PostT.Select().Where(PostT.AuthorID.Eq(author)))
	if err != nil {
		return "", err
	}
	commented, err := orm.Exists(ctx, s, PostT.Select().Join(CommentT.Core()).Where(PostT.AuthorID.Eq(author)))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d posts, commented: %v", n, commented), nil
}

// editTitle changes a post's title: the hook updates the slug, update_default the
// updated_at.
func (b *blog) editTitle(ctx context.Context, id int64, title string) (string, error) {
	var p *Post
	err := b.sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		var err error
		if p, err = PostT.GetOne(ctx, s, id); err != nil {
			return err
		}
		p.Title = title
		return nil
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("slug %s, updated_at set: %v", p.Slug, p.UpdatedAt != nil && time.Since(*p.UpdatedAt) < time.Hour), nil
}

// transfer moves every post of one author to another through the unit of work: the
// UPDATEs of the posts go in one round trip on PostgreSQL.
func (b *blog) transfer(ctx context.Context, from, to int64) (int, error) {
	var n int
	err := b.sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		posts, err := orm.All(ctx, s, PostT.Select().Where(PostT.AuthorID.Eq(from)))
		if err != nil {
			return err
		}
		for _, p := range posts {
			p.AuthorID = to
		}
		n = len(posts)
		return nil
	})
	return n, err
}

// bulkTransfer moves every post of one author to another with one UPDATE.
func (b *blog) bulkTransfer(ctx context.Context, from, to int64) (int64, error) {
	var n int64
	err := b.sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		var err error
		n, err = orm.Exec(ctx, s, orm.Update(PostT).Where(PostT.AuthorID.Eq(from)).Set(PostT.AuthorID.Set(to)))
		return err
	})
	return n, err
}

// authorReport is a row of the raw report.
type authorReport struct {
	Name     string
	Posts    int64
	Comments int64
}

// report runs raw SQL into a struct.
func (b *blog) report(ctx context.Context) (string, error) {
	s := b.sm.New()
	defer s.Close()
	rows, err := orm.Scan[authorReport](ctx, s, expr.Text(`
		SELECT u.name AS name, count(DISTINCT p.id) AS posts, count(c.id) AS comments
		FROM users u LEFT JOIN posts p ON p.author_id = u.id LEFT JOIN comments c ON c.post_id = p.id
		GROUP BY u.name ORDER BY u.name`))
	if err != nil {
		return "", err
	}
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = fmt.Sprintf("%s %d/%d", r.Name, r.Posts, r.Comments)
	}
	return strings.Join(parts, ", "), nil
}

// deletePost deletes a post; its comments and tag links go with it (ON DELETE CASCADE).
func (b *blog) deletePost(ctx context.Context, id int64) error {
	return b.sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
		p, err := PostT.GetOne(ctx, s, id)
		if err != nil {
			return err
		}
		return s.Delete(p)
	})
}
