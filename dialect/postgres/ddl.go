package postgres

import (
	"strconv"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// PostgreSQL DDL, as the methods of compile.DDLDialect:
//
//   - Types: INTEGER, BIGINT, SMALLINT, BOOLEAN, REAL, DOUBLE PRECISION, NUMERIC(p,s)
//     (plain NUMERIC for precision 0), VARCHAR(n) (plain VARCHAR for length 0), TEXT,
//     BYTEA, DATE, TIME, TIMESTAMP [WITH TIME ZONE], INTERVAL, JSON (not JSONB, so that
//     documents come back byte for byte), UUID, and for enums the named type made by
//     CREATE TYPE name AS ENUM (...).
//   - The autoincrement column is SMALLSERIAL, SERIAL or BIGSERIAL.
//   - CREATE TYPE has no IF NOT EXISTS; CreateAll checks the catalog instead.

// AppendColumnType appends the PostgreSQL type for t.
func (d *Dialect) AppendColumnType(b []byte, t types.Type, autoincrement bool) ([]byte, error) {
	switch t.Kind {
	case types.KindInteger:
		if autoincrement {
			return append(b, "SERIAL"...), nil
		}
		return append(b, "INTEGER"...), nil
	case types.KindBigInt:
		if autoincrement {
			return append(b, "BIGSERIAL"...), nil
		}
		return append(b, "BIGINT"...), nil
	case types.KindSmallInt:
		if autoincrement {
			return append(b, "SMALLSERIAL"...), nil
		}
		return append(b, "SMALLINT"...), nil
	case types.KindBoolean:
		return append(b, "BOOLEAN"...), nil
	case types.KindFloat:
		return append(b, "REAL"...), nil
	case types.KindDouble:
		return append(b, "DOUBLE PRECISION"...), nil
	case types.KindNumeric:
		b = append(b, "NUMERIC"...)
		if t.Precision > 0 {
			b = strconv.AppendInt(append(b, '('), int64(t.Precision), 10)
			b = strconv.AppendInt(append(b, ", "...), int64(t.Scale), 10)
			b = append(b, ')')
		}
		return b, nil
	case types.KindString:
		if t.Length > 0 {
			return append(strconv.AppendInt(append(b, "VARCHAR("...), int64(t.Length), 10), ')'), nil
		}
		return append(b, "VARCHAR"...), nil
	case types.KindText:
		return append(b, "TEXT"...), nil
	case types.KindBytes:
		return append(b, "BYTEA"...), nil
	case types.KindDate:
		return append(b, "DATE"...), nil
	case types.KindTime:
		return append(b, "TIME"...), nil
	case types.KindTimestamp:
		if t.Timezone {
			return append(b, "TIMESTAMP WITH TIME ZONE"...), nil
		}
		return append(b, "TIMESTAMP"...), nil
	case types.KindInterval:
		return append(b, "INTERVAL"...), nil
	case types.KindJSON:
		return append(b, "JSON"...), nil
	case types.KindUUID:
		return append(b, "UUID"...), nil
	case types.KindEnum:
		if t.EnumName == "" {
			return nil, &compile.Error{Msg: "an enum column needs a type name on postgresql (types.Enum(name, ...))"}
		}
		return d.AppendIdent(b, t.EnumName), nil
	}
	return nil, &compile.Error{Msg: "postgresql has no column type for " + t.String(), Unsupported: true}
}

// AutoincrementClause returns "": SERIAL says it.
func (d *Dialect) AutoincrementClause() string { return "" }

// AppendStringLiteral appends s in single quotes, quotes doubled (standard_conforming_strings).
func (d *Dialect) AppendStringLiteral(b []byte, s string) []byte {
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			b = append(b, '\'')
		}
		b = append(b, s[i])
	}
	return append(b, '\'')
}

// AppendServerDefault writes e inline.
func (d *Dialect) AppendServerDefault(b []byte, t types.Type, e expr.Expr, inline func([]byte, expr.Expr) ([]byte, error)) ([]byte, error) {
	return inline(b, e)
}

// DropConstraintClause returns "DROP CONSTRAINT".
func (d *Dialect) DropConstraintClause(kind string) string { return "DROP CONSTRAINT" }

// QualifyIndexName returns false: CREATE INDEX ix ON schema.table.
func (d *Dialect) QualifyIndexName() bool { return false }

// DropIndexOnTable returns false: DROP INDEX schema.ix.
func (d *Dialect) DropIndexOnTable() bool { return false }

// IfExistsSupported returns true except for CREATE TYPE, which has no IF NOT EXISTS.
func (d *Dialect) IfExistsSupported(obj compile.DDLObject, create bool) bool {
	return !(obj == compile.DDLEnumType && create)
}

// TableExistsQuery returns a catalog query that yields a row when the table exists in the
// given schema (the current schema when "").
func (d *Dialect) TableExistsQuery(schemaName, name string) (string, []any) {
	const q = "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
		"WHERE c.relname = $1 AND c.relkind IN ('r', 'p') AND n.nspname = "
	if schemaName == "" {
		return q + "current_schema()", []any{name}
	}
	return q + "$2", []any{name, schemaName}
}

// EnumTypeExistsQuery returns a catalog query that yields a row when the enum type exists
// in the current schema.
func (d *Dialect) EnumTypeExistsQuery(name string) (string, []any) {
	return "SELECT t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace " +
		"WHERE t.typname = $1 AND t.typtype = 'e' AND n.nspname = current_schema()", []any{name}
}

var _ compile.DDLDialect = (*Dialect)(nil)
