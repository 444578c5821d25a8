package engine

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// ddlTestSchema has children defined before their parents, a composite primary key with
// cascading foreign keys, a unique column, a check constraint, a plain and a unique index,
// server defaults (a literal, a boolean and now()), a foreign key cycle
// (departments <-> employees) and a table with a column of every type.
func ddlTestSchema() *schema.MetaData {
	md := schema.NewMetaData()
	md.MustTable("memberships",
		schema.Col("user_id", types.Integer(), schema.ForeignKey("users.id", schema.OnDelete("CASCADE"))),
		schema.Col("team_id", types.Integer(), schema.ForeignKey("teams.id", schema.OnDelete("CASCADE"), schema.OnUpdate("CASCADE"))),
		schema.Col("role", types.String(20), schema.NotNull(), schema.ServerDefault(expr.Value("member", types.String(20)))),
		schema.PrimaryKeyConstraint("user_id", "team_id"),
	)
	md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("email", types.String(100), schema.NotNull(), schema.Unique()),
		schema.Col("name", types.String(50), schema.NotNull()),
		schema.Col("created", types.Timestamp(true), schema.NotNull(), schema.ServerDefault(expr.Now())),
		schema.Col("active", types.Boolean(), schema.NotNull(), schema.ServerDefault(expr.Value(true, types.Boolean()))),
		schema.CheckConstraint("ck_users_name", "name <> ''"),
		schema.Index("ix_users_name", "name"),
	)
	md.MustTable("teams",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("code", types.String(10), schema.NotNull()),
		schema.UniqueIndex("uix_teams_code", "code"),
	)
	md.MustTable("departments",
		schema.Col("id", types.Integer(), schema.PrimaryKey(), schema.Autoincrement(false)),
		schema.Col("head_id", types.Integer(), schema.ForeignKey("employees.id")),
	)
	md.MustTable("employees",
		schema.Col("id", types.Integer(), schema.PrimaryKey(), schema.Autoincrement(false)),
		schema.Col("dept_id", types.Integer(), schema.ForeignKey("departments.id", schema.OnDelete("SET NULL"))),
	)
	md.MustTable("every_type", everyTypeItems()...)
	return md
}

var everyTypeCols = []struct {
	name string
	typ  types.Type
}{
	{"id", types.BigInt()},
	{"i", types.Integer()},
	{"s", types.SmallInt()},
	{"b", types.Boolean()},
	{"f", types.Float()},
	{"d", types.Double()},
	{"n", types.Numeric(10, 2)},
	{"v", types.String(40)},
	{"t", types.Text()},
	{"by", types.Bytes()},
	{"dt", types.Date()},
	{"tm", types.Time()},
	{"ts", types.Timestamp(false)},
	{"tstz", types.Timestamp(true)},
	{"iv", types.Interval()},
	{"j", types.JSON()},
	{"u", types.UUIDType()},
	{"e", types.Enum("mood", "sad", "ok", "happy")},
}

func everyTypeItems() []schema.TableItem {
	var items []schema.TableItem
	for i, c := range everyTypeCols {
		var opts []schema.ColumnOption
		if i == 0 {
			opts = append(opts, schema.PrimaryKey())
		}
		items = append(items, schema.Col(c.name, c.typ, opts...))
	}
	return items
}

func everyTypeValues(t *testing.T) []any {
	u, err := types.ParseUUID("9f1c1e4a-6b7d-4c1e-8f00-0123456789ab")
	if err != nil {
		t.Fatal(err)
	}
	return []any{
		int64(1), int64(123456), int64(-7), true, float64(1.5), float64(2.25), "12.50", "héllo 'world'", "a long text",
		[]byte{0, 1, 2, 254, 255}, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		13*time.Hour + 14*time.Minute + 15*time.Second + 123456*time.Microsecond,
		time.Date(2024, 1, 2, 3, 4, 5, 678901000, time.UTC), time.Date(2023, 12, 31, 23, 59, 58, 1000, time.UTC),
		90*time.Minute + 5*time.Microsecond, json.RawMessage(`{"a": [1, 2]}`), u, "happy",
	}
}

