// Package mysql is retort's dialect for MySQL and MariaDB, on go-sql-driver/mysql. The two
// servers differ (MariaDB has INSERT/DELETE ... RETURNING, MySQL has none); the dialect is
// built for the server detected at connect time.
//
// # Galera clusters
//
// A node of a Galera cluster (MariaDB Galera Cluster, Percona XtraDB Cluster) is a
// MySQL-family server like any other to retort, and Dialect.Galera reports it (wsrep_on
// at connect time). What differs from one server, and what retort does about it:
//
//   - Generated keys step by the node count (wsrep_auto_increment_control): a 3-node
//     cluster gives 1, 4, 7 on one node. Nothing in retort assumes consecutive keys; the
//     ORM reads each row's key back (RETURNING, or the last insert id of one-row INSERTs
//     without it).
//   - Conflicting transactions on two nodes are resolved at COMMIT (certification): the
//     later one fails with 1213 (a deadlock, often with no "wsrep" in the message) or 1180
//     / 1317 with a wsrep message. These are *dialect.RetryableError values
//     (engine.ErrRetryable), as is a node that is briefly outside the primary component
//     (NotPrimary: 1047, 1180 "Not connected to Primary Component"); engine.Retry and
//     orm's SessionMaker.Retry run the transaction again. SELECT ... FOR UPDATE locks rows
//     on one node only; the ORM's version counter (a field tagged version) detects a
//     lost update on any node.
//   - Reads on one node do not wait for what another node committed just before, unless
//     the session asks: wsrep_sync_wait=1 on every connection (engine.OnConnect, or the
//     URL option init_command=SET SESSION wsrep_sync_wait=1) gives read-your-writes
//     across nodes.
//   - Named locks (GET_LOCK, which the migrate package takes for a run) are held on one
//     node only: two migration runs through two nodes are not kept apart. Run migrations
//     through one node (Galera replicates DDL in total order cluster-wide).
//   - retort never sends LOCK TABLES, FLUSH TABLES WITH READ LOCK or XA transactions,
//     which Galera does not replicate or support.
//   - Galera replicates InnoDB tables with a primary key reliably; the ORM requires one
//     for every mapped table. A Core table defined without a primary key is the
//     application's choice (MariaDB's wsrep_mode=REQUIRED_PRIMARY_KEY makes the server
//     refuse such tables).
//
// scripts/cluster galera up starts a 3-node cluster on loopback for tests; scripts/test
// runs the MySQL-target tests, the examples and orm's cross-node tests (TestGalera*)
// there.
package mysql
