package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
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

// wantOutput is the program's output on a fresh database (or a rerun).
var wantOutput = []string{
	"create_all: users, posts",
	"add_user('Alice', 30): User(id={alice}, name='Alice', age=30)",
	"add_many_users([('Bob', 25), ('Carol', 35), ('Dave', 40)]): ids [{bob}, {carol}, {dave}]",
	"select(User) .scalars().all(): 4 users",
	"  User(id={alice}, name='Alice', age=30)",
	"  User(id={bob}, name='Bob', age=25)",
	"  User(id={carol}, name='Carol', age=35)",
	"  User(id={dave}, name='Dave', age=40)",
	"select(User).where(User.name == 'Bob') .scalars().first(): User(id={bob}, name='Bob', age=25)",
	"select(User).where(User.id == {alice}) .scalar_one(): User(id={alice}, name='Alice', age=30)",
	"select(User).where(User.id == 99) .scalar_one_or_none(): None",
	"select(User.id, User.name, User.age) .all(): 4 rows",
	"  ({alice}, 'Alice', 30)",
	"  ({bob}, 'Bob', 25)",
	"  ({carol}, 'Carol', 35)",
	"  ({dave}, 'Dave', 40)",
	"update_user_name({bob}, 'Robert'): User(id={bob}, name='Robert', age=25)",
	"update_user_name(99, 'Nobody'): no user 99",
	"add_posts({alice}, ['Hello', 'Second post']): [Post(id={p1}, title='Hello', user_id={alice}), Post(id={p2}, title='Second post', user_id={alice})]",
	`add_posts({carol}, ["Carol's post"]): [Post(id={p3}, title="Carol's post", user_id={carol})]`,
	"get_user_posts({alice}): 2 posts",
	"  Post(id={p1}, title='Hello', user_id={alice})",
	"  Post(id={p2}, title='Second post', user_id={alice})",
	"delete_user({carol}): deleted User(id={carol}, name='Carol', age=35)",
	"delete_user(99): no user 99",
	"get_user_posts({carol}): 0 posts",
	"select(Post, User.name).outerjoin(User) .all(): 3 rows",
	"  (Post(id={p1}, title='Hello', user_id={alice}), 'Alice')",
	"  (Post(id={p2}, title='Second post', user_id={alice}), 'Alice')",
	`  (Post(id={p3}, title="Carol's post", user_id=None), None)`,
	`to_dict: [{"id":{alice},"name":"Alice","age":30},{"id":{bob},"name":"Robert","age":25},{"id":{dave},"name":"Dave","age":40}]`,
}

