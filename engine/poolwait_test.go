package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/internal/testdb"
)

// TestPoolWaitErrors checks the errors of a checkout from an exhausted pool: the pool
// timeout matches ErrPoolTimeout (and context.DeadlineExceeded), and a wait ended by the
// caller's context matches the context's error, not ErrPoolTimeout, and does not claim
// that a statement was interrupted.
func TestPoolWaitErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg, PoolSize(1), MaxOverflow(0), PoolTimeout(300*time.Millisecond))
		held := connect(t, eng)
		mustExec(t, held, "CREATE TABLE pw (id INTEGER PRIMARY KEY)")

		_, err := eng.Connect(t.Context())
		if !errors.Is(err, ErrPoolTimeout) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "pool timeout") {
			t.Errorf("pool timeout: %v", err)
		}
		if strings.Contains(err.Error(), "interrupted") {
			t.Errorf("pool timeout says a statement was interrupted: %v", err)
		}

		patient := openEngine(t, tg, PoolSize(1), MaxOverflow(0))
		holder := connect(t, patient)
		mustExec(t, holder, "SELECT 1")
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		_, err = patient.Connect(ctx)
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrPoolTimeout) {
			t.Errorf("wait ended by the caller: %v", err)
		} else if msg := err.Error(); strings.Contains(msg, "interrupted") || !strings.Contains(msg, "waiting for a connection") {
			t.Errorf("wait ended by the caller: message %q", msg)
		}
		// The pools work once the connections come back.
		held.Close()
		holder.Close()
		for _, e := range []*Engine{eng, patient} {
			c, err := e.Connect(t.Context())
			if err != nil {
				t.Fatalf("Connect after release: %v", err)
			}
			if _, err := exec(t.Context(), c, "SELECT 1"); err != nil {
				t.Errorf("statement after release: %v", err)
			}
			c.Close()
		}
	})
}

// TestPoolTimeoutURLOption checks that the URL option pool_timeout bounds a checkout's
// wait, that the PoolTimeout option wins over it, and that a bad value is a URL error.
func TestPoolTimeoutURLOption(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		sep := "?"
		if strings.Contains(tg.URL, "?") {
			sep = "&"
		}
		eng := openEngine(t, testdb.Target{Name: tg.Name, URL: tg.URL + sep + "pool_timeout=0.2"}, PoolSize(1), MaxOverflow(0))
		held := connect(t, eng)
		mustExec(t, held, "SELECT 1")
		_, err := eng.Connect(t.Context())
		if !errors.Is(err, ErrPoolTimeout) || !strings.Contains(err.Error(), "200ms") {
			t.Errorf("checkout with ?pool_timeout=0.2: %v", err)
		}
		if _, err := Create(t.Context(), tg.URL+sep+"pool_timeout=soon"); !errors.Is(err, ErrInvalidURL) || !strings.Contains(err.Error(), `pool_timeout="soon"`) {
			t.Errorf("Create with ?pool_timeout=soon: %v", err)
		}
	})
}

// TestMemorySQLiteSeveralConnections checks that an in-memory SQLite engine hands out a
// second connection while a first one is held, both on the same database.
func TestMemorySQLiteSeveralConnections(t *testing.T) {
	eng, err := Create(t.Context(), "sqlite://")
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	held := connect(t, eng)
	mustExec(t, held, "CREATE TABLE m (id INTEGER PRIMARY KEY)")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	other, err := eng.Connect(ctx)
	if err != nil {
		t.Fatalf("second Connect while the first is held: %v", err)
	}
	defer other.Close()
	mustExec(t, other, "INSERT INTO m (id) VALUES (7)")
	res, err := query(t.Context(), held, "SELECT id FROM m", nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := res.ScalarOne(); err != nil || v != int64(7) {
		t.Fatalf("row seen by the held connection: %v, %v", v, err)
	}
}
