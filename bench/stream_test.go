package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/retortdb/retort/orm"
)

// seedStream fills big_row with StreamRows rows (once per process).
func (e *pgEnv) seedStream(b *testing.B) int {
	if e.streamed > 0 {
		return e.streamed
	}
	n, err := StreamRows()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	_, err = e.pool.Exec(ctx, fmt.Sprintf("INSERT INTO big_row (id, name, value) SELECT g, 'row ' || g, g FROM generate_series(1, %d) AS g", n))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, "ANALYZE big_row"); err != nil {
		b.Fatal(err)
	}
	e.streamed = n
	return n
}

// measureStream runs op (which returns the rows it read) under the timer and reports
// the peak heap and peak RSS of the process in MB, the highest over the iterations.
func measureStream(b *testing.B, want int, op func() (int, error)) {
	var heap, rss uint64
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		m := StartMemoryPeak()
		b.StartTimer()
		n, err := op()
		b.StopTimer()
		h, r := m.Stop()
		b.StartTimer()
		if err != nil || n != want {
			b.Fatal(err, n, want)
		}
		heap, rss = max(heap, h), max(rss, r)
	}
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
}

func (e *pgEnv) retortStream(b *testing.B) {
	want := e.seedStream(b)
	ctx := context.Background()
	measureStream(b, want, func() (int, error) {
		s := e.main.sm.New()
		defer s.Close()
		n := 0
		var sum int64
		for r, err := range orm.Stream(ctx, s, orm.Select(BigRowT)) {
			if err != nil {
				return n, err
			}
			sum += r.Value
			n++
		}
		return n, nil
	})
}

func (e *pgEnv) pgxStream(b *testing.B) {
	want := e.seedStream(b)
	ctx := context.Background()
	measureStream(b, want, func() (int, error) {
		rows, err := e.pool.Query(ctx, "SELECT id, name, value FROM big_row")
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		return scanBigRows(rows)
	})
}

func (e *pgEnv) stdlibStream(b *testing.B) {
	want := e.seedStream(b)
	ctx := context.Background()
	measureStream(b, want, func() (int, error) {
		rows, err := e.std.QueryContext(ctx, "SELECT id, name, value FROM big_row")
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		return scanBigRows(rows)
	})
}
