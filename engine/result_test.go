package engine

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/types"
)

func TestResultAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg)
		c := connect(t, eng)
		createItems(t, c, 7)

		all := mustQuery(t, c, "SELECT id, name, score FROM items ORDER BY id", itemCols)
		if got, want := all.Columns(), []string{"id", "name", "score"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Columns() = %v, want %v", got, want)
		}
		if !reflect.DeepEqual(all.Keys(), all.Columns()) {
			t.Errorf("Keys() = %v", all.Keys())
		}
		if all.Len() != 7 || len(all.All()) != 7 || all.RowsAffected() != 7 {
			t.Fatalf("Len %d, All %d, RowsAffected %d; want 7", all.Len(), len(all.All()), all.RowsAffected())
		}
		// Canonical values: int64, string, and nil for NULL.
		if got, want := all.All()[4].Values(), []any{int64(5), "item5", nil}; !reflect.DeepEqual(got, want) {
			t.Errorf("row 5 = %#v, want %#v", got, want)
		}
		if got, want := all.All()[1].Values(), []any{int64(2), "item2", int64(20)}; !reflect.DeepEqual(got, want) {
			t.Errorf("row 2 = %#v, want %#v", got, want)
		}

		first, err := all.First()
		if err != nil || first.Get(0) != int64(1) {
			t.Errorf("First() = %v, %v", first.Values(), err)
		}
		if _, err := all.One(); !errors.Is(err, ErrMultipleResults) {
			t.Errorf("One() on 7 rows: err = %v, want ErrMultipleResults", err)
		}
		if _, _, err := all.OneOrNone(); !errors.Is(err, ErrMultipleResults) {
			t.Errorf("OneOrNone() on 7 rows: err = %v, want ErrMultipleResults", err)
		}
		if v, err := all.Scalar(); err != nil || v != int64(1) {
			t.Errorf("Scalar() = %v, %v; want 1", v, err)
		}
		if _, err := all.ScalarOne(); !errors.Is(err, ErrMultipleResults) {
			t.Errorf("ScalarOne() err = %v", err)
		}
		if got := all.Scalars().All(); !reflect.DeepEqual(got, []any{int64(1), int64(2), int64(3), int64(4), int64(5), int64(6), int64(7)}) {
			t.Errorf("Scalars().All() = %v", got)
		}

		// Partitions of 3: 3, 3, 1.
		var sizes []int
		var ids []any
		for part := range all.Partitions(3) {
			sizes = append(sizes, len(part))
			for _, r := range part {
				ids = append(ids, r.Get(0))
			}
		}
		if !reflect.DeepEqual(sizes, []int{3, 3, 1}) || len(ids) != 7 || ids[6] != int64(7) {
			t.Errorf("Partitions(3): sizes %v ids %v", sizes, ids)
		}
		n := 0
		for range all.Partitions(0) {
			n++
		}
		if n != 1 {
			t.Errorf("Partitions(0) gave %d partitions, want 1", n)
		}
		// The iterator stops when the loop breaks.
		n = 0
		for r := range all.Rows() {
			n++
			if r.Get(0) == int64(3) {
				break
			}
		}
		if n != 3 {
			t.Errorf("Rows() ran %d times before break, want 3", n)
		}

		maps := all.Mappings()
		if len(maps) != 7 || !reflect.DeepEqual(maps[4], map[string]any{"id": int64(5), "name": "item5", "score": nil}) {
			t.Errorf("Mappings()[4] = %v", maps[4])
		}

		// One row.
		one := mustQuery(t, c, "SELECT id, name, score FROM items WHERE id = ?", itemCols, int64(3))
		row, err := one.One()
		if err != nil {
			t.Fatalf("One(): %v", err)
		}
		if v, ok := row.ByName("name"); !ok || v != "item3" {
			t.Errorf(`ByName("name") = %v, %v`, v, ok)
		}
		if _, ok := row.ByName("nope"); ok {
			t.Errorf(`ByName("nope") found a column`)
		}
		if row.Get(7) != nil || row.Get(-1) != nil || row.Len() != 3 {
			t.Errorf("Get out of range / Len wrong")
		}
		if r, ok, err := one.OneOrNone(); !ok || err != nil || r.Get(0) != int64(3) {
			t.Errorf("OneOrNone() = %v, %v, %v", r.Values(), ok, err)
		}
		if v, err := one.ScalarOne(); err != nil || v != int64(3) {
			t.Errorf("ScalarOne() = %v, %v", v, err)
		}
		if v, ok, err := one.ScalarOneOrNone(); err != nil || !ok || v != int64(3) {
			t.Errorf("ScalarOneOrNone() = %v, %v, %v", v, ok, err)
		}
		if v, err := one.Scalars().One(); err != nil || v != int64(3) {
			t.Errorf("Scalars().One() = %v, %v", v, err)
		}

		// A NULL scalar is a nil value, told apart from "no row" by ok.
		null := mustQuery(t, c, "SELECT score FROM items WHERE id = ?", itemCols[2:], int64(5))
		if v, ok, err := null.ScalarOneOrNone(); err != nil || !ok || v != nil {
			t.Errorf("NULL ScalarOneOrNone() = %v, %v, %v; want nil, true, nil", v, ok, err)
		}

		// No rows.
		none := mustQuery(t, c, "SELECT id, name, score FROM items WHERE id = ?", itemCols, int64(99))
		if none.Len() != 0 || len(none.Columns()) != 3 {
			t.Errorf("empty result: Len %d, Columns %v", none.Len(), none.Columns())
		}
		if _, err := none.First(); !errors.Is(err, ErrNoResult) {
			t.Errorf("First() on none: %v", err)
		}
		if _, err := none.One(); !errors.Is(err, ErrNoResult) || err.Error() != "engine: no row was found" {
			t.Errorf("One() on none: %v", err)
		}
		if _, ok, err := none.OneOrNone(); ok || err != nil {
			t.Errorf("OneOrNone() on none = %v, %v", ok, err)
		}
		if _, err := none.Scalar(); !errors.Is(err, ErrNoResult) {
			t.Errorf("Scalar() on none: %v", err)
		}
		if _, err := none.ScalarOne(); !errors.Is(err, ErrNoResult) {
			t.Errorf("ScalarOne() on none: %v", err)
		}
		if _, ok, err := none.ScalarOneOrNone(); ok || err != nil {
			t.Errorf("ScalarOneOrNone() on none: %v %v", ok, err)
		}
		s := none.Scalars()
		if _, err := s.First(); !errors.Is(err, ErrNoResult) {
			t.Errorf("Scalars().First() on none: %v", err)
		}
		if _, err := s.One(); !errors.Is(err, ErrNoResult) {
			t.Errorf("Scalars().One() on none: %v", err)
		}
		if _, ok, err := s.OneOrNone(); ok || err != nil {
			t.Errorf("Scalars().OneOrNone() on none: %v %v", ok, err)
		}

		// Rows affected by DML.
		if n := mustExec(t, c, "UPDATE items SET score = 0 WHERE id <= ?", int64(3)); n != 3 {
			t.Errorf("UPDATE affected %d rows, want 3", n)
		}
		if n := mustExec(t, c, "DELETE FROM items WHERE id = ?", int64(7)); n != 1 {
			t.Errorf("DELETE affected %d rows, want 1", n)
		}
		if got := count(t, c, "items"); got != 6 {
			t.Errorf("count = %d, want 6", got)
		}

		// Scan into typed destinations.
		var id int
		var name string
		var score *int64
		row, _ = mustQuery(t, c, "SELECT id, name, score FROM items WHERE id = ?", itemCols, int64(5)).One()
		if err := row.Scan(&id, &name, &score); err != nil || id != 5 || name != "item5" || score != nil {
			t.Errorf("Scan = %v %q %v, %v", id, name, score, err)
		}
		var nscore types.Null[int32]
		row, _ = mustQuery(t, c, "SELECT id, name, score FROM items WHERE id = ?", itemCols, int64(4)).One()
		if err := row.Scan(&id, &name, &nscore); err != nil || nscore != types.NullOf[int32](40) {
			t.Errorf("Scan into Null[int32] = %v, %v", nscore, err)
		}
		var wrong int64
		err = row.Scan(&id, &wrong, &nscore)
		var se *ScanError
		if !errors.As(err, &se) || se.Column != "name" || se.Src != "string" || se.Dest != "*int64" {
			t.Errorf("Scan(string into *int64) = %v, want a ScanError naming name/string/*int64", err)
		} else if want := `engine: scan column 1 "name": cannot assign string to *int64: "item4" is not an integer`; err.Error() != want {
			t.Errorf("message %q, want %q", err.Error(), want)
		}
		if err := row.Scan(&id); err == nil || err.Error() != "engine: Scan got 1 destinations for 3 columns" {
			t.Errorf("Scan with 1 destination: %v", err)
		}
	})
}

func TestStatementErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		eng := openEngine(t, tg)
		c := connect(t, eng)
		createItems(t, c, 2)

		_, err := exec(t.Context(), c, "SELEKT nonsense")
		var se *StatementError
		if !errors.As(err, &se) || se.SQL != "SELEKT nonsense" {
			t.Fatalf("bad SQL: err = %v, want a StatementError with the SQL", err)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "engine: ") || !strings.HasSuffix(msg, " [SQL: SELEKT nonsense]") {
			t.Errorf("message %q", msg)
		}
		if errors.Is(err, ErrIntegrity) {
			t.Errorf("syntax error classified as integrity error")
		}

		// A unique violation is an IntegrityError through the StatementError.
		_, err = exec(t.Context(), c, "INSERT INTO items (id, name) VALUES (?, ?)", int64(10), "item1")
		var ie *IntegrityError
		if !errors.Is(err, ErrIntegrity) || !errors.As(err, &ie) || ie.Kind != UniqueViolation {
			t.Fatalf("duplicate name: err = %v, want a unique IntegrityError", err)
		}
		if !errors.As(err, &se) || se.SQL == "" {
			t.Errorf("integrity error is not a StatementError: %v", err)
		}
		// A NOT NULL violation.
		_, err = exec(t.Context(), c, "INSERT INTO items (id, name) VALUES (?, ?)", int64(11), nil)
		if !errors.As(err, &ie) || ie.Kind != NotNullViolation {
			t.Errorf("NULL name: err = %v, want a not-null IntegrityError", err)
		}
		// The connection is still usable after statement errors.
		if got := count(t, c, "items"); got != 2 {
			t.Errorf("count = %d, want 2", got)
		}
	})
}

