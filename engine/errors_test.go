package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// secret is a bound value that must never appear in an error's text.
const secret = "s3cret-value"

// TestErrorMessages pins the text of the errors a statement can produce through the public
// API, on every database: each layer adds its own prefix once (engine:, dialect:, compile:,
// the dialect's name for what a driver or a dialect package reports), integrity errors
// name the constraint as far as the database reports it, and no bound value shows.
func TestErrorMessages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := openEngine(t, tg)
		md := schema.NewMetaData()
		parents := md.MustTable("parents",
			schema.Col("id", types.Integer(), schema.PrimaryKey(), schema.Autoincrement(false)),
			schema.Col("name", types.String(20), schema.NotNull(), schema.Unique()),
			schema.Col("n", types.Integer()),
			schema.Col("mood", types.Enum("mood", "calm", "cross")),
			schema.CheckConstraint("ck_parents_n", "n > 0"))
		kids := md.MustTable("kids",
			schema.Col("id", types.Integer(), schema.PrimaryKey(), schema.Autoincrement(false)),
			schema.Col("pid", types.Integer(), schema.ForeignKey("parents.id")))
		if err := eng.CreateAll(ctx, md); err != nil {
			t.Fatal(err)
		}
		c := connect(t, eng)
		if _, err := c.Execute(ctx, expr.Insert(parents).Values(map[string]any{"id": 1, "name": secret, "n": 1})); err != nil {
			t.Fatal(err)
		}
		d := eng.Dialect().Name() // "sqlite", "postgresql" or "mariadb"
		ph := func(n int) string { return string(eng.Dialect().AppendPlaceholder(nil, n)) }
		insParents := "INSERT INTO parents (id, name, n) VALUES (" + ph(1) + ", " + ph(2) + ", " + ph(3) + ")"
		byDialect := func(sqlite, postgresql, mariadb string) string {
			return map[string]string{"sqlite": sqlite, "postgresql": postgresql, "mariadb": mariadb}[d]
		}
		cases := []struct {
			what string
			stmt expr.Statement
			kind dialect.IntegrityKind // 0: not an integrity error
			want string
		}{
			{"unique", expr.Insert(parents).Values(map[string]any{"id": 2, "name": secret, "n": 1}), UniqueViolation,
				byDialect(
					"engine: statement failed: dialect: unique constraint violated (table parents, column name)",
					`engine: statement failed: dialect: unique constraint "parents_name_key" violated (table parents, column name)`,
					`engine: statement failed: dialect: unique constraint "name" violated (table parents, column name)`) +
					" [SQL: " + insParents + "]"},
			{"primary key", expr.Insert(parents).Values(map[string]any{"id": 1, "name": "other", "n": 1}), UniqueViolation,
				byDialect(
					"engine: statement failed: dialect: unique constraint violated (table parents, column id)",
					`engine: statement failed: dialect: unique constraint "parents_pkey" violated (table parents, column id)`,
					`engine: statement failed: dialect: unique constraint "PRIMARY" violated (table parents, column id)`) +
					" [SQL: " + insParents + "]"},
			{"not null", expr.Insert(parents).Values(map[string]any{"id": 3, "name": nil, "n": 1}), NotNullViolation,
				byDialect(
					"engine: statement failed: dialect: not null constraint violated (table parents, column name)",
					"engine: statement failed: dialect: not null constraint violated (table parents, column name)",
					"engine: statement failed: dialect: not null constraint violated (table parents, column name)") +
					" [SQL: " + insParents + "]"},
			{"check", expr.Insert(parents).Values(map[string]any{"id": 4, "name": secret + "2", "n": -5}), CheckViolation,
				byDialect(
					`engine: statement failed: dialect: check constraint "ck_parents_n" violated (table parents, column n)`,
					`engine: statement failed: dialect: check constraint "ck_parents_n" violated (table parents, column n)`,
					`engine: statement failed: dialect: check constraint "ck_parents_n" violated (table parents, column n)`) +
					" [SQL: " + insParents + "]"},
			{"foreign key", expr.Insert(kids).Values(map[string]any{"id": 1, "pid": 99}), ForeignKeyViolation,
				byDialect(
					"engine: statement failed: dialect: foreign key constraint violated (table kids, column pid)",
					`engine: statement failed: dialect: foreign key constraint "kids_pid_fkey" violated (table kids, column pid)`,
					`engine: statement failed: dialect: foreign key constraint "kids_ibfk_1" violated (table kids, column pid)`) +
					" [SQL: INSERT INTO kids (id, pid) VALUES (" + ph(1) + ", " + ph(2) + ")]"},
			{"enum value", expr.Insert(parents).Values(map[string]any{"id": 5, "name": "e", "n": 1, "mood": "s3cret-mood"}), 0,
				"engine: statement failed: parameter 4: " + d + `: cannot convert string to enum mood(calm,cross) column: "s3cret-mood" is not one of the allowed values ["calm", "cross"]` +
					" [SQL: INSERT INTO parents (id, name, n, mood) VALUES (" + ph(1) + ", " + ph(2) + ", " + ph(3) + ", " + ph(4) + ")]"},
			{"type mismatch", expr.Insert(parents).Values(map[string]any{"id": secret, "name": "x", "n": 1}), 0,
				"engine: statement failed: parameter 1: " + d + ": cannot convert string to integer column [SQL: " + insParents + "]"},
			{"unknown column", expr.Select(parents.C("nope")), 0,
				"compile: unknown column: table parents has no column nope"},
			{"nil statement", nil, 0, "compile: statement is nil"},
			{"empty select", expr.Select(), 0, "compile: select has no columns"},
		}
		for _, tc := range cases {
			_, err := c.Execute(ctx, tc.stmt)
			if err == nil {
				t.Errorf("%s: no error", tc.what)
				continue
			}
			if err.Error() != tc.want {
				t.Errorf("%s:\n got %s\nwant %s", tc.what, err, tc.want)
			}
			if tc.kind != 0 {
				var ie *IntegrityError
				if !errors.As(err, &ie) || ie.Kind != tc.kind || !errors.Is(err, ErrIntegrity) {
					t.Errorf("%s: %v is not a %s IntegrityError", tc.what, err, tc.kind)
				}
				var se *StatementError
				if !errors.As(err, &se) {
					t.Errorf("%s: %v is not a StatementError", tc.what, err)
				}
			}
			if tc.what == "enum value" || tc.what == "type mismatch" {
				if !errors.Is(err, dialect.ErrConvert) {
					t.Errorf("%s: %v does not match dialect.ErrConvert", tc.what, err)
				}
			}
			if strings.HasPrefix(tc.want, "compile: ") && !errors.Is(err, compile.ErrCompile) {
				t.Errorf("%s: %v does not match compile.ErrCompile", tc.what, err)
			}
			if tc.what != "enum value" && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("%s: the error shows a bound value: %v", tc.what, err)
			}
		}

		// A statement the database rejects: the driver's own text behind the dialect's name.
		_, err := c.Execute(ctx, expr.Text("SELEKT 1"))
		wantPrefix := "engine: statement failed: " + d + ": "
		if err == nil || !strings.HasPrefix(err.Error(), wantPrefix) || !strings.HasSuffix(err.Error(), " [SQL: SELEKT 1]") ||
			strings.Count(err.Error(), d+": ") != 1 {
			t.Errorf("syntax error: got %v, want %q...%q", err, wantPrefix, " [SQL: SELEKT 1]")
		}
		if errors.Is(err, ErrIntegrity) {
			t.Errorf("syntax error classified as an integrity error: %v", err)
		}
	})
}

