package compile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

var ddlDialects = []struct {
	name string
	d    compile.Dialect
}{
	{"sqlite", sqlite.New()},
	{"postgresql", postgres.New()},
	{"mariadb", mysql.New(mysql.MariaDB, 10, 11, 0)},
	{"mysql", mysql.New(mysql.MySQL, 8, 0, 36)},
}

// golden is the expected SQL per dialect name; a missing mysql entry means "same as
// mariadb"; a value starting with "error:" expects an error with that text.
type golden map[string]string

func checkDDL(t *testing.T, label string, stmt expr.Statement, want golden) {
	t.Helper()
	for _, dd := range ddlDialects {
		w, ok := want[dd.name]
		if !ok && dd.name == "mysql" {
			w, ok = want["mariadb"]
		}
		if !ok {
			continue
		}
		c, err := compile.CompileDDL(dd.d, stmt)
		if strings.HasPrefix(w, "error:") {
			if err == nil {
				t.Errorf("%s on %s: got %s, want an error", label, dd.name, c.SQL)
			} else if !strings.Contains(err.Error(), strings.TrimPrefix(w, "error:")) || !errors.Is(err, compile.ErrCompile) {
				t.Errorf("%s on %s: error\n got %v\nwant %s", label, dd.name, err, w)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s on %s: %v", label, dd.name, err)
			continue
		}
		if c.SQL != w {
			t.Errorf("%s on %s:\n got %s\nwant %s", label, dd.name, c.SQL, w)
		}
		if len(c.Args) != 0 || c.Returns {
			t.Errorf("%s on %s: DDL has args %v / returns %v", label, dd.name, c.Args, c.Returns)
		}
	}
}

func TestDDLColumnTypes(t *testing.T) {
	md := schema.NewMetaData()
	tb := md.MustTable("every_type",
		schema.Col("id", types.BigInt(), schema.PrimaryKey()),
		schema.Col("i", types.Integer()),
		schema.Col("s", types.SmallInt()),
		schema.Col("b", types.Boolean()),
		schema.Col("f", types.Float()),
		schema.Col("d", types.Double()),
		schema.Col("n", types.Numeric(10, 2)),
		schema.Col("n0", types.Numeric(0, 0)),
		schema.Col("v", types.String(40)),
		schema.Col("v0", types.String(0)),
		schema.Col("t", types.Text()),
		schema.Col("by", types.Bytes()),
		schema.Col("dt", types.Date()),
		schema.Col("tm", types.Time()),
		schema.Col("ts", types.Timestamp(false)),
		schema.Col("tstz", types.Timestamp(true)),
		schema.Col("iv", types.Interval()),
		schema.Col("j", types.JSON()),
		schema.Col("u", types.UUIDType()),
		schema.Col("e", types.Enum("mood", "sad", "it's ok", "happy")),
	)
	checkDDL(t, "every type", &schema.CreateTable{Table: tb}, golden{
		"sqlite": `CREATE TABLE every_type (id INTEGER NOT NULL, i INTEGER, s SMALLINT, b BOOLEAN, f REAL, d DOUBLE, ` +
			`n NUMERIC(10, 2), n0 NUMERIC, v VARCHAR(40), v0 VARCHAR, t TEXT, "by" BLOB, dt DATE, tm TIME, ts DATETIME, ` +
			`tstz DATETIME, iv BIGINT, j TEXT, u CHAR(36), e VARCHAR(7), PRIMARY KEY (id), CHECK (e IN ('sad', 'it''s ok', 'happy')))`,
		"postgresql": `CREATE TABLE every_type (id BIGSERIAL NOT NULL, i INTEGER, s SMALLINT, b BOOLEAN, f REAL, d DOUBLE PRECISION, ` +
			`n NUMERIC(10, 2), n0 NUMERIC, v VARCHAR(40), v0 VARCHAR, t TEXT, "by" BYTEA, dt DATE, tm TIME, ts TIMESTAMP, ` +
			`tstz TIMESTAMP WITH TIME ZONE, iv INTERVAL, j JSON, u UUID, e mood, PRIMARY KEY (id))`,
		"mariadb": "CREATE TABLE every_type (id BIGINT NOT NULL AUTO_INCREMENT, i INTEGER, s SMALLINT, b BOOL, f FLOAT, d DOUBLE, " +
			"n DECIMAL(10, 2), n0 DECIMAL(65, 30), v VARCHAR(40), v0 VARCHAR(255), t LONGTEXT, `by` LONGBLOB, dt DATE, tm TIME(6), " +
			"ts DATETIME(6), tstz DATETIME(6), iv BIGINT, j JSON, u CHAR(36), e ENUM('sad', 'it''s ok', 'happy'), PRIMARY KEY (id))",
	})
}

func TestDDLColumnOptions(t *testing.T) {
	md := schema.NewMetaData()
	tb := md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(50), schema.NotNull(), schema.ServerDefault(expr.Value("it's \\ me", types.String(50)))),
		schema.Col("active", types.Boolean(), schema.NotNull(), schema.ServerDefault(expr.Value(true, types.Boolean()))),
		schema.Col("score", types.Double(), schema.ServerDefault(expr.Value(1.5, types.Double()))),
		schema.Col("rank", types.Integer(), schema.ServerDefault(expr.Value(int64(-3), types.Integer()))),
		schema.Col("created", types.Timestamp(false), schema.NotNull(), schema.ServerDefault(expr.Now())),
		schema.Col("email", types.String(200), schema.Unique()),
		schema.Col("nick", types.String(30), schema.Default("anon")),
		schema.Col("code", types.String(10), schema.ServerDefault(expr.Fn("upper", "x"))),
	)
	checkDDL(t, "column options", &schema.CreateTable{Table: tb}, golden{
		"sqlite": `CREATE TABLE users (id INTEGER NOT NULL, name VARCHAR(50) DEFAULT 'it''s \ me' NOT NULL, ` +
			`active BOOLEAN DEFAULT true NOT NULL, score DOUBLE DEFAULT 1.5, rank INTEGER DEFAULT -3, ` +
			`created DATETIME DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')) NOT NULL, email VARCHAR(200), nick VARCHAR(30), code VARCHAR(10) DEFAULT (upper('x')), PRIMARY KEY (id), UNIQUE (email))`,
		"postgresql": `CREATE TABLE users (id SERIAL NOT NULL, name VARCHAR(50) DEFAULT 'it''s \ me' NOT NULL, ` +
			`active BOOLEAN DEFAULT true NOT NULL, score DOUBLE PRECISION DEFAULT 1.5, rank INTEGER DEFAULT -3, ` +
			`created TIMESTAMP DEFAULT now() NOT NULL, email VARCHAR(200), nick VARCHAR(30), code VARCHAR(10) DEFAULT upper('x'), PRIMARY KEY (id), UNIQUE (email))`,
		"mariadb": "CREATE TABLE users (id INTEGER NOT NULL AUTO_INCREMENT, name VARCHAR(50) DEFAULT 'it''s \\\\ me' NOT NULL, " +
			"active BOOL DEFAULT true NOT NULL, score DOUBLE DEFAULT 1.5, `rank` INTEGER DEFAULT -3, " +
			"created DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6) NOT NULL, email VARCHAR(200), nick VARCHAR(30), code VARCHAR(10) DEFAULT (upper('x')), PRIMARY KEY (id), UNIQUE (email))",
	})
	checkDDL(t, "if not exists", &schema.CreateTable{Table: md.MustTable("t", schema.Col("x", types.Text())), IfNotExists: true}, golden{
		"sqlite":     "CREATE TABLE IF NOT EXISTS t (x TEXT)",
		"postgresql": "CREATE TABLE IF NOT EXISTS t (x TEXT)",
		"mariadb":    "CREATE TABLE IF NOT EXISTS t (x LONGTEXT)",
	})
}

