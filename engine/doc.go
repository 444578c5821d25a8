// Package engine connects retort to databases: it is SQLAlchemy's Engine, Connection and
// Result (and their asyncio forms) in idiomatic Go.
//
// An Engine is built from a SQLAlchemy-style URL and shared by the whole program:
//
//	eng, err := engine.Create(ctx, "postgresql://scott:tiger@localhost/test", engine.Echo(true))
//	...
//	defer eng.Close()
//
// The accepted URLs are described on URL: sqlite:///relative.db, sqlite:////abs/path.db,
// sqlite:// (in memory), postgresql://user:pass@host:port/db?opt=value (also postgres://
// and postgresql+pgx://), mysql://... and mariadb://...; Python driver names such as
// +asyncpg, +aiosqlite or +pymysql are accepted so that SQLAlchemy URLs work unchanged.
// The password never appears in an error or a log line.
//
// Connections come from a pool. Connect waits at most DefaultPoolTimeout (30 s) for a
// free one, then fails with an error matching ErrPoolTimeout; PoolTimeout or the URL
// option ?pool_timeout=SECONDS changes the wait. An in-memory SQLite engine (sqlite://)
// has several connections to one database like any other engine, so holding a Conn while
// a session runs queries in the same goroutine works.
//
// Session settings that every connection must have (wsrep_sync_wait on a Galera cluster,
// search_path, a time zone) belong in OnConnect or the URL option init_command: each new
// pooled connection runs them before its first use. A SET, USE or assigning PRAGMA run
// through a Conn changes that connection alone, and the engine closes it rather than
// returning it to the pool, so no setting leaks to the connection's next user.
//
// A Conn is one pooled connection, used by one goroutine:
//
//	conn, err := eng.Connect(ctx)
//	...
//	defer conn.Close()
//	res, err := conn.Execute(ctx, stmt) // a buffered *Result
//	for row, err := range conn.Stream(ctx, stmt) { ... } // constant memory
//
// Statements are expr.Statement values (built with package expr, or expr.Text for raw
// SQL); the engine compiles them for its dialect through package compile, which caches the
// rendering of each statement shape. Arguments and results are converted by the dialect,
// so that every value comes back as the canonical Go type of its column type (see
// types.Kind) on every database.
//
// Rows into structs: ScanAll[T](res) copies every row of a result into a []T, matching
// columns to fields by their retort tag, snake_case name or name (embedded structs
// included); Row.ScanStruct does one row. Raw results (expr.Text without declared
// column types) convert text timestamps and numbers into the fields' Go types.
//
// Logging: Echo(true) logs each statement after it ran, its SQL on one line with its
// arguments, duration and rows; SlowStatements(d) logs the statements that took d or
// longer at level Warn, with or without Echo.
//
// Transactions: Conn.Begin returns a *Tx with Commit and Rollback, and Tx.BeginNested makes
// savepoints to any depth. The scoped forms Engine.Begin, Conn.Transaction and Conn.Nested
// run a function and commit when it returns nil, roll back when it returns an error or
// panics. Outside a transaction each statement commits on its own.
//
// Every method that does I/O takes a context first and honours its cancellation: the
// statement is cancelled on the server, the method returns an error wrapping ctx.Err(),
// and the connection is discarded rather than returned to the pool in an unknown state.
//
// Errors are errors.Is/As friendly: ErrNoResult, ErrMultipleResults, ErrClosed,
// ErrInvalidURL and ErrUnknownDialect are sentinels; a failed statement is a
// *StatementError carrying the SQL and unwrapping to its cause, such as an
// *IntegrityError (unique, foreign key, not null, check), classified the same way on
// every dialect, naming the constraint and its columns as far as the database or the
// statement's table definition tell them.
//
// Read replicas: Create's Replicas option (or NewReplicaSet over engines made by hand)
// gives the engine a ReplicaSet; ConnectRead returns a connection for reads on a replica
// chosen by a ReplicaPolicy (RoundRobin by default), or on the primary when the context
// comes from UsePrimary or no replica answers within FallbackWait (a warning is logged
// through Logger and the replica is left out for ReplicaCooldown). A plain SELECT whose
// replica connection breaks runs again on the primary. A write that reaches a replica
// fails with ErrReadOnly. See replica.go.
package engine
