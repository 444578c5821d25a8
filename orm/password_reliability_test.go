package orm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// The passwords of the scripted run: the right one holds every character a URL must
// percent-encode; the wrong one is used for a refused login.
const (
	pwRight = "rEt0rt-S3cret:@/?#%x"
	pwWrong = "Wr0ngPw-S3cret:@/x"
)

// pwForms are the spellings of the passwords that must never appear: as written, as
// percent-encoded in a URL, and their distinctive letters alone.
var pwForms = []string{
	pwRight, url.QueryEscape(pwRight), url.PathEscape(pwRight), "rEt0rt-S3cret",
	pwWrong, url.QueryEscape(pwWrong), url.PathEscape(pwWrong), "Wr0ngPw-S3cret",
}

// pwLog is a slog text handler's output, safe for concurrent writes.
type pwLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *pwLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *pwLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// pwModel is the model of the ORM part of the scripted run.
type pwModel struct {
	ID   int64  `retort:"pk"`
	Name string `retort:"unique,size=20"`
	N    int8
}

// TestNoPasswordInErrorsOrLogs runs a script of failing operations on PostgreSQL and
// MariaDB through an engine whose URL carries a password, with echo on at the most
// verbose level, and checks that no error text and no log line contains the password in
// any spelling: failed connections (closed port, unknown database, wrong password, a URL
// the parser rejects), syntax errors, unique and not-null violations, a value that does
// not convert, a cancelled query and a cancelled transaction, scan errors, a pool
// timeout, and the ORM's flush, pending-rollback and mapping errors.
func TestNoPasswordInErrorsOrLogs(t *testing.T) {
	for _, name := range []string{testdb.NamePostgres, testdb.NameMariaDB} {
		t.Run(name, func(t *testing.T) {
			var tg testdb.Target
			if name == testdb.NamePostgres {
				tg = testdb.Postgres(t)
			} else {
				tg = testdb.MySQL(t)
			}
			pwScript(t, tg)
		})
	}
}

