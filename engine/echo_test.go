package engine

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/retortdb/retort/internal/testdb"
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
