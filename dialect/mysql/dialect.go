package mysql

import (
	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
)

// Flavor says which server of the MySQL family a Dialect talks to.
type Flavor uint8

// The MySQL-family servers.
const (
	MySQL Flavor = iota
	MariaDB
)

// Dialect is the MySQL/MariaDB dialect. Use New. Safe for concurrent use.
// It holds no connection and lives as long as the engines that use it.
type Dialect struct {
	flavor   Flavor
	version  [3]int
	features compile.Features
	reserved map[string]struct{}
	galera   bool // the server is a Galera cluster node (wsrep_on=ON)
}

// Galera reports whether the engine's server is a node of a Galera cluster (MariaDB
// Galera Cluster, Percona XtraDB Cluster: wsrep_on=ON when the engine connected). See the
// package doc for what differs there.
func (d *Dialect) Galera() bool { return d.galera }

// New returns the dialect for the given server flavor and version (major, minor, patch).
// MariaDB 10.5+ gets INSERT/DELETE ... RETURNING; MySQL 8.0+ gets window functions, CTEs,
// and SKIP LOCKED.
func New(flavor Flavor, major, minor, patch int) *Dialect {
	f := compile.Features(0)
	for _, x := range []compile.Feature{
		compile.MultiValuesInsert, compile.Savepoints, compile.ForUpdate,
		compile.OnDuplicateKey, compile.InlineEnum, compile.AlterAddConstraint,
		compile.AlterColumnInPlace, compile.ModifyColumn, compile.InlineComment,
		compile.BooleanLiterals,
	} {
		f = f.With(x)
	}
	ver := major*10000 + minor*100 + patch
	switch flavor {
	case MariaDB:
		f = f.With(compile.WindowFunctions).With(compile.CTEs).With(compile.IntersectExcept)
		if ver >= 100500 {
			f = f.With(compile.InsertReturning).With(compile.DeleteReturning)
		}
		if ver >= 100600 {
			f = f.With(compile.SkipLocked)
		}
	default:
		if ver >= 80000 {
			f = f.With(compile.WindowFunctions).With(compile.CTEs).With(compile.SkipLocked)
		}
		if ver >= 80031 {
			f = f.With(compile.IntersectExcept)
		}
	}
	return &Dialect{flavor: flavor, version: [3]int{major, minor, patch}, features: f,
		reserved: dialect.ReservedWords(append(dialect.CommonReserved,
			"accessible", "analyze", "change", "condition", "database", "databases", "div",
			"dual", "explain", "fetch", "force", "ignore", "interval", "kill", "lines", "load",
			"lock", "long", "match", "mod", "option", "out", "range", "read", "regexp", "rename",
			"repeat", "replace", "require", "return", "returning", "schema", "show", "signal",
			"status", "trigger", "usage", "use", "window", "write", "xor", "year_month", "rank",
			"row", "rows", "groups", "system", "of", "lateral", "recursive")...)}
}

// Name returns "mysql" or "mariadb".
func (d *Dialect) Name() string {
	if d.flavor == MariaDB {
		return "mariadb"
	}
	return "mysql"
}

// Flavor returns which server the dialect was built for.
func (d *Dialect) Flavor() Flavor { return d.flavor }

// Features returns the server's capabilities.
func (d *Dialect) Features() compile.Features { return d.features }

// AppendIdent appends name, backquoted when needed.
func (d *Dialect) AppendIdent(b []byte, name string) []byte {
	return dialect.AppendQuoted(b, name, '`', d.reserved)
}

// AppendPlaceholder appends "?".
func (d *Dialect) AppendPlaceholder(b []byte, index int) []byte { return append(b, '?') }

// StatementSnapshots reports true at READ COMMITTED and READ UNCOMMITTED only: the
// server's default, REPEATABLE READ, reads every statement of a transaction from one
// snapshot.
func (d *Dialect) StatementSnapshots(isolation string) bool {
	return isolation == "READ COMMITTED" || isolation == "READ UNCOMMITTED"
}
