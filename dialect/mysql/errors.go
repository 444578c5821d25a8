package mysql

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/retortdb/retort/dialect"
)

// ClassifyError turns MySQL/MariaDB integrity violations into *dialect.IntegrityError,
// reading names from the server's message:
//   - 1062, 1586 duplicate entry: Constraint is the key's name (PRIMARY for the primary
//     key); MySQL 8's "table.key" form also sets Table.
//   - 1451, 1452 (and 1216, 1217) foreign key: Constraint, the child Table and Column.
//   - 1048 column cannot be null, 1364 field has no default value: Column.
//   - 3819 (MySQL) and 4025 (MariaDB) check constraint: Constraint (and Table on MariaDB).
//
// Conflicts become *dialect.RetryableError: 1213 deadlock (CertificationFailure when a
// Galera node's wsrep layer aborted the transaction), 1205 lock wait timeout, 1180 and
// 1317 with a wsrep message (a commit or statement a Galera node aborted), NotPrimary for
// 1047 and 1180 from a Galera node outside the primary component (a "WSREP has not yet
// prepared node" or "Not connected to Primary Component" message). A conflict that
// Galera resolves by aborting a local transaction (brute-force abort) is reported by
// MariaDB as a plain 1213 deadlock at COMMIT: it is classified Deadlock, retryable all
// the same. Data
// errors become *dialect.DataError with the column the server names: 1406 too long, 1264
// and 1690 out of range, 1366 and 1292 invalid text (InvalidDatetime when the message
// is about a date or time), 1365 division by zero, 1265 truncated data. A broken
// connection (1927 connection killed, 2006 server gone away, 2013 lost connection, 1053
// server shutdown, 4031 disconnected by the server, the driver's "invalid connection")
// becomes *dialect.ConnectionLostError. A write refused because the server runs with
// read_only (1290) or the transaction is READ ONLY (1792) becomes *dialect.ReadOnlyError.
//
// Other errors are returned unchanged.
func (d *Dialect) ClassifyError(err error) error {
	if err == nil || dialect.Classified(err) {
		return err
	}
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		if lostConnection(err) {
			return &dialect.ConnectionLostError{Err: err}
		}
		return err
	}
	if lostNumber(err) {
		return &dialect.ConnectionLostError{Err: err}
	}
	msg := me.Message
	switch me.Number {
	case 1213:
		if strings.Contains(strings.ToLower(msg), "wsrep") {
			return &dialect.RetryableError{Kind: dialect.CertificationFailure, Err: err}
		}
		return &dialect.RetryableError{Kind: dialect.Deadlock, Err: err}
	case 1205:
		return &dialect.RetryableError{Kind: dialect.LockTimeout, Err: err}
	case 1290, 1792: // --read-only; a READ ONLY transaction
		return &dialect.ReadOnlyError{Err: err}
	case 1047, 1180, 1317:
		if lower := strings.ToLower(msg); strings.Contains(lower, "primary component") || strings.Contains(lower, "wsrep has not yet prepared") {
			return &dialect.RetryableError{Kind: dialect.NotPrimary, Err: err}
		}
		if me.Number != 1047 && strings.Contains(strings.ToLower(msg), "wsrep") {
			return &dialect.RetryableError{Kind: dialect.CertificationFailure, Err: err}
		}
		return err
	case 1406: // Data too long for column 'c' at row 1
		return &dialect.DataError{Kind: dialect.TooLong, Column: lastQuoted(msg, "column '", '\''), Err: err}
	case 1264: // Out of range value for column 'c' at row 1
		return &dialect.DataError{Kind: dialect.OutOfRange, Column: lastQuoted(msg, "column '", '\''), Err: err}
	case 1690: // BIGINT value is out of range in '...'
		return &dialect.DataError{Kind: dialect.OutOfRange, Err: err}
	case 1365: // Division by 0
		return &dialect.DataError{Kind: dialect.DivisionByZero, Err: err}
	case 1265: // Data truncated for column 'c' at row 1
		return &dialect.DataError{Kind: dialect.InvalidValue, Column: lastQuoted(msg, "column '", '\''), Err: err}
	case 1366, 1292:
		// Incorrect integer value: 'x' for column `db`.`t`.`c` at row 1 (MariaDB),
		// ... for column 'c' at row 1 (MySQL); Truncated incorrect DOUBLE value: 'x'.
		kind := dialect.InvalidText
		low := strings.ToLower(msg)
		if strings.Contains(low, "date") || strings.Contains(low, "time") {
			kind = dialect.InvalidDatetime
		}
		e := &dialect.DataError{Kind: kind, Err: err}
		if i := strings.LastIndex(msg, " for column "); i >= 0 {
			rest := msg[i+len(" for column "):]
			if strings.HasPrefix(rest, "`") {
				e.Table, e.Column = qualifiedPair(rest)
			} else if strings.HasPrefix(rest, "'") {
				if k := strings.IndexByte(rest[1:], '\''); k >= 0 {
					e.Column = rest[1 : 1+k]
				}
			}
		}
		return e
	case 1062, 1586: // Duplicate entry 'x' for key 'name' / 't.name'
		key := lastQuoted(msg, " for key '", '\'')
		e := &dialect.IntegrityError{Kind: dialect.UniqueViolation, Constraint: key, Err: err}
		if tbl, k, ok := strings.Cut(key, "."); ok {
			e.Table, e.Constraint = tbl, k
		}
		return e
	case 1451, 1452, 1216, 1217:
		// ... a foreign key constraint fails (`db`.`child`, CONSTRAINT `fk` FOREIGN KEY ...)
		e := &dialect.IntegrityError{Kind: dialect.ForeignKeyViolation, Err: err}
		e.Constraint = lastQuoted(msg, "CONSTRAINT `", '`')
		if i := strings.Index(msg, "fails ("); i >= 0 {
			e.Table = qualifiedName(msg[i+len("fails ("):])
		}
		if i := strings.Index(msg, " FOREIGN KEY ("); i >= 0 {
			if cols, _, ok := strings.Cut(msg[i+len(" FOREIGN KEY ("):], ")"); ok {
				e.Column = strings.ReplaceAll(cols, "`", "") // `a`, `b` is a, b
			}
		}
		return e
	case 1048: // Column 'c' cannot be null
		return &dialect.IntegrityError{Kind: dialect.NotNullViolation, Column: lastQuoted(msg, "Column '", '\''), Err: err}
	case 1364: // Field 'c' doesn't have a default value
		return &dialect.IntegrityError{Kind: dialect.NotNullViolation, Column: lastQuoted(msg, "Field '", '\''), Err: err}
	case 3819: // Check constraint 'c' is violated.
		return &dialect.IntegrityError{Kind: dialect.CheckViolation, Constraint: lastQuoted(msg, "onstraint '", '\''), Err: err}
	case 4025: // CONSTRAINT `c` failed for `db`.`t`
		e := &dialect.IntegrityError{Kind: dialect.CheckViolation, Constraint: lastQuoted(msg, "CONSTRAINT `", '`'), Err: err}
		if i := strings.Index(msg, " failed for "); i >= 0 {
			e.Table = qualifiedName(msg[i+len(" failed for "):])
		}
		return e
	}
	return err
}

