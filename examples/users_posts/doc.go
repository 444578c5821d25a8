// Command users_posts is seed 003, a tutorial of SQLAlchemy's async ORM, written with the
// retort ORM: User and Post with a two-way relationship (users.posts / posts.user,
// back_populates), the tables created, one user added, then many, selects of all users,
// by name (.scalars().first()), by id (.scalar_one(), .scalar_one_or_none() for a missing
// id), rows of columns (result.all()), update_user_name, posts added to users and read back
// with get_user_posts, delete_user, rows of a post with its author's name (an outer join),
// and to_dict as JSON. Each function of the tutorial uses a session of its own, as
// "async with async_session() as session" does.
//
// It runs on an in-memory SQLite database by default (the tutorial's
// sqlite+aiosqlite:///./mydb.db is accepted too, as -url); -url selects any database:
//
//	go run ./examples/users_posts
//	go run ./examples/users_posts -url postgresql://postgres@127.0.0.1:5432/test
//	go run ./examples/users_posts -url mariadb://root@127.0.0.1:3306/test -echo=false
//
// Differences from the tutorial, each to make the output the same on every database and
// every run: the tables are dropped (when present) before they are created, so that a
// rerun on a database file or server starts from empty tables; the selects of several
// rows are ordered by id; objects print as User(id=1, name='Alice', age=30) and
// Post(id=1, title='Hello', user_id=1) rather than Python's default repr (an address).
// As in the tutorial (echo=True) the engine echoes every statement by default, through
// log/slog to standard error, so standard output holds only the program's lines;
// -echo=false silences it.
//
// Deleting a user who has posts does what SQLAlchemy does without a delete cascade: the
// posts are kept and their user_id is set to NULL before the user's row is deleted.
//
// The output on a fresh database:
//
//	create_all: users, posts
//	add_user('Alice', 30): User(id=1, name='Alice', age=30)
//	add_many_users([('Bob', 25), ('Carol', 35), ('Dave', 40)]): ids [2, 3, 4]
//	select(User) .scalars().all(): 4 users
//	  User(id=1, name='Alice', age=30)
//	  User(id=2, name='Bob', age=25)
//	  User(id=3, name='Carol', age=35)
//	  User(id=4, name='Dave', age=40)
//	select(User).where(User.name == 'Bob') .scalars().first(): User(id=2, name='Bob', age=25)
//	select(User).where(User.id == 1) .scalar_one(): User(id=1, name='Alice', age=30)
//	select(User).where(User.id == 99) .scalar_one_or_none(): None
//	select(User.id, User.name, User.age) .all(): 4 rows
//	  (1, 'Alice', 30)
//	  (2, 'Bob', 25)
//	  (3, 'Carol', 35)
//	  (4, 'Dave', 40)
//	update_user_name(2, 'Robert'): User(id=2, name='Robert', age=25)
//	update_user_name(99, 'Nobody'): no user 99
//	add_posts(1, ['Hello', 'Second post']): [Post(id=1, title='Hello', user_id=1), Post(id=2, title='Second post', user_id=1)]
//	add_posts(3, ["Carol's post"]): [Post(id=3, title="Carol's post", user_id=3)]
//	get_user_posts(1): 2 posts
//	  Post(id=1, title='Hello', user_id=1)
//	  Post(id=2, title='Second post', user_id=1)
//	delete_user(3): deleted User(id=3, name='Carol', age=35)
//	delete_user(99): no user 99
//	get_user_posts(3): 0 posts
//	select(Post, User.name).outerjoin(User) .all(): 3 rows
//	  (Post(id=1, title='Hello', user_id=1), 'Alice')
//	  (Post(id=2, title='Second post', user_id=1), 'Alice')
//	  (Post(id=3, title="Carol's post", user_id=None), None)
//	to_dict: [{"id":1,"name":"Alice","age":30},{"id":2,"name":"Robert","age":25},{"id":4,"name":"Dave","age":40}]
package main