// wantTranscript is what runs and prints from the first INSERT on, with ? placeholders
// (rewritten to $n for PostgreSQL). Each tutorial function is a session of its own: a
// transaction that commits after a change and rolls back (at Close) after reads only.
// Worth noticing: add_many_users is one multi-row INSERT; update_user_name updates the
// name column only; the posts get user_id from the user they were given (the many-to-one
// side); delete_user loads the user's posts and sets their user_id to NULL before the
// DELETE, as SQLAlchemy does without a delete cascade; the lookups of a missing id change
// nothing.
const wantTranscript = `INSERT INTO users (name, age) VALUES (?, ?) RETURNING id | ["Alice" 30]
COMMIT
> add_user('Alice', 30): User(id={alice}, name='Alice', age=30)
BEGIN
INSERT INTO users (name, age) VALUES (?, ?), (?, ?), (?, ?) RETURNING id | ["Bob" 25 "Carol" 35 "Dave" 40]
COMMIT
> add_many_users([('Bob', 25), ('Carol', 35), ('Dave', 40)]): ids [{bob}, {carol}, {dave}]
BEGIN
SELECT users.id, users.name, users.age FROM users ORDER BY users.id
> select(User) .scalars().all(): 4 users
>   User(id={alice}, name='Alice', age=30)
>   User(id={bob}, name='Bob', age=25)
>   User(id={carol}, name='Carol', age=35)
>   User(id={dave}, name='Dave', age=40)
SELECT users.id, users.name, users.age FROM users WHERE users.name = ? | ["Bob"]
> select(User).where(User.name == 'Bob') .scalars().first(): User(id={bob}, name='Bob', age=25)
SELECT users.id, users.name, users.age FROM users WHERE users.id = ? | [{alice}]
> select(User).where(User.id == {alice}) .scalar_one(): User(id={alice}, name='Alice', age=30)
SELECT users.id, users.name, users.age FROM users WHERE users.id = ? | [99]
> select(User).where(User.id == 99) .scalar_one_or_none(): None
SELECT users.id, users.name, users.age FROM users ORDER BY users.id
> select(User.id, User.name, User.age) .all(): 4 rows
>   ({alice}, 'Alice', 30)
>   ({bob}, 'Bob', 25)
>   ({carol}, 'Carol', 35)
>   ({dave}, 'Dave', 40)
ROLLBACK
BEGIN
SELECT users.id, users.name, users.age FROM users WHERE users.id = ? | [{bob}]
UPDATE users SET name = ? WHERE users.id = ? | ["Robert" {bob}]
COMMIT
> update_user_name({bob}, 'Robert'): User(id={bob}, name='Robert', age=25)
BEGIN
SELECT users.id, users.name, users.age FROM users WHERE users.id = ? | [99]
> update_user_name(99, 'Nobody'): no user 99
ROLLBACK
BEGIN
SELECT users.id, users.name, users.age FROM users WHERE users.id = ? | [{alice}]
INSERT INTO posts (title, user_id) VALUES (?, ?), (?, ?) RETURNING id | ["Hello" {alice} "Second post" {alice}]
COMMIT
> add_posts({alice}, ['Hello', 'Second post']): [Post(id={p1}, title='Hello', user_id={alice}), Post(id={p2}, title='Second post', user_id={alice})]
BEGIN
SELECT users.id, users.name, users.age FROM users WHERE users.id = ? | [{carol}]
INSERT INTO posts (title, user_id) VALUES (?, ?) RETURNING id | ["Carol's post" {carol}]
COMMIT
> add_posts({carol}, ["Carol's post"]): [Post(id={p3}, title="Carol's post", user_id={carol})]
BEGIN
SELECT posts.id, posts.title, posts.user_id FROM posts WHERE posts.user_id = ? ORDER BY posts.id | [{alice}]
ROLLBACK
> get_user_posts({alice}): 2 posts
>   Post(id={p1}, title='Hello', user_id={alice})
>   Post(id={p2}, title='Second post', user_id={alice})
BEGIN
SELECT users.id, users.name, users.age FROM users WHERE users.id = ? | [{carol}]
SELECT posts.id, posts.title, posts.user_id FROM posts WHERE posts.user_id IN (?) ORDER BY posts.id | [{carol}]
UPDATE posts SET user_id = ? WHERE posts.id = ? | [NULL {p3}]
DELETE FROM users WHERE users.id = ? | [{carol}]
COMMIT
> delete_user({carol}): deleted User(id={carol}, name='Carol', age=35)
BEGIN
SELECT users.id, users.name, users.age FROM users WHERE users.id = ? | [99]
> delete_user(99): no user 99
ROLLBACK
BEGIN
SELECT posts.id, posts.title, posts.user_id FROM posts WHERE posts.user_id = ? ORDER BY posts.id | [{carol}]
ROLLBACK
> get_user_posts({carol}): 0 posts
BEGIN
SELECT posts.id, posts.title, posts.user_id, users.name FROM posts LEFT OUTER JOIN users ON users.id = posts.user_id ORDER BY posts.id
> select(Post, User.name).outerjoin(User) .all(): 3 rows
>   (Post(id={p1}, title='Hello', user_id={alice}), 'Alice')
>   (Post(id={p2}, title='Second post', user_id={alice}), 'Alice')
>   (Post(id={p3}, title="Carol's post", user_id=None), None)
ROLLBACK
BEGIN
SELECT users.id, users.name, users.age FROM users ORDER BY users.id
> to_dict: [{"id":{alice},"name":"Alice","age":30},{"id":{bob},"name":"Robert","age":25},{"id":{dave},"name":"Dave","age":40}]
ROLLBACK`

