package postgres

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/retortdb/retort/dialect"
)

func TestClassifyIntegrityErrors(t *testing.T) {
	d, p := open(t, config(t))
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL, CONSTRAINT uq_code UNIQUE (code))")
	exec(t, c, `CREATE TABLE child (id INTEGER PRIMARY KEY,
		parent_id INTEGER CONSTRAINT fk_parent REFERENCES parent (id),
		qty INTEGER CONSTRAINT ck_qty CHECK (qty > 0))`)
	exec(t, c, "INSERT INTO parent VALUES (1, 'x')")
	exec(t, c, "INSERT INTO child VALUES (1, 1, 1)")
	for _, tc := range []struct {
		sql  string
		want dialect.IntegrityError
	}{
		{"INSERT INTO parent VALUES (2, 'x')", dialect.IntegrityError{Kind: dialect.UniqueViolation, Constraint: "uq_code", Table: "parent", Column: "code"}},
		{"INSERT INTO parent VALUES (1, 'y')", dialect.IntegrityError{Kind: dialect.UniqueViolation, Constraint: "parent_pkey", Table: "parent", Column: "id"}},
		{"INSERT INTO child VALUES (2, 99, 1)", dialect.IntegrityError{Kind: dialect.ForeignKeyViolation, Constraint: "fk_parent", Table: "child", Column: "parent_id"}},
		{"DELETE FROM parent", dialect.IntegrityError{Kind: dialect.ForeignKeyViolation, Constraint: "fk_parent", Table: "child"}},
		{"INSERT INTO parent (id) VALUES (5)", dialect.IntegrityError{Kind: dialect.NotNullViolation, Table: "parent", Column: "code"}},
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
			t.Errorf("%s: classified as %+v, want %+v", tc.sql, *ie, tc.want)
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

// TestClassifyConflictDataAndLostErrors classifies server errors by SQLSTATE and pgx's
// encoder failures by their text.
func TestClassifyConflictDataAndLostErrors(t *testing.T) {
	d := New()
	for _, tc := range []struct {
		err   error
		retry dialect.RetryKind
		data  dialect.DataKind
		param int
		typ   string
		lost  bool
	}{
		{err: &pgconn.PgError{Code: "40001"}, retry: dialect.SerializationFailure},
		{err: &pgconn.PgError{Code: "40P01"}, retry: dialect.Deadlock},
		{err: &pgconn.PgError{Code: "55P03"}, retry: dialect.LockTimeout},
		{err: &pgconn.PgError{Code: "22001"}, data: dialect.TooLong},
		{err: &pgconn.PgError{Code: "22003"}, data: dialect.OutOfRange},
		{err: &pgconn.PgError{Code: "22P02"}, data: dialect.InvalidText},
		{err: &pgconn.PgError{Code: "22012"}, data: dialect.DivisionByZero},
		{err: &pgconn.PgError{Code: "22008"}, data: dialect.InvalidDatetime},
		{err: &pgconn.PgError{Code: "22023"}, data: dialect.InvalidValue},
		{err: errors.New("failed to encode args[12]: unable to encode 1099511627776 into binary format for int4 (OID 23): 1099511627776 is greater than maximum value for int4"), data: dialect.OutOfRange, param: 13, typ: "int4"},
		{err: errors.New(`failed to encode args[0]: unable to encode "abc" into binary format for int8 (OID 20): cannot parse "abc"`), data: dialect.InvalidText, param: 1, typ: "int8"},
		{err: &pgconn.PgError{Code: "57P01", Severity: "FATAL"}, lost: true},
		{err: &pgconn.PgError{Code: "08006"}, lost: true},
	} {
		got := d.ClassifyError(tc.err)
		var re *dialect.RetryableError
		var de *dialect.DataError
		switch {
		case tc.retry != 0:
			if !errors.As(got, &re) || re.Kind != tc.retry {
				t.Errorf("%v: %v, want %v", tc.err, got, tc.retry)
			}
		case tc.data != 0:
			if !errors.As(got, &de) || de.Kind != tc.data || de.Param != tc.param || de.Type != tc.typ {
				t.Errorf("%v: %#v, want %v parameter %d type %q", tc.err, got, tc.data, tc.param, tc.typ)
			} else if strings.Contains(de.Error(), "abc") || strings.Contains(de.Error(), "1099511627776") {
				t.Errorf("the data error quotes the value: %v", de)
			}
		case tc.lost:
			if !errors.Is(got, dialect.ErrConnectionLost) {
				t.Errorf("%v: %v, want a lost connection", tc.err, got)
			}
		}
	}
}
