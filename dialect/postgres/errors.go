package postgres

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/retortdb/retort/dialect"
)

// ClassifyError turns PostgreSQL errors into retort's error types:
//   - integrity violations (SQLSTATE 23505 unique, 23503 foreign key, 23502 not null,
//     23514 check): *dialect.IntegrityError with the constraint, table and column the
//     server reports (the columns of a unique or foreign key violation read from its
//     detail, "Key (a, b)=...");
//   - conflicts (40001 serialization failure, 40P01 deadlock, 55P03 lock not available):
//     *dialect.RetryableError;
//   - data exceptions (class 22: 22001 too long, 22003 out of range, 22P02 invalid text,
//     22012 division by zero, 22007/22008 dates; others as InvalidValue) and pgx's
//     failures to encode an argument ("failed to encode args[N]": a value out of its
//     column type's range, text that is not a number, ...): *dialect.DataError, with the
//     table and column when the server reports them and the parameter number for pgx's;
//   - a write refused by a read-only server or transaction (25006, a hot standby):
//     *dialect.ReadOnlyError;
//   - a connection that broke (administrator shutdown or pg_terminate_backend 57P01-57P03,
//     connection exceptions 08xxx, a closed socket): *dialect.ConnectionLostError.
//
// Other errors are returned unchanged.
func (d *Dialect) ClassifyError(err error) error {
	if err == nil || dialect.Classified(err) {
		return err
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		if de := encodeError(err); de != nil {
			return de
		}
		if lostConnection(err) {
			return &dialect.ConnectionLostError{Err: err}
		}
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
	case "40001":
		return &dialect.RetryableError{Kind: dialect.SerializationFailure, Err: err}
	case "40P01":
		return &dialect.RetryableError{Kind: dialect.Deadlock, Err: err}
	case "55P03":
		return &dialect.RetryableError{Kind: dialect.LockTimeout, Err: err}
	case "25006":
		return &dialect.ReadOnlyError{Err: err}
	case "57P01", "57P02", "57P03":
		return &dialect.ConnectionLostError{Err: err}
	default:
		switch {
		case len(pe.Code) == 5 && pe.Code[:2] == "22":
			return &dialect.DataError{Kind: dataKind(pe.Code), Table: pe.TableName, Column: pe.ColumnName, Type: pe.DataTypeName, Err: err}
		case len(pe.Code) == 5 && pe.Code[:2] == "08":
			return &dialect.ConnectionLostError{Err: err}
		}
		return err
	}
	ie := &dialect.IntegrityError{Kind: kind, Constraint: pe.ConstraintName, Table: pe.TableName, Column: pe.ColumnName, Err: err}
	if ie.Column == "" && (kind == dialect.UniqueViolation || kind == dialect.ForeignKeyViolation) {
		ie.Column = detailColumns(pe.Detail)
	}
	return ie
}

// detailColumns returns the columns of a unique or foreign key violation's detail, "Key
// (a, b)=(1, 2) already exists." or "Key (a)=(1) is not present in table "t".", as
// "a, b"; "" when the detail has no such key or names a parent's columns.
func detailColumns(detail string) string {
	rest, ok := strings.CutPrefix(detail, "Key (")
	if !ok {
		return ""
	}
	cols, _, ok := strings.Cut(rest, ")=(")
	if !ok || strings.Contains(detail, " is still referenced from table ") {
		// The referenced (parent) columns of a row another table's key points to: not
		// the columns of the violated constraint's table.
		return ""
	}
	parts := strings.Split(cols, ", ")
	for i, p := range parts {
		if len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
			parts[i] = strings.ReplaceAll(p[1:len(p)-1], `""`, `"`)
		}
	}
	return strings.Join(parts, ", ")
}

// DefaultConstraintName returns the name PostgreSQL gives an unnamed constraint:
// t_pkey, t_a_b_key (UNIQUE), t_a_fkey (FOREIGN KEY); "" for names past its 63-byte limit
// (which it shortens in ways not worth predicting) and other kinds.
func (d *Dialect) DefaultConstraintName(kind, table string, columns []string) string {
	var name string
	switch kind {
	case "PRIMARY KEY":
		name = table + "_pkey"
	case "UNIQUE":
		name = table + "_" + strings.Join(columns, "_") + "_key"
	case "FOREIGN KEY":
		name = table + "_" + strings.Join(columns, "_") + "_fkey"
	}
	if len(name) > 63 {
		return ""
	}
	return name
}

// dataKind maps a class 22 SQLSTATE to its DataKind.
func dataKind(code string) dialect.DataKind {
	switch code {
	case "22001":
		return dialect.TooLong
	case "22003":
		return dialect.OutOfRange
	case "22P02":
		return dialect.InvalidText
	case "22012":
		return dialect.DivisionByZero
	case "22007", "22008":
		return dialect.InvalidDatetime
	}
	return dialect.InvalidValue
}

// encodeArgs matches pgx's "failed to encode args[N]: ..." and the out-of-range text of
// its integer encoders ("... is greater than maximum value for int4").
var (
	encodeArgs  = regexp.MustCompile(`failed to encode args\[(\d+)\]`)
	encodeRange = regexp.MustCompile(`(?:greater than maximum|less than minimum) value for (\w+)|out of range|overflow`)
	encodeType  = regexp.MustCompile(`for (\w+) \(OID \d+\)`)
)

// encodeError classifies pgx's failure to encode an argument (nothing was sent) as a
// DataError naming the parameter: OutOfRange for a number beyond its type, InvalidText
// for anything else (a string that is not a number, a malformed UUID, ...).
func encodeError(err error) *dialect.DataError {
	msg := err.Error()
	m := encodeArgs.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	n, _ := strconv.Atoi(m[1])
	de := &dialect.DataError{Kind: dialect.InvalidText, Param: n + 1, Err: err}
	if r := encodeRange.FindStringSubmatch(msg); r != nil {
		de.Kind = dialect.OutOfRange
		de.Type = r[1]
	}
	if de.Type == "" {
		if t := encodeType.FindStringSubmatch(msg); t != nil {
			de.Type = t[1]
		}
	}
	return de
}

// lostConnection reports whether err is pgx's report of a connection that is closed or
// whose socket failed.
func lostConnection(err error) bool {
	return errors.Is(err, pgconn.ErrConnClosed)
}
