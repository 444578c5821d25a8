package bench

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
)

// checkEager verifies that an Eager op loaded every parent with all of its children.
func checkEager(parents int, children iter.Seq[int]) error {
	if parents != EagerParents {
		return fmt.Errorf("eager: %d parents loaded, want %d", parents, EagerParents)
	}
	for n := range children {
		if n != ChildrenPer {
			return fmt.Errorf("eager: a parent has %d children loaded, want %d", n, ChildrenPer)
		}
	}
	return nil
}

// The raw pgx cases: what a pgx user writes, autocommit statements on a pgxpool.

func (e *pgEnv) pgxInsert(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(i int) error {
		it := &Item{Name: "new", Value: int64(i)}
		return e.pool.QueryRow(ctx, "INSERT INTO item (name, value) VALUES ($1, $2) RETURNING id", it.Name, it.Value).Scan(&it.ID)
	})
}

// scanIDs reads the keys RETURNING sends back into items, in order.
func scanIDs(rows pgx.Rows, items []*Item) error {
	defer rows.Close()
	k := 0
	for ; rows.Next(); k++ {
		if err := rows.Scan(&items[k].ID); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return checkRows(k, len(items))
}

func (e *pgEnv) pgxInsertMulti(b *testing.B) {
	ctx := context.Background()
	q := rawDB{ph: dollar, returning: true}.insertSQL(SliceRows)
	loop(b, e.pgCounter, func(int) error {
		items := make([]*Item, SliceRows)
		args := make([]any, 0, 2*SliceRows)
		for k := range items {
			items[k] = &Item{Name: "new", Value: int64(k)}
			args = append(args, items[k].Name, items[k].Value)
		}
		rows, err := e.pool.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		return scanIDs(rows, items)
	})
}

func (e *pgEnv) pgxUpdate(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(i int) error {
		tag, err := e.pool.Exec(ctx, "UPDATE item SET value = $1 WHERE id = $2", int64(i), int64(4))
		if err == nil && tag.RowsAffected() != 1 {
			err = fmt.Errorf("update: %d rows affected", tag.RowsAffected())
		}
		return err
	})
}

func (e *pgEnv) pgxRead(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(i int) error {
		it := new(Item)
		return e.pool.QueryRow(ctx, "SELECT id, name, value FROM item WHERE id = $1", int64(1+i%SeedItems)).Scan(&it.ID, &it.Name, &it.Value)
	})
}

func (e *pgEnv) pgxReadSlice(b *testing.B) {
	ctx := context.Background()
	q := "SELECT id, name, value FROM item WHERE id > $1 LIMIT " + strconv.Itoa(SliceRows)
	loop(b, e.pgCounter, func(i int) error {
		rows, err := e.pool.Query(ctx, q, int64(i%(SeedItems-SliceRows)))
		if err != nil {
			return err
		}
		defer rows.Close()
		return scanItems(rows, SliceRows)
	})
}

// pgxEager reads the parents, then their children with one = ANY($1) query.
func (e *pgEnv) pgxEager(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(int) error {
		rows, err := e.pool.Query(ctx, "SELECT id, name FROM parent")
		if err != nil {
			return err
		}
		parents, byID, ids, err := scanParents(rows)
		rows.Close()
		if err != nil {
			return err
		}
		rows, err = e.pool.Query(ctx, "SELECT id, parent_id, name FROM child WHERE parent_id = ANY($1)", ids)
		if err != nil {
			return err
		}
		defer rows.Close()
		return attachChildren(rows, parents, byID)
	})
}

// pgxCopy inserts FlushObjects items with COPY (no keys come back).
func (e *pgEnv) pgxCopy(b *testing.B) {
	ctx := context.Background()
	loop(b, e.pgCounter, func(int) error {
		items := make([]*Item, FlushObjects)
		for k := range items {
			items[k] = &Item{Name: "new", Value: int64(k)}
		}
		n, err := e.pool.CopyFrom(ctx, pgx.Identifier{"item"}, []string{"name", "value"},
			pgx.CopyFromSlice(len(items), func(i int) ([]any, error) { return []any{items[i].Name, items[i].Value}, nil }))
		if err == nil && n != FlushObjects {
			err = fmt.Errorf("copy: %d rows", n)
		}
		return err
	})
}

// pgxBatch inserts FlushObjects items in one transaction as a pgx batch of multi-row
// INSERT ... RETURNING id statements of 1000 rows, reading the keys back.
func (e *pgEnv) pgxBatch(b *testing.B) {
	ctx := context.Background()
	const chunk = 1000
	q := rawDB{ph: dollar, returning: true}.insertSQL(chunk)
	loop(b, e.pgCounter, func(int) error {
		items := make([]*Item, FlushObjects)
		for k := range items {
			items[k] = &Item{Name: "new", Value: int64(k)}
		}
		return pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			batch := &pgx.Batch{}
			for lo := 0; lo < len(items); lo += chunk {
				part := items[lo:min(lo+chunk, len(items))]
				args := make([]any, 0, 2*len(part))
				for _, it := range part {
					args = append(args, it.Name, it.Value)
				}
				batch.Queue(q, args...).Query(func(rows pgx.Rows) error { return scanIDs(rows, part) })
			}
			return tx.SendBatch(ctx, batch).Close()
		})
	})
}
