package dialect

import (
	"errors"
	"strconv"
	"strings"
)

// IntegrityKind is the kind of constraint an IntegrityError violated.
type IntegrityKind uint8

// The kinds of integrity violations, classified the same way on every dialect.
const (
	UniqueViolation IntegrityKind = iota + 1
	ForeignKeyViolation
	NotNullViolation
	CheckViolation
)

var integrityNames = [...]string{"", "unique", "foreign key", "not null", "check"}

// String names the kind, as "unique" or "foreign key".
func (k IntegrityKind) String() string {
	if int(k) < len(integrityNames) {
		return integrityNames[k]
	}
	return "integrity"
}

// ErrIntegrity is matched (errors.Is) by every IntegrityError.
var ErrIntegrity = errors.New("dialect: integrity constraint violated")

// ErrConvert is matched (errors.Is) by every error of a Dialect's ConvertArg and
// ConvertResult: a Go value that cannot stand for a column type, or a database value
// that cannot be read as one.
var ErrConvert = errors.New("dialect: cannot convert value")

// IntegrityError is a constraint violation reported by the database, classified the same
// way by every dialect. Its text is built from the classified fields only, never from the
// driver's message, which may quote the offending values (MySQL's "Duplicate entry 'x'");
// Unwrap reaches the driver's error. An IntegrityError is a plain value, safe for
// concurrent reads once returned; it lives as long as the caller keeps it.
type IntegrityError struct {
	Kind       IntegrityKind
	Constraint string // the constraint's name, when the database reports it or the table's definition gives it
	Table      string // the table, when known
	Column     string // the constraint's column, when known; "a, b" for several
	Err        error  // the driver's error
}

// ConstraintNamer is implemented by dialects whose database names the constraints that
// DDL left unnamed in a way that can be predicted, so that the engine can tell which
// constraint of a table's definition an error names (and name the one a database does
// not report). Implementations are dialects: safe for concurrent use, living as long as
// their engine.
type ConstraintNamer interface {
	// DefaultConstraintName returns the name the database gives an unnamed constraint
	// of kind ("PRIMARY KEY", "UNIQUE" or "FOREIGN KEY") on table's columns, or "" when
	// it cannot be predicted.
	DefaultConstraintName(kind, table string, columns []string) string
}

// Error returns "dialect: <kind> constraint "<name>" violated (table T, column C)", the
// name and the parenthesised part only as far as they are known.
func (e *IntegrityError) Error() string {
	var b strings.Builder
	b.WriteString("dialect: ")
	b.WriteString(e.Kind.String())
	b.WriteString(" constraint ")
	if e.Constraint != "" {
		b.WriteString(strconv.Quote(e.Constraint))
		b.WriteByte(' ')
	}
	b.WriteString("violated")
	if e.Table != "" || e.Column != "" {
		b.WriteString(" (")
		if e.Table != "" {
			b.WriteString("table ")
			b.WriteString(e.Table)
		}
		if e.Column != "" {
			if e.Table != "" {
				b.WriteString(", ")
			}
			b.WriteString("column ")
			b.WriteString(e.Column)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Unwrap returns the driver's error.
func (e *IntegrityError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrIntegrity) true.
func (e *IntegrityError) Is(target error) bool { return target == ErrIntegrity }