// tableExists asks the catalog through the dialect's DDLCatalog hook.
func tableExists(t *testing.T, c *Conn, name string) bool {
	t.Helper()
	sql, args := c.eng.dialect.(DDLCatalog).TableExistsQuery("", name)
	res, err := c.execDDL(t.Context(), &compile.Compiled{SQL: sql, Args: args, ArgTypes: make([]types.Type, len(args)), Returns: true})
	if err != nil {
		t.Fatalf("catalog query for %s: %v", name, err)
	}
	return res.Len() > 0
}

// indexNames lists the indexes of table from each database's own catalog.
func indexNames(t *testing.T, c *Conn, dialectName, table string) []string {
	t.Helper()
	var q string
	switch dialectName {
	case testdb.NameSQLite:
		q = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
	case testdb.NamePostgres:
		q = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ? AND indexname NOT LIKE '%_pkey'"
	default:
		q = "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name <> 'PRIMARY'"
	}
	res := ddlMustQuery(t, c, q, []compile.ResultColumn{ddlCol("name", types.Text())}, table)
	var out []string
	for _, v := range res.Scalars().All() {
		out = append(out, v.(string))
	}
	slices.Sort(out)
	return out
}

// wantIntegrity checks that err is an integrity error of the given kind.
func wantIntegrity(t *testing.T, what string, err error, kind IntegrityKind) {
	t.Helper()
	var ie *IntegrityError
	if !errors.As(err, &ie) {
		t.Errorf("%s: got %v, want a %s violation", what, err, kind)
		return
	}
	if ie.Kind != kind {
		t.Errorf("%s: got a %s violation (%v), want %s", what, ie.Kind, err, kind)
	}
}

