package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// wantRetryable checks that err is a statement error caused by a *RetryableError of kind k.
func wantRetryable(t *testing.T, what string, err error, k RetryKind) {
	t.Helper()
	var re *RetryableError
	if !errors.As(err, &re) || !errors.Is(err, ErrRetryable) || !IsRetryable(err) {
		t.Errorf("%s: %v, want a *RetryableError", what, err)
		return
	}
	if re.Kind != k {
		t.Errorf("%s: kind %v, want %v (%v)", what, re.Kind, k, err)
	}
	var se *StatementError
	if !errors.As(err, &se) {
		t.Errorf("%s: %T is not a *StatementError", what, err)
	}
}

// crossLocks makes two transactions lock rows 1 and 2 of table acc in opposite orders;
// the server aborts one of them as a deadlock victim. It returns the victim's error.
func crossLocks(t *testing.T, eng *Engine) error {
	t.Helper()
	ctx := t.Context()
	a, b := connect(t, eng), connect(t, eng)
	txa, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txa.Rollback(ctx)
	txb, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txb.Rollback(ctx)
	mustExec(t, a, "UPDATE acc SET bal = bal - 1 WHERE id = 1")
	mustExec(t, b, "UPDATE acc SET bal = bal - 1 WHERE id = 2")
	errA := make(chan error, 1)
	go func() {
		_, err := exec(ctx, a, "UPDATE acc SET bal = bal + 1 WHERE id = 2") // waits for b
		errA <- err
	}()
	// b then waits for a: a deadlock, which the server breaks by failing one of them.
	// Wait until a is blocked, so that the cycle closes on b's statement or a's.
	time.Sleep(200 * time.Millisecond)
	_, errB := exec(ctx, b, "UPDATE acc SET bal = bal + 1 WHERE id = 1")
	if errB != nil {
		_ = txb.Rollback(ctx) // lets a go on
		if err := <-errA; err != nil {
			t.Errorf("both transactions failed: %v / %v", err, errB)
		}
		return errB
	}
	return <-errA
}

func createAccounts(t *testing.T, c *Conn, n int, bal int64) {
	t.Helper()
	mustExec(t, c, "CREATE TABLE acc (id INTEGER PRIMARY KEY, bal BIGINT NOT NULL)")
	for i := 1; i <= n; i++ {
		mustExec(t, c, "INSERT INTO acc (id, bal) VALUES (?, ?)", int64(i), bal)
	}
}

func balances(t *testing.T, c *Conn) (sum int64, rows int64) {
	t.Helper()
	res := mustQuery(t, c, "SELECT bal FROM acc", []compile.ResultColumn{col("bal", types.BigInt())})
	for row := range res.Rows() {
		sum += row.Get(0).(int64)
		rows++
	}
	return sum, rows
}

