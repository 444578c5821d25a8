// Command migrations shows retort's migration tool on a model at four versions:
// v1 (users and notes), v2 (users get an email column and an index on it), v3
// (users.name renamed full_name, a new teams table and a foreign key to it), v4 (notes
// dropped). Each migration in ./migrations was written by
//
//	go run ./cmd/retort migrate -dir examples/migrations/migrations -url sqlite:////tmp/gen.db \
//		-models ./examples/migrations/model/vN revision -m MESSAGE -autogenerate
//
// and committed after review (the destructive steps of each are accepted in its Accept
// list). The program upgrades an empty database one revision at a time, writing rows
// through each version's models, checks that the rows survive the rename, that the
// database then matches the last models (migrate check), downgrades to base, and
// upgrades again to head.
//
// It runs on an in-memory SQLite database by default; -url selects any database:
//
//	go run ./examples/migrations
//	go run ./examples/migrations -url postgresql://postgres@127.0.0.1:5432/test
//	go run ./examples/migrations -url mariadb://root@127.0.0.1:3306/test
package main
