// Command gather is SQLAlchemy's examples/asyncio/gather_orm_statements.py written with
// the retort ORM: 30 statements run concurrently, each on a session and connection of its
// own, and their objects are merged into one session.
//
// Python's asyncio.gather becomes goroutines under an errgroup (golang.org/x/sync), whose
// first error cancels the others' context; each goroutine opens a session, runs its
// statement and closes the session, which leaves its objects detached (the counterpart
// of result.freeze()); orm.MergeResult then brings them into the main session without SQL,
// as merge_frozen_result(..., load=False) does. As the seed warns, the statements run in
// separate transactions, so the pattern gives up transactional consistency between them.
//
// It runs on an in-memory SQLite database by default (the engine shares one in-memory
// database between its connections); -url selects any database, and the program drops
// and recreates its table first:
//
//	go run ./examples/gather
//	go run ./examples/gather -url postgresql://postgres@127.0.0.1:5432/test
//	go run ./examples/gather -url mariadb://root@127.0.0.1:3306/test -echo
//
// Where it differs from the seed, and why: the seed picks its 30 rows with
// random.choice, so its output changes with every run; this program draws them from a
// seeded generator (-seed, 1 by default), so that the output is the same on every run
// and can be tested. It prints, as the seed does, one line:
//
//	results: [[A(id_=41, data='a_40')], [A(id_=70, data='a_69')], ...]
//
// with the keys the database generated (1 to 100 on a fresh database of one server).
package main
