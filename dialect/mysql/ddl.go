package mysql

import (
	"strconv"
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// MySQL/MariaDB DDL, as the methods of compile.DDLDialect:
//
//   - Types: INTEGER, BIGINT, SMALLINT, BOOL (TINYINT(1)), FLOAT, DOUBLE, DECIMAL(p,s)
//     (DECIMAL(65,30) for precision 0), VARCHAR(n) (VARCHAR(255) for length 0: MySQL needs
//     a length), LONGTEXT, LONGBLOB, DATE, TIME(6), DATETIME(6) for timestamps with and
//     without time zone (stored as UTC), BIGINT microseconds for intervals (there is no
//     interval column type), JSON (on MariaDB a LONGTEXT alias with a validity check),
//     CHAR(36) for UUIDs and ENUM('a', 'b') for enums.
//   - The autoincrement column gets AUTO_INCREMENT. In a composite primary key, InnoDB
//     wants it to be the key's first column.
//   - now() / current_timestamp as a server default of a DATETIME(6) column is written
//     CURRENT_TIMESTAMP(6) (a DATETIME(6) default must have the column's precision);
//     other expressions are parenthesised.
//   - String literals escape backslashes too (the default sql_mode reads them as escapes).

// AppendColumnType appends the MySQL type for t.
func (d *Dialect) AppendColumnType(b []byte, t types.Type, autoincrement bool) ([]byte, error) {
	switch t.Kind {
	case types.KindInteger:
		return append(b, "INTEGER"...), nil
	case types.KindBigInt, types.KindInterval:
		return append(b, "BIGINT"...), nil
	case types.KindSmallInt:
		return append(b, "SMALLINT"...), nil
	case types.KindBoolean:
		return append(b, "BOOL"...), nil
	case types.KindFloat:
		return append(b, "FLOAT"...), nil
	case types.KindDouble:
		return append(b, "DOUBLE"...), nil
	case types.KindNumeric:
		p, s := t.Precision, t.Scale
		if p == 0 {
			p, s = 65, 30
		}
		b = strconv.AppendInt(append(b, "DECIMAL("...), int64(p), 10)
		b = strconv.AppendInt(append(b, ", "...), int64(s), 10)
		return append(b, ')'), nil
	case types.KindString:
		n := t.Length
		if n <= 0 {
			n = 255
		}
		return append(strconv.AppendInt(append(b, "VARCHAR("...), int64(n), 10), ')'), nil
	case types.KindText:
		return append(b, "LONGTEXT"...), nil
	case types.KindBytes:
		return append(b, "LONGBLOB"...), nil
	case types.KindDate:
		return append(b, "DATE"...), nil
	case types.KindTime:
		return append(b, "TIME(6)"...), nil
	case types.KindTimestamp:
		return append(b, "DATETIME(6)"...), nil
	case types.KindJSON:
		return append(b, "JSON"...), nil
	case types.KindUUID:
		return append(b, "CHAR(36)"...), nil
	case types.KindEnum:
		if len(t.EnumValues) == 0 {
			return nil, &compile.Error{Msg: "enum type " + t.EnumName + " has no values"}
		}
		b = append(b, "ENUM("...)
		for i, v := range t.EnumValues {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = d.AppendStringLiteral(b, v)
		}
		return append(b, ')'), nil
	}
	return nil, &compile.Error{Msg: d.Name() + " has no column type for " + t.String(), Unsupported: true}
}

// AutoincrementClause returns "AUTO_INCREMENT".
func (d *Dialect) AutoincrementClause() string { return "AUTO_INCREMENT" }

// AppendStringLiteral appends s in single quotes, with quotes doubled and backslashes
// escaped.
func (d *Dialect) AppendStringLiteral(b []byte, s string) []byte {
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			b = append(b, '\'')
		case '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '\'')
}

// AppendServerDefault writes now() on a timestamp or time column as
// CURRENT_TIMESTAMP(6) / CURRENT_TIME(6), bound values as literals, and other
// expressions in parentheses.
func (d *Dialect) AppendServerDefault(b []byte, t types.Type, e expr.Expr, inline func([]byte, expr.Expr) ([]byte, error)) ([]byte, error) {
	switch x := e.(type) {
	case *expr.Bind:
		return inline(b, e)
	case *expr.FuncCall:
		if len(x.Args) == 0 {
			switch strings.ToLower(x.Name) {
			case "now", "current_timestamp", "localtimestamp":
				switch t.Kind {
				case types.KindTimestamp:
					return append(b, "CURRENT_TIMESTAMP(6)"...), nil
				case types.KindTime:
					return append(b, "CURRENT_TIME(6)"...), nil
				}
			}
		}
	}
	b = append(b, '(')
	b, err := inline(b, e)
	if err != nil {
		return nil, err
	}
	return append(b, ')'), nil
}

// DropConstraintClause returns "DROP FOREIGN KEY" for foreign keys, "DROP INDEX" for
// unique constraints and "DROP CONSTRAINT" for checks.
func (d *Dialect) DropConstraintClause(kind string) string {
	switch kind {
	case "FOREIGN KEY":
		return "DROP FOREIGN KEY"
	case "UNIQUE":
		return "DROP INDEX"
	}
	return "DROP CONSTRAINT"
}

// QualifyIndexName returns false: CREATE INDEX ix ON db.table.
func (d *Dialect) QualifyIndexName() bool { return false }

// DropIndexOnTable returns true: DROP INDEX ix ON table.
func (d *Dialect) DropIndexOnTable() bool { return true }

// IfExistsSupported returns true for tables; MariaDB also has IF [NOT] EXISTS for
// indexes and for dropping constraints. Neither has enum types.
func (d *Dialect) IfExistsSupported(obj compile.DDLObject, create bool) bool {
	switch obj {
	case compile.DDLTable:
		return true
	case compile.DDLIndex:
		return d.flavor == MariaDB
	case compile.DDLConstraint:
		return d.flavor == MariaDB && !create
	}
	return false
}

// TableExistsQuery returns a catalog query that yields a row when the table exists in
// the given database (the connection's when ""). The catalog's name columns are utf8mb3
// on MariaDB while the name is sent as utf8mb4: they are converted and compared
// byte-wise (utf8mb4_bin), so that a name outside the Basic Multilingual Plane (an
// emoji) does not fail with "Illegal mix of collations", and names that differ only in
// case, which are different tables, do not match.
func (d *Dialect) TableExistsQuery(schemaName, name string) (string, []any) {
	const q = "SELECT table_name FROM information_schema.tables WHERE CONVERT(table_name USING utf8mb4) COLLATE utf8mb4_bin = ? AND CONVERT(table_schema USING utf8mb4) COLLATE utf8mb4_bin = "
	if schemaName == "" {
		return q + "DATABASE()", []any{name}
	}
	return q + "?", []any{name, schemaName}
}

// EnumTypeExistsQuery returns "": enums are column types on MySQL.
func (d *Dialect) EnumTypeExistsQuery(name string) (string, []any) { return "", nil }

var _ compile.DDLDialect = (*Dialect)(nil)