// DefaultConstraintName returns the name MySQL and MariaDB give an unnamed constraint:
// PRIMARY for the primary key, and for UNIQUE the key's first column (when no other key
// of the table took that name first); "" for foreign keys (t_ibfk_N, numbered in
// creation order) and other kinds.
func (d *Dialect) DefaultConstraintName(kind, table string, columns []string) string {
	switch kind {
	case "PRIMARY KEY":
		return "PRIMARY"
	case "UNIQUE":
		if len(columns) > 0 {
			return columns[0]
		}
	}
	return ""
}

// lastQuoted returns the text after the last marker in msg up to the quote character q.
// A doubled quote inside the name stands for one.
func lastQuoted(msg, marker string, q byte) string {
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return ""
	}
	s := msg[i+len(marker):]
	var b strings.Builder
	for j := 0; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				b.WriteByte(q)
				j++
				continue
			}
			return b.String()
		}
		b.WriteByte(s[j])
	}
	return b.String()
}

// qualifiedName reads "`db`.`t`..." or "`t`..." at the start of s and returns t.
func qualifiedName(s string) string {
	names := quotedNames(s)
	if len(names) == 0 {
		return ""
	}
	return names[len(names)-1]
}

// qualifiedPair reads "`db`.`t`.`c`..." (or "`t`.`c`", "`c`") at the start of s and
// returns the last two names: the table (when given) and the column.
func qualifiedPair(s string) (table, column string) {
	names := quotedNames(s)
	switch len(names) {
	case 0:
		return "", ""
	case 1:
		return "", names[0]
	}
	return names[len(names)-2], names[len(names)-1]
}

// quotedNames reads the dot-separated backquoted names at the start of s ("`a`.`b`"),
// a doubled backquote inside a name standing for one.
func quotedNames(s string) []string {
	var names []string
	for strings.HasPrefix(s, "`") {
		var b strings.Builder
		j := 1
		for ; j < len(s); j++ {
			if s[j] == '`' {
				if j+1 < len(s) && s[j+1] == '`' {
					b.WriteByte('`')
					j++
					continue
				}
				break
			}
			b.WriteByte(s[j])
		}
		names = append(names, b.String())
		if j+1 >= len(s) || s[j+1] != '.' {
			break
		}
		s = s[j+2:]
	}
	return names
}

// lostConnection reports whether err is go-sql-driver's report of a connection that
// broke: driver.ErrBadConn, its ErrInvalidConn ("invalid connection"), an unexpected EOF
// or a network error.
func lostConnection(err error) bool {
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// lostNumber reports whether err is a server error that ends the connection: 1927
// connection killed, 2006 server gone away, 2013 lost connection, 1053 server shutdown,
// 4031 disconnected by the server.
func lostNumber(err error) bool {
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		return false
	}
	switch me.Number {
	case 1927, 2006, 2013, 1053, 4031:
		return true
	}
	return false
}
