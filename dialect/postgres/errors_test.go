package postgres

import (
	"errors"
	"testing"

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
		{"INSERT INTO parent VALUES (2, 'x')", dialect.IntegrityError{Kind: dialect.UniqueViolation, Constraint: "uq_code", Table: "parent"}},
		{"INSERT INTO parent VALUES (1, 'y')", dialect.IntegrityError{Kind: dialect.UniqueViolation, Constraint: "parent_pkey", Table: "parent"}},
		{"INSERT INTO child VALUES (2, 99, 1)", dialect.IntegrityError{Kind: dialect.ForeignKeyViolation, Constraint: "fk_parent", Table: "child"}},
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
