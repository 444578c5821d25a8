package sqlite

import (
	"errors"
	"strings"

	"modernc.org/sqlite"

	"github.com/retortdb/retort/dialect"
)

// SQLite extended result codes of constraint violations.
const (
	codeConstraintCheck      = 275
	codeConstraintForeignKey = 787
	codeConstraintNotNull    = 1299
	codeConstraintPrimaryKey = 1555
	codeConstraintUnique     = 2067
)

// ClassifyError turns SQLite constraint violations into *dialect.IntegrityError:
// UNIQUE and PRIMARY KEY ("UNIQUE constraint failed: t.a, t.b": Table t, Column "a, b";
// SQLite does not report the constraint's name), FOREIGN KEY (SQLite names neither the
// constraint nor the table), NOT NULL ("NOT NULL constraint failed: t.c": Table, Column)
// and CHECK ("CHECK constraint failed: name": Constraint is the constraint's name, or its
// expression when it has none). Other errors are returned unchanged.
func (d *Dialect) ClassifyError(err error) error {
	if err == nil {
		return nil
	}
	var ie *dialect.IntegrityError
	if errors.As(err, &ie) {
		return err
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	msg := se.Error()
	switch se.Code() {
	case codeConstraintUnique, codeConstraintPrimaryKey:
		table, cols := splitColumns(detail(msg, "constraint failed: "))
		return &dialect.IntegrityError{Kind: dialect.UniqueViolation, Table: table, Column: cols, Err: err}
	case codeConstraintForeignKey:
		return &dialect.IntegrityError{Kind: dialect.ForeignKeyViolation, Err: err}
	case codeConstraintNotNull:
		table, col := splitColumns(detail(msg, "constraint failed: "))
		return &dialect.IntegrityError{Kind: dialect.NotNullViolation, Table: table, Column: col, Err: err}
	case codeConstraintCheck:
		return &dialect.IntegrityError{Kind: dialect.CheckViolation, Constraint: detail(msg, "constraint failed: "), Err: err}
	}
	return err
}

// detail returns what follows the last occurrence of marker in msg, without the driver's
// trailing " (code)".
func detail(msg, marker string) string {
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return ""
	}
	s := msg[i+len(marker):]
	if j := strings.LastIndex(s, " ("); j >= 0 && strings.HasSuffix(s, ")") {
		s = s[:j]
	}
	return strings.TrimSpace(s)
}

// splitColumns splits "t.a, t.b" into "t" and "a, b".
func splitColumns(s string) (table, cols string) {
	parts := strings.Split(s, ", ")
	names := make([]string, 0, len(parts))
	for _, p := range parts {
		tbl, col, ok := strings.Cut(p, ".")
		if !ok {
			names = append(names, p)
			continue
		}
		if table == "" {
			table = tbl
		}
		names = append(names, col)
	}
	return table, strings.Join(names, ", ")
}