func TestCreateAllDropAll(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := ddlEngine(t, tg)
		md := ddlTestSchema()
		if err := eng.CreateAll(ctx, md); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		c := ddlConnect(t, eng)
		for _, tb := range md.Tables {
			if !tableExists(t, c, tb.Name) {
				t.Errorf("table %s was not created", tb.Name)
			}
		}
		if got := indexNames(t, c, tg.Name, "teams"); !slices.Contains(got, "uix_teams_code") {
			t.Errorf("teams indexes %v", got)
		}
		if got := indexNames(t, c, tg.Name, "users"); !slices.Contains(got, "ix_users_name") {
			t.Errorf("users indexes %v", got)
		}

		// Autoincrement and server defaults.
		ddlMustExec(t, c, "INSERT INTO users (email, name) VALUES (?, ?)", "ann@example.com", "Ann")
		ddlMustExec(t, c, "INSERT INTO users (email, name) VALUES (?, ?)", "bob@example.com", "Bob")
		res := ddlMustQuery(t, c, "SELECT id, created, active FROM users ORDER BY id",
			[]compile.ResultColumn{ddlCol("id", types.Integer()), ddlCol("created", types.Timestamp(true)), ddlCol("active", types.Boolean())})
		if res.Len() != 2 {
			t.Fatalf("%d users", res.Len())
		}
		// The generated keys ascend; they need not be consecutive (a Galera cluster
		// steps them by its node count).
		var userIDs []int64
		for _, row := range res.All() {
			id, _ := row.Get(0).(int64)
			if id <= 0 || (len(userIDs) > 0 && id <= userIDs[len(userIDs)-1]) || row.Get(2) != true {
				t.Errorf("user row %v: want an ascending generated id, active true", row.Values())
			}
			userIDs = append(userIDs, id)
			if ts, ok := row.Get(1).(time.Time); !ok || time.Since(ts).Abs() > 24*time.Hour {
				t.Errorf("created = %v, want about now", row.Get(1))
			}
		}

		// Constraints, through the errors the database raises.
		err := ddlExec(ctx, c, "INSERT INTO users (email, name) VALUES (?, ?)", "ann@example.com", "Ann 2")
		wantIntegrity(t, "duplicate email", err, UniqueViolation)
		err = ddlExec(ctx, c, "INSERT INTO users (email, name) VALUES (?, ?)", "nobody@example.com", "")
		wantIntegrity(t, "empty name", err, CheckViolation)
		err = ddlExec(ctx, c, "INSERT INTO users (email, name) VALUES (?, NULL)", "null@example.com")
		wantIntegrity(t, "null name", err, NotNullViolation)
		ddlMustExec(t, c, "INSERT INTO teams (id, code) VALUES (?, ?)", int64(1), "red")
		ddlMustExec(t, c, "INSERT INTO teams (id, code) VALUES (?, ?)", int64(2), "blue")
		err = ddlExec(ctx, c, "INSERT INTO teams (id, code) VALUES (?, ?)", int64(3), "red")
		wantIntegrity(t, "duplicate code (unique index)", err, UniqueViolation)
		ann, bob := userIDs[0], userIDs[1]
		ddlMustExec(t, c, "INSERT INTO memberships (user_id, team_id) VALUES (?, ?)", ann, int64(1))
		ddlMustExec(t, c, "INSERT INTO memberships (user_id, team_id, role) VALUES (?, ?, ?)", ann, int64(2), "lead")
		ddlMustExec(t, c, "INSERT INTO memberships (user_id, team_id) VALUES (?, ?)", bob, int64(1))
		err = ddlExec(ctx, c, "INSERT INTO memberships (user_id, team_id) VALUES (?, ?)", ann, int64(1))
		wantIntegrity(t, "duplicate composite key", err, UniqueViolation)
		err = ddlExec(ctx, c, "INSERT INTO memberships (user_id, team_id) VALUES (?, ?)", bob+1000, int64(1))
		wantIntegrity(t, "unknown user", err, ForeignKeyViolation)
		role := ddlMustQuery(t, c, "SELECT role FROM memberships WHERE user_id = ? AND team_id = ?",
			[]compile.ResultColumn{ddlCol("role", types.String(20))}, ann, int64(1))
		if v, _ := role.Scalar(); v != "member" {
			t.Errorf("role server default = %v", v)
		}
		ddlMustExec(t, c, "UPDATE teams SET id = ? WHERE id = ?", int64(20), int64(2)) // ON UPDATE CASCADE
		if n := ddlCount(t, c, "memberships WHERE team_id = 20"); n != 1 {
			t.Errorf("ON UPDATE CASCADE: %d memberships moved to team 20", n)
		}
		ddlMustExec(t, c, "DELETE FROM users WHERE id = ?", ann) // ON DELETE CASCADE
		if n := ddlCount(t, c, "memberships"); n != 1 {
			t.Errorf("ON DELETE CASCADE left %d memberships, want 1", n)
		}

		// The cycle's keys exist: added by ALTER TABLE, or inline on SQLite.
		err = ddlExec(ctx, c, "INSERT INTO departments (id, head_id) VALUES (?, ?)", int64(1), int64(42))
		wantIntegrity(t, "department head must exist", err, ForeignKeyViolation)
		err = ddlExec(ctx, c, "INSERT INTO employees (id, dept_id) VALUES (?, ?)", int64(1), int64(42))
		wantIntegrity(t, "employee department must exist", err, ForeignKeyViolation)
		ddlMustExec(t, c, "INSERT INTO departments (id) VALUES (?)", int64(1))
		ddlMustExec(t, c, "INSERT INTO employees (id, dept_id) VALUES (?, ?)", int64(1), int64(1))
		ddlMustExec(t, c, "UPDATE departments SET head_id = ? WHERE id = ?", int64(1), int64(1))

		// Every column type stores and returns its value.
		vals := everyTypeValues(t)
		var cols []compile.ResultColumn
		argTypes := make([]types.Type, len(vals))
		sql := "INSERT INTO every_type ("
		list, marks := "", ""
		for i, ec := range everyTypeCols {
			if i > 0 {
				list += ", "
				marks += ", "
			}
			list += string(eng.Dialect().AppendIdent(nil, ec.name))
			marks += "?"
			argTypes[i] = ec.typ
			cols = append(cols, ddlCol(ec.name, ec.typ))
		}
		sql += list + ") VALUES (" + marks + ")"
		if _, err := c.execDDL(ctx, &compile.Compiled{SQL: ddlSQL(eng, sql), Args: vals, ArgTypes: argTypes}); err != nil {
			t.Fatalf("insert every type: %v", err)
		}
		row, err := ddlMustQuery(t, c, "SELECT "+list+" FROM every_type", cols).One()
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range vals {
			got := row.Get(i)
			if wt, ok := want.(time.Time); ok {
				if gt, ok := got.(time.Time); !ok || !gt.Equal(wt) {
					t.Errorf("every_type.%s = %#v, want %v", everyTypeCols[i].name, got, wt)
				}
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("every_type.%s = %#v, want %#v", everyTypeCols[i].name, got, want)
			}
		}
		if err := ddlExec(ctx, c, "INSERT INTO every_type (id, e) VALUES (2, 'bogus')"); err == nil {
			t.Error("an enum column accepted a value outside the enum")
		}

		// CreateAll again: CheckFirst (the default) skips what exists; without it, the
		// first CREATE fails.
		if err := c.CreateAll(ctx, md); err != nil {
			t.Errorf("second CreateAll: %v", err)
		}
		err = c.CreateAll(ctx, md, CheckFirst(false))
		var se *StatementError
		if !errors.As(err, &se) {
			t.Errorf("CreateAll(CheckFirst(false)) over existing tables: %v, want a StatementError", err)
		}

		// DropAll removes everything, with rows in the cycle.
		if err := c.DropAll(ctx, md); err != nil {
			t.Fatalf("DropAll: %v", err)
		}
		for _, tb := range md.Tables {
			if tableExists(t, c, tb.Name) {
				t.Errorf("table %s still exists", tb.Name)
			}
		}
		if tg.Name == testdb.NamePostgres {
			n := ddlCount(t, c, "pg_type WHERE typname = 'mood'")
			if n != 0 {
				t.Errorf("enum type mood still exists")
			}
		}
		if err := c.DropAll(ctx, md); err != nil {
			t.Errorf("second DropAll: %v", err)
		}
		if err := c.DropAll(ctx, md, CheckFirst(false)); !errors.As(err, &se) {
			t.Errorf("DropAll(CheckFirst(false)) of missing tables: %v, want a StatementError", err)
		}
		// And everything can be created again from scratch.
		if err := c.CreateAll(ctx, md, CheckFirst(false)); err != nil {
			t.Fatalf("CreateAll after DropAll: %v", err)
		}
		if err := c.DropAll(ctx, md, CheckFirst(false)); err != nil {
			t.Fatalf("DropAll(CheckFirst(false)): %v", err)
		}
	})
}

