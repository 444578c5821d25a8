// Command async_orm is SQLAlchemy's examples/asyncio/async_orm.py (seed 000; seed 001 is
// its 1.4 form) written with the retort ORM: two models, A with a one-to-many collection
// of B's and a create_date filled by the database, a session factory with
// expire_on_commit off, objects added inside a scoped transaction, a query with the B's
// loaded eagerly (selectin), the same query streamed, the first A of select(A).order_by(A.id)
// changed and committed, and an explicit load of a relationship in place of Python's
// awaitable attribute.
//
// It runs on an in-memory SQLite database by default; -url selects any database, and the
// program drops and recreates its tables first, so every run starts clean:
//
//	go run ./examples/async_orm
//	go run ./examples/async_orm -url postgresql://postgres@127.0.0.1:5432/test
//	go run ./examples/async_orm -url mariadb://root@127.0.0.1:3306/test -echo=false
//	go run ./examples/async_orm -joined
//
// -joined shows joined loading: the buffered query loads A.bs with
// joinedload(A.bs) (one SELECT ... FROM a LEFT OUTER JOIN b AS b_1, marked unique as
// SQLAlchemy requires for a joined collection) instead of selectinload(A.bs) (a second
// SELECT ... WHERE b.a_id IN (...)); the output is the same. The stream keeps selectin,
// since a stream reads in batches and cannot join a collection (SQLAlchemy's yield_per
// refuses it too).
//
// As in the seed (create_async_engine(..., echo=True)) the engine echoes every statement
// by default. The echo is written through log/slog to standard error, so that standard
// output holds only the program's own lines; -echo=false silences it.
//
// Python prints model objects with their default repr, an address that changes with every
// run (and the seed's capture lost those print lines); this program gives A and B a
// String method in the form SQLAlchemy users write for __repr__, A(id=1, data='a1') and
// B(id=1, a_id=1, data=None), and prints create_date as Python's str(datetime) does. The
// output on a fresh database is (create dates vary):
//
//	A(id=1, data='a1')
//	created at: 2025-01-02 03:04:05
//	B(id=1, a_id=1, data=None)
//	B(id=2, a_id=1, data=None)
//	A(id=2, data='a2')
//	created at: 2025-01-02 03:04:05
//	B(id=3, a_id=2, data=None)
//	A(id=3, data='a3')
//	created at: 2025-01-02 03:04:05
//	B(id=4, a_id=3, data=None)
//	B(id=5, a_id=3, data=None)
//	A(id=1, data='a1')
//	B(id=1, a_id=1, data=None)
//	B(id=2, a_id=1, data=None)
//	A(id=2, data='a2')
//	B(id=3, a_id=2, data=None)
//	A(id=3, data='a3')
//	B(id=4, a_id=3, data=None)
//	B(id=5, a_id=3, data=None)
//	B(id=1, a_id=1, data=None)
//	B(id=2, a_id=1, data=None)
//
// Where it differs from the seed, and why:
//
//   - The first query has ORDER BY a.id, which the seed's lacks, so that the output is the
//     same on every database (without it the row order is the server's choice).
//   - The last step, await a1.awaitable_attrs.bs, sends no SQL here. In SQLAlchemy the
//     session's identity map holds objects weakly: once the loops are over, the program
//     holds no reference to the first A, it is garbage collected, the final
//     select(A).order_by(A.id) loads it afresh without its B's, and awaitable_attrs.bs
//     runs a lazy SELECT ... WHERE ? = b.a_id. A retort session holds the objects its
//     queries return until it is closed (streams aside), so a1 is the object whose B's
//     were loaded by the first query, and the explicit load finds them loaded.
//   - Python prints the objects' default repr; see String above.
package main
