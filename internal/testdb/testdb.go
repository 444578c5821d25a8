package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
)

// Environment variables naming the test servers.
const (
	// PostgresEnv is the variable holding the PostgreSQL server's URL.
	PostgresEnv = "RETORT_TEST_POSTGRES"
	// MySQLEnv is the variable holding the MariaDB/MySQL server's URL.
	MySQLEnv = "RETORT_TEST_MYSQL"
	// TargetsEnv is the variable that, when set, restricts the run to the targets it
	// names (comma-separated: "sqlite", "postgresql", "mariadb"); the others are skipped,
	// also under CI=true. scripts/test sets it to "mariadb" to run the MySQL-target tests
	// again on a Galera cluster node.
	TargetsEnv = "RETORT_TEST_TARGETS"
)

// Target names, as found in Target.Name.
const (
	// NameSQLite is the name of the SQLite target.
	NameSQLite = "sqlite"
	// NamePostgres is the name of the PostgreSQL target.
	NamePostgres = "postgresql"
	// NameMariaDB is the name of the MariaDB/MySQL target.
	NameMariaDB = "mariadb"
	// NameMySQLFeatures is the name of the target MySQLFeatures returns.
	NameMySQLFeatures = "mysql-features"
)

// setupTimeout bounds each CREATE DATABASE and DROP DATABASE, connection included.
const setupTimeout = 30 * time.Second

// Target is one database a test runs against: Name is "sqlite", "postgresql" or
// "mariadb", URL is a SQLAlchemy-style URL of a database created for this test alone
// (for example "sqlite:////tmp/TestX123/001/test.db" or
// "postgresql://postgres@127.0.0.1:5432/retort_t_0123456789abcdef"). It may contain a
// password; print Name, not URL.
// It is a plain value, safe for concurrent use; the database it names lives until the test
// that created it ends.
type Target struct {
	Name string
	URL  string
}

// Targets returns one fresh database per available target: SQLite always, PostgreSQL
// when RETORT_TEST_POSTGRES is set, MariaDB when RETORT_TEST_MYSQL is set. Each is
// dropped when t ends. An unset variable is logged (the test keeps its other targets);
// under CI=true it fails t. A configured server that cannot be reached fails t.
// Prefer Each, which skips per target in a subtest.
func Targets(t testing.TB) []Target {
	t.Helper()
	var out []Target
	if wanted(NameSQLite) {
		out = append(out, SQLite(t))
	}
	for _, s := range servers {
		if !wanted(s.name) {
			continue
		}
		if os.Getenv(s.env) == "" {
			if inCI() {
				t.Fatalf("testdb: %s", missingMessage(s))
			}
			t.Logf("testdb: %s target left out: %s", s.name, missingMessage(s))
			continue
		}
		out = append(out, s.create(t))
	}
	return out
}

// Each runs fn once per target, each as a subtest named after the target
// (t.Run("sqlite", ...), t.Run("postgresql", ...), t.Run("mariadb", ...)). The target's
// database is created inside the subtest and dropped when the subtest ends, so an
// unconfigured server skips only its own subtest (or fails it under CI=true).
func Each(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Helper()
	t.Run(NameSQLite, func(t *testing.T) { fn(t, SQLite(t)) })
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) { fn(t, s.create(t)) })
	}
}

// EachServer runs fn once per server target (PostgreSQL, MariaDB), as Each does but
// without SQLite: for behaviour only a database server has (connections that another
// session can kill, server restarts).
func EachServer(t *testing.T, fn func(t *testing.T, tg Target)) {
	t.Helper()
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) { fn(t, s.create(t)) })
	}
}

// SQLite returns a target for a fresh SQLite database file in t.TempDir(), as an
// absolute SQLAlchemy URL ("sqlite:////abs/path/test.db"). The file does not exist yet;
// it is created by the first connection and removed with the temporary directory.
func SQLite(t testing.TB) Target {
	t.Helper()
	skipUnwanted(t, NameSQLite)
	path, err := filepath.Abs(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatalf("testdb: sqlite: %v", err)
	}
	return Target{Name: NameSQLite, URL: "sqlite:///" + filepath.ToSlash(path)}
}

// Postgres returns a target for a fresh PostgreSQL database on the server named by
// RETORT_TEST_POSTGRES, dropped (WITH (FORCE)) when t ends. It skips t when the variable
// is unset, or fails t under CI=true.
func Postgres(t testing.TB) Target {
	t.Helper()
	return postgresServer.create(t)
}

// MySQL returns a target (named "mariadb") for a fresh database on the MariaDB/MySQL
// server named by RETORT_TEST_MYSQL, dropped when t ends. It skips t when the variable
// is unset, or fails t under CI=true.
func MySQL(t testing.TB) Target {
	t.Helper()
	return mysqlServer.create(t)
}