// A failing CreateAll leaves nothing behind where DDL is transactional.
func TestCreateAllRollsBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := ddlEngine(t, tg)
		if !eng.Dialect().Features().Has(compile.TransactionalDDL) {
			t.Skipf("%s: DDL is not transactional", tg.Name)
		}
		c := ddlConnect(t, eng)
		ddlMustExec(t, c, "CREATE TABLE b (x INTEGER)")
		md := schema.NewMetaData()
		md.MustTable("a", schema.Col("id", types.Integer(), schema.PrimaryKey()))
		md.MustTable("b", schema.Col("id", types.Integer(), schema.PrimaryKey()))
		err := c.CreateAll(ctx, md, CheckFirst(false))
		if err == nil {
			t.Fatal("CreateAll over an existing table succeeded")
		}
		if tableExists(t, c, "a") {
			t.Error("table a was left behind by the failed CreateAll")
		}
	})
}

func TestCreateAllCancelled(t *testing.T) {
	eng := ddlEngine(t, testdb.SQLite(t))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := eng.CreateAll(ctx, ddlTestSchema())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CreateAll with a cancelled context: %v", err)
	}
}

func TestCreateAllBadSchema(t *testing.T) {
	eng := ddlEngine(t, testdb.SQLite(t))
	md := schema.NewMetaData()
	md.MustTable("posts", schema.Col("user_id", types.Integer(), schema.ForeignKey("users.id")))
	err := eng.CreateAll(t.Context(), md)
	if !errors.Is(err, schema.ErrDefinition) || err.Error() !=
		"engine: CreateAll: schema: table posts column user_id: foreign key references table users, which is not defined in the MetaData" {
		t.Fatalf("err = %v", err)
	}
	if err := eng.CreateAll(t.Context(), nil); err == nil {
		t.Fatal("nil MetaData accepted")
	}
}

