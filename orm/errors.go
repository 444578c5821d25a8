package orm

import (
	"errors"
	"strings"
)

// Sentinel errors of package orm, matched with errors.Is.
var (
	// ErrMapping is wrapped by every *MappingError: a model or handle that cannot be mapped.
	ErrMapping = errors.New("orm: invalid mapping")

	// ErrNotRegistered is returned when a value whose type was never registered with the
	// registry is given to a session or query.
	ErrNotRegistered = errors.New("orm: type is not registered")

	// ErrUnboundHandle is reported (when the statement is compiled) for a column or
	// relation handle that was never bound by RegisterHandle / MustRegister.
	ErrUnboundHandle = errors.New("orm: handle is not registered")
)

// MappingError reports a model struct (or a handle struct) that cannot be mapped: an
// unknown tag option, an unsupported field type, a missing primary key, a foreign key
// naming a table or column that does not exist, a handle field that does not match the
// model. It is returned by Register and RegisterHandle, wraps ErrMapping, and names the
// struct, the field (when there is one) and the problem.
//
// A *MappingError is made for one mistake and never modified by package orm afterwards,
// so it may be read from any goroutine (concurrent reads are safe); it holds no resource
// and lives as long as the caller keeps the error.
type MappingError struct {
	Struct  string // the Go type, such as "main.A"
	Field   string // the Go field ("Data", or "Base.ID" inside an embedded struct); "" for the struct itself
	Tag     string // the field's retort tag, when it matters
	Problem string // what is wrong
}

// Error returns "orm: mapping main.A field Data (tag "x"): problem".
func (e *MappingError) Error() string {
	var b strings.Builder
	b.WriteString("orm: mapping ")
	b.WriteString(e.Struct)
	if e.Field != "" {
		b.WriteString(" field ")
		b.WriteString(e.Field)
	}
	if e.Tag != "" {
		b.WriteString(" (tag `retort:\"")
		b.WriteString(e.Tag)
		b.WriteString("\"`)")
	}
	b.WriteString(": ")
	b.WriteString(e.Problem)
	return b.String()
}

// Unwrap returns ErrMapping.
func (e *MappingError) Unwrap() error { return ErrMapping }
