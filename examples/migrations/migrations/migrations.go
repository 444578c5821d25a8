package migrations

import "github.com/retortdb/retort/migrate"

// Chain is the chain of this module's migrations, filled by the migration files at
// start-up (safe for concurrent use afterwards; it lives for the whole program).
var Chain = migrate.NewChain()
