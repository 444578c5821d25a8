package mysql

import (
	"errors"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/retortdb/retort/dialect"
)

// ClassifyError turns MySQL/MariaDB integrity violations into *dialect.IntegrityError,
// reading names from the server's message:
//   - 1062, 1586 duplicate entry: Constraint is the key's name (PRIMARY for the primary
//     key); MySQL 8's "table.key" form also sets Table.
//   - 1451, 1452 (and 1216, 1217) foreign key: Constraint and the child Table.
//   - 1048 column cannot be null, 1364 field has no default value: Column.
//   - 3819 (MySQL) and 4025 (MariaDB) check constraint: Constraint (and Table on MariaDB).
//
// Other errors are returned unchanged.
func (d *Dialect) ClassifyError(err error) error {
	if err == nil {
		return nil
	}
	var ie *dialect.IntegrityError
	if errors.As(err, &ie) {
		return err
	}
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		return err
	}
	msg := me.Message
	switch me.Number {
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
	var name string
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
		name = b.String()
		if j+1 >= len(s) || s[j+1] != '.' {
			break
		}
		s = s[j+2:]
	}
	return name
}
