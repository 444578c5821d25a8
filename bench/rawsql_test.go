package bench

import (
	"context"
	"database/sql"
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
}

func questionMark(int) string { return "?" }

func dollar(i int) string { return "$" + strconv.Itoa(i) }

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
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		it := &Item{Name: "new", Value: int64(i)}
		if r.returning {
			if err := r.db.QueryRowContext(ctx, q, it.Name, it.Value).Scan(&it.ID); err != nil {
				b.Fatal(err)
			}
			continue
		}
		res, err := r.db.ExecContext(ctx, q, it.Name, it.Value)
		if err != nil {
			b.Fatal(err)
		}
		if it.ID, err = res.LastInsertId(); err != nil {
			b.Fatal(err)
		}
	}
}

func (r rawDB) insertMulti(b *testing.B) {
	ctx := context.Background()
	q := r.insertSQL(SliceRows)
	b.ReportAllocs()
	for b.Loop() {
		items := make([]*Item, SliceRows)
		args := make([]any, 0, 2*SliceRows)
		for k := range items {
			items[k] = &Item{Name: "new", Value: int64(k)}
			args = append(args, items[k].Name, items[k].Value)
		}
		if !r.returning {
			res, err := r.db.ExecContext(ctx, q, args...)
			if err != nil {
				b.Fatal(err)
			}
			first, err := res.LastInsertId()
			if err != nil {
				b.Fatal(err)
			}
			for k, it := range items {
				it.ID = first + int64(k)
			}
			continue
		}
		rows, err := r.db.QueryContext(ctx, q, args...)
		if err != nil {
			b.Fatal(err)
		}
		k := 0
		for rows.Next() {
			if err := rows.Scan(&items[k].ID); err != nil {
				b.Fatal(err)
			}
			k++
		}
		if err := rows.Err(); err != nil || k != SliceRows {
			b.Fatal(err, k)
		}
		rows.Close()
	}
}

func (r rawDB) update(b *testing.B) {
	ctx := context.Background()
	q := "UPDATE item SET value = " + r.ph(1) + " WHERE id = " + r.ph(2)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		res, err := r.db.ExecContext(ctx, q, int64(i), int64(2))
		if err != nil {
			b.Fatal(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			b.Fatal(err, n)
		}
	}
}

func (r rawDB) read(b *testing.B) {
	ctx := context.Background()
	q := "SELECT id, name, value FROM item WHERE id = " + r.ph(1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		it := new(Item)
		if err := r.db.QueryRowContext(ctx, q, int64(1+i%SeedItems)).Scan(&it.ID, &it.Name, &it.Value); err != nil {
			b.Fatal(err)
		}
	}
}

func (r rawDB) readSlice(b *testing.B) {
	ctx := context.Background()
	q := "SELECT id, name, value FROM item WHERE id > " + r.ph(1) + " LIMIT " + strconv.Itoa(SliceRows)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rows, err := r.db.QueryContext(ctx, q, int64(i%(SeedItems-SliceRows)))
		if err != nil {
			b.Fatal(err)
		}
		items := make([]*Item, 0, SliceRows)
		for rows.Next() {
			it := new(Item)
			if err := rows.Scan(&it.ID, &it.Name, &it.Value); err != nil {
				b.Fatal(err)
			}
			items = append(items, it)
		}
		if err := rows.Err(); err != nil || len(items) != SliceRows {
			b.Fatal(err, len(items))
		}
		rows.Close()
	}
}
