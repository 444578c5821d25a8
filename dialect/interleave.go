package dialect

// QueryInterleaver is implemented by connections that can run statements while the Rows
// of an earlier Query are still open (SQLite, whose connections step several prepared
// statements at once), which the Conn contract otherwise forbids. The engine's
// StreamBatches reads such a result batch by batch while the caller runs other
// statements between batches. Implementations belong to their Conn: one goroutine at a
// time, until Release.
type QueryInterleaver interface {
	// InterleavesQueries reports whether Exec and Query may be called while a Rows of
	// the connection is open.
	InterleavesQueries() bool
}
