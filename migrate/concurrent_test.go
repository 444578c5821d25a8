package migrate_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/migrate"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// logChain is five revisions; each logs itself in run_log when it runs, so that a
// revision applied twice shows up (besides failing on its DDL).
func logChain() *migrate.Chain {
	ch := migrate.NewChain()
	logRun := func(op *migrate.Op, rev string) {
		op.Run("log "+rev, func(ctx context.Context, c *engine.Conn, _ *migrate.Progress) error {
			_, err := c.Execute(ctx, expr.Text("INSERT INTO run_log (rev) VALUES (:rev)", expr.Param("rev", rev)))
			return err
		})
	}
	ch.Add(&migrate.Migration{Revision: "c1", Message: "run log",
		Up: func(op *migrate.Op) {
			op.CreateTable("run_log", schema.Col("rev", types.String(10), schema.NotNull()))
			op.CreateTable("items", schema.Col("id", types.Integer(), schema.PrimaryKey()))
			logRun(op, "c1")
		},
		Down: func(op *migrate.Op) { op.DropTable("items"); op.DropTable("run_log") }})
	parent := "c1"
	for i := 2; i <= 5; i++ {
		rev := fmt.Sprintf("c%d", i)
		col := fmt.Sprintf("col%d", i)
		ch.Add(&migrate.Migration{Revision: rev, Parents: []string{parent}, Message: "add " + col,
			Up: func(op *migrate.Op) {
				op.AddColumn("items", schema.Col(col, types.Integer()))
				logRun(op, rev)
			},
			Down: func(op *migrate.Op) { op.DropColumn("items", col) }})
		parent = rev
	}
	return ch
}

// checkRunLog asserts that every revision of logChain ran exactly once.
func checkRunLog(t *testing.T, eng *engine.Engine) {
	t.Helper()
	res := mustExec(t, eng, "SELECT rev, COUNT(*) FROM run_log GROUP BY rev ORDER BY rev")
	if res.Len() != 5 {
		t.Fatalf("run_log has %d revisions, want 5: %v", res.Len(), res.Mappings())
	}
	for _, row := range res.All() {
		if n := str(row.Get(1)); n != "1" {
			t.Errorf("revision %s ran %s times", str(row.Get(0)), n)
		}
	}
}

// TestConcurrentUpgrade upgrades one database from two goroutines with two engines at
// once: the lock makes one wait, and each migration runs exactly once.
func TestConcurrentUpgrade(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			eng := open(t, tg)
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = migrate.New(eng, logChain(), quiet).Upgrade(ctx, "head")
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("upgrader %d: %v", i, err)
			}
		}
		eng := open(t, tg)
		checkRunLog(t, eng)
		st, err := migrate.New(eng, logChain(), quiet).Current(ctx)
		if err != nil || len(st.Heads) != 1 || st.Heads[0] != "c5" {
			t.Fatalf("current: %+v, %v", st, err)
		}
	})
}

const helperEnv = "RETORT_MIGRATE_HELPER_URL"

// TestHelperProcess is not a test: TestTwoProcesses runs the test binary again with it
// to upgrade from a separate OS process.
func TestHelperProcess(t *testing.T) {
	url := os.Getenv(helperEnv)
	if url == "" {
		t.Skip("helper for TestTwoProcesses")
	}
	eng, err := engine.Create(context.Background(), url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer eng.Close()
	if err := migrate.New(eng, logChain(), quiet).Upgrade(context.Background(), "head"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// TestTwoProcesses upgrades one database from two OS processes started together.
func TestTwoProcesses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		var cmds []*exec.Cmd
		for range 2 {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), helperEnv+"="+tg.URL)
			cmds = append(cmds, cmd)
		}
		outs := make([][]byte, len(cmds))
		errs := make([]error, len(cmds))
		var wg sync.WaitGroup
		for i, cmd := range cmds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], errs[i] = cmd.CombinedOutput()
			}()
		}
		wg.Wait()
		for i := range cmds {
			if errs[i] != nil {
				t.Errorf("process %d: %v\n%s", i, errs[i], outs[i])
			}
		}
		checkRunLog(t, open(t, tg))
	})
}
