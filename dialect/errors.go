package dialect

import (
	"errors"
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
var ErrIntegrity = errors.New("integrity constraint violated")

// ErrConvert is matched (errors.Is) by every error of a Dialect's ConvertArg and
// ConvertResult: a Go value that cannot stand for a column type, or a database value
// that cannot be read as one.
var ErrConvert = errors.New("cannot convert value")

// IntegrityError is a constraint violation reported by the database.
type IntegrityError struct {
	Kind       IntegrityKind
	Constraint string // the constraint's name, when the database reports it
	Table      string // the table, when known
	Column     string // the column, when known (NOT NULL, SQLite UNIQUE)
	Err        error  // the driver's error
}

func (e *IntegrityError) Error() string {
	var b strings.Builder
	b.WriteString("retort: ")
	b.WriteString(e.Kind.String())
	b.WriteString(" constraint violated")
	if e.Constraint != "" {
		b.WriteString(": ")
		b.WriteString(e.Constraint)
	}
	if e.Table != "" || e.Column != "" {
		b.WriteString(" (")
		b.WriteString(e.Table)
		if e.Column != "" {
			if e.Table != "" {
				b.WriteByte('.')
			}
			b.WriteString(e.Column)
		}
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the driver's error.
func (e *IntegrityError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrIntegrity) true.
func (e *IntegrityError) Is(target error) bool { return target == ErrIntegrity }
