package dialect

import "context"

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

// QueryPipeliner is implemented by connections that can send several queries in one
// round trip (PostgreSQL's pipeline: one batch, one sync), with a pending BEGIN in front.
// Implementations belong to their Conn: one goroutine at a time, until Release.
type QueryPipeliner interface {
	// PipelinesQueries reports whether the connection pipelines queries (it may depend on
	// its configuration); when false QueryPipeline is not called.
	PipelinesQueries() bool
	// QueryPipeline sends the queries sqls[i] with arguments args[i] in one round trip and
	// calls read with the rows of each, in order; read must not close them. A failing
	// query ends the pipeline with its error (the queries after it do not run); read's
	// error ends it too.
	QueryPipeline(ctx context.Context, sqls []string, args [][]any, read func(i int, rows Rows) error) error
}
