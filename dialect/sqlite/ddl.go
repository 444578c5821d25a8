package sqlite

import (
	"fmt"
	"strconv"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// SQLite DDL, as the methods of compile.DDLDialect:
//
//   - Type names are chosen for their SQLite affinity: Integer/BigInt/SmallInt are
//     INTEGER/BIGINT/SMALLINT (an autoincrement column is always exactly INTEGER, the
//     rowid alias), Boolean BOOLEAN, Float REAL, Double DOUBLE, Numeric NUMERIC(p,s),
//     String VARCHAR(n), Text TEXT, Bytes BLOB, Date DATE, Time TIME, Timestamp DATETIME,
//     Interval BIGINT (microseconds), JSON TEXT, UUID CHAR(36).
//   - Enums are VARCHAR(longest value) plus a table CHECK (col IN (...)).
//   - SQLite cannot add a foreign key to an existing table, so keys that break a
//     dependency cycle (UseAlter) stay inside CREATE TABLE: SQLite accepts references to
//     tables that do not exist yet and checks them only when rows are written.
//   - Non-literal server defaults are parenthesised (DEFAULT (CURRENT_TIMESTAMP)).

// AppendColumnType appends the SQLite type for t.
func (d *Dialect) AppendColumnType(b []byte, t types.Type, autoincrement bool) ([]byte, error) {
	if autoincrement {
		return append(b, "INTEGER"...), nil
	}
	switch t.Kind {
	case types.KindInteger:
		return append(b, "INTEGER"...), nil
	case types.KindBigInt, types.KindInterval:
		return append(b, "BIGINT"...), nil
	case types.KindSmallInt:
		return append(b, "SMALLINT"...), nil
	case types.KindBoolean:
		return append(b, "BOOLEAN"...), nil
	case types.KindFloat:
		return append(b, "REAL"...), nil
	case types.KindDouble:
		return append(b, "DOUBLE"...), nil
	case types.KindNumeric:
		return appendNumeric(b, "NUMERIC", t), nil
	case types.KindString:
		if t.Length > 0 {
			return append(strconv.AppendInt(append(b, "VARCHAR("...), int64(t.Length), 10), ')'), nil
		}
		return append(b, "VARCHAR"...), nil
	case types.KindText, types.KindJSON:
		return append(b, "TEXT"...), nil
	case types.KindBytes:
		return append(b, "BLOB"...), nil
	case types.KindDate:
		return append(b, "DATE"...), nil
	case types.KindTime:
		return append(b, "TIME"...), nil
	case types.KindTimestamp:
		return append(b, "DATETIME"...), nil
	case types.KindUUID:
		return append(b, "CHAR(36)"...), nil
	case types.KindEnum:
		n := 1
		for _, v := range t.EnumValues {
			n = max(n, len(v))
		}
		return append(strconv.AppendInt(append(b, "VARCHAR("...), int64(n), 10), ')'), nil
	}
	return nil, fmt.Errorf("%w: sqlite has no column type for %s", compile.ErrCompile, t)
}

func appendNumeric(b []byte, name string, t types.Type) []byte {
	b = append(b, name...)
	if t.Precision > 0 {
		b = append(b, '(')
		b = strconv.AppendInt(b, int64(t.Precision), 10)
		b = append(b, ", "...)
		b = strconv.AppendInt(b, int64(t.Scale), 10)
		b = append(b, ')')
	}
	return b
}

// AutoincrementClause returns "": an INTEGER primary key is SQLite's rowid.
func (d *Dialect) AutoincrementClause() string { return "" }

// AppendStringLiteral appends s in single quotes, quotes doubled.
func (d *Dialect) AppendStringLiteral(b []byte, s string) []byte {
	return appendQuotedString(b, s)
}

// appendQuotedString appends s between single quotes with each quote doubled.
func appendQuotedString(b []byte, s string) []byte {
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			b = append(b, '\'')
		}
		b = append(b, s[i])
	}
	return append(b, '\'')
}

// AppendServerDefault writes bound values as literals and wraps anything else in
// parentheses, as SQLite requires for expressions in DEFAULT.
func (d *Dialect) AppendServerDefault(b []byte, t types.Type, e expr.Expr, inline func([]byte, expr.Expr) ([]byte, error)) ([]byte, error) {
	if _, ok := e.(*expr.Bind); ok {
		return inline(b, e)
	}
	b = append(b, '(')
	b, err := inline(b, e)
	if err != nil {
		return nil, err
	}
	return append(b, ')'), nil
}

// DropConstraintClause returns "DROP CONSTRAINT" (SQLite cannot drop constraints; the
// compiler reports that before asking).
func (d *Dialect) DropConstraintClause(kind string) string { return "DROP CONSTRAINT" }

// QualifyIndexName returns true: SQLite writes CREATE INDEX schema.ix ON table.
func (d *Dialect) QualifyIndexName() bool { return true }

// DropIndexOnTable returns false.
func (d *Dialect) DropIndexOnTable() bool { return false }

// IfExistsSupported returns true for tables and indexes.
func (d *Dialect) IfExistsSupported(obj compile.DDLObject, create bool) bool {
	return obj == compile.DDLTable || obj == compile.DDLIndex
}

// TableExistsQuery returns a query that yields a row when the table exists (in the given
// attached database, or "main").
func (d *Dialect) TableExistsQuery(schemaName, name string) (string, []any) {
	master := "sqlite_master"
	if schemaName != "" {
		master = string(d.AppendIdent(nil, schemaName)) + ".sqlite_master"
	}
	return "SELECT name FROM " + master + " WHERE type = 'table' AND name = ?", []any{name}
}

// EnumTypeExistsQuery returns "": SQLite has no enum types.
func (d *Dialect) EnumTypeExistsQuery(name string) (string, []any) { return "", nil }

var _ compile.DDLDialect = (*Dialect)(nil)

// DropAllPrelude returns the statement DropAll runs first in its transaction: deferring
// foreign key checks to COMMIT lets tables that reference each other be dropped in any
// order while they hold rows (every row is gone by COMMIT).
func (d *Dialect) DropAllPrelude() []string { return []string{"PRAGMA defer_foreign_keys = ON"} }
