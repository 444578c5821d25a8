package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/orm"
)

// User is the users table: SQLAlchemy's
//
//	id = Column(Integer, primary_key=True)
//	name = Column(String)
//	age = Column(Integer)
//	posts = relationship("Post", back_populates="user")
//
// Columns without nullable=False are nullable in SQLAlchemy, hence the pointers.
type User struct {
	ID    int64 `retort:"pk"`
	Name  *string
	Age   *int64
	Posts []*Post `retort:"rel,back_populates=User"`
}

// TableName names User's table "users", as __tablename__ does.
func (User) TableName() string { return "users" }

// String renders u as User(id=1, name='Alice', age=30).
func (u *User) String() string {
	return fmt.Sprintf("User(id=%d, name=%s, age=%s)", u.ID, pyStr(u.Name), pyInt(u.Age))
}

// UserDict is what the tutorial's to_dict returns: {"id": ..., "name": ..., "age": ...}.
// A struct rather than a map keeps the keys in the tutorial's order when encoded as JSON
// (encoding/json sorts the keys of a map).
type UserDict struct {
	ID   int64   `json:"id"`
	Name *string `json:"name"`
	Age  *int64  `json:"age"`
}

// ToDict is the tutorial's to_dict: the user's columns, for JSON.
func (u *User) ToDict() UserDict { return UserDict{ID: u.ID, Name: u.Name, Age: u.Age} }

// Post is the posts table: SQLAlchemy's
//
//	id = Column(Integer, primary_key=True)
//	title = Column(String)
//	user_id = Column(Integer, ForeignKey("users.id"))
//	user = relationship("User", back_populates="posts")
type Post struct {
	ID     int64 `retort:"pk"`
	Title  *string
	UserID *int64 `retort:"fk=users.id"`
	User   *User  `retort:"rel,back_populates=Posts"`
}

// TableName names Post's table "posts".
func (Post) TableName() string { return "posts" }

// String renders p as Post(id=1, title='Hello', user_id=1).
func (p *Post) String() string {
	return fmt.Sprintf("Post(id=%d, title=%s, user_id=%s)", p.ID, pyStr(p.Title), pyInt(p.UserID))
}

// reg holds the mapping of User and Post and the MetaData of their tables.
var reg = orm.NewRegistry()

// UserT is User's typed handle, checked against User at start-up.
var UserT = struct {
	orm.Table[User]
	ID    orm.Column[int64]
	Name  orm.Column[*string]
	Age   orm.Column[*int64]
	Posts orm.Relation[User, Post]
}{}

// PostT is Post's typed handle, checked against Post at start-up.
var PostT = struct {
	orm.Table[Post]
	ID     orm.Column[int64]
	Title  orm.Column[*string]
	UserID orm.Column[*int64]
	User   orm.Relation[Post, User]
}{}

func init() {
	orm.MustRegister(reg, &UserT)
	orm.MustRegister(reg, &PostT)
}

func main() {
	url := flag.String("url", "sqlite://", "database URL (SQLAlchemy style); the default is an in-memory SQLite database")
	echo := flag.Bool("echo", true, "log every SQL statement to standard error (echo=True in the tutorial)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, *echo, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "users_posts:", err)
		os.Exit(1)
	}
}

// run is the program: it writes its output to out and, when echo is set, the SQL it runs
// to standard error.
func run(ctx context.Context, url string, echo bool, out io.Writer) error {
	var log *slog.Logger
	if echo {
		log = stderrLogger()
	}
	return runLogged(ctx, url, log, out)
}

// stderrLogger returns the echo logger: slog text lines on standard error, without the
// time stamp.
func stderrLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// app is the tutorial's module state: the engine and the session factory
// (sessionmaker(bind=engine, class_=AsyncSession, expire_on_commit=False)).
type app struct {
	eng      *engine.Engine
	sessions *orm.SessionMaker
	out      io.Writer
}

