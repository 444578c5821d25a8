package sqlite

// InterleavesQueries reports true: an SQLite connection steps several statements at once,
// so statements may run while the rows of a query are open (dialect.QueryInterleaver).
func (c *conn) InterleavesQueries() bool { return true }
