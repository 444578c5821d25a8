package migrate_test

import (
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/migrate"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// everything is a schema with every type and constraint retort supports.
func everything(partial bool) *schema.MetaData {
	md := schema.NewMetaData()
	md.MustTable("teams",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(40), schema.NotNull(), schema.Unique()),
	)
	md.MustTable("every_type",
		schema.Col("id", types.BigInt(), schema.PrimaryKey()),
		schema.Col("i", types.Integer(), schema.NotNull(), schema.ServerDefault(expr.Value(int64(7), types.Integer())), schema.Comment("it's seven")),
		schema.Col("s", types.SmallInt()),
		schema.Col("b", types.Boolean(), schema.NotNull(), schema.ServerDefault(expr.Value(true, types.Boolean()))),
		schema.Col("f", types.Float()),
		schema.Col("d", types.Double()),
		schema.Col("n", types.Numeric(10, 2), schema.ServerDefault(expr.Value("1.50", types.Numeric(10, 2)))),
		schema.Col("n0", types.Numeric(0, 0)),
		schema.Col("v", types.String(40), schema.ServerDefault(expr.Value("it's", types.String(40)))),
		schema.Col("v0", types.String(0)),
		schema.Col("t", types.Text()),
		schema.Col("by", types.Bytes()),
		schema.Col("dt", types.Date()),
		schema.Col("tm", types.Time()),
		schema.Col("ts", types.Timestamp(false), schema.NotNull(), schema.ServerDefault(expr.Now())),
		schema.Col("tz", types.Timestamp(true)),
		schema.Col("iv", types.Interval()),
		schema.Col("js", types.JSON()),
		schema.Col("u", types.UUIDType()),
		schema.Col("e", types.Enum("mood", "happy", "sad")),
		schema.Col("team_id", types.Integer(), schema.ForeignKey("teams.id", schema.OnDelete("cascade"), schema.FKName("fk_every_team"))),
		schema.Col("team_name", types.String(40)),
		schema.ForeignKeyConstraint("", []string{"team_name"}, "teams", []string{"name"}, schema.OnUpdate("SET NULL")),
		schema.UniqueConstraint("uq_every_pair", "i", "s"),
		schema.CheckConstraint("ck_every_i", "i > 0"),
		schema.CheckConstraint("", "s >= 0"),
		schema.Index("ix_every_dt_tm", "dt", "tm"),
		schema.UniqueIndex("ux_every_v", "v"),
	)
	pairs := []schema.TableItem{
		schema.Col("a", types.Integer()),
		schema.Col("b", types.String(10)),
		schema.PrimaryKeyConstraint("a", "b"),
	}
	if partial {
		pairs = append(pairs, schema.PartialIndex("ix_pairs_big", true, "a > 10", "b"))
	}
	md.MustTable("pairs", pairs...)
	return md
}

