package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/retortdb/retort/dialect"
)

// ClassifyError turns PostgreSQL integrity violations (SQLSTATE 23505 unique, 23503
// foreign key, 23502 not null, 23514 check) into *dialect.IntegrityError with the
// constraint, table and column the server reports. Other errors are returned unchanged.
func (d *Dialect) ClassifyError(err error) error {
	if err == nil {
		return nil
	}
	var ie *dialect.IntegrityError
	if errors.As(err, &ie) {
		return err
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	var kind dialect.IntegrityKind
	switch pe.Code {
	case "23505":
		kind = dialect.UniqueViolation
	case "23503":
		kind = dialect.ForeignKeyViolation
	case "23502":
		kind = dialect.NotNullViolation
	case "23514":
		kind = dialect.CheckViolation
	default:
		return err
	}
	return &dialect.IntegrityError{Kind: kind, Constraint: pe.ConstraintName, Table: pe.TableName, Column: pe.ColumnName, Err: err}
}
