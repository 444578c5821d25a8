package bench

import (
	"context"
	"testing"

	"github.com/retortdb/retort/expr"
)

// The Core case: a 3-predicate select built, compiled (the statement cache finds its
// shape) and executed each op, its rows scanned into structs.

const coreRows = 10

func (e *pgEnv) retortCore(b *testing.B) {
	ctx := context.Background()
	t := ItemT.Core()
	id, name, value := t.C("id"), t.C("name"), t.C("value")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		lo := int64(i % (SeedItems - 100))
		stmt := expr.Select(id, name, value).
			Where(id.Gt(lo), value.Lt(lo+100), name.Ne("nobody")).
			Limit(coreRows)
		conn, err := e.eng.Connect(ctx)
		if err != nil {
			b.Fatal(err)
		}
		res, err := conn.Execute(ctx, stmt)
		if err != nil {
			b.Fatal(err)
		}
		items := make([]Item, 0, coreRows)
		for row := range res.Rows() {
			var it Item
			if err := row.Scan(&it.ID, &it.Name, &it.Value); err != nil {
				b.Fatal(err)
			}
			items = append(items, it)
		}
		conn.Close()
		if len(items) != coreRows {
			b.Fatalf("core: %d rows, want %d", len(items), coreRows)
		}
	}
}

func (e *pgEnv) pgxCore(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		lo := int64(i % (SeedItems - 100))
		rows, err := e.pool.Query(ctx, "SELECT id, name, value FROM item WHERE id > $1 AND value < $2 AND name <> $3 LIMIT 10",
			lo, lo+100, "nobody")
		if err != nil {
			b.Fatal(err)
		}
		items := make([]Item, 0, coreRows)
		for rows.Next() {
			var it Item
			if err := rows.Scan(&it.ID, &it.Name, &it.Value); err != nil {
				b.Fatal(err)
			}
			items = append(items, it)
		}
		if err := rows.Err(); err != nil || len(items) != coreRows {
			b.Fatal(err, len(items))
		}
	}
}