func TestDDLKeysAndConstraints(t *testing.T) {
	md := schema.NewMetaData()
	md.MustTable("parent",
		schema.Col("a", types.Integer()),
		schema.Col("b", types.String(10)),
		schema.PrimaryKeyConstraint("a", "b"),
	)
	child := md.MustTable("child",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("pa", types.Integer(), schema.NotNull()),
		schema.Col("pb", types.String(10), schema.NotNull()),
		schema.Col("owner_id", types.Integer(), schema.ForeignKey("parent2.id", schema.OnDelete("set null"), schema.OnUpdate("CASCADE"))),
		schema.Col("qty", types.Integer(), schema.Indexed()),
		schema.ForeignKeyConstraint("fk_child_parent", []string{"pa", "pb"}, "parent", []string{"a", "b"}, schema.OnDelete("CASCADE")),
		schema.UniqueConstraint("uq_child_pab", "pa", "pb"),
		schema.UniqueConstraint("", "qty", "id"),
		schema.CheckConstraint("ck_qty", "qty >= 0"),
		schema.CheckConstraint("", "pa <> 7"),
		schema.Index("ix_child_pab", "pa", "pb"),
		schema.UniqueIndex("uix_child_owner", "owner_id", "qty"),
	)
	md.MustTable("parent2", schema.Col("id", types.Integer(), schema.PrimaryKey()))
	checkDDL(t, "composite pk", &schema.CreateTable{Table: md.Tables[0]}, golden{
		"sqlite":     "CREATE TABLE parent (a INTEGER NOT NULL, b VARCHAR(10) NOT NULL, PRIMARY KEY (a, b))",
		"postgresql": "CREATE TABLE parent (a INTEGER NOT NULL, b VARCHAR(10) NOT NULL, PRIMARY KEY (a, b))",
		"mariadb":    "CREATE TABLE parent (a INTEGER NOT NULL, b VARCHAR(10) NOT NULL, PRIMARY KEY (a, b))",
	})
	const body = " (id %s NOT NULL%s, pa INTEGER NOT NULL, pb VARCHAR(10) NOT NULL, owner_id INTEGER, qty INTEGER, PRIMARY KEY (id), " +
		"CONSTRAINT uq_child_pab UNIQUE (pa, pb), UNIQUE (qty, id), CONSTRAINT ck_qty CHECK (qty >= 0), CHECK (pa <> 7), " +
		"FOREIGN KEY (owner_id) REFERENCES parent2 (id) ON DELETE SET NULL ON UPDATE CASCADE, " +
		"CONSTRAINT fk_child_parent FOREIGN KEY (pa, pb) REFERENCES parent (a, b) ON DELETE CASCADE)"
	checkDDL(t, "constraints", &schema.CreateTable{Table: child}, golden{
		"sqlite":     "CREATE TABLE child" + strings.Replace(strings.Replace(body, "%s", "INTEGER", 1), "%s", "", 1),
		"postgresql": "CREATE TABLE child" + strings.Replace(strings.Replace(body, "%s", "SERIAL", 1), "%s", "", 1),
		"mariadb":    "CREATE TABLE child" + strings.Replace(strings.Replace(body, "%s", "INTEGER", 1), "%s", " AUTO_INCREMENT", 1),
	})
	for i, want := range []golden{
		{"sqlite": "CREATE INDEX ix_child_qty ON child (qty)", "postgresql": "CREATE INDEX ix_child_qty ON child (qty)",
			"mariadb": "CREATE INDEX ix_child_qty ON child (qty)"},
		{"sqlite": "CREATE INDEX ix_child_pab ON child (pa, pb)", "postgresql": "CREATE INDEX ix_child_pab ON child (pa, pb)",
			"mariadb": "CREATE INDEX ix_child_pab ON child (pa, pb)"},
		{"sqlite": "CREATE UNIQUE INDEX uix_child_owner ON child (owner_id, qty)", "postgresql": "CREATE UNIQUE INDEX uix_child_owner ON child (owner_id, qty)",
			"mariadb": "CREATE UNIQUE INDEX uix_child_owner ON child (owner_id, qty)"},
	} {
		checkDDL(t, "index "+child.Indexes[i].Name, &schema.CreateIndex{Index: child.Indexes[i]}, want)
	}
	ix := child.Indexes[1]
	checkDDL(t, "create index if not exists", schema.CreateIndex{Index: ix, IfNotExists: true}, golden{
		"sqlite":     "CREATE INDEX IF NOT EXISTS ix_child_pab ON child (pa, pb)",
		"postgresql": "CREATE INDEX IF NOT EXISTS ix_child_pab ON child (pa, pb)",
		"mariadb":    "CREATE INDEX IF NOT EXISTS ix_child_pab ON child (pa, pb)",
		"mysql":      "error:compile: CREATE INDEX IF NOT EXISTS is not supported by mysql",
	})
	checkDDL(t, "drop index", &schema.DropIndex{Index: ix}, golden{
		"sqlite": "DROP INDEX ix_child_pab", "postgresql": "DROP INDEX ix_child_pab", "mariadb": "DROP INDEX ix_child_pab ON child",
	})
	checkDDL(t, "drop index if exists", &schema.DropIndex{Index: ix, IfExists: true}, golden{
		"sqlite": "DROP INDEX IF EXISTS ix_child_pab", "postgresql": "DROP INDEX IF EXISTS ix_child_pab",
		"mariadb": "DROP INDEX IF EXISTS ix_child_pab ON child", "mysql": "error:DROP INDEX IF EXISTS is not supported by mysql",
	})
	checkDDL(t, "drop table", &schema.DropTable{Table: child}, golden{
		"sqlite": "DROP TABLE child", "postgresql": "DROP TABLE child", "mariadb": "DROP TABLE child",
	})
	checkDDL(t, "drop table if exists", &schema.DropTable{Table: child, IfExists: true}, golden{
		"sqlite": "DROP TABLE IF EXISTS child", "postgresql": "DROP TABLE IF EXISTS child", "mariadb": "DROP TABLE IF EXISTS child",
	})
	fk := child.ForeignKeys[0] // the unnamed column-level key
	checkDDL(t, "add fk", &schema.AddConstraint{Table: child, Constraint: fk}, golden{
		"sqlite": "error:ALTER TABLE child ADD CONSTRAINT is not supported by sqlite",
		"postgresql": "ALTER TABLE child ADD CONSTRAINT fk_child_owner_id_parent2 FOREIGN KEY (owner_id) REFERENCES parent2 (id) " +
			"ON DELETE SET NULL ON UPDATE CASCADE",
		"mariadb": "ALTER TABLE child ADD CONSTRAINT fk_child_owner_id_parent2 FOREIGN KEY (owner_id) REFERENCES parent2 (id) " +
			"ON DELETE SET NULL ON UPDATE CASCADE",
	})
	checkDDL(t, "drop fk", &schema.DropConstraint{Table: child, Constraint: fk}, golden{
		"sqlite":     "error:ALTER TABLE child DROP CONSTRAINT is not supported by sqlite",
		"postgresql": "ALTER TABLE child DROP CONSTRAINT fk_child_owner_id_parent2",
		"mariadb":    "ALTER TABLE child DROP FOREIGN KEY fk_child_owner_id_parent2",
	})
	checkDDL(t, "drop fk if exists", &schema.DropConstraint{Table: child, Constraint: fk, IfExists: true}, golden{
		"postgresql": "ALTER TABLE child DROP CONSTRAINT IF EXISTS fk_child_owner_id_parent2",
		"mariadb":    "ALTER TABLE child DROP FOREIGN KEY IF EXISTS fk_child_owner_id_parent2",
		"mysql":      "error:DROP CONSTRAINT IF EXISTS is not supported by mysql",
	})
	checkDDL(t, "add unique", &schema.AddConstraint{Table: child, Constraint: child.Uniques[0]}, golden{
		"postgresql": "ALTER TABLE child ADD CONSTRAINT uq_child_pab UNIQUE (pa, pb)",
		"mariadb":    "ALTER TABLE child ADD CONSTRAINT uq_child_pab UNIQUE (pa, pb)",
	})
	checkDDL(t, "drop unique", &schema.DropConstraint{Table: child, Constraint: child.Uniques[0]}, golden{
		"postgresql": "ALTER TABLE child DROP CONSTRAINT uq_child_pab",
		"mariadb":    "ALTER TABLE child DROP INDEX uq_child_pab",
	})
	checkDDL(t, "drop unnamed unique", &schema.DropConstraint{Table: child, Constraint: child.Uniques[1]}, golden{
		"postgresql": "error:ALTER TABLE child DROP CONSTRAINT: the UNIQUE constraint has no name",
	})
	checkDDL(t, "add check", &schema.AddConstraint{Table: child, Constraint: child.Checks[0]}, golden{
		"postgresql": "ALTER TABLE child ADD CONSTRAINT ck_qty CHECK (qty >= 0)",
		"mariadb":    "ALTER TABLE child ADD CONSTRAINT ck_qty CHECK (qty >= 0)",
	})
	checkDDL(t, "drop check", &schema.DropConstraint{Table: child, Constraint: child.Checks[0]}, golden{
		"postgresql": "ALTER TABLE child DROP CONSTRAINT ck_qty",
		"mariadb":    "ALTER TABLE child DROP CONSTRAINT ck_qty",
	})
}