// MySQLFeatures is MySQL(t) with the URL option features=mysql (see dialect/mysql): the
// dialect keeps to MySQL's feature set, so that on a MariaDB server the tests run the
// code paths retort takes on MySQL (no INSERT or DELETE ... RETURNING). Its Name is
// "mysql-features". It is not one of Each's targets; tests that care add it.
func MySQLFeatures(t testing.TB) Target {
	t.Helper()
	tg := mysqlServer.create(t)
	u, err := url.Parse(tg.URL)
	if err != nil {
		t.Fatalf("testdb: %s: bad target URL", NameMySQLFeatures)
	}
	q := u.Query()
	q.Set("features", "mysql")
	u.RawQuery = q.Encode()
	return Target{Name: NameMySQLFeatures, URL: u.String()}
}

// server describes one kind of database server the tests can use.
type server struct {
	name    string // Target.Name
	env     string // variable holding the admin URL
	human   string // for messages
	example string // example value of env
	schemes []string
	// createDB creates a database called name; dropDB drops it (and ends its sessions).
	createDB func(ctx context.Context, admin *url.URL, name string) error
	dropDB   func(ctx context.Context, admin *url.URL, name string) error
}

var (
	postgresServer = &server{
		name:     NamePostgres,
		env:      PostgresEnv,
		human:    "PostgreSQL",
		example:  "postgresql://postgres@127.0.0.1:5432/test",
		schemes:  []string{"postgresql", "postgres"},
		createDB: createPostgres,
		dropDB:   dropPostgres,
	}
	mysqlServer = &server{
		name:     NameMariaDB,
		env:      MySQLEnv,
		human:    "MariaDB/MySQL",
		example:  "mariadb://root@127.0.0.1:3306/test",
		schemes:  []string{"mysql", "mariadb"},
		createDB: createMySQL,
		dropDB:   dropMySQL,
	}
	servers = []*server{postgresServer, mysqlServer}
)

func inCI() bool { return os.Getenv("CI") == "true" }

// wanted reports whether target name runs: always, unless RETORT_TEST_TARGETS is set
// and does not list it ("mysql-features" runs with "mariadb").
func wanted(name string) bool {
	only := os.Getenv(TargetsEnv)
	if only == "" {
		return true
	}
	if name == NameMySQLFeatures {
		name = NameMariaDB
	}
	for _, n := range strings.Split(only, ",") {
		if strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}

// skipUnwanted skips t when target name is left out by RETORT_TEST_TARGETS.
func skipUnwanted(t testing.TB, name string) {
	t.Helper()
	if !wanted(name) {
		t.Skipf("testdb: %s target left out by %s=%s", name, TargetsEnv, os.Getenv(TargetsEnv))
	}
}

func missingMessage(s *server) string {
	return fmt.Sprintf("%s is not set, so %s tests do not run; run scripts/test (it starts the servers and sets it), or set %s=%s",
		s.env, s.human, s.env, s.example)
}

// create makes a fresh database for t on s and schedules its drop.
func (s *server) create(t testing.TB) Target {
	t.Helper()
	skipUnwanted(t, s.name)
	raw := os.Getenv(s.env)
	if raw == "" {
		if inCI() {
			t.Fatalf("testdb: %s (CI=true: server tests must not be skipped)", missingMessage(s))
		}
		t.Skipf("testdb: %s", missingMessage(s))
	}
	admin, err := s.parse(raw)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	name, err := newName()
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := s.createDB(ctx, admin, name); err != nil {
		t.Fatalf("testdb: %s", redact(err, admin))
	}
	t.Cleanup(func() {
		// t.Context() is already cancelled when cleanups run: use a fresh one.
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if err := s.dropDB(ctx, admin, name); err != nil {
			t.Errorf("testdb: %s", redact(err, admin))
		}
	})
	return Target{Name: s.name, URL: withDatabase(admin, name).String()}
}

// parse checks an admin URL from the environment. Errors never contain the password.
func (s *server) parse(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole input, password included: report only the variable.
		return nil, fmt.Errorf("%s is not a valid URL", s.env)
	}
	scheme, _, _ := strings.Cut(u.Scheme, "+") // "postgresql+pgx" -> "postgresql"
	ok := false
	for _, sc := range s.schemes {
		if strings.EqualFold(scheme, sc) {
			ok = true
		}
	}
	if !ok {
		return nil, fmt.Errorf("%s=%s: scheme %q is not one of %s", s.env, u.Redacted(), u.Scheme, strings.Join(s.schemes, ", "))
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%s=%s: no host", s.env, u.Redacted())
	}
	return u, nil
}

