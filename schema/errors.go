package schema

import "errors"

// ErrDefinition is wrapped by every error about a mistake in a schema definition: a
// duplicate or unknown column, a bad constraint, an unresolvable foreign key target.
var ErrDefinition = errors.New("schema: invalid definition")

// DefinitionError reports a mistake in the definition of a table. It wraps ErrDefinition.
// It is safe for concurrent reads once returned and lives as long as the caller keeps it.
type DefinitionError struct {
	Table  string // the table being defined ("schema.name" when it has a schema)
	Column string // the column at fault, or ""
	Msg    string // what is wrong
}

// Error returns "schema: table T column C: msg" (the column part only when Column is set;
// "schema: msg" when Table is empty).
func (e *DefinitionError) Error() string {
	if e.Table == "" {
		return "schema: " + e.Msg
	}
	s := "schema: table " + e.Table
	if e.Column != "" {
		s += " column " + e.Column
	}
	return s + ": " + e.Msg
}

// Unwrap returns ErrDefinition.
func (e *DefinitionError) Unwrap() error { return ErrDefinition }