func TestDDLForeignKeyActions(t *testing.T) {
	md := schema.NewMetaData()
	md.MustTable("p", schema.Col("id", types.Integer(), schema.PrimaryKey()))
	for _, a := range []string{"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"} {
		name := "c_" + strings.ReplaceAll(strings.ToLower(a), " ", "_")
		tb := md.MustTable(name,
			schema.Col("p_id", types.Integer(), schema.ForeignKey("p.id", schema.OnDelete(a), schema.OnUpdate(a), schema.FKName("fk_"+name))))
		want := "CREATE TABLE " + name + " (p_id INTEGER, CONSTRAINT fk_" + name + " FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE " + a + " ON UPDATE " + a + ")"
		checkDDL(t, a, &schema.CreateTable{Table: tb}, golden{"sqlite": want, "postgresql": want, "mariadb": want})
	}
}

func TestDDLCycle(t *testing.T) {
	md := schema.NewMetaData()
	a := md.MustTable("a", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("b_id", types.Integer(), schema.ForeignKey("b.id")))
	b := md.MustTable("b", schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("a_id", types.Integer(), schema.ForeignKey("a.id", schema.OnDelete("CASCADE"))))
	if _, err := md.SortedTables(); err != nil {
		t.Fatal(err)
	}
	checkDDL(t, "cycle a", &schema.CreateTable{Table: a}, golden{
		"sqlite":     "CREATE TABLE a (id INTEGER NOT NULL, b_id INTEGER, PRIMARY KEY (id), FOREIGN KEY (b_id) REFERENCES b (id))",
		"postgresql": "CREATE TABLE a (id SERIAL NOT NULL, b_id INTEGER, PRIMARY KEY (id))",
		"mariadb":    "CREATE TABLE a (id INTEGER NOT NULL AUTO_INCREMENT, b_id INTEGER, PRIMARY KEY (id))",
	})
	checkDDL(t, "cycle b", &schema.CreateTable{Table: b}, golden{
		"sqlite":     "CREATE TABLE b (id INTEGER NOT NULL, a_id INTEGER, PRIMARY KEY (id), FOREIGN KEY (a_id) REFERENCES a (id) ON DELETE CASCADE)",
		"postgresql": "CREATE TABLE b (id SERIAL NOT NULL, a_id INTEGER, PRIMARY KEY (id))",
		"mariadb":    "CREATE TABLE b (id INTEGER NOT NULL AUTO_INCREMENT, a_id INTEGER, PRIMARY KEY (id))",
	})
	checkDDL(t, "cycle add b", &schema.AddConstraint{Table: b, Constraint: b.ForeignKeys[0]}, golden{
		"postgresql": "ALTER TABLE b ADD CONSTRAINT fk_b_a_id_a FOREIGN KEY (a_id) REFERENCES a (id) ON DELETE CASCADE",
		"mariadb":    "ALTER TABLE b ADD CONSTRAINT fk_b_a_id_a FOREIGN KEY (a_id) REFERENCES a (id) ON DELETE CASCADE",
	})
}

