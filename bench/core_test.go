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
	e.loop(b, func(ss *sessions) (func(int) error, func(), error) {
		return func(i int) error {
			lo := int64(i % (SeedItems - 100))
			stmt := expr.Select(id, name, value).
				Where(id.Gt(lo), value.Lt(lo+100), name.Ne("nobody")).
				Limit(coreRows)
			conn, err := ss.eng.Connect(ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			res, err := conn.Execute(ctx, stmt)
			if err != nil {
				return err
			}
			items := make([]*Item, 0, coreRows)
			for row := range res.Rows() {
				it := new(Item)
				if err := row.Scan(&it.ID, &it.Name, &it.Value); err != nil {
					return err
				}
				items = append(items, it)
			}
			return checkRows(len(items), coreRows)
		}, nil, nil
	})
}

func (e *pgEnv) pgxCore(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(i int) error {
		lo := int64(i % (SeedItems - 100))
		rows, err := e.pool.Query(ctx, "SELECT id, name, value FROM item WHERE id > $1 AND value < $2 AND name <> $3 LIMIT 10",
			lo, lo+100, "nobody")
		if err != nil {
			return err
		}
		defer rows.Close()
		return scanItems(rows, coreRows)
	})
}
