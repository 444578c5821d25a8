// Command blog is a small blog's data layer written with the retort ORM: users, posts,
// comments, tags (a many-to-many relationship through post_tags), keyset pagination, a post
// page with its author, comments and tags, counts, a title edit (a hook keeps the slug,
// update_default the updated_at), an ownership transfer through the unit of work (its 25
// UPDATEs sent in one round trip on PostgreSQL) and as one bulk UPDATE, a raw SQL report
// scanned into a struct, and a delete whose comments go by ON DELETE CASCADE.
//
// Each operation prints what it did and the statements it sent, counted through the
// engine's echo (a slog.Handler given to engine.WithLogger), with transaction control
// (BEGIN, COMMIT, ROLLBACK) apart:
//
//	go run ./examples/blog
//	go run ./examples/blog -url postgresql://postgres@127.0.0.1:5432/test
//	go run ./examples/blog -url mariadb://root@127.0.0.1:3306/test -echo
//
// It drops and creates its tables (users, posts, comments, tags, post_tags) first. On
// PostgreSQL, SQLite and MariaDB:
//
//	sign up 3 users                        3 users                                     1 statements, 2 transaction control
//	reject an invalid e-mail               rejected before any SQL                     0 statements, 2 transaction control
//	upsert 3 tags                          3 tags                                      1 statements, 2 transaction control
//	publish 25 posts with tags             25 posts, first slug post-number-1          3 statements, 2 transaction control
//	comment on a post 3 times              3 comments                                  1 statements, 2 transaction control
//	page through posts (10 a page)         3 pages, 25 posts                           4 statements, 0 transaction control
//	show a post (author, comments, tags)   by Ann, 3 comments, tags go,orm             4 statements, 0 transaction control
//	count and exists                       25 posts, commented: true                   2 statements, 0 transaction control
//	edit a post's title                    slug hello-again, updated_at set: true      2 statements, 2 transaction control
//	transfer ownership (25 posts)          25 posts moved                             26 statements, 2 transaction control
//	bulk transfer back (one UPDATE)        25 posts moved                              1 statements, 2 transaction control
//	raw report into a struct               Ann 25/3, Bob 0/0, Cy 0/0                   1 statements, 2 transaction control
//	delete a post (comments cascade)       deleted                                     2 statements, 2 transaction control
//
// Reads outside a transaction (0 transaction control) are PostgreSQL's and SQLite's; at
// MariaDB's REPEATABLE READ a reading session begins a transaction. MySQL, which has no
// INSERT ... RETURNING, inserts rows with generated keys one statement each. Moving 25
// posts is 25 UPDATEs pipelined in one round trip on PostgreSQL (shown above); on SQLite
// and MariaDB the flush merges them into one UPDATE ... SET author_id = CASE id ... END
// (2 statements with the SELECT).
package main