func pwScript(t *testing.T, tg testdb.Target) {
	ctx := t.Context()
	base, err := engine.ParseURL(tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	port := base.Port
	if port == 0 {
		port = map[string]int{testdb.NamePostgres: 5432, testdb.NameMariaDB: 3306}[tg.Name]
	}
	user := base.Username
	if tg.Name == testdb.NameMariaDB {
		// A throwaway user with the password, made through the admin (root) URL.
		user = fmt.Sprintf("rl_pw_%d", time.Now().UnixNano()%1_000_000_000)
		admin, err := engine.Create(ctx, tg.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		for _, sql := range []string{
			"CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + pwRight + "'",
			"GRANT ALL PRIVILEGES ON `" + base.Database + "`.* TO '" + user + "'@'%'",
		} {
			if _, err := pwExec(ctx, admin, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		defer func() { _, _ = pwExec(context.Background(), admin, "DROP USER '"+user+"'@'%'") }()
	}
	// PostgreSQL's test server trusts local connections: any password is accepted and
	// travels in the connection settings all the same.
	urlWith := func(pw string, port int, db string) string {
		return fmt.Sprintf("%s://%s:%s@%s:%d/%s", base.Dialect, user, url.QueryEscape(pw), base.Host, port, db)
	}

	var log pwLog
	logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var texts []string // every error text and every String of the run
	// record keeps err's text and checks that it is the failure the step expects
	// (errors.Is each of want, or errors.As into each pointer to an error type).
	record := func(what string, err error, want ...any) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
			return
		}
		for _, w := range want {
			switch w := w.(type) {
			case error:
				if !errors.Is(err, w) {
					t.Errorf("%s: %v, want an error matching %v", what, err, w)
				}
			default:
				if !errors.As(err, w) {
					t.Errorf("%s: %v, want a %T", what, err, w)
				}
			}
		}
		texts = append(texts, what+": "+err.Error())
		// Also what fmt's verbs show of it.
		texts = append(texts, fmt.Sprintf("%v %+v %#v", err, err, err))
	}

	eng, err := engine.Create(ctx, urlWith(pwRight, port, base.Database), engine.Echo(true), engine.WithLogger(logger),
		engine.PoolSize(1), engine.PoolTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatalf("connect with the password: %s", err)
	}
	defer eng.Close()
	texts = append(texts, eng.URL().String(), eng.URL().Redacted(), fmt.Sprintf("%v %+v", eng.URL(), *eng.URL()))

	// Failed connections.
	_, err = engine.Create(ctx, urlWith(pwRight, 1, base.Database), engine.Echo(true), engine.WithLogger(logger))
	record("connect to a closed port", err)
	_, err = engine.Create(ctx, urlWith(pwRight, port, "rl_no_such_database"), engine.Echo(true), engine.WithLogger(logger))
	record("connect to a missing database", err)
	if tg.Name == testdb.NameMariaDB {
		_, err = engine.Create(ctx, urlWith(pwWrong, port, base.Database), engine.Echo(true), engine.WithLogger(logger))
		record("connect with a wrong password", err)
	}
	_, err = engine.Create(ctx, fmt.Sprintf("%s://%s@server:%s@%s:%d/%s", base.Dialect, user, url.QueryEscape(pwRight), base.Host, port, base.Database))
	record("URL with an '@' in the user name", err, engine.ErrInvalidURL)
	_, err = engine.Create(ctx, fmt.Sprintf("%s://%s:%s@%s:%d/%s?sslpassword=%s&x=%%zz", base.Dialect, user, url.QueryEscape(pwRight), base.Host, port, base.Database, url.QueryEscape(pwWrong)))
	record("URL with a bad query", err, engine.ErrInvalidURL)
	_, err = engine.Create(ctx, urlWith(pwRight, port, base.Database)+"?no_such_option=1", engine.Echo(true), engine.WithLogger(logger))
	if err != nil {
		record("URL with an unknown option", err)
	}

	// Core statements that fail.
	c, err := eng.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := pwExecConn(ctx, c, "CREATE TABLE pw_core (id INTEGER PRIMARY KEY, name VARCHAR(20) UNIQUE, n INTEGER NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	if _, err := pwExecConn(ctx, c, "INSERT INTO pw_core (id, name, n) VALUES (1, 'a', 1)"); err != nil {
		t.Fatal(err)
	}
	_, err = pwExecConn(ctx, c, "SELEC oops FROM nowhere")
	record("syntax error", err, new(*engine.StatementError))
	_, err = pwExecConn(ctx, c, "INSERT INTO pw_core (id, name, n) VALUES (2, 'a', 2)")
	record("unique violation", err, engine.ErrIntegrity)
	_, err = pwExecConn(ctx, c, "INSERT INTO pw_core (id, name, n) VALUES (3, 'c', NULL)")
	record("not-null violation", err, engine.ErrIntegrity)
	_, err = c.Execute(ctx, expr.Text("INSERT INTO pw_core (id, name, n) VALUES (4, 'd', :n)", expr.TypedParam("n", "not a number", types.Integer())))
	record("bad conversion", err, dialect.ErrConvert, new(*engine.StatementError))
	_, err = c.Execute(ctx, expr.Text("SELECT :x", expr.Param("x", make(chan int))))
	record("unsupported value", err)
	res, err := c.Execute(ctx, expr.Text("SELECT id, name FROM pw_core").Columns(expr.Column("id", types.Integer()), expr.Column("name", types.Text())))
	if err != nil {
		t.Fatal(err)
	}
	row, err := res.One()
	if err != nil {
		t.Fatal(err)
	}
	var wrong time.Time
	var id int64
	record("scan error", row.Scan(&id, &wrong), new(*engine.ScanError))
	_, err = c.Scalar(ctx, expr.Text("SELECT id FROM pw_core WHERE id = 99").Columns(expr.Column("id", types.Integer())))
	record("no row", err, engine.ErrNoResult)

	slow := "SELECT 1 FROM pg_sleep(10)"
	if tg.Name == testdb.NameMariaDB {
		slow = "SELECT SLEEP(10)"
	}
	qctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = pwExecConn(qctx, c, slow)
	cancel()
	record("cancelled query", err, context.DeadlineExceeded)
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	qctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = pwExecConn(qctx, c, slow)
	cancel()
	record("cancelled query in a transaction", err, context.DeadlineExceeded)
	_, err = pwExecConn(ctx, c, "SELECT 1")
	record("statement after the transaction was lost", err, engine.ErrTxInvalid)
	record("commit of the lost transaction", tx.Commit(ctx), engine.ErrTxInvalid)
	if err := tx.Rollback(ctx); err != nil {
		t.Errorf("rollback of the lost transaction: %v", err)
	}
	// The pool has one connection, held by c once it runs a statement: another Connect
	// times out.
	if _, err := pwExecConn(ctx, c, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	_, err = eng.Connect(ctx)
	record("pool timeout", err, context.DeadlineExceeded)
	c.Close()
	_, err = pwExecConn(ctx, c, "SELECT 1")
	record("closed connection", err, engine.ErrClosed)

	// ORM operations that fail.
	reg := NewRegistry()
	if err := Register[pwModel](reg); err != nil {
		t.Fatal(err)
	}
	if err := eng.CreateAll(ctx, reg.MetaData()); err != nil {
		t.Fatal(err)
	}
	record("mapping error", Register[struct{ X chan int }](reg), ErrMapping)
	sm := NewSessionMaker(eng, reg)
	s := sm.New()
	defer s.Close()
	if err := s.AddAll(&pwModel{Name: "x"}, &pwModel{Name: "x"}); err != nil {
		t.Fatal(err)
	}
	err = s.Commit(ctx)
	record("flush with a unique violation", err, engine.ErrIntegrity)
	record("operation in pending rollback", s.Flush(ctx), ErrPendingRollback, engine.ErrIntegrity)
	if err := s.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	s.ExpungeAll()
	record("commit of an out-of-range value", func() error {
		if err := s.Add(&pwModel{Name: "y", N: 1}); err != nil {
			return err
		}
		if _, err := s.Execute(ctx, expr.Text("UPDATE pw_model SET n = 1000")); err != nil {
			return err
		}
		s.ExpireAll() // so that the query overwrites the object with the row's values
		_, err := Scalars(ctx, s, SelectOf[pwModel](reg))
		return err
	}(), new(*ValueError))
	_ = s.Rollback(ctx)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Add(&pwModel{Name: "z"}); err != nil {
		t.Fatal(err)
	}
	record("flush with a cancelled context", s.Commit(cctx), context.Canceled)
	_ = s.Rollback(ctx)
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	eng.Close()
	record("closed engine", func() error { _, err := eng.Connect(ctx); return err }(), engine.ErrClosed)

	logText := log.String()
	if !strings.Contains(logText, "SELEC oops") || !strings.Contains(logText, "pw_core") {
		t.Fatalf("the echo log misses the statements of the run:\n%s", logText)
	}
	if len(texts) < 20 {
		t.Fatalf("only %d error texts were collected", len(texts))
	}
	for _, form := range pwForms {
		if strings.Contains(logText, form) {
			t.Errorf("the log shows the password (%q):\n%s", form, logText)
		}
		for _, s := range texts {
			if strings.Contains(s, form) {
				t.Errorf("an error shows the password (%q): %s", form, s)
			}
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("%d texts checked:\n%s", len(texts), strings.Join(texts, "\n"))
	}
}

func pwExec(ctx context.Context, eng *engine.Engine, sql string) (*engine.Result, error) {
	c, err := eng.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Execute(ctx, expr.Text(sql))
}

func pwExecConn(ctx context.Context, c *engine.Conn, sql string) (*engine.Result, error) {
	return c.Execute(ctx, expr.Text(sql))
}