// planSchema has a dependency cycle (departments <-> employees), a child defined before
// its parent (badges before employees), an index and a PostgreSQL enum.
func planSchema(t *testing.T) (*schema.MetaData, []*schema.Table) {
	md := schema.NewMetaData()
	md.MustTable("badges",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("employee_id", types.Integer(), schema.NotNull(), schema.ForeignKey("employees.id", schema.OnDelete("CASCADE")), schema.Indexed()))
	md.MustTable("departments",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("head_id", types.Integer(), schema.ForeignKey("employees.id")))
	md.MustTable("employees",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("dept_id", types.Integer(), schema.ForeignKey("departments.id")),
		schema.Col("level", types.Enum("level", "junior", "senior")))
	tables, err := md.SortedTables()
	if err != nil {
		t.Fatal(err)
	}
	return md, tables
}

func compileAll(t *testing.T, d compile.Dialect, stmts []expr.Statement) []string {
	t.Helper()
	var out []string
	for _, s := range stmts {
		c, err := compile.CompileDDL(d, s)
		if err != nil {
			t.Fatalf("%s: %v", d.Name(), err)
		}
		out = append(out, c.SQL)
	}
	return out
}

func TestDDLPlan(t *testing.T) {
	cases := []struct {
		d            compile.DDLDialect
		create, drop []string
	}{
		{sqlite.New(), []string{
			"CREATE TABLE departments (id INTEGER NOT NULL, head_id INTEGER, PRIMARY KEY (id), FOREIGN KEY (head_id) REFERENCES employees (id))",
			"CREATE TABLE employees (id INTEGER NOT NULL, dept_id INTEGER, level VARCHAR(6), PRIMARY KEY (id), CHECK (level IN ('junior', 'senior')), FOREIGN KEY (dept_id) REFERENCES departments (id))",
			"CREATE TABLE badges (id INTEGER NOT NULL, employee_id INTEGER NOT NULL, PRIMARY KEY (id), FOREIGN KEY (employee_id) REFERENCES employees (id) ON DELETE CASCADE)",
			"CREATE INDEX ix_badges_employee_id ON badges (employee_id)",
		}, []string{
			"DROP TABLE badges",
			"DROP TABLE employees",
			"DROP TABLE departments",
		}},
		{postgres.New(), []string{
			"CREATE TYPE level AS ENUM ('junior', 'senior')",
			"CREATE TABLE departments (id SERIAL NOT NULL, head_id INTEGER, PRIMARY KEY (id))",
			"CREATE TABLE employees (id SERIAL NOT NULL, dept_id INTEGER, level level, PRIMARY KEY (id))",
			"CREATE TABLE badges (id SERIAL NOT NULL, employee_id INTEGER NOT NULL, PRIMARY KEY (id), FOREIGN KEY (employee_id) REFERENCES employees (id) ON DELETE CASCADE)",
			"CREATE INDEX ix_badges_employee_id ON badges (employee_id)",
			"ALTER TABLE departments ADD CONSTRAINT fk_departments_head_id_employees FOREIGN KEY (head_id) REFERENCES employees (id)",
			"ALTER TABLE employees ADD CONSTRAINT fk_employees_dept_id_departments FOREIGN KEY (dept_id) REFERENCES departments (id)",
		}, []string{
			"ALTER TABLE employees DROP CONSTRAINT IF EXISTS fk_employees_dept_id_departments",
			"ALTER TABLE departments DROP CONSTRAINT IF EXISTS fk_departments_head_id_employees",
			"DROP TABLE badges",
			"DROP TABLE employees",
			"DROP TABLE departments",
			"DROP TYPE level",
		}},
		{mysql.New(mysql.MariaDB, 10, 11, 0), []string{
			"CREATE TABLE departments (id INTEGER NOT NULL AUTO_INCREMENT, head_id INTEGER, PRIMARY KEY (id))",
			"CREATE TABLE employees (id INTEGER NOT NULL AUTO_INCREMENT, dept_id INTEGER, level ENUM('junior', 'senior'), PRIMARY KEY (id))",
			"CREATE TABLE badges (id INTEGER NOT NULL AUTO_INCREMENT, employee_id INTEGER NOT NULL, PRIMARY KEY (id), FOREIGN KEY (employee_id) REFERENCES employees (id) ON DELETE CASCADE)",
			"CREATE INDEX ix_badges_employee_id ON badges (employee_id)",
			"ALTER TABLE departments ADD CONSTRAINT fk_departments_head_id_employees FOREIGN KEY (head_id) REFERENCES employees (id)",
			"ALTER TABLE employees ADD CONSTRAINT fk_employees_dept_id_departments FOREIGN KEY (dept_id) REFERENCES departments (id)",
		}, []string{
			"ALTER TABLE employees DROP FOREIGN KEY IF EXISTS fk_employees_dept_id_departments",
			"ALTER TABLE departments DROP FOREIGN KEY IF EXISTS fk_departments_head_id_employees",
			"DROP TABLE badges",
			"DROP TABLE employees",
			"DROP TABLE departments",
		}},
	}
	for _, tc := range cases {
		md, tables := planSchema(t)
		stmts, err := planCreate(tc.d, tables, existing{})
		if err != nil {
			t.Fatal(err)
		}
		if got := compileAll(t, tc.d, stmts); strings.Join(got, "\n") != strings.Join(tc.create, "\n") {
			t.Errorf("create on %s:\n got %s\nwant %s", tc.d.Name(), strings.Join(got, "\n    "), strings.Join(tc.create, "\n    "))
		}
		stmts, err = planDrop(tc.d, md, tables, existing{})
		if err != nil {
			t.Fatal(err)
		}
		if got := compileAll(t, tc.d, stmts); strings.Join(got, "\n") != strings.Join(tc.drop, "\n") {
			t.Errorf("drop on %s:\n got %s\nwant %s", tc.d.Name(), strings.Join(got, "\n    "), strings.Join(tc.drop, "\n    "))
		}
	}
}