func TestClosed(t *testing.T) {
	tg := testdb.SQLite(t)
	eng, err := Create(t.Context(), tg.URL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := eng.Connect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := c.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := query(t.Context(), c, "SELECT 1", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("query on closed Conn: %v", err)
	}
	if _, err := c.Begin(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Begin on closed Conn: %v", err)
	}
	if err := tx.Commit(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit of a Tx whose Conn was closed: %v", err)
	}
	if tx.IsActive() {
		t.Errorf("Tx still active after Conn.Close")
	}
	if got := eng.Stats().InUse; got != 0 {
		t.Errorf("InUse = %d after Close, want 0", got)
	}
	if err := eng.Close(); err != nil {
		t.Fatalf("Engine.Close: %v", err)
	}
	if _, err := eng.Connect(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Connect on closed Engine: %v", err)
	}
	if err := eng.Close(); err != nil {
		t.Errorf("second Engine.Close: %v", err)
	}
}

func TestCreateErrors(t *testing.T) {
	_, err := Create(t.Context(), "oracle://scott:tiger@localhost/orcl")
	if !errors.Is(err, ErrUnknownDialect) || !errors.Is(err, ErrInvalidURL) {
		t.Errorf("Create(oracle) = %v, want ErrUnknownDialect", err)
	}
	_, err = Create(t.Context(), "not a url")
	if !errors.Is(err, ErrInvalidURL) {
		t.Errorf("Create(not a url) = %v, want ErrInvalidURL", err)
	}
	// A server that is not there: the error names the masked URL, never the password.
	_, err = Create(t.Context(), "postgresql://u:hunter2@127.0.0.1:1/db?connect_timeout=2")
	if err == nil {
		t.Fatal("Create on a closed port succeeded")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("connect error %q shows the password", err)
	}
	if !strings.Contains(err.Error(), "postgresql://u:***@127.0.0.1:1/db") {
		t.Errorf("connect error %q does not name the masked URL", err)
	}
}
