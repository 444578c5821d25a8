package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/retortdb/retort/internal/testdb"
)

// TestMigrateCommand runs retort migrate end to end on every database: init writes the
// migrations package into a scratch directory of the module, revision -autogenerate
// writes a migration from the example's first models, two upgrades run at once as two
// OS processes, then current, check, history, sql and downgrade.
func TestMigrateCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run: not in -short mode")
	}
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		scratch, err := os.MkdirTemp(".", "_migtest_")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(scratch) })
		dir, _ := filepath.Abs(filepath.Join(scratch, "migrations"))
		retort := func(wantCode int, args ...string) string {
			t.Helper()
			var out, errOut bytes.Buffer
			full := append([]string{"migrate", "-dir", dir, "-url", tg.URL}, args...)
			if code := run(ctx, full, &out, &errOut); code != wantCode {
				t.Fatalf("retort %v: exit %d, want %d\n%s%s", args, code, wantCode, out.String(), errOut.String())
			}
			return out.String() + errOut.String()
		}
		if out := retort(1, "current"); !strings.Contains(out, "run `retort migrate -dir") {
			t.Fatalf("current before init: %q", out)
		}
		retort(0, "init")
		retort(1, "init") // already there
		out := retort(0, "-models", "../../examples/migrations/model/v1", "revision", "-m", "first", "-autogenerate")
		if files, _ := filepath.Glob(filepath.Join(dir, "*_first.go")); len(files) != 1 || !strings.Contains(out, files[0]) {
			t.Fatalf("revision wrote %v: %q", files, out)
		}
		// Two processes upgrade at once; the lock lets one apply the migration.
		var wg sync.WaitGroup
		outs := make([]string, 2)
		for i := range outs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var o, e bytes.Buffer
				if code := run(ctx, []string{"migrate", "-dir", dir, "-url", tg.URL, "upgrade"}, &o, &e); code != 0 {
					outs[i] = "FAILED: " + e.String()
				} else {
					outs[i] = e.String()
				}
			}()
		}
		wg.Wait()
		applied := 0
		for _, o := range outs {
			if strings.HasPrefix(o, "FAILED") {
				t.Fatal(o)
			}
			applied += strings.Count(o, `msg="migrate: done"`)
		}
		if applied != 1 {
			t.Fatalf("the migration was applied %d times by two processes:\n%s\n%s", applied, outs[0], outs[1])
		}
		if out := retort(0, "current"); !strings.Contains(out, "(head)") {
			t.Fatalf("current: %q", out)
		}
		retort(0, "-models", "../../examples/migrations/model/v1", "check")
		if out := retort(1, "-models", "../../examples/migrations/model/v2", "check"); !strings.Contains(out, "add column users.email") {
			t.Fatalf("check against newer models: %q", out)
		}
		if out := retort(0, "history"); !strings.Contains(out, "base -> ") || !strings.Contains(out, "first") {
			t.Fatalf("history: %q", out)
		}
		if out := retort(0, "sql"); !strings.Contains(out, "CREATE TABLE users") {
			t.Fatalf("sql: %q", out)
		}
		// The first revision's Down drops tables; it was not accepted, so it is refused
		// unless allowed.
		if out := retort(1, "downgrade", "base"); !strings.Contains(out, "drop table") || !strings.Contains(out, "--allow-destructive") {
			t.Fatalf("downgrade: %q", out)
		}
		retort(0, "-allow-destructive", "downgrade", "base")
		if out := retort(0, "current"); strings.TrimSpace(out) != "base" {
			t.Fatalf("current after downgrade: %q", out)
		}
	})
}