func TestRetryableErrors(t *testing.T) {
	t.Run("sqlite busy", func(t *testing.T) {
		tg := testdb.SQLite(t)
		eng := openEngine(t, tg)
		fast := openEngine(t, testdb.Target{Name: tg.Name, URL: tg.URL + "?timeout=0.1"})
		c := connect(t, eng)
		createAccounts(t, c, 2, 10)
		tx, err := c.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, c, "UPDATE acc SET bal = 0 WHERE id = 1")
		other := connect(t, fast)
		_, err = other.Begin(t.Context())
		wantRetryable(t, "BEGIN while another connection writes", err, Busy)
		if err := tx.Rollback(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := exec(t.Context(), other, "UPDATE acc SET bal = 5 WHERE id = 2"); err != nil {
			t.Errorf("after the writer ended: %v", err)
		}
	})
	t.Run("postgresql", func(t *testing.T) {
		eng := openEngine(t, testdb.Postgres(t), PoolSize(8))
		c := connect(t, eng)
		createAccounts(t, c, 2, 10)
		wantRetryable(t, "crossed row locks", crossLocks(t, eng), Deadlock)

		// Serialization failure: two SERIALIZABLE transactions read and write the same row.
		ctx := t.Context()
		a, b := connect(t, eng), connect(t, eng)
		txa, _ := a.Begin(ctx, Isolation("SERIALIZABLE"))
		txb, _ := b.Begin(ctx, Isolation("SERIALIZABLE"))
		mustQuery(t, a, "SELECT bal FROM acc WHERE id = 1", nil)
		mustQuery(t, b, "SELECT bal FROM acc WHERE id = 1", nil)
		mustExec(t, a, "UPDATE acc SET bal = bal + 1 WHERE id = 1")
		if err := txa.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := exec(ctx, b, "UPDATE acc SET bal = bal + 1 WHERE id = 1")
		wantRetryable(t, "concurrent update under SERIALIZABLE", err, SerializationFailure)
		if err := txb.Rollback(ctx); err != nil {
			t.Errorf("Rollback after a serialization failure: %v", err)
		}
	})
	t.Run("mariadb", func(t *testing.T) {
		eng := openEngine(t, testdb.MySQL(t), PoolSize(8))
		c := connect(t, eng)
		createAccounts(t, c, 2, 10)
		wantRetryable(t, "crossed row locks", crossLocks(t, eng), Deadlock)

		// Lock wait timeout: a row held by another transaction for longer than the
		// session's innodb_lock_wait_timeout.
		ctx := t.Context()
		a, b := connect(t, eng), connect(t, eng)
		txa, _ := a.Begin(ctx)
		defer txa.Rollback(ctx)
		mustExec(t, a, "UPDATE acc SET bal = 0 WHERE id = 1")
		mustExec(t, b, "SET SESSION innodb_lock_wait_timeout = 1")
		txb, _ := b.Begin(ctx)
		_, err := exec(ctx, b, "UPDATE acc SET bal = 1 WHERE id = 1")
		wantRetryable(t, "lock wait timeout", err, LockTimeout)
		if err := txb.Rollback(ctx); err != nil {
			t.Errorf("Rollback after a lock wait timeout: %v", err)
		}
	})
}

// TestRetryConflictingGoroutines runs goroutines whose transactions conflict for real and
// checks that Engine.Retry ends with the exact totals: on PostgreSQL SERIALIZABLE
// read-then-write increments of one counter, on MariaDB transfers that lock two rows in
// opposite orders (deadlocks), on SQLite read-then-write increments with the default
// settings (BEGIN IMMEDIATE: no conflict reaches the caller, even without retries).
func TestRetryConflictingGoroutines(t *testing.T) {
	const workers, rounds = 6, 15
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg, PoolSize(workers))
		c := connect(t, eng)
		createAccounts(t, c, 2, 1000)
		ctx := t.Context()
		var retried atomic.Int64
		var mu sync.Mutex
		kinds := map[string]int{}
		attempt := func(fn func(ctx context.Context, c *Conn) error) func(ctx context.Context, c *Conn) error {
			first := true
			return func(ctx context.Context, c *Conn) error {
				if !first {
					retried.Add(1)
				}
				first = false
				err := fn(ctx, c)
				var re *RetryableError
				if errors.As(err, &re) {
					mu.Lock()
					kinds[re.Kind.String()]++
					mu.Unlock()
				}
				return err
			}
		}
		opts := []RetryOption{RetryAttempts(50), RetryBackoff(time.Millisecond, 50*time.Millisecond)}
		switch tg.Name {
		case testdb.NamePostgres:
			opts = append(opts, RetryTxOptions(Isolation("SERIALIZABLE")))
		case testdb.NameSQLite:
			opts = append(opts, RetryAttempts(1)) // no retry: BEGIN IMMEDIATE must suffice
		}
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range rounds {
					var fn func(ctx context.Context, c *Conn) error
					if tg.Name == testdb.NameMariaDB {
						// Transfer 1 between the accounts, locking them in an order that
						// depends on the worker: crossing locks.
						from, to := int64(1+(w+i)%2), int64(1+(w+i+1)%2)
						fn = func(ctx context.Context, c *Conn) error {
							if _, err := exec(ctx, c, "UPDATE acc SET bal = bal - 1 WHERE id = ?", from); err != nil {
								return err
							}
							_, err := exec(ctx, c, "UPDATE acc SET bal = bal + 1 WHERE id = ?", to)
							return err
						}
					} else {
						// Read the counter, then write it back incremented.
						fn = func(ctx context.Context, c *Conn) error {
							v, err := query(ctx, c, "SELECT bal FROM acc WHERE id = 1", []compile.ResultColumn{col("bal", types.BigInt())})
							if err != nil {
								return err
							}
							bal, err := v.ScalarOne()
							if err != nil {
								return err
							}
							_, err = exec(ctx, c, "UPDATE acc SET bal = ? WHERE id = 1", bal.(int64)+1)
							return err
						}
					}
					if err := eng.Retry(ctx, attempt(fn), opts...); err != nil {
						errs <- fmt.Errorf("worker %d round %d: %w", w, i, err)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		sum, n := balances(t, c)
		want := int64(2000)
		if tg.Name != testdb.NameMariaDB {
			want += workers * rounds
		}
		if sum != want || n != 2 {
			t.Errorf("total %d over %d rows, want %d over 2", sum, n, want)
		}
		t.Logf("%s: %d retries, conflicts by kind %v", tg.Name, retried.Load(), kinds)
	})
}

