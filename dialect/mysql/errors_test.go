package mysql

import (
	"errors"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/retortdb/retort/dialect"
)

func TestClassifyIntegrityErrors(t *testing.T) {
	d, p := open(t, config(t))
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TABLE parent (id INTEGER PRIMARY KEY, code VARCHAR(10) NOT NULL, CONSTRAINT uq_code UNIQUE (code)) ENGINE=InnoDB")
	exec(t, c, `CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER, qty INTEGER,
		CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id),
		CONSTRAINT ck_qty CHECK (qty > 0)) ENGINE=InnoDB`)
	exec(t, c, "INSERT INTO parent VALUES (1, 'x')")
	exec(t, c, "INSERT INTO child VALUES (1, 1, 1)")
	for _, tc := range []struct {
		sql  string
		want dialect.IntegrityError
	}{
		{"INSERT INTO parent VALUES (2, 'x')", dialect.IntegrityError{Kind: dialect.UniqueViolation, Constraint: "uq_code"}},
		{"INSERT INTO parent VALUES (1, 'y')", dialect.IntegrityError{Kind: dialect.UniqueViolation, Constraint: "PRIMARY"}},
		{"INSERT INTO child VALUES (2, 99, 1)", dialect.IntegrityError{Kind: dialect.ForeignKeyViolation, Constraint: "fk_parent", Table: "child", Column: "parent_id"}},
		{"DELETE FROM parent", dialect.IntegrityError{Kind: dialect.ForeignKeyViolation, Constraint: "fk_parent", Table: "child", Column: "parent_id"}},
		{"INSERT INTO parent (id, code) VALUES (5, NULL)", dialect.IntegrityError{Kind: dialect.NotNullViolation, Column: "code"}},
		{"INSERT INTO parent (id) VALUES (5)", dialect.IntegrityError{Kind: dialect.NotNullViolation, Column: "code"}},
		{"INSERT INTO child VALUES (4, NULL, 0)", dialect.IntegrityError{Kind: dialect.CheckViolation, Constraint: "ck_qty", Table: "child"}},
	} {
		_, err := c.Exec(t.Context(), tc.sql, nil)
		if err == nil {
			t.Fatalf("%s: no error", tc.sql)
		}
		cerr := d.ClassifyError(err)
		var ie *dialect.IntegrityError
		if !errors.As(cerr, &ie) || !errors.Is(cerr, dialect.ErrIntegrity) {
			t.Fatalf("%s: %v was not classified", tc.sql, err)
		}
		if ie.Kind != tc.want.Kind || ie.Constraint != tc.want.Constraint || ie.Table != tc.want.Table || ie.Column != tc.want.Column {
			t.Errorf("%s: classified as %+v, want %+v (%v)", tc.sql, *ie, tc.want, err)
		}
		if d.ClassifyError(cerr) != cerr {
			t.Errorf("%s: classifying twice wraps again", tc.sql)
		}
	}
	_, err := c.Exec(t.Context(), "SELECT * FROM nope", nil)
	if err == nil || d.ClassifyError(err) != err {
		t.Errorf("a non-constraint error is changed: %v", err)
	}
}

// MySQL's own message forms (not produced by the MariaDB test server).
func TestClassifyMySQLMessages(t *testing.T) {
	d := New(MySQL, 8, 0, 36)
	for _, tc := range []struct {
		err  *gomysql.MySQLError
		want dialect.IntegrityError
	}{
		{&gomysql.MySQLError{Number: 1062, Message: "Duplicate entry 'a''b' for key 'users.uq_name'"},
			dialect.IntegrityError{Kind: dialect.UniqueViolation, Table: "users", Constraint: "uq_name"}},
		{&gomysql.MySQLError{Number: 3819, Message: "Check constraint 'ck_qty' is violated."},
			dialect.IntegrityError{Kind: dialect.CheckViolation, Constraint: "ck_qty"}},
		{&gomysql.MySQLError{Number: 1452, Message: "Cannot add or update a child row: a foreign key constraint fails (`db`.`my``child`, CONSTRAINT `fk_p` FOREIGN KEY (`p`) REFERENCES `parent` (`id`))"},
			dialect.IntegrityError{Kind: dialect.ForeignKeyViolation, Table: "my`child", Constraint: "fk_p", Column: "p"}},
		{&gomysql.MySQLError{Number: 1364, Message: "Field 'name' doesn't have a default value"},
			dialect.IntegrityError{Kind: dialect.NotNullViolation, Column: "name"}},
	} {
		var ie *dialect.IntegrityError
		if !errors.As(d.ClassifyError(tc.err), &ie) {
			t.Fatalf("%v not classified", tc.err)
		}
		if ie.Kind != tc.want.Kind || ie.Constraint != tc.want.Constraint || ie.Table != tc.want.Table || ie.Column != tc.want.Column {
			t.Errorf("%v: classified as %+v, want %+v", tc.err, *ie, tc.want)
		}
	}
	other := &gomysql.MySQLError{Number: 1146, Message: "Table 'x' doesn't exist"}
	if d.ClassifyError(other) != error(other) {
		t.Error("an unrelated server error was changed")
	}
}

