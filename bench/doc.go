// Package bench compares retort with raw pgx, database/sql over pgx's stdlib driver, Bun,
// GORM and ent on PostgreSQL, and with the raw drivers on MariaDB and SQLite. It is a
// module of its own so that retort itself never depends on its peers.
//
// The benchmarks are in the test files and read the databases to use from the
// environment (each is created empty by scripts/bench and dropped afterwards; the
// benchmarks create their tables in it):
//
//	RETORT_BENCH_POSTGRES=postgresql://postgres@127.0.0.1:5432/somedb
//	RETORT_BENCH_MYSQL=mariadb://root@127.0.0.1:3306/somedb
//	RETORT_BENCH_STREAM_ROWS=1000000   (rows of the Stream case)
//
// A benchmark whose database variable is unset is skipped; the SQLite section always runs
// on a temporary file. The case and library names in the benchmark names
// (BenchmarkPostgres/<Case>/<lib>) are those that cmd/benchreport turns into
// bench/RESULTS.md, bench/ratios.svg and the BENCH lines.
package bench
