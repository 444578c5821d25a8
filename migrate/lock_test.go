package migrate_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/migrate"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// TestLockWaitCancelled: while another connection holds the migration lock (or, on
// SQLite, a write transaction), an upgrade waits; when its context ends it fails with the
// context's error, applies nothing and keeps no connection checked out.
func TestLockWaitCancelled(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := open(t, tg)
		holder, err := eng.Connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Close()
		if locker, ok := eng.Dialect().(dialect.SessionLocker); ok {
			lock, _ := locker.SessionLockSQL("retort_migrate")
			if _, err := holder.Execute(ctx, expr.Text(lock)); err != nil {
				t.Fatal(err)
			}
		} else {
			if _, err := holder.Execute(ctx, expr.Text("CREATE TABLE busy (x INTEGER)")); err != nil {
				t.Fatal(err)
			}
			if _, err := holder.Begin(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := holder.Execute(ctx, expr.Text("INSERT INTO busy VALUES (1)")); err != nil {
				t.Fatal(err)
			}
		}
		var runs atomic.Int64
		waitCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		err = migrate.New(eng, testChain(&runs), quiet).Upgrade(waitCtx, "head")
		if err == nil || !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(strings.ToLower(err.Error()), "locked") {
			t.Fatalf("upgrade while the lock is held: %v", err)
		}
		if runs.Load() != 0 {
			t.Fatal("a migration ran without the lock")
		}
		if n := eng.Stats().InUse; n != 1 { // the holder's connection only
			t.Fatalf("%d connections checked out after the cancelled upgrade, want 1 (the holder's)", n)
		}
		holder.Close()
		if err := migrate.New(eng, testChain(&runs), quiet).Upgrade(ctx, "head"); err != nil {
			t.Fatalf("upgrade once the lock is free: %v", err)
		}
	})
}

// TestProgressBar: a data step's progress is drawn as a bar on the ProgressBar writer.
func TestProgressBar(t *testing.T) {
	tg := testdb.SQLite(t)
	eng := open(t, tg)
	ch := migrate.NewChain()
	ch.Add(&migrate.Migration{Revision: "p1", Message: "long data step",
		Up: func(op *migrate.Op) {
			op.CreateTable("t", schema.Col("id", types.Integer(), schema.PrimaryKey()))
			op.Run("fill t", func(ctx context.Context, c *engine.Conn, p *migrate.Progress) error {
				p.SetTotal(4)
				for i := 1; i <= 4; i++ {
					if _, err := c.Execute(ctx, expr.Insert(schema.NewMetaData().MustTable("t", schema.Col("id", types.Integer(), schema.PrimaryKey()))).
						Values(map[string]any{"id": i})); err != nil {
						return err
					}
					p.Add(1)
				}
				if p.Done() != 4 {
					t.Errorf("Done() = %d", p.Done())
				}
				return nil
			})
		},
		Down: func(op *migrate.Op) { op.DropTable("t") }})
	var bar bytes.Buffer
	if err := migrate.New(eng, ch, quiet, migrate.ProgressBar(&bar)).Upgrade(t.Context(), "head"); err != nil {
		t.Fatal(err)
	}
	// Without a terminal, progress and each migration go to the logger.
	var log bytes.Buffer
	m := migrate.New(eng, ch, migrate.WithLogger(slog.New(slog.NewTextHandler(&log, nil))), migrate.AllowDestructive(true))
	if err := m.Downgrade(t.Context(), "base"); err != nil {
		t.Fatal(err)
	}
	if err := m.Upgrade(t.Context(), "head"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`msg="migrate: upgrade" revision=p1 message="long data step"`,
		`msg="migrate: progress" step="run fill t" done=2 total=4`,
		`msg="migrate: done" revision=p1 message="long data step" duration=`} {
		if !strings.Contains(log.String(), s) {
			t.Errorf("log lacks %s:\n%s", s, log.String())
		}
	}
	if !strings.Contains(bar.String(), "\r  run fill t [###############...............] 2/4") ||
		!strings.HasSuffix(bar.String(), "[##############################] 4/4\n") {
		t.Fatalf("progress bar: %q", bar.String())
	}
}