func TestDDLPlanCheckFirst(t *testing.T) {
	d := postgres.New()
	md, tables := planSchema(t)
	byName := func(n string) *schema.Table { tb, _ := md.TableByName(n); return tb }
	// departments and employees exist (with the enum); badges does not.
	ex := existing{checked: true,
		tables: map[*schema.Table]bool{byName("departments"): true, byName("employees"): true},
		enums:  map[string]bool{"level": true}}
	stmts, err := planCreate(d, tables, ex)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"CREATE TABLE badges (id SERIAL NOT NULL, employee_id INTEGER NOT NULL, PRIMARY KEY (id), FOREIGN KEY (employee_id) REFERENCES employees (id) ON DELETE CASCADE)",
		"CREATE INDEX ix_badges_employee_id ON badges (employee_id)",
	}
	if got := compileAll(t, d, stmts); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("create:\n got %v\nwant %v", got, want)
	}
	// Only badges exists: dropping leaves the others (and the enum, which is missing) alone.
	ex = existing{checked: true, tables: map[*schema.Table]bool{byName("badges"): true}, enums: map[string]bool{}}
	stmts, err = planDrop(d, md, tables, ex)
	if err != nil {
		t.Fatal(err)
	}
	if got := compileAll(t, d, stmts); strings.Join(got, "\n") != "DROP TABLE badges" {
		t.Errorf("drop: got %v", got)
	}
	// OnlyTables: dropping badges alone keeps the enum of employees.
	only, err := ddlTables(md, []*schema.Table{byName("employees")})
	if err != nil || len(only) != 1 {
		t.Fatalf("ddlTables = %v, %v", only, err)
	}
	stmts, _ = planDrop(d, md, only, existing{})
	want = []string{
		"ALTER TABLE employees DROP CONSTRAINT IF EXISTS fk_employees_dept_id_departments",
		"DROP TABLE employees",
		"DROP TYPE level",
	}
	if got := compileAll(t, d, stmts); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("drop only employees:\n got %v\nwant %v", got, want)
	}
	stmts, _ = planDrop(d, md, []*schema.Table{byName("badges")}, existing{})
	if got := compileAll(t, d, stmts); strings.Join(got, "\n") != "DROP TABLE badges" {
		t.Errorf("drop only badges: got %v", got)
	}
	other := schema.NewMetaData().MustTable("x", schema.Col("a", types.Integer()))
	if _, err := ddlTables(md, []*schema.Table{other}); err == nil || err.Error() != "OnlyTables: table x is not part of this MetaData" {
		t.Errorf("foreign table: %v", err)
	}
}

