// Command retort-soak is a bounded load test of retort's ORM: many goroutines run mixed
// unit-of-work transactions (inserts of parents with children, updates, deletes,
// selectin reads, streams, savepoints, increments of one shared counter under row locks)
// against one engine whose pool is smaller than the number of goroutines, for a fixed
// time. Each goroutine keeps a ledger of what its committed transactions wrote; at the
// end an independent Core query counts every row and computes a checksum, which must
// match the ledgers: a lost, duplicated or half-committed row fails the run.
//
//	go run ./cmd/retort-soak -url sqlite:///soak.db -duration 20s
//
// It prints operations per second, operation counts, errors by kind and the
// verification; it exits non-zero on any error or mismatch. Conflicts between
// transactions are retried with orm.SessionMaker.Retry and counted as retries, not
// errors.
package main
