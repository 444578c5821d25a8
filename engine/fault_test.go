package engine

import (
	"context"
	"errors"
	"os"
	osexec "os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// TestFaultServerCrash crashes private database servers under load and starts them
// again (scripts/fault-servers, which scripts/test runs with RETORT_FAULT_DIR,
// RETORT_FAULT_CTL, RETORT_FAULT_POSTGRES and RETORT_FAULT_MYSQL set; without them the
// test is skipped). Goroutines run transactions that insert two rows each; the server is
// killed mid-load. Checked: work in flight fails with ErrConnectionLost (work started
// while the server is down fails to get a connection), no transaction is half
// committed, every transaction whose COMMIT succeeded is there, and the next operation
// after the restart succeeds (through Engine.Retry, which runs a transaction again after
// a connection lost before COMMIT).
func TestFaultServerCrash(t *testing.T) {
	dir, ctl := os.Getenv("RETORT_FAULT_DIR"), os.Getenv("RETORT_FAULT_CTL")
	if dir == "" || ctl == "" {
		t.Skip("RETORT_FAULT_DIR and RETORT_FAULT_CTL are not set: scripts/test sets them after starting private servers with scripts/fault-servers")
	}
	for _, srv := range []struct{ name, env string }{{"postgres", "RETORT_FAULT_POSTGRES"}, {"mariadb", "RETORT_FAULT_MYSQL"}} {
		t.Run(srv.name, func(t *testing.T) {
			url := os.Getenv(srv.env)
			if url == "" {
				t.Skipf("%s is not set", srv.env)
			}
			control := func(args ...string) {
				t.Helper()
				out, err := osexec.Command(ctl, append([]string{args[0], dir}, args[1:]...)...).CombinedOutput()
				if err != nil {
					t.Fatalf("%s %v: %v\n%s", ctl, args, err, out)
				}
			}
			faultRun(t, url, func() { control("crash", srv.name) }, func() { control("start", srv.name) })
		})
	}
}

func faultRun(t *testing.T, url string, crash, start func()) {
	ctx := t.Context()
	eng := openEngine(t, testdb.Target{Name: "fault", URL: url}, PoolSize(4))
	setup := connect(t, eng)
	_, _ = exec(ctx, setup, "DROP TABLE IF EXISTS fault_pairs")
	mustExec(t, setup, "CREATE TABLE fault_pairs (tx BIGINT NOT NULL, part INTEGER NOT NULL, PRIMARY KEY (tx, part))")
	setup.Close()

	const workers = 8
	var (
		stop      atomic.Bool
		mu        sync.Mutex
		committed []int64
		lost      int
		acquire   int
		other     []error
		wg        sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := int64(1); !stop.Load(); seq++ {
				id := int64(w+1)*1_000_000 + seq
				err := eng.Begin(ctx, func(ctx context.Context, c *Conn) error {
					for part := 1; part <= 2; part++ {
						if _, err := exec(ctx, c, "INSERT INTO fault_pairs (tx, part) VALUES (?, ?)", id, part); err != nil {
							return err
						}
					}
					return nil
				})
				mu.Lock()
				var se *StatementError
				switch {
				case err == nil:
					committed = append(committed, id)
				case errors.Is(err, ErrConnectionLost):
					lost++
				case !errors.As(err, &se) && strings.HasPrefix(err.Error(), "engine: acquire connection"):
					acquire++ // the server is down: no connection to run on
				default:
					other = append(other, err)
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	crash()
	time.Sleep(300 * time.Millisecond)
	start()
	time.Sleep(700 * time.Millisecond)
	stop.Store(true)
	wg.Wait()

	// The next operation succeeds.
	if err := eng.Retry(ctx, func(ctx context.Context, c *Conn) error {
		_, err := exec(ctx, c, "INSERT INTO fault_pairs (tx, part) VALUES (?, ?), (?, ?)", int64(-1), 1, int64(-1), 2)
		return err
	}, RetryAttempts(10), RetryBackoff(50*time.Millisecond, 500*time.Millisecond)); err != nil {
		t.Fatalf("first transaction after the restart: %v", err)
	}
	c := connect(t, eng)
	res := mustQuery(t, c, "SELECT tx, COUNT(*) FROM fault_pairs GROUP BY tx", []compile.ResultColumn{col("tx", types.BigInt()), col("n", types.BigInt())})
	present := map[int64]bool{}
	for row := range res.Rows() {
		tx, n := row.Get(0).(int64), row.Get(1).(int64)
		if n != 2 {
			t.Errorf("transaction %d is half committed: %d of 2 rows", tx, n)
		}
		present[tx] = true
	}
	for _, id := range committed {
		if !present[id] {
			t.Errorf("transaction %d committed but is missing after the restart", id)
		}
	}
	for _, err := range other {
		t.Errorf("unexpected error: %v", err)
	}
	if lost == 0 {
		t.Error("no transaction in flight failed with ErrConnectionLost")
	}
	t.Logf("%d committed (%d rows present), %d lost their connection, %d found no connection while the server was down",
		len(committed), len(present), lost, acquire)
}
