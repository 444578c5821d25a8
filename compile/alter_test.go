package compile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

func alterFixture(t *testing.T) *schema.Table {
	t.Helper()
	md := schema.NewMetaData()
	return md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("age", types.BigInt(), schema.NotNull(), schema.ServerDefault(expr.Value(int64(0), types.BigInt()))),
		schema.Col("nick", types.String(30)),
		schema.Col("created", types.Timestamp(false), schema.ServerDefault(expr.Now())),
	)
}

func TestAlterAddDropRename(t *testing.T) {
	users := alterFixture(t)
	age, _ := users.Col("age")
	created, _ := users.Col("created")
	checkDDL(t, "add column", &schema.AddColumn{Table: users, Column: age}, golden{
		"sqlite":     `ALTER TABLE users ADD COLUMN age BIGINT DEFAULT 0 NOT NULL`,
		"postgresql": `ALTER TABLE users ADD COLUMN age BIGINT DEFAULT 0 NOT NULL`,
		"mariadb":    "ALTER TABLE users ADD COLUMN age BIGINT DEFAULT 0 NOT NULL",
	})
	checkDDL(t, "add column with now()", &schema.AddColumn{Table: users, Column: created}, golden{
		"sqlite":     `ALTER TABLE users ADD COLUMN created DATETIME DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now'))`,
		"postgresql": `ALTER TABLE users ADD COLUMN created TIMESTAMP DEFAULT now()`,
		"mariadb":    "ALTER TABLE users ADD COLUMN created DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6)",
	})
	checkDDL(t, "drop column", &schema.DropColumn{Table: users, Column: "nick"}, golden{
		"sqlite":     `ALTER TABLE users DROP COLUMN nick`,
		"postgresql": `ALTER TABLE users DROP COLUMN nick`,
		"mariadb":    "ALTER TABLE users DROP COLUMN nick",
	})
	checkDDL(t, "rename column", &schema.RenameColumn{Table: users, Column: "nick", NewName: "Nickname"}, golden{
		"sqlite":     `ALTER TABLE users RENAME COLUMN nick TO "Nickname"`,
		"postgresql": `ALTER TABLE users RENAME COLUMN nick TO "Nickname"`,
		"mariadb":    "ALTER TABLE users RENAME COLUMN nick TO `Nickname`",
	})
	checkDDL(t, "rename table", &schema.RenameTable{Table: users, NewName: "people"}, golden{
		"sqlite":     `ALTER TABLE users RENAME TO people`,
		"postgresql": `ALTER TABLE users RENAME TO people`,
		"mariadb":    "ALTER TABLE users RENAME TO people",
	})
	checkDDL(t, "rename without name", &schema.RenameTable{Table: users}, golden{
		"sqlite": "error:without a new name", "postgresql": "error:without a new name", "mariadb": "error:without a new name",
	})
}

func TestColumnComments(t *testing.T) {
	md := schema.NewMetaData()
	tb := md.MustTable("notes",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("body", types.Text(), schema.Comment("what's written")),
	)
	body, _ := tb.Col("body")
	checkDDL(t, "create table", &schema.CreateTable{Table: tb}, golden{
		"sqlite":     `CREATE TABLE notes (id INTEGER NOT NULL, body TEXT, PRIMARY KEY (id))`,
		"postgresql": `CREATE TABLE notes (id SERIAL NOT NULL, body TEXT, PRIMARY KEY (id))`,
		"mariadb":    "CREATE TABLE notes (id INTEGER NOT NULL AUTO_INCREMENT, body LONGTEXT COMMENT 'what''s written', PRIMARY KEY (id))",
	})
	checkDDL(t, "comment on", &schema.SetColumnComment{Table: tb, Column: "body", Comment: "what's written"}, golden{
		"sqlite":     "error:COMMENT ON COLUMN notes.body is not supported by sqlite",
		"postgresql": `COMMENT ON COLUMN notes.body IS 'what''s written'`,
		"mariadb":    "error:COMMENT ON COLUMN notes.body is not supported by m",
	})
	checkDDL(t, "comment removed", &schema.SetColumnComment{Table: tb, Column: "body"}, golden{
		"postgresql": `COMMENT ON COLUMN notes.body IS NULL`,
	})
	checkDDL(t, "alter comment", &schema.AlterColumn{Table: tb, Column: body, SetComment: true}, golden{
		"postgresql": "error:a column comment in ALTER TABLE notes ALTER COLUMN body (use COMMENT ON COLUMN)",
		"mariadb":    "ALTER TABLE notes MODIFY COLUMN body LONGTEXT COMMENT 'what''s written'",
	})
	stmts := compile.CommentStatements(ddlDialects[1].d, tb)
	if len(stmts) != 1 || len(compile.CommentStatements(ddlDialects[2].d, tb)) != 0 {
		t.Fatalf("CommentStatements: %d on postgresql, want 1; none on mariadb", len(stmts))
	}
}

