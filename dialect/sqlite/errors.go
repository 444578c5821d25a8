package sqlite

import (
	"errors"
	"strings"

	"modernc.org/sqlite"

	"github.com/retortdb/retort/dialect"
)

// SQLite primary result codes (the low byte of an extended code).
const (
	codeError    = 1
	codeBusy     = 5
	codeLocked   = 6
	codeTooBig   = 18
	codeMismatch = 20
	codeReadOnly = 8
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
// expression when it has none).
//
// SQLITE_BUSY and SQLITE_LOCKED ("database is locked", after the busy timeout) become a
// *dialect.RetryableError of kind Busy. SQLITE_TOOBIG becomes a *dialect.DataError of kind
// TooLong, SQLITE_MISMATCH ("datatype mismatch") one of kind InvalidText, and "integer
// overflow" one of kind OutOfRange. SQLite does not check the length of String(n) values
// nor the range of SmallInt and Integer columns (every integer is 64 bits), so those are
// never data errors here. SQLITE_READONLY (a read-only database file or connection,
// PRAGMA query_only) becomes a *dialect.ReadOnlyError. Other errors are returned
// unchanged.
func (d *Dialect) ClassifyError(err error) error {
	if err == nil || dialect.Classified(err) {
		return err
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	msg := se.Error()
	switch se.Code() & 0xff {
	case codeBusy, codeLocked:
		return &dialect.RetryableError{Kind: dialect.Busy, Err: err}
	case codeTooBig:
		return &dialect.DataError{Kind: dialect.TooLong, Err: err}
	case codeMismatch:
		return &dialect.DataError{Kind: dialect.InvalidText, Err: err}
	case codeReadOnly:
		return &dialect.ReadOnlyError{Err: err}
	case codeError:
		if strings.Contains(msg, "integer overflow") {
			return &dialect.DataError{Kind: dialect.OutOfRange, Err: err}
		}
	}
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
