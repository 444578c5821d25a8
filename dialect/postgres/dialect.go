package postgres

import (
	"strconv"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
)

// Dialect is the PostgreSQL dialect. Use New. Safe for concurrent use.
// It holds no connection and lives as long as the engines that use it.
type Dialect struct {
	features compile.Features
	reserved map[string]struct{}
}

// New returns the PostgreSQL dialect.
func New() *Dialect {
	f := compile.Features(0)
	for _, x := range []compile.Feature{
		compile.InsertReturning, compile.UpdateReturning, compile.DeleteReturning,
		compile.MultiValuesInsert, compile.Savepoints, compile.ServerSideCursors,
		compile.FullOuterJoin, compile.NullsOrdering, compile.ILike, compile.IntersectExcept,
		compile.ForUpdate, compile.SkipLocked, compile.WindowFunctions, compile.CTEs,
		compile.OnConflict, compile.NativeInterval, compile.NativeUUID, compile.NativeEnum,
		compile.AlterAddConstraint, compile.TransactionalDDL, compile.BooleanLiterals,
		compile.AlterColumnInPlace, compile.AlterTypeUsing, compile.CommentOn,
		compile.PartialIndexes, compile.PipelinedBatches,
	} {
		f = f.With(x)
	}
	return &Dialect{features: f, reserved: dialect.ReservedWords(append(dialect.CommonReserved,
		"analyse", "analyze", "array", "asymmetric", "both", "cast", "current_role", "current_user",
		"deferrable", "do", "fetch", "grant", "ilike", "initially", "lateral", "leading", "localtime",
		"localtimestamp", "only", "placing", "returning", "session_user", "some", "symmetric",
		"trailing", "user", "variadic", "verbose", "window")...)}
}

// Name returns "postgresql".
func (d *Dialect) Name() string { return "postgresql" }

// Features returns PostgreSQL's capabilities.
func (d *Dialect) Features() compile.Features { return d.features }

// AppendIdent appends name, double-quoted when needed.
func (d *Dialect) AppendIdent(b []byte, name string) []byte {
	return dialect.AppendQuoted(b, name, '"', d.reserved)
}

// AppendPlaceholder appends "$n".
func (d *Dialect) AppendPlaceholder(b []byte, index int) []byte {
	return strconv.AppendInt(append(b, '$'), int64(index), 10)
}

// StatementSnapshots reports true at READ COMMITTED (PostgreSQL's default, assumed for
// "") and READ UNCOMMITTED (which PostgreSQL runs as READ COMMITTED). A server configured
// with another default_transaction_isolation should be given engine.IsolationLevel.
func (d *Dialect) StatementSnapshots(isolation string) bool {
	switch isolation {
	case "", "READ COMMITTED", "READ UNCOMMITTED":
		return true
	}
	return false
}