// runLogged is run with the echo going to log (no echo when log is nil); the tests call it
// with a logger that records the statements.
func runLogged(ctx context.Context, url string, log *slog.Logger, out io.Writer) error {
	opts := []engine.Option{engine.Echo(log != nil)}
	if log != nil {
		opts = append(opts, engine.WithLogger(log))
	}
	eng, err := engine.Create(ctx, url, opts...)
	if err != nil {
		return err
	}
	defer eng.Close()
	a := &app{eng: eng, sessions: orm.NewSessionMaker(eng, reg, orm.ExpireOnCommit(false)), out: out}

	// The tutorial's ids are the keys the database generated for Alice, Bob and Carol:
	// 1, 2, 3 on a fresh database of one server, but a multi-primary cluster (Galera)
	// steps them by its node count, so they are never assumed.
	var alice, bob, carol int64
	steps := []func(context.Context) error{
		a.createAllTables,
		func(ctx context.Context) (err error) { alice, err = a.addUser(ctx, "Alice", 30); return err },
		func(ctx context.Context) error {
			ids, err := a.addManyUsers(ctx, []nameAge{{"Bob", 25}, {"Carol", 35}, {"Dave", 40}})
			if err == nil {
				bob, carol = ids[0], ids[1]
			}
			return err
		},
		func(ctx context.Context) error { return a.queries(ctx, alice) },
		func(ctx context.Context) error { return a.updateUserName(ctx, bob, "Robert") },
		func(ctx context.Context) error { return a.updateUserName(ctx, 99, "Nobody") },
		func(ctx context.Context) error { return a.addPosts(ctx, alice, "Hello", "Second post") },
		func(ctx context.Context) error { return a.addPosts(ctx, carol, "Carol's post") },
		func(ctx context.Context) error { return a.printUserPosts(ctx, alice) },
		func(ctx context.Context) error { return a.deleteUser(ctx, carol) },
		func(ctx context.Context) error { return a.deleteUser(ctx, 99) },
		func(ctx context.Context) error { return a.printUserPosts(ctx, carol) },
		a.postsWithAuthors,
		a.toDict,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return nil
}

// createAllTables is the tutorial's create_all_tables (async with engine.begin() as conn:
// await conn.run_sync(Base.metadata.create_all)), preceded by a drop_all so that reruns
// start from empty tables.
func (a *app) createAllTables(ctx context.Context) error {
	err := a.eng.Begin(ctx, func(ctx context.Context, conn *engine.Conn) error {
		if err := conn.DropAll(ctx, reg.MetaData()); err != nil {
			return err
		}
		return conn.CreateAll(ctx, reg.MetaData())
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(a.out, "create_all: users, posts")
	return nil
}

// addUser is the tutorial's add_user: one user added and committed in a session of its
// own. It returns the user's generated key.
func (a *app) addUser(ctx context.Context, name string, age int64) (int64, error) {
	s := a.sessions.New()
	defer s.Close()
	u := &User{Name: &name, Age: &age}
	if err := s.Add(u); err != nil {
		return 0, err
	}
	if err := s.Commit(ctx); err != nil {
		return 0, err
	}
	fmt.Fprintf(a.out, "add_user(%s, %d): %v\n", pyRepr(name), age, u)
	return u.ID, nil
}

// nameAge is one (name, age) tuple of add_many_users.
type nameAge struct {
	name string
	age  int64
}

// addManyUsers is the tutorial's add_many_users: add_all of several users, one commit
// (one multi-row INSERT). It returns the users' generated keys.
func (a *app) addManyUsers(ctx context.Context, users []nameAge) ([]int64, error) {
	s := a.sessions.New()
	defer s.Close()
	objs := make([]any, len(users))
	added := make([]*User, len(users))
	for i, na := range users {
		added[i] = &User{Name: ptr(na.name), Age: ptr(na.age)}
		objs[i] = added[i]
	}
	if err := s.AddAll(objs...); err != nil {
		return nil, err
	}
	if err := s.Commit(ctx); err != nil {
		return nil, err
	}
	args := make([]string, len(users))
	ids := make([]string, len(users))
	keys := make([]int64, len(users))
	for i, na := range users {
		args[i] = fmt.Sprintf("(%s, %d)", pyRepr(na.name), na.age)
		ids[i] = strconv.FormatInt(added[i].ID, 10)
		keys[i] = added[i].ID
	}
	fmt.Fprintf(a.out, "add_many_users([%s]): ids [%s]\n", strings.Join(args, ", "), strings.Join(ids, ", "))
	return keys, nil
}

// queries is the tutorial's section of selects, in one session: all users
// (.scalars().all()), the first by name (.scalars().first()), one by id (.scalar_one()),
// a missing id (.scalar_one_or_none() gives None) and rows of columns (result.all()).
// aliceID is the key of the first user (1 on a fresh database of one server).
func (a *app) queries(ctx context.Context, aliceID int64) error {
	s := a.sessions.New()
	defer s.Close()

	users, err := orm.Scalars(ctx, s, orm.Select(UserT).OrderBy(UserT.ID.Asc()))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "select(User) .scalars().all(): %d users\n", users.Len())
	for _, u := range users.All() {
		fmt.Fprintf(a.out, "  %v\n", u)
	}

	byName, err := orm.Scalars(ctx, s, orm.Select(UserT).Where(UserT.Name.Eq(ptr("Bob"))))
	if err != nil {
		return err
	}
	bob, err := byName.First()
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "select(User).where(User.name == 'Bob') .scalars().first(): %v\n", bob)

	one, err := orm.ScalarOne(ctx, s, orm.Select(UserT).Where(UserT.ID.Eq(aliceID)))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "select(User).where(User.id == %d) .scalar_one(): %v\n", aliceID, one)

	missing, ok, err := orm.ScalarOneOrNone(ctx, s, orm.Select(UserT).Where(UserT.ID.Eq(99)))
	if err != nil {
		return err
	}
	if ok {
		fmt.Fprintf(a.out, "select(User).where(User.id == 99) .scalar_one_or_none(): %v\n", missing)
	} else {
		fmt.Fprintln(a.out, "select(User).where(User.id == 99) .scalar_one_or_none(): None")
	}

	rows, err := s.Rows(ctx, orm.SelectRows(UserT.ID, UserT.Name, UserT.Age).OrderBy(UserT.ID.Asc()))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "select(User.id, User.name, User.age) .all(): %d rows\n", rows.Len())
	for _, row := range rows.All() {
		var id int64
		var name *string
		var age *int64
		if err := row.Scan(&id, &name, &age); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "  (%d, %s, %s)\n", id, pyStr(name), pyInt(age))
	}
	return nil
}

