package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/logcapture"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/orm"
)

// transcript records the echoed statements and the printed lines, in order.
type transcript struct{ logcapture.Recorder }

// from returns the entries from the first one starting with prefix.
func (t *transcript) from(prefix string) []string {
	entries := t.Entries()
	for i, e := range entries {
		if strings.HasPrefix(e, prefix) {
			return entries[i:]
		}
	}
	return nil
}

// createdAt matches a create_date line: Python's str(datetime) of a naive datetime.
var createdAt = regexp.MustCompile(`^created at: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{6})?)$`)

// wantOutput is the program's output on a fresh database; "created at: *" stands for a
// line matching createdAt.
var wantOutput = []string{
	"A(id=1, data='a1')",
	"created at: *",
	"B(id=1, a_id=1, data=None)",
	"B(id=2, a_id=1, data=None)",
	"A(id=2, data='a2')",
	"created at: *",
	"B(id=3, a_id=2, data=None)",
	"A(id=3, data='a3')",
	"created at: *",
	"B(id=4, a_id=3, data=None)",
	"B(id=5, a_id=3, data=None)",
	// streamed
	"A(id=1, data='a1')",
	"B(id=1, a_id=1, data=None)",
	"B(id=2, a_id=1, data=None)",
	"A(id=2, data='a2')",
	"B(id=3, a_id=2, data=None)",
	"A(id=3, data='a3')",
	"B(id=4, a_id=3, data=None)",
	"B(id=5, a_id=3, data=None)",
}

// idField matches a key printed in an A(...) or B(...) line.
var idField = regexp.MustCompile(`(A\(id=|B\(id=|a_id=)(\d+)`)

// genKeys holds the keys the database generated, read from the program's output: a for
// a1, a2, a3 and b for the five B's, in the order they were added. They are 1, 2, 3, ...
// on a fresh database of one server; a Galera cluster steps them by its node count, so
// they are only required to ascend, and wantOutput numbers them by rank.
type genKeys struct{ a, b []int64 }

// keysOf reads the keys from the first listing of the output (its first 11 lines).
func keysOf(t *testing.T, got []string) genKeys {
	t.Helper()
	var k genKeys
	for _, line := range got[:min(11, len(got))] {
		for _, m := range idField.FindAllStringSubmatch(line, -1) {
			v, _ := strconv.ParseInt(m[2], 10, 64)
			switch m[1] {
			case "A(id=":
				k.a = append(k.a, v)
			case "B(id=":
				k.b = append(k.b, v)
			}
		}
	}
	for _, ks := range [][]int64{k.a, k.b} {
		for i := range ks {
			if ks[i] <= 0 || (i > 0 && ks[i] <= ks[i-1]) {
				t.Fatalf("generated keys a %v, b %v: not ascending", k.a, k.b)
			}
		}
	}
	if len(k.a) != 3 || len(k.b) != 5 {
		t.Fatalf("generated keys a %v, b %v: want 3 and 5", k.a, k.b)
	}
	return k
}

// rank rewrites the generated keys of line into their ranks (1, 2, 3, ...), the numbering
// of wantOutput.
func (k genKeys) rank(line string) string {
	return idField.ReplaceAllStringFunc(line, func(s string) string {
		m := idField.FindStringSubmatch(s)
		v, _ := strconv.ParseInt(m[2], 10, 64)
		keys := k.a
		if m[1] == "B(id=" {
			keys = k.b
		}
		for i, key := range keys {
			if key == v {
				return m[1] + strconv.Itoa(i+1)
			}
		}
		return s
	})
}

// checkOutput compares the printed lines with wantOutput (keys by rank) and returns the
// create dates and the generated keys.
func checkOutput(t *testing.T, got []string) ([]string, genKeys) {
	t.Helper()
	if len(got) != len(wantOutput) {
		t.Fatalf("%d lines of output, want %d:\n%s", len(got), len(wantOutput), strings.Join(got, "\n"))
	}
	keys := keysOf(t, got)
	var dates []string
	for i, want := range wantOutput {
		if want == "created at: *" {
			m := createdAt.FindStringSubmatch(got[i])
			if m == nil {
				t.Errorf("line %d = %q, want a create date", i+1, got[i])
				continue
			}
			dates = append(dates, m[1])
			continue
		}
		if keys.rank(got[i]) != want {
			t.Errorf("line %d = %q, want %q (keys by rank)", i+1, got[i], want)
		}
	}
	return dates, keys
}

