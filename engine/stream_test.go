package engine

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"log/slog"
	"runtime"
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

// streamRaw streams a raw query with typed result columns.
func streamRaw(ctx context.Context, c *Conn, sql string, cols []compile.ResultColumn, args ...any) iter.Seq2[Row, error] {
	return func(yield func(Row, error) bool) {
		if err := c.enter(); err != nil {
			yield(Row{}, err)
			return
		}
		defer c.leave()
		c.stream(ctx, &compile.Compiled{SQL: sqlf(c.eng, sql), Args: args, ArgTypes: make([]types.Type, len(args)),
			Columns: cols, Returns: true}, yield)
	}
}

// createBig creates table big(id, name) with n = 10^digits rows, ids 1..n.
func createBig(t testing.TB, c *Conn, digits int) {
	t.Helper()
	mustExec(t, c, "CREATE TABLE digits (d INTEGER NOT NULL)")
	mustExec(t, c, "INSERT INTO digits (d) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)")
	mustExec(t, c, "CREATE TABLE big (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL)")
	expr, from := "1", ""
	mul := "1"
	for i := 0; i < digits; i++ {
		a := "d" + string(rune('a'+i))
		expr += " + " + mul + "*" + a + ".d"
		if from != "" {
			from += ", "
		}
		from += "digits " + a
		mul += "0"
	}
	mustExec(t, c, "INSERT INTO big (id, name) SELECT "+expr+", 'payload' FROM "+from)
}

var bigCols = []compile.ResultColumn{col("id", types.Integer()), col("name", types.String(20))}

func TestStream(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		var logs bytes.Buffer
		eng := openEngine(t, tg, Echo(true), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		c := connect(t, eng)
		ctx := t.Context()
		createBig(t, c, 5)
		const n = 100000
		logs.Reset()

		// The whole table, in order.
		var got, want int64
		for row, err := range streamRaw(ctx, c, "SELECT id, name FROM big ORDER BY id", bigCols) {
			if err != nil {
				t.Fatalf("stream: %v", err)
			}
			want++
			if id := row.Get(0).(int64); id != want || row.Get(1) != "payload" {
				t.Fatalf("row %d = %v", want, row.Values())
			}
			got++
		}
		if got != n {
			t.Fatalf("streamed %d rows, want %d", got, n)
		}
		// PostgreSQL reads through a server-side cursor in its own transaction, others
		// through the driver's rows.
		cursor := eng.Dialect().Features().Has(compile.ServerSideCursors)
		if has := strings.Contains(logs.String(), "DECLARE retort_cursor_1 NO SCROLL CURSOR FOR SELECT id, name FROM big ORDER BY id"); has != cursor {
			t.Errorf("log mentions DECLARE: %v, want %v:\n%.2000s", has, cursor, logs.String())
		}
		if cursor && strings.Count(logs.String(), "FETCH FORWARD 1000 FROM retort_cursor_1") != n/1000+1 {
			t.Errorf("expected %d FETCHes", n/1000+1)
		}
		if c.InTransaction() {
			t.Errorf("stream left a transaction open")
		}

		// Breaking out early closes everything; the Conn is usable right after.
		got = 0
		for row, err := range streamRaw(ctx, c, "SELECT id, name FROM big WHERE id > ? ORDER BY id", bigCols, int64(500)) {
			if err != nil {
				t.Fatal(err)
			}
			if got == 0 && row.Get(0) != int64(501) {
				t.Errorf("first row %v, want id 501", row.Values())
			}
			// The Conn is busy while the stream is open.
			if _, err := query(ctx, c, "SELECT 1", nil); !errors.Is(err, ErrBusy) {
				t.Errorf("query during stream: %v, want ErrBusy", err)
			}
			if err := c.Close(); !errors.Is(err, ErrBusy) {
				t.Errorf("Close during stream: %v, want ErrBusy", err)
			}
			got++
			if got == 10 {
				break
			}
		}
		if got != 10 {
			t.Errorf("got %d rows before break", got)
		}
		if cnt := count(t, c, "big"); cnt != n {
			t.Errorf("count after break = %d", cnt)
		}
		if c.InTransaction() || eng.Stats().InUse != 1 {
			t.Errorf("after break: InTransaction %v, InUse %d", c.InTransaction(), eng.Stats().InUse)
		}

		// Inside a transaction the stream sees its uncommitted changes, and the transaction
		// stays open afterwards.
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustExec(t, c, "DELETE FROM big WHERE id > ?", int64(1500))
		got = 0
		for _, err := range streamRaw(ctx, c, "SELECT id, name FROM big", bigCols) {
			if err != nil {
				t.Fatal(err)
			}
			got++
		}
		if got != 1500 {
			t.Errorf("streamed %d rows inside the transaction, want 1500", got)
		}
		if !tx.IsActive() || !c.InTransaction() {
			t.Errorf("transaction ended by the stream")
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if cnt := count(t, c, "big"); cnt != n {
			t.Errorf("count after rollback = %d", cnt)
		}

		// A failing statement yields its error once, then the Conn works.
		var errs []error
		for _, err := range streamRaw(ctx, c, "SELECT nope FROM big", bigCols[:1]) {
			errs = append(errs, err)
		}
		var se *StatementError
		if len(errs) != 1 || !errors.As(errs[0], &se) || !strings.Contains(se.SQL, "SELECT nope FROM big") {
			t.Errorf("stream of bad SQL yielded %v", errs)
		}
		if cnt := count(t, c, "big"); cnt != n {
			t.Errorf("count after failed stream = %d", cnt)
		}
		if c.InTransaction() {
			t.Errorf("failed stream left a transaction open")
		}
	})
}