func TestDDLEnumTypes(t *testing.T) {
	mood := types.Enum("mood", "sad", "o'k")
	checkDDL(t, "create enum", &schema.CreateEnumType{Type: mood}, golden{
		"postgresql": "CREATE TYPE mood AS ENUM ('sad', 'o''k')",
		"sqlite":     "error:CREATE TYPE (enum types live in the column type there) is not supported by sqlite",
		"mariadb":    "error:CREATE TYPE (enum types live in the column type there) is not supported by mariadb",
		"mysql":      "error:CREATE TYPE (enum types live in the column type there) is not supported by mysql",
	})
	checkDDL(t, "create enum if not exists", &schema.CreateEnumType{Type: mood, IfNotExists: true}, golden{
		"postgresql": "error:CREATE TYPE IF NOT EXISTS is not supported by postgresql",
	})
	checkDDL(t, "drop enum", &schema.DropEnumType{Type: mood}, golden{"postgresql": "DROP TYPE mood"})
	checkDDL(t, "drop enum if exists", schema.DropEnumType{Type: mood, IfExists: true}, golden{"postgresql": "DROP TYPE IF EXISTS mood"})
	checkDDL(t, "unnamed enum", &schema.CreateEnumType{Type: types.Enum("", "x")}, golden{
		"postgresql": "error:CREATE TYPE needs a named enum type, got enum (x)",
	})
	md := schema.NewMetaData()
	tb := md.MustTable("t", schema.Col("e", types.Enum("", "x")))
	checkDDL(t, "unnamed enum column", &schema.CreateTable{Table: tb}, golden{
		"postgresql": "error:an enum column needs a type name on postgresql (types.Enum(name, ...)) (CREATE TABLE t column e)",
		"sqlite":     "CREATE TABLE t (e VARCHAR(1), CHECK (e IN ('x')))",
		"mariadb":    "CREATE TABLE t (e ENUM('x'))",
	})
}

