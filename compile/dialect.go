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
}

// ResultColumn describes one column of a statement's result: its label and its type.
type ResultColumn struct {
	Name string
	Type types.Type
}