// placeholders rewrites the ? of SQL into $1, $2, ... for PostgreSQL.
func placeholders(target, sql string) string {
	if target != testdb.NamePostgres {
		return sql
	}
	var b strings.Builder
	n := 0
	for _, r := range sql {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestRun runs the program on each database (twice: a rerun starts clean), checks its
// output, the statements between the lines it prints, and the rows it leaves behind.
func TestRun(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		var plain bytes.Buffer
		if err := run(ctx, tg.URL, false, &plain); err != nil {
			t.Fatalf("run: %v", err)
		}
		_, _ = checkOutput(t, strings.Split(strings.TrimSuffix(plain.String(), "\n"), "\n"))

		tr := &transcript{}
		if err := runLogged(ctx, tg.URL, slog.New(tr), tr); err != nil {
			t.Fatalf("run with echo: %v", err)
		}
		dates, keys := checkOutput(t, tr.Output())
		ka := keys.a

		// add_all: one INSERT per table, the B's of the three write-only collections in one
		// batch with their parents' keys. Each collection is read by its own SELECT; the
		// stream reads the A's, then each A's B's; the last query reads the A's in key
		// order, and the change made after it is never written.
		q := func(sql string) string { return placeholders(tg.Name, sql) }
		insertA := q("INSERT INTO a (data) VALUES (?), (?), (?) RETURNING id, create_date") + ` | ["a1" "a2" "a3"]`
		insertB := q("INSERT INTO b (a_id, data) VALUES (?, ?), (?, ?), (?, ?), (?, ?), (?, ?) RETURNING id") + fmt.Sprintf(" | [%[1]d NULL %[1]d NULL %[2]d NULL %[3]d NULL %[3]d NULL]", ka[0], ka[1], ka[2])
		if tg.Name == testdb.NameMariaDB {
			insertA = "INSERT INTO a (data) VALUES (?), (?), (?) RETURNING id, create_date" + ` | ["a1" "a2" "a3"]`
		}
		selectA := "SELECT a.id, a.data, a.create_date FROM a"
		selectB := func(rank int) string {
			return q("SELECT b.id, b.a_id, b.data FROM b WHERE b.a_id = ?") + fmt.Sprintf(" | [%d]", ka[rank-1])
		}
		want := []string{insertA, insertB, "COMMIT", "BEGIN", selectA}
		out := wantOutput
		line := func(l string) {
			if l == "created at: *" {
				l = "created at: " + dates[0]
				dates = dates[1:]
			}
			want = append(want, "> "+l)
		}
		// Buffered: A, created at, SELECT of its B's, its B's.
		bOf := [][]int{{2, 3}, {6}, {9, 10}}
		for i, start := range []int{0, 4, 7} {
			line(out[start])
			line(out[start+1])
			want = append(want, selectB(i+1))
			for _, k := range bOf[i] {
				line(out[k])
			}
		}
		// Streamed: the A's, then each A and its B's.
		want = append(want, selectA)
		next := 11
		for i := range 3 {
			line(out[next])
			next++
			want = append(want, selectB(i+1))
			for range bOf[i] {
				line(out[next])
				next++
			}
		}
		want = append(want, "COMMIT", "BEGIN", selectA+" ORDER BY a.id", "ROLLBACK")
		if tg.Name != testdb.NameMariaDB {
			want = logcapture.AutocommitReads(want)
		}
		got := streamStatements(tr.from("INSERT INTO a"))
		for i, e := range got {
			if strings.HasPrefix(e, "> ") {
				got[i] = keys.rank(e)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("transcript from the first INSERT: %d entries, want %d:\n  got:\n    %s\n  want:\n    %s",
				len(got), len(want), strings.Join(got, "\n    "), strings.Join(want, "\n    "))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("transcript entry %d:\n  got:  %s\n  want: %s", i, got[i], want[i])
			}
		}
		checkState(t, ctx, tg.URL, keys)
	})
}

// streamStatements rewrites a PostgreSQL stream's server-side cursor (its transaction,
// DECLARE ... CURSOR FOR query, FETCHes) into the query it runs, as the other databases
// log it.
func streamStatements(entries []string) []string {
	var out []string
	for _, e := range entries {
		switch {
		case strings.HasSuffix(e, " (stream)") || strings.HasPrefix(e, "FETCH ") || strings.HasPrefix(e, "CLOSE "):
		case strings.HasPrefix(e, "DECLARE "):
			_, q, _ := strings.Cut(e, " CURSOR FOR ")
			out = append(out, q)
		default:
			out = append(out, e)
		}
	}
	return out
}

// checkState opens the database the program left: the three A's as added (the last
// change rolled back), each with a create date, and five B's under the right A's.
func checkState(t *testing.T, ctx context.Context, url string, keys genKeys) {
	t.Helper()
	eng, err := engine.Create(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	conn, err := eng.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	a, _ := orm.TableOf[A](reg)
	res, err := conn.Execute(ctx, expr.Select(a.C("id"), a.C("data"), a.C("create_date")).OrderBy(a.C("id").Asc()))
	if err != nil {
		t.Fatal(err)
	}
	rows := res.All()
	if len(rows) != 3 {
		t.Fatalf("%d rows in a, want 3", len(rows))
	}
	for i, row := range rows {
		var id int64
		var data *string
		var created time.Time
		if err := row.Scan(&id, &data, &created); err != nil {
			t.Fatal(err)
		}
		want := "a" + strconv.Itoa(i+1)
		if id != keys.a[i] || data == nil || *data != want || created.IsZero() {
			t.Errorf("a row %d: id=%d data=%s created %v, want id=%d data=%q", i, id, pyStr(data), created, keys.a[i], want)
		}
	}
	b, _ := orm.TableOf[B](reg)
	res, err = conn.Execute(ctx, expr.Select(b.C("id"), b.C("a_id"), b.C("data")).OrderBy(b.C("id").Asc()))
	if err != nil {
		t.Fatal(err)
	}
	ka, kb := keys.a, keys.b
	wantB := [][2]int64{{kb[0], ka[0]}, {kb[1], ka[0]}, {kb[2], ka[1]}, {kb[3], ka[2]}, {kb[4], ka[2]}}
	rows = res.All()
	if len(rows) != len(wantB) {
		t.Fatalf("%d rows in b, want %d", len(rows), len(wantB))
	}
	for i, row := range rows {
		var id, aID int64
		var data *string
		if err := row.Scan(&id, &aID, &data); err != nil {
			t.Fatal(err)
		}
		if id != wantB[i][0] || aID != wantB[i][1] || data != nil {
			t.Errorf("b row %d: id=%d a_id=%d, want id=%d a_id=%d", i, id, aID, wantB[i][0], wantB[i][1])
		}
	}
}
