package engine

import (
	"errors"
	"testing"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// TestIntegrityErrorDescribed checks that an IntegrityError of a statement on a schema
// table names both the constraint and its columns on every dialect, from what the
// database reports and the table's definition: an unnamed UNIQUE (users_email_key on
// PostgreSQL, email on MariaDB, unnamed on SQLite), a named one, the primary key, a
// foreign key (SQLite reports neither its name nor its column) and a named CHECK.
func TestIntegrityErrorDescribed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg)
		md := schema.NewMetaData()
		md.MustTable("ie_teams", schema.Col("id", types.BigInt(), schema.PrimaryKey()))
		users := md.MustTable("ie_users",
			schema.Col("id", types.BigInt(), schema.PrimaryKey(), schema.Autoincrement(false)),
			schema.Col("email", types.String(100), schema.NotNull(), schema.Unique()),
			schema.Col("nick", types.String(30), schema.NotNull()),
			schema.Col("team_id", types.BigInt(), schema.ForeignKey("ie_teams.id", schema.FKName("fk_ie_users_team"))),
			schema.Col("age", types.Integer()),
			schema.UniqueConstraint("uq_ie_users_nick", "nick"),
			schema.CheckConstraint("ck_ie_users_age", "age >= 0"))
		if err := eng.CreateAll(t.Context(), md); err != nil {
			t.Fatal(err)
		}
		c := connect(t, eng)
		row := func(id int64, email, nick string, team, age any) expr.Statement {
			return expr.Insert(users).Values(map[string]any{"id": id, "email": email, "nick": nick, "team_id": team, "age": age})
		}
		if _, err := c.Execute(t.Context(), row(1, "a@x", "a", nil, 1)); err != nil {
			t.Fatal(err)
		}
		emailKey := map[string]string{testdb.NamePostgres: "ie_users_email_key", testdb.NameMariaDB: "email"}[tg.Name]
		pkey := map[string]string{testdb.NamePostgres: "ie_users_pkey", testdb.NameMariaDB: "PRIMARY"}[tg.Name]
		for _, tc := range []struct {
			name       string
			stmt       expr.Statement
			kind       IntegrityKind
			constraint string
			column     string
		}{
			{"unnamed unique", row(2, "a@x", "b", nil, 1), UniqueViolation, emailKey, "email"},
			{"named unique", row(2, "b@x", "a", nil, 1), UniqueViolation, "uq_ie_users_nick", "nick"},
			{"primary key", row(1, "c@x", "c", nil, 1), UniqueViolation, pkey, "id"},
			{"foreign key", row(2, "d@x", "d", 99, 1), ForeignKeyViolation, "fk_ie_users_team", "team_id"},
			{"foreign key on update", expr.Update(users).Set(users.C("team_id"), 98).Where(users.C("id").Eq(1)), ForeignKeyViolation, "fk_ie_users_team", "team_id"},
			{"check", row(2, "e@x", "e", nil, -1), CheckViolation, "ck_ie_users_age", "age"},
		} {
			_, err := c.Execute(t.Context(), tc.stmt)
			var ie *IntegrityError
			if !errors.As(err, &ie) {
				t.Errorf("%s: %v, want an IntegrityError", tc.name, err)
				continue
			}
			if ie.Kind != tc.kind || ie.Constraint != tc.constraint || ie.Column != tc.column || ie.Table != "ie_users" {
				t.Errorf("%s: kind %v constraint %q column %q table %q; want %v %q %q ie_users (%v)",
					tc.name, ie.Kind, ie.Constraint, ie.Column, ie.Table, tc.kind, tc.constraint, tc.column, err)
			}
		}
	})
}
