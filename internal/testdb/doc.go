// Package testdb gives retort's tests a fresh database on each target: an SQLite file in
// the test's temporary directory, and, when the servers are configured, a throwaway
// PostgreSQL database and a throwaway MariaDB/MySQL database, created for the test and
// dropped when it ends. No two tests ever share tables, so packages can run in parallel
// and be rerun with -count.
//
// The servers are found through environment variables holding SQLAlchemy-style URLs:
//
//	RETORT_TEST_POSTGRES=postgresql://postgres@127.0.0.1:5432/test
//	RETORT_TEST_MYSQL=mariadb://root@127.0.0.1:3306/test
//
// The database named in each URL is only used to connect for CREATE DATABASE and
// DROP DATABASE. scripts/test sets both variables (starting or installing the servers as
// needed). When a variable is unset, tests of that target are skipped with a message
// saying how to run them; when CI=true they fail instead, so CI never passes with a
// server silently untested.
//
// RETORT_TEST_TARGETS=mariadb (or any comma-separated list of target names) runs only
// the targets it names and skips the others; scripts/test uses it to run the MySQL-target
// tests a second time with RETORT_TEST_MYSQL pointing at a node of a Galera cluster.
//
// RETORT_TEST_PG_REPLICA holds a PostgreSQL primary's URL and its hot standby's
// (scripts/cluster pg-replica up prints both): PGReplica gives a test a database on the
// primary and the same database through the standby, WaitReplay waits for the standby to
// catch up, and WithOutage puts a proxy in front of a server that the test can cut or
// stall. scripts/test sets the variable only for the step that runs the replica tests;
// elsewhere those tests are skipped.
//
// testdb is for tests only. It imports the PostgreSQL and MySQL drivers directly, which
// is allowed for this package alone (outside dialect/*), and never prints passwords.
package testdb
