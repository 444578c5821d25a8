package compile

import "github.com/retortdb/retort/types"

// Feature is one capability a dialect may have. Shared code asks for features instead of
// branching on a dialect's name.
type Feature uint64

// Features is a set of Feature bits.
type Features uint64

// Has reports whether fs contains f.
func (fs Features) Has(f Feature) bool { return uint64(fs)&uint64(f) != 0 }

// With returns fs with f added.
func (fs Features) With(f Feature) Features { return Features(uint64(fs) | uint64(f)) }

// Without returns fs with f removed.
func (fs Features) Without(f Feature) Features { return Features(uint64(fs) &^ uint64(f)) }

// The features a dialect may declare.
const (
	InsertReturning    Feature = 1 << iota // INSERT ... RETURNING
	UpdateReturning                        // UPDATE ... RETURNING
	DeleteReturning                        // DELETE ... RETURNING
	MultiValuesInsert                      // INSERT ... VALUES (...), (...)
	Savepoints                             // SAVEPOINT / RELEASE / ROLLBACK TO
	ServerSideCursors                      // DECLARE ... CURSOR / FETCH
	FullOuterJoin                          // FULL OUTER JOIN
	NullsOrdering                          // ORDER BY x NULLS FIRST|LAST
	ILike                                  // native ILIKE
	IntersectExcept                        // INTERSECT and EXCEPT
	ForUpdate                              // SELECT ... FOR UPDATE
	SkipLocked                             // FOR UPDATE SKIP LOCKED / NOWAIT
	WindowFunctions                        // OVER (PARTITION BY ... ORDER BY ...)
	CTEs                                   // WITH and WITH RECURSIVE
	OnConflict                             // INSERT ... ON CONFLICT (PostgreSQL, SQLite)
	OnDuplicateKey                         // INSERT ... ON DUPLICATE KEY UPDATE (MySQL)
	NativeInterval                         // an INTERVAL column type
	NativeUUID                             // a UUID column type
	NativeEnum                             // CREATE TYPE ... AS ENUM (PostgreSQL)
	InlineEnum                             // ENUM('a','b') column type (MySQL)
	AlterAddConstraint                     // ALTER TABLE ... ADD CONSTRAINT (FOREIGN KEY)
	TransactionalDDL                       // DDL can be rolled back
	BooleanLiterals                        // TRUE / FALSE literals
	AlterColumnInPlace                     // ALTER TABLE changes a column's type, nullability and default in place
	ModifyColumn                           // ... by restating the whole column: ALTER TABLE t MODIFY COLUMN (MySQL)
	AlterTypeUsing                         // ALTER COLUMN c TYPE t USING CAST(c AS t) (PostgreSQL)
	CommentOn                              // column comments set by COMMENT ON COLUMN (PostgreSQL)
	InlineComment                          // column comments in the column definition: COMMENT 'text' (MySQL)
	PartialIndexes                         // CREATE INDEX ... WHERE condition (PostgreSQL, SQLite)
	PipelinedBatches                       // several statements sent in one round trip (engine.Conn.ExecBatch)
)

// Dialect is what the compiler asks of a SQL dialect. Implementations live in
// dialect/sqlite, dialect/postgres and dialect/mysql; they must be safe for concurrent use.
type Dialect interface {
	// Name is the dialect's name: "sqlite", "postgresql", "mysql" or "mariadb".
	Name() string
	// Features returns the capabilities of the dialect (for MySQL-family, of the server detected).
	Features() Features
	// AppendIdent appends name to b, quoted if it needs quoting (reserved word, upper case,
	// special characters), with embedded quote characters escaped.
	AppendIdent(b []byte, name string) []byte
	// AppendPlaceholder appends the placeholder of the index-th (1-based) bound parameter.
	AppendPlaceholder(b []byte, index int) []byte
	// Syntax returns how the dialect spells the constructs that differ between databases.
	// The result is shared and must not be modified.
	Syntax() *Syntax
	// FuncName maps a function name, as given to expr.Fn (now, random, ...), to the
	// dialect's spelling; bare reports that the spelling is the whole call, written
	// without an argument list (CURRENT_TIMESTAMP, now(6)), and then it replaces calls
	// without arguments only. Names it does not know are returned unchanged.
	FuncName(name string) (sql string, bare bool)
	// AppendCastType appends the type name that CAST(x AS type) uses for t, or returns an
	// error (wrapping ErrUnsupported) when the dialect cannot cast to t.
	AppendCastType(b []byte, t types.Type) ([]byte, error)
}

// Syntax describes the spellings a dialect chooses where SQL databases differ. Dialects
// return a shared, read-only Syntax from Dialect.Syntax.
// Being read-only, it is safe for concurrent use; it lives as long as its dialect.
type Syntax struct {
	// LimitAll is the LIMIT written when a statement has OFFSET without LIMIT, on
	// databases that cannot write OFFSET alone ("-1" on SQLite, "18446744073709551615" on
	// MySQL); "" when OFFSET may stand alone.
	LimitAll string
	// ConcatFunc writes string concatenation as concat(a, b) instead of a || b (MySQL,
	// where || means OR).
	ConcatFunc bool
	// ShareLock is the clause of a shared row lock: "FOR SHARE" or "LOCK IN SHARE MODE".
	ShareLock string
	// DefaultValues follows "INSERT INTO t" when no column is given a value:
	// "DEFAULT VALUES" or "() VALUES ()".
	DefaultValues string
	// BackslashEscapes reports that backslashes in string literals are escape characters
	// and must be doubled (MySQL's default SQL mode).
	BackslashEscapes bool
	// IntDivision is the operator for dividing two integers when "/" would not truncate
	// ("DIV" on MySQL, whose "/" returns a decimal); "" when "/" on integers truncates.
	IntDivision string
	// CastUntypedBinds writes a bound value as CAST(? AS type) where the database cannot
	// infer the parameter's type from its surroundings: a value alone in the select list,
	// both operands of an operator, every argument of a function, every result of a CASE
	// (PostgreSQL, which would otherwise take such parameters as text).
	CastUntypedBinds bool
	// HexByteString writes byte-string literals as '\x0a0b' (PostgreSQL bytea) instead of
	// X'0a0b'.
	HexByteString bool
}

// ResultColumn describes one column of a statement's result: its label and its type.
// It is a plain value: safe for concurrent reads, it lives as long as the caller keeps it.
type ResultColumn struct {
	Name string
	Type types.Type
}