func TestDDLSchemaQualified(t *testing.T) {
	md := schema.NewMetaData()
	md.MustTable("users", schema.InSchema("app"), schema.Col("id", types.Integer(), schema.PrimaryKey()))
	p := md.MustTable("posts", schema.InSchema("app"),
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("user_id", types.Integer(), schema.ForeignKey("app.users.id"), schema.Indexed()))
	checkDDL(t, "schema create", &schema.CreateTable{Table: p}, golden{
		"postgresql": "CREATE TABLE app.posts (id SERIAL NOT NULL, user_id INTEGER, PRIMARY KEY (id), FOREIGN KEY (user_id) REFERENCES app.users (id))",
	})
	checkDDL(t, "schema index", &schema.CreateIndex{Index: p.Indexes[0]}, golden{
		"sqlite":     "CREATE INDEX app.ix_posts_user_id ON posts (user_id)",
		"postgresql": "CREATE INDEX ix_posts_user_id ON app.posts (user_id)",
		"mariadb":    "CREATE INDEX ix_posts_user_id ON app.posts (user_id)",
	})
	checkDDL(t, "schema drop index", &schema.DropIndex{Index: p.Indexes[0]}, golden{
		"sqlite":     "DROP INDEX app.ix_posts_user_id",
		"postgresql": "DROP INDEX app.ix_posts_user_id",
		"mariadb":    "DROP INDEX ix_posts_user_id ON app.posts",
	})
}

