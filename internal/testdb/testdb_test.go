package testdb

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestSQLiteTarget(t *testing.T) {
	a, b := SQLite(t), SQLite(t)
	if a.Name != "sqlite" {
		t.Errorf("Name = %q, want sqlite", a.Name)
	}
	if a.URL == b.URL {
		t.Errorf("two calls returned the same URL %q", a.URL)
	}
	path, ok := strings.CutPrefix(a.URL, "sqlite:///")
	if !ok || !strings.HasPrefix(a.URL, "sqlite:////") {
		t.Fatalf("URL = %q, want sqlite:////abs/path", a.URL)
	}
	if !filepath.IsAbs(path) || filepath.Base(path) != "test.db" {
		t.Errorf("path %q is not an absolute .../test.db", path)
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		t.Errorf("directory of %q: %v", path, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("database file %q should not exist yet (err %v)", path, err)
	}
}

func TestParseRejectsBadURLsWithoutPassword(t *testing.T) {
	cases := []struct {
		s    *server
		raw  string
		want string
	}{
		{postgresServer, "mysql://root:s3cret@127.0.0.1/test", `scheme "mysql" is not one of postgresql, postgres`},
		{mysqlServer, "postgresql://u:s3cret@127.0.0.1/test", `scheme "postgresql" is not one of mysql, mariadb`},
		{postgresServer, "postgresql://u:s3cret@/test", "no host"},
		{mysqlServer, "mariadb://u:s3cret@127.0.0.1:99999999999x/test", "RETORT_TEST_MYSQL is not a valid URL"},
	}
	for _, c := range cases {
		_, err := c.s.parse(c.raw)
		if err == nil {
			t.Errorf("parse(%q) succeeded", c.raw)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("parse(%q) = %q, want it to contain %q", c.raw, err, c.want)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("parse(%q) error shows the password: %q", c.raw, err)
		}
	}
	for _, raw := range []string{"postgresql+pgx://u@h:1/d", "postgres://h/d", "POSTGRESQL://h/d"} {
		if _, err := postgresServer.parse(raw); err != nil {
			t.Errorf("parse(%q): %v", raw, err)
		}
	}
}

func TestWithDatabaseAndRedact(t *testing.T) {
	u, _ := url.Parse("postgresql+pgx://bob:p%40ss@db.example:6543/test?sslmode=disable")
	got := withDatabase(u, "retort_t_1").String()
	if want := "postgresql+pgx://bob:p%40ss@db.example:6543/retort_t_1?sslmode=disable"; got != want {
		t.Errorf("withDatabase = %q, want %q", got, want)
	}
	if u.Path != "/test" {
		t.Errorf("withDatabase changed its argument: path %q", u.Path)
	}
	msg := redact(errString("failed for p@ss and p%40ss"), u)
	if msg != "failed for xxxxx and xxxxx" {
		t.Errorf("redact = %q", msg)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestNewNameUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		n, err := newName()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(n, "retort_t_") || len(n) != len("retort_t_")+16 || seen[n] {
			t.Fatalf("bad or repeated name %q", n)
		}
		seen[n] = true
	}
}

// adminURL returns the parsed admin URL of s, skipping t when it is not configured.
func adminURL(t *testing.T, s *server) *url.URL {
	t.Helper()
	raw := os.Getenv(s.env)
	if raw == "" {
		if inCI() {
			t.Fatalf("%s", missingMessage(s))
		}
		t.Skip(missingMessage(s))
	}
	u, err := s.parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// pgExists reports whether database name exists on the server of admin.
func pgExists(t *testing.T, admin *url.URL, name string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgConnect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// myExists reports whether database name exists on the server of admin.
func myExists(t *testing.T, admin *url.URL, name string) bool {
	t.Helper()
	db, err := mysqlOpen(admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(context.Background(),
		"SELECT count(*) FROM information_schema.schemata WHERE schema_name = ?", name).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestPostgresCreateDrop(t *testing.T) {
	admin := adminURL(t, postgresServer)
	ctx := context.Background()
	name, err := newName()
	if err != nil {
		t.Fatal(err)
	}
	if err := createPostgres(ctx, admin, name); err != nil {
		t.Fatal(err)
	}
	if !pgExists(t, admin, name) {
		t.Fatalf("database %s missing after create", name)
	}
	// A session left connected must not stop the drop (WITH (FORCE)).
	held, err := pgConnect(ctx, withDatabase(admin, name))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close(ctx)
	if err := dropPostgres(ctx, admin, name); err != nil {
		t.Fatal(err)
	}
	if pgExists(t, admin, name) {
		t.Fatalf("database %s still there after drop", name)
	}
}

func TestPostgresTargetLifecycle(t *testing.T) {
	admin := adminURL(t, postgresServer)
	var tg Target
	t.Run("use", func(t *testing.T) {
		tg = Postgres(t)
		u, err := url.Parse(tg.URL)
		if err != nil {
			t.Fatal(err)
		}
		if tg.Name != "postgresql" || u.Scheme != admin.Scheme || u.Host != admin.Host {
			t.Fatalf("target %+v does not match server %s", tg, admin.Redacted())
		}
		// The URL really connects, to the new database.
		conn, err := pgConnect(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var db string
		if err := conn.QueryRow(context.Background(), "SELECT current_database()").Scan(&db); err != nil {
			t.Fatal(err)
		}
		if "/"+db != u.Path || !strings.HasPrefix(db, "retort_t_") {
			t.Fatalf("connected to %q, want %q", db, u.Path)
		}
		if _, err := conn.Exec(context.Background(), "CREATE TABLE t (id int)"); err != nil {
			t.Fatal(err)
		}
	})
	u, _ := url.Parse(tg.URL)
	if name := strings.TrimPrefix(u.Path, "/"); pgExists(t, admin, name) {
		t.Fatalf("database %s not dropped at cleanup", name)
	}
}

func TestMySQLCreateDrop(t *testing.T) {
	admin := adminURL(t, mysqlServer)
	ctx := context.Background()
	name, err := newName()
	if err != nil {
		t.Fatal(err)
	}
	if err := createMySQL(ctx, admin, name); err != nil {
		t.Fatal(err)
	}
	if !myExists(t, admin, name) {
		t.Fatalf("database %s missing after create", name)
	}
	// A session holding a metadata lock in an open transaction must not block the drop.
	db, err := mysqlOpen(admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		"CREATE TABLE " + quoteMySQL(name) + ".t (id int)",
		"SELECT count(*) FROM " + quoteMySQL(name) + ".t",
		"USE " + quoteMySQL(name),
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := dropMySQL(ctx, admin, name); err != nil {
		t.Fatal(err)
	}
	if myExists(t, admin, name) {
		t.Fatalf("database %s still there after drop", name)
	}
}

func TestMySQLTargetLifecycle(t *testing.T) {
	admin := adminURL(t, mysqlServer)
	var tg Target
	t.Run("use", func(t *testing.T) {
		tg = MySQL(t)
		u, err := url.Parse(tg.URL)
		if err != nil {
			t.Fatal(err)
		}
		if tg.Name != "mariadb" || u.Scheme != admin.Scheme || u.Host != admin.Host {
			t.Fatalf("target %+v does not match server %s", tg, admin.Redacted())
		}
		name := strings.TrimPrefix(u.Path, "/")
		if !myExists(t, admin, name) {
			t.Fatalf("database %s does not exist during the test", name)
		}
		db, err := mysqlOpen(admin)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec("CREATE TABLE " + quoteMySQL(name) + ".t (id int)"); err != nil {
			t.Fatal(err)
		}
	})
	u, _ := url.Parse(tg.URL)
	if name := strings.TrimPrefix(u.Path, "/"); myExists(t, admin, name) {
		t.Fatalf("database %s not dropped at cleanup", name)
	}
}

func TestMySQLFeaturesTarget(t *testing.T) {
	admin := adminURL(t, mysqlServer)
	tg := MySQLFeatures(t)
	u, err := url.Parse(tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if tg.Name != NameMySQLFeatures || u.Host != admin.Host || u.Query().Get("features") != "mysql" || !myExists(t, admin, name) {
		t.Fatalf("target %s (database %s, options %v) does not match server %s", tg.Name, name, u.Query(), admin.Redacted())
	}
}

func TestEachRunsEveryTarget(t *testing.T) {
	var ran []string
	Each(t, func(t *testing.T, tg Target) {
		if t.Name() != "TestEachRunsEveryTarget/"+tg.Name {
			t.Errorf("subtest %q runs target %q", t.Name(), tg.Name)
		}
		ran = append(ran, tg.Name)
	})
	want := []string{"sqlite"}
	if os.Getenv(PostgresEnv) != "" {
		want = append(want, "postgresql")
	}
	if os.Getenv(MySQLEnv) != "" {
		want = append(want, "mariadb")
	}
	if strings.Join(ran, ",") != strings.Join(want, ",") {
		t.Errorf("ran %v, want %v", ran, want)
	}
}

func TestEachServerLeavesOutSQLite(t *testing.T) {
	var ran []string
	EachServer(t, func(t *testing.T, tg Target) {
		if t.Name() != "TestEachServerLeavesOutSQLite/"+tg.Name {
			t.Errorf("subtest %q runs target %q", t.Name(), tg.Name)
		}
		ran = append(ran, tg.Name)
	})
	var want []string
	if os.Getenv(PostgresEnv) != "" {
		want = append(want, "postgresql")
	}
	if os.Getenv(MySQLEnv) != "" {
		want = append(want, "mariadb")
	}
	if strings.Join(ran, ",") != strings.Join(want, ",") {
		t.Errorf("ran %v, want %v", ran, want)
	}
}

func TestTargetsOneEach(t *testing.T) {
	tgs := Targets(t)
	seen := map[string]string{}
	for _, tg := range tgs {
		if seen[tg.Name] != "" {
			t.Errorf("target %s returned twice", tg.Name)
		}
		seen[tg.Name] = tg.URL
	}
	if seen["sqlite"] == "" {
		t.Error("no sqlite target")
	}
	if (os.Getenv(PostgresEnv) != "") != (seen["postgresql"] != "") {
		t.Errorf("postgresql target presence wrong: %v", seen)
	}
	if (os.Getenv(MySQLEnv) != "") != (seen["mariadb"] != "") {
		t.Errorf("mariadb target presence wrong: %v", seen)
	}
}

// TestMissingServer runs this test binary again without the server variables, to see
// that a server target skips with a helpful message, and fails under CI=true.
func TestMissingServer(t *testing.T) {
	if os.Getenv("RETORT_TESTDB_CHILD") == "1" {
		Postgres(t)
		MySQL(t)
		t.Log("NOT SKIPPED")
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	run := func(ci string) (string, error) {
		cmd := exec.Command(exe, "-test.run=^TestMissingServer$", "-test.v")
		var env []string
		for _, kv := range os.Environ() {
			k, _, _ := strings.Cut(kv, "=")
			if k != PostgresEnv && k != MySQLEnv && k != "CI" {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "RETORT_TESTDB_CHILD=1", "CI="+ci)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("")
	if err != nil {
		t.Fatalf("without CI the child should skip, got %v:\n%s", err, out)
	}
	for _, want := range []string{"--- SKIP: TestMissingServer", "RETORT_TEST_POSTGRES is not set", "run scripts/test"} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "NOT SKIPPED") {
		t.Errorf("child was not skipped:\n%s", out)
	}
	out, err = run("true")
	if err == nil {
		t.Fatalf("under CI=true the child should fail:\n%s", out)
	}
	for _, want := range []string{"--- FAIL: TestMissingServer", "RETORT_TEST_POSTGRES is not set", "CI=true"} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}
