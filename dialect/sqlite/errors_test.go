package sqlite

import (
	"errors"
	"fmt"
	"testing"

	"github.com/retortdb/retort/dialect"
)

func TestClassifyIntegrityErrors(t *testing.T) {
	d, p := open(t, fileConfig(t))
	c := acquire(t, p)
	defer c.Release(false)
	exec(t, c, "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT NOT NULL, CONSTRAINT uq_code UNIQUE (code))")
	exec(t, c, `CREATE TABLE child (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER,
		parent_id INTEGER CONSTRAINT fk_parent REFERENCES parent (id),
		qty INTEGER CONSTRAINT ck_qty CHECK (qty > 0), UNIQUE (a, b))`)
	exec(t, c, "INSERT INTO parent VALUES (1, 'x')")
	exec(t, c, "INSERT INTO child (id, a, b, parent_id, qty) VALUES (1, 1, 1, 1, 1)")

	for _, tc := range []struct {
		sql  string
		want dialect.IntegrityError
	}{
		{"INSERT INTO parent VALUES (2, 'x')", dialect.IntegrityError{Kind: dialect.UniqueViolation, Table: "parent", Column: "code"}},
		{"INSERT INTO parent VALUES (1, 'y')", dialect.IntegrityError{Kind: dialect.UniqueViolation, Table: "parent", Column: "id"}},
		{"INSERT INTO child (id, a, b) VALUES (2, 1, 1)", dialect.IntegrityError{Kind: dialect.UniqueViolation, Table: "child", Column: "a, b"}},
		{"INSERT INTO child (id, parent_id) VALUES (3, 99)", dialect.IntegrityError{Kind: dialect.ForeignKeyViolation}},
		{"DELETE FROM parent", dialect.IntegrityError{Kind: dialect.ForeignKeyViolation}},
		{"INSERT INTO parent (id) VALUES (5)", dialect.IntegrityError{Kind: dialect.NotNullViolation, Table: "parent", Column: "code"}},
		{"INSERT INTO child (id, qty) VALUES (4, 0)", dialect.IntegrityError{Kind: dialect.CheckViolation, Constraint: "ck_qty"}},
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
		if ie.Err != err {
			t.Errorf("%s: the driver error is not kept", tc.sql)
		}
		if again := d.ClassifyError(cerr); again != cerr {
			t.Errorf("%s: classifying twice wraps again", tc.sql)
		}
	}
	_, err := c.Exec(t.Context(), "INSERT INTO nope VALUES (1)", nil)
	if err == nil || d.ClassifyError(err) != err {
		t.Errorf("a non-constraint error is changed: %v", err)
	}
	other := fmt.Errorf("something else")
	if d.ClassifyError(other) != other || d.ClassifyError(nil) != nil {
		t.Error("ClassifyError changed an unrelated error")
	}
}
