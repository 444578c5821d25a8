// Package migrations holds this module's database migrations. Each migration file adds its
// revision to Chain in an init function; write new ones with
// go run github.com/retortdb/retort/cmd/retort migrate revision -m MESSAGE -autogenerate.
package migrations

import "github.com/retortdb/retort/migrate"

// Chain is the chain of this module's migrations, filled by the migration files at
// start-up (safe for concurrent use afterwards; it lives for the whole program).
var Chain = migrate.NewChain()