// newName returns a database name no other test uses: retort_t_ and 16 hex digits.
func newName() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	return "retort_t_" + hex.EncodeToString(b[:]), nil
}

// withDatabase returns a copy of u naming database name instead of u's.
func withDatabase(u *url.URL, name string) *url.URL {
	c := *u
	if u.User != nil {
		user := *u.User
		c.User = &user
	}
	c.Path = "/" + name
	c.RawPath = ""
	return &c
}

// password returns u's password, or "".
func password(u *url.URL) string {
	if u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// redact returns err's text with u's password (plain and percent-encoded) replaced by
// "xxxxx", in case a driver put it into its message.
func redact(err error, u *url.URL) string {
	msg := err.Error()
	if p := password(u); p != "" {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
		if e := url.QueryEscape(p); e != p {
			msg = strings.ReplaceAll(msg, e, "xxxxx")
		}
	}
	return msg
}

// port returns u's port, or def.
func port(u *url.URL, def string) string {
	if p := u.Port(); p != "" {
		return p
	}
	return def
}

// --- PostgreSQL -----------------------------------------------------------------------

// pgConnect opens a pgx connection to the database named in admin. TLS is off unless
// admin asks for it with ?sslmode=.
func pgConnect(ctx context.Context, admin *url.URL) (*pgx.Conn, error) {
	c := url.URL{Scheme: "postgres", User: admin.User, Host: admin.Host, Path: admin.Path}
	if c.User == nil || c.User.Username() == "" {
		c.User = url.User("postgres")
		if p := password(admin); p != "" {
			c.User = url.UserPassword("postgres", p)
		}
	}
	if c.Path == "" || c.Path == "/" {
		c.Path = "/postgres"
	}
	q := url.Values{"sslmode": {"disable"}, "connect_timeout": {"10"}}
	if m := admin.Query().Get("sslmode"); m != "" {
		q.Set("sslmode", m)
	}
	c.RawQuery = q.Encode()
	cfg, err := pgx.ParseConfig(c.String())
	if err != nil {
		// pgx's message may quote the connection string: keep only the redacted URL.
		return nil, fmt.Errorf("postgresql: cannot use %s as a connection URL", admin.Redacted())
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgresql: connect to %s: %w", admin.Redacted(), err)
	}
	return conn, nil
}

// createPostgres creates database name on the server of admin.
func createPostgres(ctx context.Context, admin *url.URL, name string) error {
	conn, err := pgConnect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("postgresql: create database %s: %w", name, err)
	}
	return nil
}

// dropPostgres drops database name, ending any session still connected to it.
func dropPostgres(ctx context.Context, admin *url.URL, name string) error {
	conn, err := pgConnect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("postgresql: drop database %s: %w", name, err)
	}
	return nil
}

// --- MariaDB / MySQL ------------------------------------------------------------------

// mysqlOpen opens a single-connection pool to the server of admin, no database selected.
func mysqlOpen(admin *url.URL) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	if admin.User != nil && admin.User.Username() != "" {
		cfg.User = admin.User.Username()
	}
	cfg.Passwd = password(admin)
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(admin.Hostname(), port(admin, "3306"))
	cfg.Timeout = 10 * time.Second
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: %s: %w", admin.Redacted(), err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	return db, nil
}

// quoteMySQL quotes an identifier with backticks.
func quoteMySQL(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// createMySQL creates database name on the server of admin.
func createMySQL(ctx context.Context, admin *url.URL, name string) error {
	db, err := mysqlOpen(admin)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+quoteMySQL(name)+" CHARACTER SET utf8mb4"); err != nil {
		return fmt.Errorf("mysql: create database %s on %s: %w", name, admin.Redacted(), err)
	}
	return nil
}

// dropMySQL drops database name. Sessions still using it are killed first, so a test
// that leaked a connection or an open transaction cannot make DROP DATABASE wait on its
// metadata locks.
func dropMySQL(ctx context.Context, admin *url.URL, name string) error {
	db, err := mysqlOpen(admin)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT id FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID()", name)
	if err != nil {
		return fmt.Errorf("mysql: list sessions of %s: %w", name, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("mysql: list sessions of %s: %w", name, err)
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("mysql: list sessions of %s: %w", name, err)
	}
	for _, id := range ids {
		// The session may have ended in between: "Unknown thread id" is fine.
		_, _ = db.ExecContext(ctx, fmt.Sprintf("KILL %d", id))
	}
	if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteMySQL(name)); err != nil {
		return fmt.Errorf("mysql: drop database %s: %w", name, err)
	}
	return nil
}