// placeholders rewrites the ? of SQL written for SQLite and MariaDB into $1, $2, ... for
// PostgreSQL, in statements only (printed lines keep their text).
func placeholders(target, entry string) string {
	if target != testdb.NamePostgres || strings.HasPrefix(entry, "> ") {
		return entry
	}
	sql, args, _ := strings.Cut(entry, " | ")
	var b strings.Builder
	n := 0
	for _, r := range sql {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	if args != "" {
		b.WriteString(" | " + args)
	}
	return b.String()
}

// generatedKeys reads the keys the database generated for the users and posts from the
// program's output (add_user, add_many_users, add_posts) and returns a replacer of the
// transcripts' {alice}, {bob}, {carol}, {dave}, {p1}, {p2}, {p3}. They are 1, 2, 3, ... on
// a fresh database of one server; a Galera cluster steps them by its node count, so they
// are only required to ascend.
func generatedKeys(t *testing.T, output []string) *strings.Replacer {
	t.Helper()
	patterns := []struct {
		re    *regexp.Regexp
		names []string
	}{
		{regexp.MustCompile(`^add_user\('Alice', 30\): User\(id=(\d+),`), []string{"alice"}},
		{regexp.MustCompile(`^add_many_users\(.*\): ids \[(\d+), (\d+), (\d+)\]$`), []string{"bob", "carol", "dave"}},
		{regexp.MustCompile(`^add_posts\(\d+, \['Hello', 'Second post'\]\): \[Post\(id=(\d+), .*Post\(id=(\d+), `), []string{"p1", "p2"}},
		{regexp.MustCompile(`^add_posts\(\d+, \["Carol's post"\]\): \[Post\(id=(\d+), `), []string{"p3"}},
	}
	keys := map[string]int64{}
	for _, p := range patterns {
		for _, line := range output {
			if m := p.re.FindStringSubmatch(line); m != nil {
				for i, name := range p.names {
					keys[name], _ = strconv.ParseInt(m[i+1], 10, 64)
				}
			}
		}
	}
	var pairs []string
	for _, order := range [][]string{{"alice", "bob", "carol", "dave"}, {"p1", "p2", "p3"}} {
		for i, name := range order {
			k, ok := keys[name]
			if !ok || k <= 0 || (i > 0 && k <= keys[order[i-1]]) {
				t.Fatalf("generated keys %v: %s missing or not ascending in the output:\n%s", keys, name, strings.Join(output, "\n"))
			}
			pairs = append(pairs, "{"+name+"}", strconv.FormatInt(k, 10))
		}
	}
	return strings.NewReplacer(pairs...)
}

// expand returns lines with the generated keys filled in.
func expand(lines []string, keys *strings.Replacer) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = keys.Replace(l)
	}
	return out
}

// checkLines compares got with want line by line.
func checkLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d lines, want %d:\n  got:\n    %s\n  want:\n    %s", what, len(got), len(want),
			strings.Join(got, "\n    "), strings.Join(want, "\n    "))
		return
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s line %d:\n  got:  %s\n  want: %s", what, i+1, got[i], want[i])
		}
	}
}

// TestRun runs the program on each database, first through run with echo off on the fresh
// database, then again with the echo recorded (a rerun, which must start clean), and checks
// the output, the statements interleaved with it, and the rows left behind.
func TestRun(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()

		var plain bytes.Buffer
		if err := run(ctx, tg.URL, false, &plain); err != nil {
			t.Fatalf("run: %v", err)
		}
		out := strings.Split(strings.TrimSuffix(plain.String(), "\n"), "\n")
		checkLines(t, "output", out, expand(wantOutput, generatedKeys(t, out)))

		tr := &logcapture.Recorder{}
		if err := runLogged(ctx, tg.URL, slog.New(tr), tr); err != nil {
			t.Fatalf("rerun with echo: %v", err)
		}
		keys := generatedKeys(t, tr.Output())
		checkLines(t, "output of the rerun", tr.Output(), expand(wantOutput, keys))

		entries := tr.Entries()
		first := -1
		for i, e := range entries {
			if strings.HasPrefix(e, "INSERT INTO users") {
				first = i
				break
			}
		}
		if first < 0 {
			t.Fatalf("no INSERT INTO users in:\n%s", strings.Join(entries, "\n"))
		}
		// Before it: create_all_tables in one transaction, the rerun dropping the tables
		// of the first run (children first) and creating them (parents first), then the
		// printed line and add_user's BEGIN.
		var ddl []string
		for _, e := range entries[:first] {
			if e == "BEGIN" || e == "COMMIT" || strings.HasPrefix(e, "> ") ||
				strings.HasPrefix(e, "CREATE TABLE") || strings.HasPrefix(e, "DROP TABLE") {
				if i := strings.IndexByte(e, '('); i > 0 {
					e = strings.TrimSpace(e[:i])
				}
				ddl = append(ddl, e)
			}
		}
		checkLines(t, "create_all_tables", ddl, []string{
			"BEGIN", "DROP TABLE posts", "DROP TABLE users", "CREATE TABLE users", "CREATE TABLE posts", "COMMIT",
			"> create_all: users, posts", "BEGIN",
		})
		var want []string
		for _, line := range strings.Split(wantTranscript, "\n") {
			want = append(want, placeholders(tg.Name, keys.Replace(line)))
		}
		if tg.Name != testdb.NameMariaDB {
			// At READ COMMITTED and on SQLite the sessions read without a transaction
			// until they write; delete_user's flush loads the user's posts inside its
			// transaction.
			want = logcapture.AutocommitReads(want, placeholders(tg.Name, keys.Replace("SELECT posts.id, posts.title, posts.user_id FROM posts WHERE posts.user_id IN (?) ORDER BY posts.id | [{carol}]")))
		}
		checkLines(t, "transcript from the first INSERT", entries[first:], want)

		checkState(t, ctx, tg.URL, keys)
	})
}