// userByID is the tutorial's select(User).where(User.id == user_id) with
// .scalar_one_or_none(): nil when there is no such user.
func userByID(ctx context.Context, s *orm.Session, id int64) (*User, error) {
	u, _, err := orm.ScalarOneOrNone(ctx, s, orm.Select(UserT).Where(UserT.ID.Eq(id)))
	return u, err
}

// updateUserName is the tutorial's update_user_name: load the user, change the name,
// commit (an UPDATE of the name column only).
func (a *app) updateUserName(ctx context.Context, userID int64, newName string) error {
	s := a.sessions.New()
	defer s.Close()
	u, err := userByID(ctx, s, userID)
	if err != nil {
		return err
	}
	if u == nil {
		fmt.Fprintf(a.out, "update_user_name(%d, %s): no user %d\n", userID, pyRepr(newName), userID)
		return nil
	}
	u.Name = &newName
	if err := s.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "update_user_name(%d, %s): %v\n", userID, pyRepr(newName), u)
	return nil
}

// addPosts gives user userID new posts through the many-to-one side of the relationship
// (Post(title=..., user=user)); the flush fills their user_id from the user.
func (a *app) addPosts(ctx context.Context, userID int64, titles ...string) error {
	s := a.sessions.New()
	defer s.Close()
	u, err := userByID(ctx, s, userID)
	if err != nil {
		return err
	}
	if u == nil {
		return fmt.Errorf("add_posts: no user %d", userID)
	}
	posts := make([]string, len(titles))
	added := make([]*Post, len(titles))
	for i, title := range titles {
		added[i] = &Post{Title: ptr(title), User: u}
		if err := s.Add(added[i]); err != nil {
			return err
		}
		posts[i] = pyRepr(title)
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	shown := make([]string, len(added))
	for i, p := range added {
		shown[i] = p.String()
	}
	fmt.Fprintf(a.out, "add_posts(%d, [%s]): [%s]\n", userID, strings.Join(posts, ", "), strings.Join(shown, ", "))
	return nil
}

// getUserPosts is the tutorial's get_user_posts: select(Post).where(Post.user_id ==
// user_id), .scalars().all() (ordered by id here).
func (a *app) getUserPosts(ctx context.Context, userID int64) ([]*Post, error) {
	s := a.sessions.New()
	defer s.Close()
	res, err := orm.Scalars(ctx, s, orm.Select(PostT).Where(PostT.UserID.Eq(&userID)).OrderBy(PostT.ID.Asc()))
	if err != nil {
		return nil, err
	}
	return res.All(), nil
}

// printUserPosts prints what getUserPosts returns.
func (a *app) printUserPosts(ctx context.Context, userID int64) error {
	posts, err := a.getUserPosts(ctx, userID)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "get_user_posts(%d): %d posts\n", userID, len(posts))
	for _, p := range posts {
		fmt.Fprintf(a.out, "  %v\n", p)
	}
	return nil
}