func TestDDLErrors(t *testing.T) {
	md := schema.NewMetaData()
	orphan := md.MustTable("orphan", schema.Col("x", types.Integer(), schema.ForeignKey("missing.id")))
	checkDDL(t, "unresolved fk", &schema.CreateTable{Table: orphan}, golden{
		"sqlite": "error:compile: foreign key of table orphan: table orphan column x: foreign key references table missing, which is not defined in the MetaData",
	})
	untyped := md.MustTable("untyped", schema.Col("x", types.Unknown()))
	checkDDL(t, "untyped", &schema.CreateTable{Table: untyped}, golden{
		"sqlite": "error:compile: CREATE TABLE untyped column x: the column has no SQL type",
	})
	checkDDL(t, "nil table", &schema.CreateTable{}, golden{"sqlite": "error:compile: CREATE TABLE without a table"})
	checkDDL(t, "nil index", &schema.CreateIndex{}, golden{"sqlite": "error:compile: CREATE INDEX without an index of a table"})
	checkDDL(t, "not ddl", &schema.AddConstraint{Table: orphan}, golden{"postgresql": "error:<nil> is not a constraint"})
	if _, err := compile.CompileDDL(sqlite.New(), &schema.CreateTable{Table: orphan}); !errors.Is(err, schema.ErrDefinition) {
		t.Fatalf("unresolved foreign key: %v does not wrap schema.ErrDefinition", err)
	}
	if _, err := compile.CompileDDL(sqlite.New(), nil); err == nil {
		t.Fatal("nil statement compiled")
	}
	d := sqlite.New()
	_, err := compile.CompileDDL(d, &schema.AddConstraint{Table: orphan, Constraint: orphan.ForeignKeys[0]})
	if !errors.Is(err, compile.ErrUnsupported) || !errors.Is(err, compile.ErrCompile) {
		t.Fatalf("unsupported error %v does not wrap ErrUnsupported and ErrCompile", err)
	}
	if !compile.IsDDL(&schema.DropTable{}) || compile.IsDDL(nil) {
		t.Fatal("IsDDL")
	}
}