func TestRetryPolicy(t *testing.T) {
	ctx := t.Context()
	conflict := &StatementError{SQL: "UPDATE", Err: &RetryableError{Kind: Deadlock, Err: errors.New("deadlock")}}
	calls := 0
	err := Retry(ctx, func(context.Context) error { calls++; return conflict }, RetryAttempts(3), RetryBackoff(0, 0))
	if calls != 3 || !errors.Is(err, ErrRetryable) || !errors.Is(err, conflict) {
		t.Errorf("exhausted: %d calls, %v", calls, err)
	}
	calls = 0
	plain := errors.New("not retryable")
	if err := Retry(ctx, func(context.Context) error { calls++; return plain }); err != plain || calls != 1 {
		t.Errorf("not retryable: %d calls, %v", calls, err)
	}
	calls = 0
	if err := Retry(ctx, func(context.Context) error {
		calls++
		if calls < 3 {
			return conflict
		}
		return nil
	}, RetryBackoff(time.Microsecond, time.Microsecond)); err != nil || calls != 3 {
		t.Errorf("succeeds on the third attempt: %d calls, %v", calls, err)
	}
	// ctx ending during a backoff stops the retries with ctx's error and the last one.
	cctx, cancel := context.WithCancel(ctx)
	calls = 0
	err = Retry(cctx, func(context.Context) error {
		calls++
		cancel()
		return conflict
	}, RetryBackoff(time.Hour, time.Hour))
	if calls != 1 || !errors.Is(err, context.Canceled) || !errors.Is(err, ErrRetryable) {
		t.Errorf("cancelled: %d calls, %v", calls, err)
	}
	// A connection lost on COMMIT is not retried: the commit may have happened.
	lost := &ConnectionLostError{Err: errors.New("EOF")}
	if IsRetryable(&StatementError{SQL: "COMMIT", Err: lost}) || !IsRetryable(&StatementError{SQL: "INSERT", Err: lost}) {
		t.Error("IsRetryable of connection-lost errors")
	}
	p := newRetryPolicy([]RetryOption{RetryBackoff(10*time.Millisecond, 40*time.Millisecond)})
	for k := 1; k < 40; k++ {
		if d := p.delay(k); d < 0 || d > 40*time.Millisecond {
			t.Fatalf("delay(%d) = %v outside [0, 40ms]", k, d)
		}
	}
}
