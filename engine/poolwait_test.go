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
