// Command basic is SQLAlchemy's examples/asyncio/basic.py written with retort Core: it
// defines a table, drops and creates it, inserts rows, selects them (buffered, then
// streamed), updates and deletes some, and prints what it does along the way.
//
// It runs on an in-memory SQLite database by default; -url selects any database:
//
//	go run ./examples/basic
//	go run ./examples/basic -echo -url postgresql://postgres@127.0.0.1:5432/test
//	go run ./examples/basic -url mariadb://root@127.0.0.1:3306/test
package main
