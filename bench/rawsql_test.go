package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// rawDB is hand-written database/sql code: pgx's stdlib driver on PostgreSQL,
// go-sql-driver/mysql on MariaDB, modernc.org/sqlite on SQLite.
type rawDB struct {
	db        *sql.DB
	ph        func(i int) string // placeholder of the i-th parameter (from 1)
	returning bool               // INSERT ... RETURNING id, else LastInsertId
	counter   *StatementCounter  // counts the pool's statements, or nil
}

func questionMark(int) string { return "?" }

func dollar(i int) string { return "$" + strconv.Itoa(i) }

// checkRows reports a result of the wrong size.
func checkRows(got, want int) error {
	if got != want {
		return fmt.Errorf("%d rows, want %d", got, want)
	}
	return nil
}

// insertSQL is a multi-row INSERT of n items (name, value), with RETURNING id when the
// database has it.
func (r rawDB) insertSQL(n int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO item (name, value) VALUES ")
	for k := 0; k < n; k++ {
		if k > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(" + r.ph(2*k+1) + ", " + r.ph(2*k+2) + ")")
	}
	if r.returning {
		sb.WriteString(" RETURNING id")
	}
	return sb.String()
}

func (r rawDB) insert(b *testing.B) {
	ctx := context.Background()
	q := r.insertSQL(1)
	loop(b, r.counter, func(i int) error {
		it := &Item{Name: "new", Value: int64(i)}
		if r.returning {
			return r.db.QueryRowContext(ctx, q, it.Name, it.Value).Scan(&it.ID)
		}
		res, err := r.db.ExecContext(ctx, q, it.Name, it.Value)
		if err != nil {
			return err
		}
		it.ID, err = res.LastInsertId()
		return err
	})
}

func (r rawDB) insertMulti(b *testing.B) {
	ctx := context.Background()
	q := r.insertSQL(SliceRows)
	loop(b, r.counter, func(int) error {
		items := make([]*Item, SliceRows)
		args := make([]any, 0, 2*SliceRows)
		for k := range items {
			items[k] = &Item{Name: "new", Value: int64(k)}
			args = append(args, items[k].Name, items[k].Value)
		}
		if !r.returning {
			// MariaDB gives a multi-row INSERT consecutive keys from the first one.
			res, err := r.db.ExecContext(ctx, q, args...)
			if err != nil {
				return err
			}
			first, err := res.LastInsertId()
			for k, it := range items {
				it.ID = first + int64(k)
			}
			return err
		}
		rows, err := r.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
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
		return checkRows(k, SliceRows)
	})
}

func (r rawDB) update(b *testing.B) {
	ctx := context.Background()
	q := "UPDATE item SET value = " + r.ph(1) + " WHERE id = " + r.ph(2)
	loop(b, r.counter, func(i int) error {
		res, err := r.db.ExecContext(ctx, q, int64(i), int64(2))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n != 1 {
			err = fmt.Errorf("update: %d rows affected", n)
		}
		return err
	})
}

func (r rawDB) read(b *testing.B) {
	ctx := context.Background()
	q := "SELECT id, name, value FROM item WHERE id = " + r.ph(1)
	loop(b, r.counter, func(i int) error {
		it := new(Item)
		return r.db.QueryRowContext(ctx, q, int64(1+i%SeedItems)).Scan(&it.ID, &it.Name, &it.Value)
	})
}

func (r rawDB) readSlice(b *testing.B) {
	ctx := context.Background()
	q := "SELECT id, name, value FROM item WHERE id > " + r.ph(1) + " LIMIT " + strconv.Itoa(SliceRows)
	loop(b, r.counter, func(i int) error {
		rows, err := r.db.QueryContext(ctx, q, int64(i%(SeedItems-SliceRows)))
		if err != nil {
			return err
		}
		defer rows.Close()
		return scanItems(rows, SliceRows)
	})
}

// eager reads the parents, then their children with one = ANY($1) query (PostgreSQL).
func (r rawDB) eager(b *testing.B) {
	ctx := context.Background()
	loop(b, r.counter, func(int) error {
		rows, err := r.db.QueryContext(ctx, "SELECT id, name FROM parent")
		if err != nil {
			return err
		}
		parents, byID, ids, err := scanParents(rows)
		rows.Close()
		if err != nil {
			return err
		}
		crows, err := r.db.QueryContext(ctx, "SELECT id, parent_id, name FROM child WHERE parent_id = ANY($1)", ids)
		if err != nil {
			return err
		}
		defer crows.Close()
		return attachChildren(crows, parents, byID)
	})
}