func TestAlterColumn(t *testing.T) {
	users := alterFixture(t)
	age, _ := users.Col("age")
	checkDDL(t, "type", &schema.AlterColumn{Table: users, Column: age, SetType: true}, golden{
		"sqlite":     "error:ALTER TABLE users ALTER COLUMN age (the table must be rebuilt) is not supported by sqlite",
		"postgresql": `ALTER TABLE users ALTER COLUMN age TYPE BIGINT USING CAST(age AS BIGINT)`,
		"mariadb":    "ALTER TABLE users MODIFY COLUMN age BIGINT DEFAULT 0 NOT NULL",
	})
	checkDDL(t, "all three", &schema.AlterColumn{Table: users, Column: age, SetType: true, SetNullable: true, SetDefault: true}, golden{
		"postgresql": `ALTER TABLE users ALTER COLUMN age TYPE BIGINT USING CAST(age AS BIGINT), ALTER COLUMN age SET NOT NULL, ALTER COLUMN age SET DEFAULT 0`,
		"mariadb":    "ALTER TABLE users MODIFY COLUMN age BIGINT DEFAULT 0 NOT NULL",
	})
	nick, _ := users.Col("nick")
	checkDDL(t, "drop not null and default", &schema.AlterColumn{Table: users, Column: nick, SetNullable: true, SetDefault: true}, golden{
		"postgresql": `ALTER TABLE users ALTER COLUMN nick DROP NOT NULL, ALTER COLUMN nick DROP DEFAULT`,
		"mariadb":    "ALTER TABLE users MODIFY COLUMN nick VARCHAR(30)",
	})
	checkDDL(t, "nothing", &schema.AlterColumn{Table: users, Column: nick}, golden{
		"postgresql": "error:changes nothing", "mariadb": "error:changes nothing",
	})
	_, err := compile.CompileDDL(ddlDialects[0].d, &schema.AlterColumn{Table: users, Column: age, SetType: true})
	if !errors.Is(err, compile.ErrUnsupported) {
		t.Errorf("sqlite ALTER COLUMN: %v, want ErrUnsupported", err)
	}
	if !compile.IsDDL(&schema.AlterColumn{}) || !compile.IsDDL(&schema.RenameTable{}) {
		t.Error("IsDDL does not recognise the ALTER TABLE elements")
	}
}

func TestPartialIndex(t *testing.T) {
	md := schema.NewMetaData()
	tb := md.MustTable("jobs",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("done", types.Boolean(), schema.NotNull()),
		schema.PartialIndex("ix_jobs_todo", false, "done = false", "id"),
	)
	checkDDL(t, "partial index", &schema.CreateIndex{Index: tb.Indexes[0]}, golden{
		"sqlite":     `CREATE INDEX ix_jobs_todo ON jobs (id) WHERE done = false`,
		"postgresql": `CREATE INDEX ix_jobs_todo ON jobs (id) WHERE done = false`,
		"mariadb":    "error:partial index ix_jobs_todo (CREATE INDEX ... WHERE) is not supported by m",
	})
	if _, err := schema.NewMetaData().Table("t", schema.Col("a", types.Integer()), schema.PartialIndex("ix", true, " ", "a")); err == nil ||
		!strings.Contains(err.Error(), "partial index ix has an empty condition") {
		t.Fatalf("partial index without a condition: %v", err)
	}
}