// TestClassifyConflictAndDataErrors classifies server errors that the database tests
// cannot provoke on a single server (Galera's certification failure) together with the
// common ones, from the server's numbers and messages.
func TestClassifyConflictAndDataErrors(t *testing.T) {
	d := New(MariaDB, 10, 11, 0)
	for _, tc := range []struct {
		err    *gomysql.MySQLError
		retry  dialect.RetryKind
		data   dialect.DataKind
		table  string
		column string
		lost   bool
	}{
		{err: &gomysql.MySQLError{Number: 1213, Message: "Deadlock found when trying to get lock; try restarting transaction"}, retry: dialect.Deadlock},
		{err: &gomysql.MySQLError{Number: 1213, Message: "WSREP detected deadlock/conflict and aborted the transaction. Try restarting the transaction"}, retry: dialect.CertificationFailure},
		{err: &gomysql.MySQLError{Number: 1180, Message: "Got error 149 \"Lock deadlock; Retry transaction\" during COMMIT (wsrep)"}, retry: dialect.CertificationFailure},
		{err: &gomysql.MySQLError{Number: 1180, Message: "Error while appending streaming replication fragment(provider status: Not connected to Primary Component)"}, retry: dialect.NotPrimary},
		{err: &gomysql.MySQLError{Number: 1047, Message: "WSREP has not yet prepared node for application use"}, retry: dialect.NotPrimary},
		{err: &gomysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded; try restarting transaction"}, retry: dialect.LockTimeout},
		{err: &gomysql.MySQLError{Number: 1406, Message: "Data too long for column 's' at row 1"}, data: dialect.TooLong, column: "s"},
		{err: &gomysql.MySQLError{Number: 1264, Message: "Out of range value for column 'n' at row 1"}, data: dialect.OutOfRange, column: "n"},
		{err: &gomysql.MySQLError{Number: 1366, Message: "Incorrect integer value: 'abc' for column `db`.`t`.`n` at row 1"}, data: dialect.InvalidText, table: "t", column: "n"},
		{err: &gomysql.MySQLError{Number: 1292, Message: "Incorrect datetime value: 'x' for column 'at' at row 1"}, data: dialect.InvalidDatetime, column: "at"},
		{err: &gomysql.MySQLError{Number: 1365, Message: "Division by 0"}, data: dialect.DivisionByZero},
		{err: &gomysql.MySQLError{Number: 1927, Message: "Connection was killed"}, lost: true},
		{err: &gomysql.MySQLError{Number: 2013, Message: "Lost connection to server during query"}, lost: true},
	} {
		got := d.ClassifyError(tc.err)
		var re *dialect.RetryableError
		var de *dialect.DataError
		switch {
		case tc.retry != 0:
			if !errors.As(got, &re) || re.Kind != tc.retry || !errors.Is(got, dialect.ErrRetryable) {
				t.Errorf("%d %q: %v, want %v", tc.err.Number, tc.err.Message, got, tc.retry)
			}
		case tc.data != 0:
			if !errors.As(got, &de) || de.Kind != tc.data || de.Table != tc.table || de.Column != tc.column {
				t.Errorf("%d %q: %#v, want %v table %q column %q", tc.err.Number, tc.err.Message, got, tc.data, tc.table, tc.column)
			} else if strings.Contains(de.Error(), "abc") {
				t.Errorf("the data error quotes the value: %v", de)
			}
		case tc.lost:
			if !errors.Is(got, dialect.ErrConnectionLost) {
				t.Errorf("%d: %v, want a lost connection", tc.err.Number, got)
			}
		}
	}
}
