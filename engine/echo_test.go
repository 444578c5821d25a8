package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a slog handler.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const testPassword = "s3cret-Pw"

func TestEcho(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		url := tg.URL
		if tg.Name == testdb.NamePostgres && !strings.Contains(url, "postgres:") {
			// The test server trusts local connections, so any password is accepted:
			// use one to check that it never reaches the log.
			url = strings.Replace(url, "postgres@", "postgres:"+testPassword+"@", 1)
		}
		var buf syncBuffer
		logger := slog.New(slog.NewTextHandler(&buf, nil))
		eng, err := Create(t.Context(), url, Echo(true), WithLogger(logger))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { eng.Close() })
		c := connect(t, eng)
		createItems(t, c, 0)
		err = c.Transaction(t.Context(), func(ctx context.Context, c *Conn) error {
			_, err := exec(ctx, c, "INSERT INTO items (id, name, score) VALUES (?, ?, ?)", int64(42), "it's", nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = exec(t.Context(), c, "INSERT INTO items (id, name) VALUES (?, ?)", int64(42), strings.Repeat("y", 300))

		out := buf.String()
		insert := sqlf(eng, "INSERT INTO items (id, name, score) VALUES (?, ?, ?)")
		for _, want := range []string{
			`msg="retort: engine created"`,
			`msg=BEGIN`,
			`msg="` + insert + `" args="[42 \"it's\" NULL]"`,
			`msg=COMMIT`,
			`\"yyyyyyyy`, `...\"`, // long values are shortened
		} {
			if !strings.Contains(out, want) {
				t.Errorf("echo output lacks %s:\n%s", want, out)
			}
		}
		if strings.Contains(out, strings.Repeat("y", 201)) {
			t.Errorf("echo did not shorten a long value")
		}
		if strings.Contains(out, testPassword) {
			t.Errorf("echo output shows the password:\n%s", out)
		}
		if tg.Name == testdb.NamePostgres && !strings.Contains(out, "postgres:***@") {
			t.Errorf("engine created line does not show the masked URL:\n%s", out)
		}
		if u := eng.URL(); strings.Contains(u.String(), testPassword) {
			t.Errorf("URL().String() shows the password")
		}
	})
}

// TestNoEcho checks that an engine without Echo logs nothing.
func TestNoEcho(t *testing.T) {
	var buf syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	eng := openEngine(t, testdb.SQLite(t))
	c := connect(t, eng)
	createItems(t, c, 1)
	if buf.String() != "" {
		t.Errorf("logged without Echo: %s", buf.String())
	}
}

// TestEchoAfterRun checks what the echo says of a statement once it ran: its duration,
// the rows it affected or returned, arguments without Go's monotonic clock reading,
// its SQL on one line; and that SlowStatements logs slow statements at Warn without Echo.
func TestEchoAfterRun(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		var buf syncBuffer
		logger := slog.New(slog.NewJSONHandler(&buf, nil))
		eng := openEngine(t, tg, Echo(true), WithLogger(logger))
		c := connect(t, eng)
		createItems(t, c, 3)
		buf.mu.Lock()
		buf.b.Reset()
		buf.mu.Unlock()
		if _, err := exec(t.Context(), c, "UPDATE items\n\tSET score = ?\n  WHERE id >= ?", int64(7), types.NullOf(int64(2))); err != nil {
			t.Fatal(err)
		}
		name := "item1"
		if _, err := query(t.Context(), c, "SELECT id FROM items WHERE name = ?", nil, &name); err != nil {
			t.Fatal(err)
		}
		var recs []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			recs = append(recs, m)
		}
		if len(recs) != 2 {
			t.Fatalf("%d records, want 2:\n%s", len(recs), buf.String())
		}
		upd, sel := recs[0], recs[1]
		if want := sqlf(eng, "UPDATE items SET score = ? WHERE id >= ?"); upd["msg"] != want {
			t.Errorf("message %q, want %q", upd["msg"], want)
		}
		if upd["rows"] != float64(2) || sel["rows"] != float64(1) {
			t.Errorf("rows: update %v, select %v; want 2 and 1", upd["rows"], sel["rows"])
		}
		for _, r := range recs {
			if d, ok := r["duration"].(float64); !ok || d <= 0 {
				t.Errorf("duration %v in %v", r["duration"], r)
			}
		}
		if args := upd["args"].(string); args != "[7 2]" {
			t.Errorf("update args echo as %q, want [7 2] (a types.Null as its value)", args)
		}
		if args := sel["args"].(string); args != `["item1"]` {
			t.Errorf("a *string argument echoes as %q", args)
		}

		// Slow statements, Echo off: every statement takes at least 1ns.
		var slowBuf syncBuffer
		slowEng := openEngine(t, tg, SlowStatements(time.Nanosecond), WithLogger(slog.New(slog.NewTextHandler(&slowBuf, nil))))
		sc := connect(t, slowEng)
		mustExec(t, sc, "SELECT 1")
		if out := slowBuf.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "msg=\"SELECT 1\"") || !strings.Contains(out, "duration=") {
			t.Errorf("slow statement log: %s", out)
		}
		// A threshold no statement reaches logs nothing.
		var quietBuf syncBuffer
		quiet := openEngine(t, tg, SlowStatements(time.Hour), WithLogger(slog.New(slog.NewTextHandler(&quietBuf, nil))))
		mustExec(t, connect(t, quiet), "SELECT 1")
		if out := quietBuf.String(); out != "" {
			t.Errorf("statements under the threshold logged: %s", out)
		}
	})
}

// TestEchoArgs checks how arguments echo: times (also behind pointers, in types.Null
// and inside other values) without Go's monotonic clock reading.
func TestEchoArgs(t *testing.T) {
	now := time.Now() // carries a monotonic clock reading
	type wrapped struct{ At time.Time }
	var nilTime *time.Time
	got := echoArgs{now, &now, types.NullOf(now), types.Null[int64]{}, nilTime, wrapped{now}}.LogValue().String()
	ts := now.Format(time.RFC3339Nano)
	if want := "[" + ts + " " + ts + " " + ts + " NULL NULL {"; !strings.HasPrefix(got, want) {
		t.Errorf("echo args %s, want prefix %s", got, want)
	}
	if strings.Contains(got, "m=+") {
		t.Errorf("echo args show a monotonic clock reading: %s", got)
	}
}

func TestNormalizeSQL(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                          "SELECT 1",
		"  SELECT\n\t a ,  b\r\nFROM t  ":   "SELECT a , b FROM t",
		"SELECT 'a  b\n c',  \"x  y\"  , 1": "SELECT 'a  b\n c', \"x  y\" , 1",
		"SELECT `q  r`\n":                   "SELECT `q  r`",
		"":                                  "",
	} {
		if got := NormalizeSQL(in); got != want {
			t.Errorf("NormalizeSQL(%q) = %q, want %q", in, got, want)
		}
	}
}
