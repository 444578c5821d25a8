// Package orm is retort's object-relational mapper: SQLAlchemy's ORM (declarative
// mapping, Session, unit of work, identity map) for plain Go structs, built on retort's
// Core (packages expr, schema, engine).
//
// This documentation is a user's guide: the tasks first, each with an example that go test
// runs, then the rules, section by section. How the package works inside is described for
// contributors in DESIGN.md, next to this file.
//
// # Tasks
//
// Each task names its runnable example (on an in-memory SQLite database; the same code
// runs on PostgreSQL and MySQL/MariaDB):
//
//   - Count rows: [Count] and [Exists] take any query (plain, joined, grouped, limited) and
//     send one statement. Example: Count.
//   - Paginate: by keyset, ordering by (published, id) and asking for the rows after the
//     last one seen with a row-value comparison, expr.Tuple(StoryT.Published,
//     StoryT.ID).Gt(last.Published, last.ID); by offset, Limit and Offset with Count for the
//     total. Examples: All (paginate), the package (paginate).
//   - Aggregate into a struct: a row query of objects and aggregates ([SelectRows] with
//     GroupBy and Having) scanned by [ScanRows] into a struct embedding the model pointer.
//     Examples: ScanRows, ScanRows (authorStats).
//   - Bulk update: [Update] and [Delete] by criteria, run by [Exec], keep the session's
//     objects true to their rows. Example: Exec.
//   - Raw SQL into a struct: [Scan] with expr.Text. Examples: Scan, Scan (report).
//   - Upsert: [Insert] ... OnConflict(...).DoUpdate(...), run by [Upsert], returns the
//     session's objects of the rows. Example: Upsert.
//   - Many-to-many: a []*T field tagged secondary=<association table>, loaded with
//     SelectIn and written as the collections change (see Relationship kinds); an
//     association with columns of its own is a model of its own. Example: SelectIn
//     (manyToMany).
//   - Transactions: [SessionMaker.Begin] commits when its function returns nil and rolls
//     back on error or panic; [Session.BeginNested] for savepoints. Examples:
//     SessionMaker.Begin, Session.Rollback.
//   - Testing with a rolled-back transaction: [SessionMaker.JoinTransaction] binds a
//     session to a connection whose transaction the test rolls back at the end. Example:
//     SessionMaker.JoinTransaction.
//   - Timestamps set on every change: update_default=now() on an UpdatedAt field (see
//     Writing).
//   - Hooks and validation: methods such as BeforeInsert(ctx, s) and Validate() on the
//     model (see Hooks and validation).
//
// # Models
//
// A model is a plain struct. Register maps it:
//
//	type A struct {
//		ID         int64     `retort:"pk"`
//		Data       *string
//		CreateDate time.Time `retort:"server_default=now()"`
//		Bs         []*B      `retort:"rel"`
//	}
//
//	type B struct {
//		ID   int64   `retort:"pk"`
//		AID  int64   `retort:"a_id,fk=a.id"`
//		Data *string
//	}
//
//	reg := orm.NewRegistry()
//	err := orm.Register[A](reg) // registers B too, reached through A.Bs
//	err = eng.CreateAll(ctx, reg.MetaData())
//
// Mapping rules:
//
//   - Table name: the model's TableName() string method (value or pointer receiver), else
//     WithTableName, else the snake_case of the type name (A is "a", BlogPost "blog_post";
//     no pluralisation).
//   - Every exported field is a column named by the snake_case of the field name
//     (CreateDate is "create_date", UserID "user_id") unless tagged otherwise. Fields of
//     embedded structs (by value) are flattened. Unexported fields are ignored; tag a
//     field retort:"-" to leave it out.
//   - Column type from the Go type: int, int64, uint, uint32, uint64 are BIGINT (int64
//     canonical values; a uint beyond the int64 range is an error when written); int32
//     and uint16 INTEGER; int16, int8 and uint8 SMALLINT; bool BOOLEAN; float64 DOUBLE;
//     float32 FLOAT; string VARCHAR (size=N gives VARCHAR(N)); []byte BYTES;
//     json.RawMessage JSON; time.Time an instant, TIMESTAMP WITH TIME ZONE (on
//     PostgreSQL timestamptz; MySQL, MariaDB and SQLite store no zone, so retort writes
//     every instant in UTC, DATETIME(6) and text, and reads it back in UTC, whatever the
//     zone of the time.Time written); type=timestamp maps a naive date and time
//     (TIMESTAMP WITHOUT TIME ZONE on PostgreSQL, where a value's zone is dropped after
//     conversion to UTC); time.Duration INTERVAL; types.UUID (or any [16]byte) UUID. Named types use their underlying
//     kind. type=... overrides: integer, bigint, smallint, boolean, float, double,
//     numeric(p,s) (string or float64 fields), string(n)/varchar(n), text, bytes, date,
//     time (a time.Duration since midnight), timestamp, timestamptz, interval, json,
//     uuid (also on string fields), enum(name:a|b|c). Any other type (struct, map, slice)
//     is stored as a JSON document when tagged json (or type=json) and is otherwise a
//     mapping error.
//   - Nullability follows the Go type: a pointer field or a types.Null[T] field is a
//     nullable column, any other field is NOT NULL (notnull makes a pointer field's column
//     NOT NULL; nullable on a non-pointer field is an error, since the field could not
//     hold NULL).
//   - Primary key: the fields tagged pk (several make a composite key, in field order),
//     or WithTableItems(schema.PrimaryKeyConstraint(...)); without either, a field named
//     ID is the key (a decision taken for brevity: SQLAlchemy has no such convention, but
//     nearly every Go model has an ID). No key at all is a mapping error. A single integer
//     key autoincrements unless autoincrement=false.
//   - Other options: unique, index, default=V (a client-side default), server_default=
//     (now(), a 'quoted string', a number, true, false, null, or name()), fk=table.column
//     with ondelete= and onupdate=, autoincrement[=false], name=. Composite constraints and
//     indexes are given with WithTableItems.
//
// The tag is a comma-separated list; commas inside parentheses and single quotes do not
// split it (type=numeric(10,2), default='a,b'). Its first item is the column name unless
// it is an option: `retort:"a_id,fk=a.id"`, `retort:",pk"`, `retort:"pk"`.
//
// Relationships are fields of type []*T, *T or WriteOnly[T], where T is another model.
// They are recognised by their type (tagging them rel is allowed and documents intent;
// the type alone is unambiguous because no column type is a slice of struct pointers or
// a struct pointer). The kinds (see Relationship kinds below): []*T is one-to-many (the
// foreign key is on T's table), or many-to-many with secondary=<table>; *T is
// many-to-one (the foreign key is on the model's own table), or one-to-one when the key
// is on T's table (uselist=false, or inferred when only T's table has a foreign key
// between the two); WriteOnly[T] is a one-to-many collection that is never loaded. The
// foreign key is inferred when the child table has exactly one foreign key to the parent
// table; otherwise fk=<child column> names it (fk=a|b for a composite key), which is how
// several relationships between the same two tables are told apart (Customer.Billing
// with fk=billing_id, Customer.Shipping with fk=shipping_id). back_populates=<field>
// links the two sides (User.Posts and Post.User), which makes loads fill both and keeps
// both consistent in memory. The target model is registered automatically, with its
// defaults, when it is not yet. The relationship options of the tag: rel,
// back_populates, fk, lazy, uselist, secondary, order_by, cascade, passive_deletes,
// post_update, remote_side. A model declares at most 64 relationships (the session
// keeps which ones are loaded as a bit set).
//
// Registration reports every mistake at once as *MappingError values (errors.Join),
// naming the struct, the field, its tag and the problem: an unknown tag option, an
// unsupported field type, a type= the field cannot hold, a missing primary key, a foreign
// key to a table that is not registered (register the parent first) or to a column it
// does not have, a relationship without a usable foreign key, a bad back_populates, a
// 65th relationship. A failed registration leaves the registry and its MetaData
// unchanged: tables are first defined in scratch MetaData values and only copied into
// the registry's when everything checks out.
//
// # Typed column handles
//
// Queries name columns through handle structs checked at registration (see Table,
// Column and Relation):
//
//	var AT = struct {
//		orm.Table[A]
//		ID         orm.Column[int64]
//		Data       orm.Column[*string]
//		CreateDate orm.Column[time.Time]
//		Bs         orm.Relation[A, B]
//	}{}
//
//	func init() { orm.MustRegister(reg, &AT) }
//
// RegisterHandle binds each handle field to the model field of the same name and checks
// that Column[T]'s T is exactly that field's Go type: a misspelt field or a wrong type
// fails at start-up, never in production. Column[T] embeds the *expr.ColumnClause, so a
// handle column is an expr.Expr that works everywhere in package expr, while its own
// Eq/Ne/Lt/.../In/Between/Set methods take values of type T and convert them exactly as
// the field is converted (AT.Data.Eq(nil) is "data IS NULL"). Go has no operator
// overloading, so SQLAlchemy's A.data == "x" is spelt AT.Data.Eq(ptr("x")), and a
// column-to-column comparison expr.Eq(AT.ID, BT.AID). The generator cmd/retort-gen
// writes the handle structs (and a RegisterHandles function) of the models it finds in
// a package (//go:generate go run github.com/retortdb/retort/cmd/retort-gen), named
// after their models with a T (User gives UserT); generated or hand-written, they are
// ordinary Go checked the same way at registration.
//
// # Sessions
//
//	sm := orm.NewSessionMaker(eng, reg, orm.ExpireOnCommit(false))
//	err := sm.Begin(ctx, func(ctx context.Context, s *orm.Session) error {
//		return orm.AddAll(s, []*A{{Bs: []*B{{}, {}}, Data: ptr("a1")}, {Data: ptr("a2")}})
//	}) // flushed and committed, or rolled back on error or panic
//
//	s := sm.New()
//	defer s.Close()
//	as, err := orm.All(ctx, s, orm.Select(AT).Options(orm.SelectIn(AT.Bs)).OrderBy(AT.ID.Asc()))
//	for _, a := range as { ... a.Bs ... }
//	all, err := orm.Scalars(ctx, s, orm.Select(AT).OrderBy(AT.ID.Asc()))
//	a1, err := all.First()
//	a1.Data = ptr("new data")
//	err = s.Commit(ctx) // UPDATE a SET data = ? WHERE a.id = ?
//
// A Session follows SQLAlchemy's: it autobegins a transaction on the first statement and
// holds one connection until Commit, Rollback or Close. Where the engine reports
// AutocommitReads (PostgreSQL at READ COMMITTED, and SQLite) the database transaction
// itself begins only with the first write, a locking read or a statement the session
// cannot classify: reads before it run without BEGIN, which changes nothing the
// application can observe at that isolation level and saves the BEGIN and ROLLBACK
// round trips of read-only sessions (BeginOnRead switches it). Object states are transient,
// pending, persistent, deleted and detached (Status). Go cannot attach state to a plain
// struct, so the session keeps, per tracked object, its mapper, its status, its identity
// key, a snapshot of the canonical column values last loaded or written, an expired mark
// and a loaded mark per relationship; objects are tracked by their pointer.
//
// # Queries
//
// Go methods cannot have type parameters, so the calls that return objects are generic
// functions taking the session, and every call that may do I/O takes a context first:
//
//	posts, err := orm.All(ctx, s, orm.Select(PostT).Where(PostT.UserID.Eq(uid)).OrderBy(PostT.ID.Desc()).Limit(20))
//	u, err := UserT.Get(ctx, s, uid)        // by primary key, from the identity map when it is there
//	n, err := orm.Count(ctx, s, orm.Select(PostT).Where(PostT.UserID.Eq(uid)))
//
// Select (or the handle's Select method) builds a query for a model's objects, with Where,
// OrderBy, Limit, Offset, Join, OuterJoin, GroupBy, Having, Distinct, ForUpdate and loader
// Options; [All] returns its objects as a slice, [Scalars] as a result, [ScalarOne] and
// [ScalarOneOrNone] one object, [Stream] an iterator over a server-side cursor. [Get] and
// [GetOne] (also methods of a handle: UserT.Get(ctx, s, id)) look up a primary key.
// [SelectRows] builds a query of several items (objects and values) per row, run by
// [Session.Rows] or scanned into structs by [ScanRows]; [Scan] scans a Core or raw
// statement into structs; [Session.Execute] runs any Core statement.
//
// Missing rows follow one rule: a call whose name promises a row (GetOne, ScalarOne,
// Scalar, and the First and One methods of results) returns an error wrapping
// ErrNoResult (which is engine.ErrNoResult) when there is none; Get and the OrNone calls
// report a missing row as a nil object (with ok false) and a nil error. Get follows
// SQLAlchemy's session.get, which returns None; the others follow Go's database/sql, whose
// QueryRow reports sql.ErrNoRows. An empty [All] is an empty slice and a nil error.
//
// Count rewrites a plain query to SELECT count(*) with the same FROM, joins and WHERE and
// no ORDER BY; a query with DISTINCT, GROUP BY, LIMIT or OFFSET is counted as a subquery,
// so that the count is that of the rows the query returns. Exists is SELECT EXISTS (q).
//
// # Writing
//
// Add (and [AddAll], which takes a []*A) makes objects pending; changed fields of
// persistent objects are found by comparison with the values last loaded; Delete marks an
// object for deletion. The flush writes everything in dependency order (parents before
// children, children deleted before parents): one multi-row INSERT ... RETURNING per
// batch of new objects (generated keys and server defaults read back in the same
// statement; MySQL, which has no RETURNING, reads them back otherwise), one UPDATE per
// changed object with a check that it matched its row (a *StaleDataError otherwise), one
// DELETE ... WHERE key IN (...) per batch. UPDATEs of many objects go in one round trip on
// PostgreSQL (a pipeline, SQLAlchemy's executemany); elsewhere, for a single-column key
// and no version counter, the objects changing the same columns merge into one UPDATE t
// SET c = CASE key WHEN k1 THEN v1 ... END WHERE key IN (k1, ...) per chunk, which must
// match all its rows (a *StaleDataError otherwise), and the rest go one after another. Commit's
// last statement carries the COMMIT where the driver can send them together, so a unit
// of work of one statement costs one round trip on PostgreSQL.
//
// A failed flush leaves the database unchanged (its transaction is rolled back) and the
// objects as they were before it (generated keys, copied foreign keys and defaults are
// undone), and the session reports ErrPendingRollback, wrapping the cause, until Rollback.
//
// update_default= gives a column the value it takes whenever its row is updated without it
// (SQLAlchemy's onupdate=): the flush's UPDATEs, ORM bulk updates and upserts add it to
// their SET list. update_default=now() is the current time, taken in Go when the statement
// is built (UTC, to the microsecond) and written to the object as well, so that the object
// holds what its row holds without reading it back (SQLAlchemy's onupdate=func.now()
// leaves the attribute expired, to load on access, which Go cannot do); any other value is
// a constant. The registration option OnUpdate gives a Go function instead, for a value
// such as the current user (SQLAlchemy's onupdate= with a Python function). An INSERT
// leaves the column to default= or server_default=:
//
//	UpdatedAt *time.Time `retort:"update_default=now()"`
//
// Bulk statements: [Update] and [Delete] build an ORM-enabled UPDATE or DELETE of a
// model's rows by criteria, run by [Exec] in the session's transaction after an autoflush:
//
//	n, err := orm.Exec(ctx, s, orm.Update(PostT).Where(PostT.UserID.Eq(from)).Set(PostT.UserID.Set(to)))
//
// The session's objects of the rows they change are never left stale. The default,
// SyncFetch, finds the changed rows (UPDATE or DELETE ... RETURNING where the dialect has
// it; otherwise a SELECT ... FOR UPDATE of the matched keys first) and updates the
// session's objects of those rows with their new values, or marks them deleted; it costs
// nothing when the session holds no object of the model. SQLAlchemy's default, "auto",
// first tries to evaluate the criteria in Python; retort always fetches, which is exact for
// any criteria and any SQL expression in the values. SyncNone sends the statement alone. A
// rollback undoes the synchronisation as it undoes a flush.
//
// Upsert: [Insert] builds an INSERT of rows taken from objects, usually with OnConflict and
// DoUpdate, DoUpdateSet or DoNothing; [Upsert] runs it and returns the session's objects of
// the rows (existing objects in the identity map overwritten with the rows' new values). It
// is ON CONFLICT on PostgreSQL and SQLite and ON DUPLICATE KEY UPDATE on MySQL and MariaDB,
// one statement where INSERT ... RETURNING exists (PostgreSQL, SQLite, MariaDB).
//
// # Hooks and validation
//
// A model may implement hooks: methods on its pointer type that the session calls with
// the operation's context and the session itself, as GORM, Bun and ent call theirs
// ([BeforeInsertHook], [AfterInsertHook], [BeforeUpdateHook], [AfterUpdateHook],
// [BeforeDeleteHook], [AfterDeleteHook], [AfterLoadHook]), and Validate ([Validator]):
//
//	func (u *User) BeforeInsert(ctx context.Context, s *orm.Session) error {
//		u.Slug = slugify(u.Name)
//		return nil
//	}
//
//	func (u *User) Validate() error {
//		if !strings.Contains(u.Email, "@") {
//			return fmt.Errorf("email %q has no @", u.Email)
//		}
//		return nil
//	}
//
// Before hooks run at flush, before any statement, for the objects the flush will insert,
// update (those with changed columns) or delete; what they change is written by that
// flush, and objects they add are flushed with it (and get their own hooks). Validate then
// runs for every object to be inserted or updated. After hooks run once the flush's
// statements succeeded, inside its transaction; AfterLoad runs when a query fills an object
// from its row. Inside a hook the session may run queries (without autoflush) and Add
// objects, but not Flush, Commit, Rollback or Close (ErrInHook). AfterLoad of the objects
// of a Stream runs while the stream holds the connection, so it cannot query there.
//
// An error from a before hook or from Validate fails the flush before any SQL, as a
// *HookError or a *ValidationError (naming the model and wrapping the error): the
// database is unchanged, what the hooks wrote is undone, and the session stays usable
// without Rollback, so the application can fix the object and flush again. An error from
// an after hook fails the flush like a failed statement (rolled back, ErrPendingRollback
// until Rollback). Bulk statements and upserts run no hooks but AfterLoad (SQLAlchemy's
// mapper events do not run for bulk statements either).
//
// # Attaching and detaching
//
// An object belongs to one session at a time. Add of an object that another open
// session tracks fails with an error wrapping ErrAttached that names both sessions
// (expunge it there, close that session, or use Merge). Close and Expunge detach
// objects: a detached object remembers its identity and snapshot, and Add in another
// session re-attaches it as persistent, so that the changes made to it meanwhile become
// an UPDATE, never an INSERT (SQLAlchemy's rule). A detached object whose deletion was
// committed cannot be added again (ErrDeletedObject). A session dropped without Close has its objects detached when it is garbage collected.
//
// Identity map: within a session one primary key is one Go pointer. Get on a key already
// loaded returns the same pointer without SQL; a query returning a row already present
// returns that pointer and, as in SQLAlchemy, does not overwrite its fields unless it is
// expired.
//
// Changes are found by comparison, not by interception: at flush every persistent
// object's fields are compared with its snapshot (timestamps as instants, bytes by
// content), and the UPDATE sets only the changed columns; a flush with no change emits
// no SQL. The cost is one pass over the tracked objects per flush (and so per autoflush);
// a later optimisation can skip objects loaded read-only.
//
// # Expiry
//
// Go cannot intercept a field read, so an expired object is never reloaded behind the
// application's back. Exactly:
//
//   - Expire, ExpireAll and a rollback discard the object's unflushed changes at once: its
//     column fields get back the values last loaded from or written to the database (after
//     a rollback: the values from before what was rolled back), and its relationship
//     fields are emptied and marked not loaded (IsLoaded is false until a loader fills
//     them again). Reading a field right after Rollback never shows a rolled back value.
//   - The object is marked expired: the next query that returns its row (Get, Scalars,
//     Stream, a SelectIn load) overwrites its fields with the database's current values,
//     where a query returning an object that is not expired leaves it as it is. Get of an
//     expired object always queries.
//   - Refresh reloads it at once, discarding unflushed changes (they are not flushed
//     first). When the row is gone (deleted by someone else), Refresh and Get report an
//     *ObjectDeletedError (errors.Is(err, ErrObjectDeleted)) and the object leaves the
//     session.
//
// expire_on_commit (ExpireOnCommit, default true as in SQLAlchemy) marks every object
// expired at Commit without touching its fields, which hold what was just committed;
// relationship fields keep what was loaded. With ExpireOnCommit(false) the objects are
// not overwritten by later queries until Expire or Refresh.
//
// IsModified and Dirty report an object whose column fields differ from its snapshot or
// whose loaded relationships hold other objects than when they were loaded or last
// flushed. A field set to the value it already holds is no change: Go cannot see the
// assignment, and no UPDATE would be sent for it (SQLAlchemy lists such an object in
// session.dirty, and does not send an UPDATE either).
//
// # Transactions and rollback
//
// Rollback (and the rollback of a savepoint, when BeginNested's function fails) follows
// SQLAlchemy's rules, for the objects touched inside what was rolled back:
//
//   - objects inserted inside it, and pending objects added inside it, are expunged:
//     transient again, out of the identity map, with the fields the flush filled
//     (generated keys, server defaults read back, client defaults, foreign keys copied
//     from parents) back to what the application had set. Nothing of what was rolled back
//     is written by a later Commit; to retry, fix the object and Add it again (the
//     catch-fix-retry pattern, see the Session.Rollback example). SQLAlchemy leaves the
//     generated key in the object's __dict__ while making it transient; retort resets it,
//     so that adding the object again inserts a new row with a new key;
//   - objects deleted inside it (flushed or only marked) are persistent again;
//   - objects modified inside it are expired (see Expiry) with the column values they had
//     when it began. The rollback of the session's transaction expires every persistent
//     object; the rollback of a savepoint only those modified inside it, so changes made
//     before the savepoint stay as they are and the outer transaction goes on.
//
// A failed flush has already rolled the database back; the session reports
// ErrPendingRollback (wrapping the cause) until Rollback applies these rules. The same
// holds after a lost connection (a killed backend, a server restart): Commit fails, and
// after Rollback nothing added before it is written by a later Commit. Close rolls back an
// open transaction and undoes what its flushes did, then detaches the objects with their
// unflushed changes (as SQLAlchemy's close does).
//
// A DELETE that matches fewer rows than expected (the rows were deleted by someone else)
// is logged as a warning through the engine's logger (engine.WithLogger) and the flush
// goes on, as SQLAlchemy warns; an UPDATE that matches no row is a *StaleDataError, since
// the change would be lost.
//
// # Optimistic concurrency: the version counter
//
// An integer field tagged `retort:"version"` is the row's version counter, SQLAlchemy's
// version_id_col: a new row gets version 1; every UPDATE of the object carries
// WHERE version = (the version loaded) and sets the next version (sent as a parameter,
// loaded+1, as SQLAlchemy's default generator does); a DELETE carries the same check,
// one statement per row. A row that another transaction changed or deleted since it was
// loaded matches nothing, and the flush fails with a *StaleDataError whose Version is set;
// the object's version is restored. That error is retryable (errors.Is(err,
// engine.ErrRetryable)): SessionMaker.Retry runs the whole transaction again on fresh
// rows, so two writers that read without a lock (no FOR UPDATE) and write back absolute
// values lose no update. Merge of an object whose non-zero version differs from the
// session's object fails the same way (Op "MERGE"). On a Galera cluster two nodes'
// conflicting commits fail at COMMIT with a certification failure instead, which is
// retryable too.
//
// JoinTransaction binds a session to an engine.Conn and the transaction its owner began
// (SQLAlchemy's join_transaction_mode): in CreateSavepoint mode every Commit of the
// session releases a savepoint and every Rollback rolls back to one, so a test can run
// code that commits and still roll everything back at the end (see the
// SessionMaker.JoinTransaction example); in RollbackOnly mode the session never commits
// the outer transaction, and its Rollback rolls it back.
//
// # Autoflush
//
// Autoflush (default on): queries (Scalars, Stream, Get on a miss, Execute, Load) flush
// pending changes first so that they see them. An autoflush that fails returns an
// *AutoflushError naming the operation that started it and wrapping the flush's error
// (errors.As still finds the *engine.IntegrityError). NoAutoflush runs a function with
// autoflush off, for building an object across queries (SQLAlchemy's no_autoflush block).
//
// # Relationships
//
// No I/O ever happens on field access. A relationship field holds what a loader put
// there or what the application assigned.
//
// # Loading relationships
//
// Each relationship has a default loader strategy, its tag's lazy= option, and a query
// may override it for any path with loader options (SQLAlchemy's relationship(lazy=...)
// and .options(...)):
//
//   - select (the default when the tag says nothing): queries do not load it; Load does,
//     explicitly (SQLAlchemy's lazy load, which Go cannot run on attribute access). This
//     is what GORM and Bun users expect of a relation without Preload, with the
//     difference that an unloaded relationship is never mistaken for an empty one (see
//     Related).
//   - selectin: SelectIn(AT.Bs), lazy=selectin. After the query, one SELECT of the
//     related model per relationship and per 500 keys (ChunkSize), WHERE fk IN (...), or
//     (a = ? AND b = ?) OR ... for a composite key. The collections are assigned
//     (empty, non-nil slices for objects without related rows) and the back_populates
//     side is filled. Loads run level by level, and on PostgreSQL all the loads of a
//     level (sibling relationships, the chunks of each, the loads under joined ones) go
//     in one round trip (engine.Conn.ExecuteAll).
//   - joined: Joined(AT.Bs), lazy=joined. A LEFT OUTER JOIN (InnerJoin: JOIN) of the
//     related table under an alias (b_1) in the query itself. A query that joins a
//     collection repeats each object once per related row; as in SQLAlchemy 2.0, which
//     requires result.unique() there, such a query must be marked Unique, or Scalars,
//     ScalarOne and ScalarOneOrNone return ErrUniqueRequired (Scalar, the first object,
//     does not need it). With LIMIT or OFFSET the query becomes a subquery that the joins
//     apply to, so that the limit counts objects.
//   - raise: Raise(AT.Bs), lazy=raise. Not loaded, and reading it through Related is an
//     error that says so (SQLAlchemy's raiseload); Load still loads it.
//   - noload: NoLoad(AT.Bs), lazy=noload. Left empty on purpose, marked loaded.
//
// Options chain through paths: SelectIn(AT.Bs).SelectIn(BT.Cs) loads the B's and their
// C's (three statements); DefaultLoad(AT.Bs).Joined(BT.Cs) keeps A.Bs's own strategy.
// Default strategies apply at every level a load reaches, never back the way it came
// (the back_populates side is filled anyway) nor twice along one path. Collections of
// selectin and joined loads follow the relationship's order_by, else the related model's
// primary key.
//
// Statement counts are part of the contract and tested: N objects (N <= 500) with one
// selectin collection are 2 statements, three levels of selectin 3, a joined load 1,
// 1,200 objects with one selectin collection 1 + 3.
//
// Load(ctx, s, AT.Bs, a1) loads a relationship on demand (await a1.awaitable_attrs.bs).
// It is batched: the objects of one result (a query's objects, the objects one selectin
// load brought, a stream's batch) form a group, and Load of one object loads the
// relationship for every object of its group that lacks it, in one chunked IN query. So
// the N+1 loop "for each a: Load(a.Bs)" costs 2 statements without changing the loop.
// Load leaves a loaded relationship as it is (no SQL), as SQLAlchemy's attribute access
// does; Expire or Refresh first to reload.
//
// Strictness without IsLoaded: Related(s, a, AT.Bs) returns the collection when it is
// loaded and otherwise a *NotLoadedError (errors.Is(err, ErrNotLoaded)) that says
// whether it was never loaded or marked raise, and names the option that would load it;
// RelatedOne is its many-to-one form. Code that reads relationships through them can
// never mistake an unloaded collection for an empty one; reading the field directly stays
// possible (and is what IsLoaded guards).
//
// The N+1 detector (DetectNPlusOne per SessionMaker, DetectNPlusOneOn per engine for a
// test suite, Session.DetectNPlusOne per session) reports
// when one relationship is loaded one object at a time, or one statement shape runs again
// and again in a session, naming the relationship and the loader option that would fix
// it: a slog warning through the engine's logger, or in strict mode (for test suites) an
// *NPlusOneError from the offending call.
//
// Deleting a parent: as SQLAlchemy does without a delete cascade, the children of its
// one-to-many and one-to-one relationships are loaded (when they were not) and their foreign keys set
// to NULL before the parent's DELETE, so they survive it. When the foreign key has
// ON DELETE CASCADE or SET NULL (ondelete=...), the database is left to do it and nothing
// is loaded (SQLAlchemy's passive_deletes, chosen from the schema instead of a flag). A
// child whose foreign key field cannot hold NULL stops the flush with an error naming it.
//
// # Relationship kinds
//
//   - one-to-many, []*Child on the parent: Child's table has the foreign key.
//   - many-to-one, *Parent on the child: the model's own table has the foreign key.
//   - one-to-one, *Child on the parent with the foreign key on Child's table
//     (SQLAlchemy's uselist=False): tagged uselist=false, or inferred when the model's
//     table has no foreign key to Child's and Child's has one to the model's. Replacing
//     the child releases the old one (foreign key set to NULL) or deletes it
//     (delete-orphan).
//   - many-to-many, []*T with secondary=<table>: the association table is a Core table
//     of the registry's MetaData (define it before registering the models), with one
//     foreign key to each side (fk=<column> names the owner's columns when the two sides
//     are the same table). Both sides may declare it, linked by back_populates; an
//     association row is written once whichever side lists the pair. The selectin
//     strategy loads it with one SELECT of the target's columns and the association's
//     owner columns FROM target JOIN association per chunk of owners; the joined
//     strategy joins the association table and the target in the query itself.
//   - association object: a model of its own (with its own columns) reached as a
//     one-to-many from one side and a many-to-one to the other; its key is typically
//     the pair of foreign keys (composite key).
//   - self-referential adjacency list: Parent *Node and Children []*Node on the same
//     model, over parent_id referencing the table's own key. The direction follows the
//     Go type; remote_side=<column> is accepted and checked (naming the referenced key
//     column keeps *Node many-to-one, naming the foreign key column makes it one-to-one).
//   - composite foreign keys: a schema.ForeignKeyConstraint given with WithTableItems;
//     loads use an OR of AND conditions per chunk.
//
// order_by=<column> [asc|desc] (items separated by |, Go field names accepted) orders a
// relationship's collection when it is loaded and the rows of a write-only collection's
// Select. Without it, loaded collections are ordered by the related rows' primary key
// (a deterministic order that SQLAlchemy leaves to the database), and a write-only
// Select has no ORDER BY.
//
// # back_populates in memory
//
// Go has no attribute events, so the two sides of a back_populates pair are made
// consistent at fixed points. The rule: the session reconciles them at Add (for the
// objects added) and at every flush (autoflush included), and the helpers Append, Remove
// and SetParent reconcile at once, without a session. Reconciling compares each
// relationship with what it held when loaded or last flushed: a child that entered a
// collection gets its many-to-one set to the collection's owner and leaves its previous
// parent's collection; a child that left a collection gets its many-to-one set to nil;
// a many-to-one set to another object appends the child to that object's collection and
// removes it from the previous parent's. A collection is appended to only when it holds a
// slice or belongs to a new object: a nil slice on a persistent object is a collection
// not loaded, left alone (and a loaded collection set to nil is let go, not emptied; set
// it to an empty slice to remove every member). A collection of a persistent object that
// was not loaded and that the application fills is taken as additions: its members are
// added (foreign keys set, association rows inserted) and nothing is removed, as with
// SQLAlchemy's append to an unloaded collection; load it first to replace its content
// (a many-to-many pair already in the database would be inserted twice otherwise).
// When both sides were changed and
// disagree, the collection wins. A many-to-one that was loaded (or written) pointing to
// an object and is then set to nil sets the foreign key to NULL, overriding a value the
// application set in the foreign key field (the relationship wins over the column, as in
// SQLAlchemy); on a new object a nil pointer means "not set" and the field's value is
// written.
//
// # Cascades
//
// cascade=<names> (separated by |, or by commas inside quotes: cascade='all,
// delete-orphan') takes SQLAlchemy's names: save-update, merge, expunge, delete,
// delete-orphan, refresh-expire, all (all but delete-orphan) and none. The default is
// save-update and merge. refresh-expire is accepted but not applied: Expire and Refresh
// act on the one object given.
//
//   - save-update: objects reachable through the relationship join the session at Add
//     and at every flush. It follows the fields the application set: an object that only
//     points to a session object through its own many-to-one is not added by that
//     object (SQLAlchemy 2.0 does not cascade through a backref either).
//   - merge: Merge copies the related objects the relationship holds (merged in turn)
//     and points the merged object's relationship at the merged copies.
//   - expunge: Expunge expunges the related objects the relationship holds.
//   - delete: deleting an object deletes its related objects at the flush: the current
//     members, loaded first (one SELECT per relationship and level) when the
//     relationship was not loaded, unless passive_deletes.
//   - delete-orphan: an object removed from its parent's collection (or whose
//     many-to-one to the parent was set to nil) is deleted at the next flush, unless it
//     was moved to another parent. Without it, such an object gets its foreign key set
//     to NULL (an error before any SQL when the field cannot hold NULL).
//
// passive_deletes leaves the children that were not loaded to the database's ON DELETE
// rule (give the foreign key ondelete=cascade); loaded children are still deleted or
// released by the ORM.
//
// # Many-to-many rows, cycles and post_update
//
// The association rows of a flush are written after the INSERTs and UPDATEs of both
// sides (so new rows have their keys) and before the DELETEs: first the rows of pairs
// that left a collection and of deleted objects (by the object's key), then one
// multi-row INSERT per chunk for pairs that entered one. Two tables whose rows reference
// each other (an owner's favourite gadget among its gadgets) form a cycle that no INSERT
// order satisfies (ErrCycle). Tag one relationship post_update, as in SQLAlchemy: its
// foreign key is no dependency; the rows are INSERTed first and the key is written by a
// second UPDATE after every save of the flush, and set to NULL by an UPDATE before the
// DELETEs when the row it references is deleted in the same flush.
//
// # Write-only collections
//
// A WriteOnly[T] field is SQLAlchemy's WriteOnlyMapped: populated when the parent is
// created (WriteOnlyOf), changed through Add, AddAll and Remove, which queue until the
// next flush without loading anything, and read only through Select, a query that can
// be filtered, ordered, run with Scalars or streamed with Stream. Queued additions are
// INSERTed with the flush's other new rows (batched); removals delete the object
// (delete-orphan) or set its foreign key to NULL. Loader options and Load refuse it
// (ErrWriteOnly).
//
// # Streaming
//
// Stream and StreamPartitions read a query in batches (YieldPer, 1000 by default): one
// FETCH of a server-side cursor per batch on PostgreSQL. Each batch is hydrated, its
// loader strategies run for it (selectin between two FETCHes on the same connection;
// joined many-to-one in the rows; a joined collection cannot be streamed), and its
// objects are yielded. As with SQLAlchemy's yield_per, whose identity map holds objects
// weakly, the session lets go of each batch when it reads the next: the objects a batch
// brought in that the loop did not modify become detached, so memory stays flat however
// many rows the query returns (1,000,000 rows stream in a live heap of a few MB on
// SQLite and PostgreSQL); modified objects, objects the session held before, and the
// last batch stay. MySQL and MariaDB cannot run the selectin loads while a result is
// open, so there a stream with selectin loads reads its primary rows first. See
// stream.go.
//
// # Read replicas
//
// A session reads from a read replica while it has not written, in the spirit of
// SQLAlchemy's get_bind and GORM's dbresolver. The replicas are configured on the engine
// (engine.Create(ctx, primaryURL, engine.Replicas(replicaURLs))) or on the session maker
// (ReadReplicas(set), with a set from engine.NewReplicaSet; ReadReplicas(nil) turns them
// off). The rules:
//
//   - outside a transaction that has written, plain reads (queries, Get, loads, Refresh,
//     Execute of a SELECT without a locking clause) run without a transaction on a
//     connection from engine.ReplicaSet.ConnectRead: a replica chosen by the set's policy
//     (round-robin, or an engine.ReplicaPolicy hook), or the primary when the replicas
//     are down (after engine.FallbackWait, with a warning through the engine's logger;
//     a plain read whose replica connection breaks runs again on the primary);
//   - the first write (a flush with changes, Execute of anything else, a locking read,
//     Begin, BeginNested) begins the transaction on the primary, and everything until
//     Commit or Rollback runs there, reads included, so they see the transaction's own
//     writes; after Commit the session reads from a replica again;
//   - UsePrimary(ctx) sends the reads given that context to the primary: a replica lags,
//     and a read right after a commit may not see it there (read your writes on the
//     primary, or commit with synchronous replication such as PostgreSQL's
//     synchronous_commit = remote_apply).
//
// A write that reaches a replica anyway (a session maker built on a replica's engine)
// fails with the server's read-only error, engine.ErrReadOnly (*engine.ReadOnlyError),
// and leaves the session wanting Rollback like any failed flush.
//
// # Sharding
//
// A ShardedSession (from NewShardedSessionMaker) spreads the same models over several
// databases, possibly of different dialects, in the spirit of SQLAlchemy's
// horizontal_shard: ShardConfig's ShardChooser places new objects (their related objects
// go with them), IdentityChooser names the shards ShardGet asks (in order, until one has
// the row), QueryChooser names the shards ShardScalars runs a query on (ShardKeys reads a
// column's values from the query's WHERE clause); the results are merged in the query's
// ORDER BY (columns of the model; NULLs as PostgreSQL sorts them; strings by their bytes)
// or shard after shard, then cut to its OFFSET and LIMIT. The sharded session keeps one
// Session, and so one identity map, per shard: an object's identity is its shard and its
// key, and the same key on two shards is two objects (ShardOf says which shard holds an
// object; Shard(id) gives the shard's Session for work on one shard). Commit flushes
// every shard, then commits them one by one; commits across shards are not atomic.
//
// # Concurrency
//
// A Session is for one goroutine at a time; every method marks it busy for its duration
// (an atomic flag, not a lock), so a call from a second goroutine, or from inside a
// Stream loop, returns ErrConcurrentUse instead of corrupting state. Registries,
// session makers, handles and statements are safe for concurrent use.
package orm
