// Command async_orm_writeonly is SQLAlchemy's examples/asyncio/async_orm_writeonly.py
// (seed 002) written with the retort ORM: A's collection of B's is a write-only
// relationship (orm.WriteOnly, SQLAlchemy's WriteOnlyMapped), populated from a list when
// each A is created, never loaded, and read only through statements:
// orm.Scalars(ctx, s, a1.Bs.Select()) and orm.Stream(ctx, s, a1.Bs.Select()).
//
// It runs on an in-memory SQLite database by default; -url selects any database, and the
// program drops and recreates its tables first, so every run starts clean:
//
//	go run ./examples/async_orm_writeonly
//	go run ./examples/async_orm_writeonly -url postgresql://postgres@127.0.0.1:5432/test
//	go run ./examples/async_orm_writeonly -url mariadb://root@127.0.0.1:3306/test -echo=false
//
// As in the seed (create_async_engine(..., echo=True)) the engine echoes every statement
// by default, through log/slog on standard error, so that standard output holds only
// what the program prints; -echo=false silences it.
//
// The program follows the seed's text; where it differs, and why:
//
//   - The seed prints a1 and b1 with Python's default repr, an address that changes with
//     every run (and the capture of the seed lost those print lines); A and B have a
//     String method in the form SQLAlchemy users write for __repr__, A(id=1, data='a1')
//     and B(id=1, a_id=1, data=None), and create_date is printed as Python's
//     str(datetime) does.
//   - select(A) and a1.bs.select() have no ORDER BY, as in the seed: the rows come in the
//     order the database returns them, which on these freshly filled tables is the order
//     of insertion on SQLite, PostgreSQL and MariaDB.
//   - The seed opens a stream of B's inside the loop over a stream of A's. A retort
//     session runs one statement at a time, and its stream holds the session's
//     connection until the loop ends, so the streamed A's are gathered first and each
//     A's B's are streamed after the outer stream has ended. The statements and the
//     output are the same; only the order of the SELECTs in the echo differs.
//   - The seed's last step changes a1.data and leaves the session without committing:
//     the change is rolled back when the session closes, and so is here (the database
//     keeps 'a1').
//
// The output on a fresh database is (create dates vary):
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
package main
