package migrate_test

import (
	"strings"
	"testing"

	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/migrate"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

func compare(t *testing.T, models, db *schema.MetaData) []string {
	t.Helper()
	d := postgres.New()
	changes, err := migrate.Compare(models, db, d, d.Normalization())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ch := range changes {
		s := ch.Up.String()
		if ch.Destructive != "" {
			s += " [destructive]"
		}
		if ch.Note != "" {
			s += " [rename]"
		}
		out = append(out, s)
	}
	return out
}

func want(t *testing.T, got []string, lines ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(lines, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(lines, "\n"))
	}
}

func TestCompareColumnRename(t *testing.T) {
	db := schema.NewMetaData()
	db.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(50), schema.NotNull()),
		schema.Col("age", types.Integer()),
	)
	models := schema.NewMetaData()
	models.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("full_name", types.String(50), schema.NotNull()),
		schema.Col("age", types.Integer()),
	)
	want(t, compare(t, models, db), "rename column users.name to full_name [rename]")
}

// A changed type, nullability or default means no rename: drop and add.
func TestCompareNoRenameWhenShapeDiffers(t *testing.T) {
	db := schema.NewMetaData()
	db.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("name", types.String(50)))
	models := schema.NewMetaData()
	models.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("full_name", types.String(80)))
	want(t, compare(t, models, db), "add column users.full_name", "drop column users.name [destructive]")

	models = schema.NewMetaData()
	models.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("full_name", types.String(50), schema.ServerDefault(expr.Value("x", types.String(50)))))
	want(t, compare(t, models, db), "add column users.full_name", "drop column users.name [destructive]")
}

// Two dropped and two added columns of one shape: ambiguous, so no rename is proposed.
func TestCompareAmbiguousRename(t *testing.T) {
	db := schema.NewMetaData()
	db.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("a", types.Text()), schema.Col("b", types.Text()))
	models := schema.NewMetaData()
	models.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("c", types.Text()), schema.Col("d", types.Text()))
	want(t, compare(t, models, db),
		"add column users.c", "add column users.d",
		"drop column users.a [destructive]", "drop column users.b [destructive]")
	// One dropped, two added of the same shape: still ambiguous.
	db = schema.NewMetaData()
	db.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("a", types.Text()))
	want(t, compare(t, models, db),
		"add column users.c", "add column users.d", "drop column users.a [destructive]")
}

func TestCompareTableRename(t *testing.T) {
	db := schema.NewMetaData()
	db.MustTable("people", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("name", types.Text()))
	db.MustTable("logs", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("line", types.Text()))
	models := schema.NewMetaData()
	models.MustTable("persons", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("name", types.Text()))
	models.MustTable("events", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("kind", types.Text()))
	want(t, compare(t, models, db),
		"rename table people to persons [rename]", "create table events", "drop table logs [destructive]")
}

// Changes come in foreign key order: keys go first, new tables before the keys that
// point at them, narrowing a type is destructive.
func TestCompareOrderAndAlter(t *testing.T) {
	db := schema.NewMetaData()
	db.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("team", types.Integer(), schema.ForeignKey("old_teams.id")),
		schema.Col("bio", types.String(200)),
		schema.Col("nick", types.String(20), schema.Indexed()))
	db.MustTable("old_teams", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("x", types.Integer()), schema.Col("y", types.Integer()))
	models := schema.NewMetaData()
	models.MustTable("teams", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("title", types.Text()))
	models.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("team", types.Integer(), schema.ForeignKey("teams.id", schema.FKName("fk_team"))),
		schema.Col("bio", types.String(100), schema.NotNull()),
		schema.Col("nick", types.String(20)), schema.UniqueIndex("ux_nick", "nick"))
	want(t, compare(t, models, db),
		"drop foreign key fk_users_team_old_teams on users",
		"drop index ix_users_nick on users",
		"create table teams",
		"alter column users.bio (type string(100), NOT NULL) [destructive]",
		"drop table old_teams [destructive]",
		"create index ux_nick on users",
		"add foreign key fk_team on users",
	)
}

func TestCompareExclude(t *testing.T) {
	db := schema.NewMetaData()
	db.MustTable("legacy", schema.Col("id", types.Integer(), schema.PrimaryKey()))
	db.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("n", types.Text(), schema.Indexed()))
	models := schema.NewMetaData()
	models.MustTable("users", schema.Col("id", types.Integer(), schema.PrimaryKey()), schema.Col("n", types.Text()))
	d := postgres.New()
	changes, err := migrate.Compare(models, db, d, d.Normalization(), migrate.ExcludeTables("legacy"), migrate.ExcludeObjects("ix_users_n"))
	if err != nil || len(changes) != 0 {
		t.Fatalf("excluded objects still compared: %v %v", changes, err)
	}
}
