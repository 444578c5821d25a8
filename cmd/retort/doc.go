// Command retort is retort's command line. Its one command is migrate, the
// migration tool (Alembic for retort):
//
//	go run ./cmd/retort migrate [-dir DIR] [-models PKG] [-url URL] VERB [ARGS]
//
// migrate init creates the migrations package in DIR (default "migrations"): a Chain
// variable that every migration file adds itself to. Every other verb (revision -m MSG
// [-autogenerate], merge -m MSG, upgrade [REV|head|+N], downgrade REV|base|-N, current,
// history, heads, stamp REV, check, sql [-from REV] [-to REV]) is run by a small main
// program that retort writes into a temporary directory of the module and runs with
// `go run`: it imports the migrations package and, with -models, the package holding
// the models, which must have a function MetaData() *schema.MetaData. See
// migrate.Command for the verbs; programs that migrate at start-up call
// migrate.New(...).Upgrade instead.
//
// The database URL comes from -url or RETORT_DATABASE_URL; it is never printed with its
// password.
package main