// TestIntegrityErrorText pins IntegrityError's message for every combination of the
// fields a database may report.
func TestIntegrityErrorText(t *testing.T) {
	driverErr := errors.New("Duplicate entry 's3cret' for key 'uq'")
	for _, tc := range []struct {
		e    IntegrityError
		want string
	}{
		{IntegrityError{Kind: UniqueViolation, Constraint: "uq", Table: "t", Err: driverErr}, `dialect: unique constraint "uq" violated (table t)`},
		{IntegrityError{Kind: UniqueViolation, Table: "t", Column: "a, b"}, "dialect: unique constraint violated (table t, column a, b)"},
		{IntegrityError{Kind: NotNullViolation, Column: "c"}, "dialect: not null constraint violated (column c)"},
		{IntegrityError{Kind: ForeignKeyViolation}, "dialect: foreign key constraint violated"},
		{IntegrityError{Kind: CheckViolation, Constraint: "ck"}, `dialect: check constraint "ck" violated`},
		{IntegrityError{Kind: IntegrityKind(42)}, "dialect: integrity constraint violated"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	e := &IntegrityError{Kind: UniqueViolation, Err: driverErr}
	if !errors.Is(e, driverErr) || !errors.Is(e, ErrIntegrity) {
		t.Errorf("IntegrityError does not unwrap to the driver's error and ErrIntegrity")
	}
}