// deleteUser is the tutorial's delete_user: load the user, session.delete, commit. The
// user's posts are kept, their user_id set to NULL (no delete cascade is configured).
func (a *app) deleteUser(ctx context.Context, userID int64) error {
	s := a.sessions.New()
	defer s.Close()
	u, err := userByID(ctx, s, userID)
	if err != nil {
		return err
	}
	if u == nil {
		fmt.Fprintf(a.out, "delete_user(%d): no user %d\n", userID, userID)
		return nil
	}
	if err := s.Delete(u); err != nil {
		return err
	}
	if err := s.Commit(ctx); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "delete_user(%d): deleted %v\n", userID, u)
	return nil
}

// postsWithAuthors selects rows of an object and a column across the relationship,
// select(Post, User.name).outerjoin(User), printed as tuples; a post whose user was deleted
// has None for the name.
func (a *app) postsWithAuthors(ctx context.Context) error {
	s := a.sessions.New()
	defer s.Close()
	rows, err := s.Rows(ctx, orm.SelectRows(PostT, UserT.Name).OuterJoin(UserT.Core()).OrderBy(PostT.ID.Asc()))
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "select(Post, User.name).outerjoin(User) .all(): %d rows\n", rows.Len())
	for _, row := range rows.All() {
		var p *Post
		var name *string
		if err := row.Scan(&p, &name); err != nil {
			return err
		}
		fmt.Fprintf(a.out, "  (%v, %s)\n", p, pyStr(name))
	}
	return nil
}

// toDict prints every remaining user's to_dict, encoded as JSON.
func (a *app) toDict(ctx context.Context) error {
	s := a.sessions.New()
	defer s.Close()
	users, err := orm.Scalars(ctx, s, orm.Select(UserT).OrderBy(UserT.ID.Asc()))
	if err != nil {
		return err
	}
	dicts := make([]UserDict, 0, users.Len())
	for _, u := range users.All() {
		dicts = append(dicts, u.ToDict())
	}
	js, err := json.Marshal(dicts)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.out, "to_dict: %s\n", js)
	return nil
}

// pyRepr renders a string as Python's repr does: in single quotes, or in double quotes
// when it holds a single quote and no double quote; backslashes and the chosen quote
// escaped.
func pyRepr(s string) string {
	q := "'"
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = `"`
	}
	return q + strings.NewReplacer(`\`, `\\`, q, `\`+q).Replace(s) + q
}

// pyStr renders a nullable string as Python's repr does: 'text' or None.
func pyStr(s *string) string {
	if s == nil {
		return "None"
	}
	return pyRepr(*s)
}

// pyInt renders a nullable integer: 30 or None.
func pyInt(n *int64) string {
	if n == nil {
		return "None"
	}
	return strconv.FormatInt(*n, 10)
}

// ptr returns a pointer to a copy of v, for the nullable fields.
func ptr[T any](v T) *T { return &v }