// TestStreamConstantMemory streams a million rows on PostgreSQL and checks that the live
// heap stays bounded (a buffered read would hold well over 100 MB).
func TestStreamConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("1M rows")
	}
	tg := testdb.Postgres(t)
	eng := openEngine(t, tg)
	c := connect(t, eng)
	ctx := t.Context()
	cols := []compile.ResultColumn{col("g", types.Integer()), col("pad", types.Text())}

	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	var n int64
	for row, err := range streamRaw(ctx, c, "SELECT g, repeat('x', 100) FROM generate_series(1, 1000000) AS g", cols) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if row.Get(0) != n {
			t.Fatalf("row %d = %v", n, row.Get(0))
		}
		if n%100000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if n != 1000000 {
		t.Fatalf("streamed %d rows", n)
	}
	growth := int64(peak) - int64(base)
	t.Logf("live heap: base %d KiB, peak %d KiB over 1M rows", base/1024, peak/1024)
	if growth > 16<<20 {
		t.Errorf("live heap grew by %d MiB while streaming, want < 16 MiB", growth>>20)
	}
}

// TestStreamCancelledWhileLooping: a context cancelled while the caller's loop runs ends
// the stream with the context's error, also when every row was already read (the
// connection, and any transaction on it, is lost: that must not pass unnoticed).
func TestStreamCancelledWhileLooping(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg)
		c := connect(t, eng)
		createBig(t, c, 1) // 10 rows: one FETCH on PostgreSQL, one read elsewhere
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		rows, errs := 0, []error{}
		for _, err := range streamRaw(ctx, c, "SELECT id, name FROM big ORDER BY id", bigCols) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			rows++
			if rows == 1 {
				cancel()
			}
		}
		if len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
			t.Fatalf("after %d rows the stream ended with errors %v, want one wrapping context.Canceled", rows, errs)
		}
		// The Conn recovers with a fresh connection outside a transaction.
		var n int64
		for row, err := range streamRaw(t.Context(), c, "SELECT count(*) FROM big", []compile.ResultColumn{col("n", types.BigInt())}) {
			if err != nil {
				t.Fatal(err)
			}
			if err := row.Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		if n != 10 {
			t.Fatalf("count after the cancelled stream = %d, want 10", n)
		}
	})
}