// TestReflectRoundTrip creates a schema using every type and constraint, reflects it,
// and checks that the reflected MetaData compares equal to the models after the
// dialect's normalization, with spot checks of what was read.
func TestReflectRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := open(t, tg)
		partial := eng.Dialect().Features().Has(compile.PartialIndexes)
		md := everything(partial)
		if err := eng.CreateAll(ctx, md); err != nil {
			t.Fatal(err)
		}
		got, err := eng.Reflect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		norm := eng.Dialect().(dialect.Reflector).Normalization()
		changes, err := migrate.Compare(md, got, eng.Dialect(), norm)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range changes {
			t.Errorf("round trip difference: %s", ch.Up)
		}
		if len(got.Tables) != 3 {
			t.Fatalf("reflected %d tables, want 3", len(got.Tables))
		}
		et, ok := got.TableByName("every_type")
		if !ok {
			t.Fatal("every_type not reflected")
		}
		model, _ := md.TableByName("every_type")
		for _, mc := range model.Cols {
			rc, ok := et.Col(mc.Name)
			if !ok {
				t.Errorf("column %s not reflected", mc.Name)
				continue
			}
			if want := norm.ReflectedType(mc.Type, mc.Autoincrement); !rc.Type.Equal(want) {
				t.Errorf("column %s: type %s, want %s", mc.Name, rc.Type, want)
			}
			if rc.Nullable != mc.Nullable {
				t.Errorf("column %s: nullable %v, want %v", mc.Name, rc.Nullable, mc.Nullable)
			}
			if (rc.ServerDefault == nil) != (mc.ServerDefault == nil) {
				t.Errorf("column %s: default %v, want %v", mc.Name, rc.ServerDefault, mc.ServerDefault)
			}
		}
		if i, _ := et.Col("i"); norm.Comments && i.Comment != "it's seven" {
			t.Errorf("every_type.i: comment %q", i.Comment)
		}
		if id, _ := et.Col("id"); !id.Autoincrement || len(et.PrimaryKey) != 1 {
			t.Errorf("every_type.id: autoincrement %v, primary key %d columns", id.Autoincrement, len(et.PrimaryKey))
		}
		if len(et.ForeignKeys) != 2 {
			t.Fatalf("every_type: %d foreign keys, want 2", len(et.ForeignKeys))
		}
		for _, fk := range et.ForeignKeys {
			switch fk.Columns[0] {
			case "team_id":
				if fk.OnDelete != "CASCADE" || fk.RefTable != "teams" || fk.RefCols[0] != "id" {
					t.Errorf("fk on team_id: %+v", fk)
				}
				if fk.Name != "fk_every_team" {
					t.Errorf("fk on team_id named %q", fk.Name)
				}
			case "team_name":
				if fk.OnUpdate != "SET NULL" {
					t.Errorf("fk on team_name: %+v", fk)
				}
			}
		}
		found := false
		for _, ck := range et.Checks {
			found = found || ck.Name == "ck_every_i"
		}
		if !found {
			t.Errorf("check ck_every_i not reflected: %+v", et.Checks)
		}
		ix := map[string]*schema.IndexDef{}
		for _, x := range et.Indexes {
			ix[x.Name] = x
		}
		if x := ix["ix_every_dt_tm"]; x == nil || len(x.Columns) != 2 || x.Unique {
			t.Errorf("index ix_every_dt_tm: %+v", x)
		}
		pairs, _ := got.TableByName("pairs")
		if pairs == nil || len(pairs.PrimaryKey) != 2 || pairs.PrimaryKey[1].Name != "b" {
			t.Fatalf("pairs: composite primary key not reflected")
		}
		if partial && (len(pairs.Indexes) != 1 || !pairs.Indexes[0].Unique || !strings.Contains(pairs.Indexes[0].Where, "a > 10")) {
			t.Errorf("partial index of pairs: %+v", pairs.Indexes)
		}
	})
}

// TestReflectFilterAndSchema: ReflectOnly keeps the tables asked for; on PostgreSQL a
// named schema is read and its tables are registered as "schema.table".
func TestReflectFilterAndSchema(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := open(t, tg)
		if err := eng.CreateAll(ctx, everything(false)); err != nil {
			t.Fatal(err)
		}
		md, err := eng.Reflect(ctx, engine.ReflectOnly(func(name string) bool { return name == "pairs" }))
		if err != nil {
			t.Fatal(err)
		}
		if len(md.Tables) != 1 || md.Tables[0].Name != "pairs" {
			t.Fatalf("ReflectOnly(pairs) gave %d tables", len(md.Tables))
		}
		if tg.Name != testdb.NamePostgres {
			return
		}
		mustExec(t, eng, "CREATE SCHEMA other")
		mustExec(t, eng, "CREATE TABLE other.things (id SERIAL PRIMARY KEY, team_id INTEGER REFERENCES public.teams (id))")
		md, err = eng.Reflect(ctx, engine.ReflectSchema("other"))
		if err != nil {
			t.Fatal(err)
		}
		if len(md.Tables) != 1 || md.Tables[0].Key() != "other.things" {
			t.Fatalf("schema other: %v", tableNamesOf(md))
		}
		fks := md.Tables[0].ForeignKeys
		if len(fks) != 1 || fks[0].RefTable != "public.teams" {
			t.Fatalf("foreign key across schemas: %+v", fks)
		}
	})
}

func tableNamesOf(md *schema.MetaData) []string {
	var out []string
	for _, t := range md.Tables {
		out = append(out, t.Key())
	}
	return out
}