// checkState opens the database the program left and checks its rows: Bob renamed, Carol
// deleted, her post kept with a NULL user_id, Alice's two posts.
func checkState(t *testing.T, ctx context.Context, url string, keys *strings.Replacer) {
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

	users, posts := UserT.Core(), PostT.Core()
	res, err := conn.Execute(ctx, expr.Select(users.C("id"), users.C("name"), users.C("age")).OrderBy(users.C("id").Asc()))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range res.All() {
		var id int64
		var name *string
		var age *int64
		if err := row.Scan(&id, &name, &age); err != nil {
			t.Fatal(err)
		}
		got = append(got, strconv.FormatInt(id, 10)+" "+pyStr(name)+" "+pyInt(age))
	}
	checkLines(t, "users", got, expand([]string{"{alice} 'Alice' 30", "{bob} 'Robert' 25", "{dave} 'Dave' 40"}, keys))

	res, err = conn.Execute(ctx, expr.Select(posts.C("id"), posts.C("title"), posts.C("user_id")).OrderBy(posts.C("id").Asc()))
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, row := range res.All() {
		var id int64
		var title *string
		var userID *int64
		if err := row.Scan(&id, &title, &userID); err != nil {
			t.Fatal(err)
		}
		got = append(got, strconv.FormatInt(id, 10)+" "+pyStr(title)+" "+pyInt(userID))
	}
	checkLines(t, "posts", got, expand([]string{"{p1} 'Hello' {alice}", "{p2} 'Second post' {alice}", `{p3} "Carol's post" None`}, keys))
}

// TestRelationshipBothWays checks, on the tables the program leaves, that the two sides
// of back_populates are filled by one load: Alice's posts point back to the same Alice.
func TestRelationshipBothWays(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		if err := run(ctx, tg.URL, false, &bytes.Buffer{}); err != nil {
			t.Fatalf("run: %v", err)
		}
		eng, err := engine.Create(ctx, tg.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		s := orm.NewSessionMaker(eng, reg).New()
		defer s.Close()
		alice, err := orm.ScalarOne(ctx, s, orm.Select(UserT).Where(UserT.Name.Eq(ptr("Alice"))).Options(orm.SelectIn(UserT.Posts)))
		if err != nil {
			t.Fatal(err)
		}
		if len(alice.Posts) != 2 {
			t.Fatalf("Alice has %d posts, want 2", len(alice.Posts))
		}
		for _, p := range alice.Posts {
			if p.User != alice || !orm.IsLoaded(s, p, PostT.User) {
				t.Errorf("%v: user %p (loaded %v), want Alice %p", p, p.User, orm.IsLoaded(s, p, PostT.User), alice)
			}
		}
	})
}

// TestHelpers pins the Python-style renderings and to_dict's JSON.
func TestHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"Alice":        "'Alice'",
		"Carol's post": `"Carol's post"`,
		`say "hi"`:     `'say "hi"'`,
		`it's "both"`:  `'it\'s "both"'`,
		`back\slash`:   `'back\\slash'`,
	} {
		if got := pyRepr(in); got != want {
			t.Errorf("pyRepr(%q) = %s, want %s", in, got, want)
		}
	}
	if pyStr(nil) != "None" || pyInt(nil) != "None" || pyInt(ptr[int64](7)) != "7" {
		t.Errorf("None renderings: %s %s %s", pyStr(nil), pyInt(nil), pyInt(ptr[int64](7)))
	}
	js, err := json.Marshal((&User{ID: 5, Name: ptr("Eve")}).ToDict())
	if err != nil {
		t.Fatal(err)
	}
	if string(js) != `{"id":5,"name":"Eve","age":null}` {
		t.Errorf("to_dict JSON = %s", js)
	}
}