// Helpers of this file (kept apart from the other engine tests' helpers).

// ddlEngine creates an engine for tg, closed when t ends.
func ddlEngine(t testing.TB, tg testdb.Target) *Engine {
	t.Helper()
	eng, err := Create(t.Context(), tg.URL)
	if err != nil {
		t.Fatalf("Create(%s): %v", tg.Name, err)
	}
	t.Cleanup(func() { eng.Close() })
	return eng
}

// ddlConnect checks out a connection, closed when t ends.
func ddlConnect(t testing.TB, eng *Engine) *Conn {
	t.Helper()
	c, err := eng.Connect(t.Context())
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// ddlSQL replaces each "?" in sql with the dialect's placeholder for its position.
func ddlSQL(eng *Engine, sql string) string {
	var b []byte
	n := 0
	for i := 0; i < len(sql); i++ {
		if sql[i] == '?' {
			n++
			b = eng.Dialect().AppendPlaceholder(b, n)
			continue
		}
		b = append(b, sql[i])
	}
	return string(b)
}

// ddlRun runs raw SQL ("?" placeholders) with arguments of unknown type; cols describe
// the result of a query (nil for a statement without rows).
func ddlRun(ctx context.Context, c *Conn, sql string, cols []compile.ResultColumn, args ...any) (*Result, error) {
	return c.execDDL(ctx, &compile.Compiled{SQL: ddlSQL(c.eng, sql), Args: args, ArgTypes: make([]types.Type, len(args)),
		Columns: cols, Returns: cols != nil})
}

func ddlExec(ctx context.Context, c *Conn, sql string, args ...any) error {
	_, err := ddlRun(ctx, c, sql, nil, args...)
	return err
}

func ddlMustExec(t testing.TB, c *Conn, sql string, args ...any) {
	t.Helper()
	if err := ddlExec(t.Context(), c, sql, args...); err != nil {
		t.Fatalf("exec %q: %v", sql, err)
	}
}

func ddlMustQuery(t testing.TB, c *Conn, sql string, cols []compile.ResultColumn, args ...any) *Result {
	t.Helper()
	res, err := ddlRun(t.Context(), c, sql, cols, args...)
	if err != nil {
		t.Fatalf("query %q: %v", sql, err)
	}
	return res
}

func ddlCol(name string, t types.Type) compile.ResultColumn {
	return compile.ResultColumn{Name: name, Type: t}
}

// ddlCount returns SELECT COUNT(*) FROM from.
func ddlCount(t testing.TB, c *Conn, from string) int64 {
	t.Helper()
	v, err := ddlMustQuery(t, c, "SELECT COUNT(*) FROM "+from, []compile.ResultColumn{ddlCol("n", types.BigInt())}).ScalarOne()
	if err != nil {
		t.Fatalf("count %s: %v", from, err)
	}
	return v.(int64)
}

func ExampleEngine_CreateAll() {
	ctx := context.Background()
	// Echo the SQL to stdout (the statement text only).
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key != slog.MessageKey {
				return slog.Attr{}
			}
			return a
		}}))
	eng, err := Create(ctx, "sqlite://", Echo(true), WithLogger(logger))
	if err != nil {
		panic(err)
	}
	defer eng.Close()

	md := schema.NewMetaData()
	md.MustTable("posts",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("user_id", types.Integer(), schema.NotNull(), schema.ForeignKey("users.id")),
	)
	md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(50), schema.NotNull()),
	)
	if err := eng.CreateAll(ctx, md); err != nil {
		panic(err)
	}
	// Output:
	// msg="retort: engine created"
	// msg=BEGIN
	// msg="SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?"
	// msg="SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?"
	// msg="CREATE TABLE users (id INTEGER NOT NULL, name VARCHAR(50) NOT NULL, PRIMARY KEY (id))"
	// msg="CREATE TABLE posts (id INTEGER NOT NULL, user_id INTEGER NOT NULL, PRIMARY KEY (id), FOREIGN KEY (user_id) REFERENCES users (id))"
	// msg=COMMIT
}
