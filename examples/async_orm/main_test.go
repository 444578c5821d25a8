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

// transcript is the shared recorder of echoed statements and printed lines, with the
// look-up this test needs.
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
	// await a1.awaitable_attrs.bs
	"B(id=1, a_id=1, data=None)",
	"B(id=2, a_id=1, data=None)",
}

// idField matches a key printed in an A(...) or B(...) line.
var idField = regexp.MustCompile(`(A\(id=|B\(id=|a_id=)(\d+)`)

// genKeys holds the keys the database generated, read from the program's output: aKeys
// for a1, a2, a3 and bKeys for the five B's, in the order they were added. They are 1, 2,
// 3, ... on a fresh database of one server; a Galera cluster steps them by its node
// count, so they are only required to ascend, and wantOutput numbers them by rank.
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
// create dates printed and the generated keys.
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

// placeholders rewrites the ? of SQL written for SQLite and MariaDB into $1, $2, ... for
// PostgreSQL.
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

// TestRun runs the program on each database (twice, which also shows that a rerun starts
// clean), checks its output, the SQL it emits between the lines it prints, and the rows it
// leaves behind.
func TestRun(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()

		// The program's own entry point, echo off.
		var plain bytes.Buffer
		if err := run(ctx, tg.URL, false, false, &plain); err != nil {
			t.Fatalf("run: %v", err)
		}
		_, _ = checkOutput(t, strings.Split(strings.TrimSuffix(plain.String(), "\n"), "\n"))

		// Again with the echo recorded beside the output.
		tr := &transcript{}
		if err := runLogged(ctx, tg.URL, slog.New(tr), false, tr); err != nil {
			t.Fatalf("run with echo: %v", err)
		}
		dates, keys := checkOutput(t, tr.Output())
		a1, a2, a3 := keys.a[0], keys.a[1], keys.a[2]

		// From the add_all on, the exact statements and where the output falls between
		// them: one INSERT per table for add_all; the buffered query is one SELECT of a
		// and one SELECT of b ... WHERE b.a_id IN (...) before anything is printed; the
		// stream does the same; the unlimited select(A).order_by(A.id) whose first() is
		// changed; the commit after the change is exactly one UPDATE of the changed
		// column; the awaitable_attrs step finds the collection loaded (the session still
		// holds the A whose B's the first query loaded) and emits nothing. SQLAlchemy
		// differs in that last step (see doc.go): its weak identity map has let that A
		// go, so it lazy-loads the B's with one SELECT.
		q := func(sql string) string { return placeholders(tg.Name, sql) }
		selectA := "SELECT a.id, a.data, a.create_date FROM a ORDER BY a.id"
		selectBs := q("SELECT b.id, b.a_id, b.data FROM b WHERE b.a_id IN (?, ?, ?) ORDER BY b.id") + fmt.Sprintf(" | [%d %d %d]", a1, a2, a3)
		want := []string{
			q("INSERT INTO a (data) VALUES (?), (?), (?) RETURNING id, create_date") + ` | ["a1" "a2" "a3"]`,
			q("INSERT INTO b (a_id, data) VALUES (?, ?), (?, ?), (?, ?), (?, ?), (?, ?) RETURNING id") + fmt.Sprintf(" | [%[1]d NULL %[1]d NULL %[2]d NULL %[3]d NULL %[3]d NULL]", a1, a2, a3),
			"COMMIT",
			"BEGIN",
			selectA,
			selectBs,
		}
		for _, line := range wantOutput[:11] {
			if line == "created at: *" {
				line = "created at: " + dates[0]
				dates = dates[1:]
			}
			want = append(want, "> "+line)
		}
		if tg.Name == testdb.NamePostgres {
			// The stream reads through a server-side cursor in a transaction of its
			// own, and loads the B's of its batch between two FETCHes.
			want = append(want, "BEGIN (stream)", "DECLARE retort_cursor_1 NO SCROLL CURSOR FOR "+selectA,
				"FETCH FORWARD 1000 FROM retort_cursor_1", selectBs)
		} else {
			want = append(want, selectA, selectBs)
		}
		for _, line := range wantOutput[11:19] {
			want = append(want, "> "+line)
		}
		if tg.Name == testdb.NamePostgres {
			want = append(want, "COMMIT (stream)")
		}
		want = append(want,
			selectA,
			q("UPDATE a SET data = ? WHERE a.id = ?")+fmt.Sprintf(` | ["new data" %d]`, a1),
			"COMMIT",
		)
		for _, line := range wantOutput[19:] {
			want = append(want, "> "+line)
		}
		if tg.Name != testdb.NameMariaDB {
			// At READ COMMITTED and on SQLite the sessions read without a transaction
			// until they write.
			want = logcapture.AutocommitReads(want)
		}
		got := tr.from("INSERT INTO a")
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
		// Before the INSERT: drop_all and create_all, each in a transaction of its own.
		all := tr.from("")
		var ddl []string
		for _, e := range all {
			if strings.HasPrefix(e, "INSERT INTO a") {
				break
			}
			if e == "BEGIN" || e == "COMMIT" || strings.HasPrefix(e, "CREATE TABLE") || strings.HasPrefix(e, "DROP TABLE") {
				ddl = append(ddl, e)
			}
		}
		wantDDL := []string{"BEGIN", "DROP TABLE b", "DROP TABLE a", "COMMIT", "BEGIN", "CREATE TABLE a", "CREATE TABLE b", "COMMIT", "BEGIN"}
		if len(ddl) != len(wantDDL) {
			t.Errorf("drop_all/create_all statements: %q, want prefixes %q", ddl, wantDDL)
		} else {
			for i := range wantDDL {
				if !strings.HasPrefix(ddl[i], wantDDL[i]) {
					t.Errorf("drop_all/create_all statement %d = %q, want %s...", i, ddl[i], wantDDL[i])
				}
			}
		}

		checkState(t, ctx, tg.URL, tr.Output(), keys)
	})
}

// TestRunJoined runs the program with -joined: the same output, and the buffered query is
// one SELECT with a LEFT OUTER JOIN instead of two.
func TestRunJoined(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		tr := &transcript{}
		if err := runLogged(ctx, tg.URL, slog.New(tr), true, tr); err != nil {
			t.Fatalf("run -joined: %v", err)
		}
		_, keys := checkOutput(t, tr.Output())
		got := tr.from("SELECT a.id")
		want := "SELECT a.id, a.data, a.create_date, b_1.id, b_1.a_id, b_1.data FROM a LEFT OUTER JOIN b AS b_1 ON a.id = b_1.a_id ORDER BY a.id"
		if len(got) < 2 || got[0] != want || !strings.HasPrefix(got[1], "> ") {
			t.Errorf("joined query: %q, want %q then the output", got[:min(2, len(got))], want)
		}
		checkState(t, ctx, tg.URL, tr.Output(), keys)
	})
}

// checkState opens the database the program left and checks its rows: a1's data changed,
// a2 and a3 as added, each create_date the one printed, five B's under the right A's.
func checkState(t *testing.T, ctx context.Context, url string, printed []string, keys genKeys) {
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

	a, err := orm.TableOf[A](reg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := conn.Execute(ctx, expr.Select(a.C("id"), a.C("data"), a.C("create_date")).OrderBy(a.C("id").Asc()))
	if err != nil {
		t.Fatal(err)
	}
	wantA := []struct {
		id   int64
		data string
	}{{keys.a[0], "new data"}, {keys.a[1], "a2"}, {keys.a[2], "a3"}}
	rows := res.All()
	if len(rows) != len(wantA) {
		t.Fatalf("%d rows in a, want %d", len(rows), len(wantA))
	}
	var printedDates []string
	for _, line := range printed {
		if m := createdAt.FindStringSubmatch(line); m != nil {
			printedDates = append(printedDates, m[1])
		}
	}
	for i, row := range rows {
		var id int64
		var data *string
		var created time.Time
		if err := row.Scan(&id, &data, &created); err != nil {
			t.Fatal(err)
		}
		if id != wantA[i].id || data == nil || *data != wantA[i].data {
			t.Errorf("a row %d: id=%d data=%s, want id=%d data=%q", i, id, pyStr(data), wantA[i].id, wantA[i].data)
		}
		if created.IsZero() {
			t.Errorf("a row %d: create_date not filled by the server default", i)
		} else if i < len(printedDates) && pyDatetime(created) != printedDates[i] {
			t.Errorf("a row %d: create_date %s in the database, %s printed", i, pyDatetime(created), printedDates[i])
		}
	}

	b, err := orm.TableOf[B](reg)
	if err != nil {
		t.Fatal(err)
	}
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
			t.Errorf("b row %d: id=%d a_id=%d data=%s, want id=%d a_id=%d data=None", i, id, aID, pyStr(data), wantB[i][0], wantB[i][1])
		}
	}
}

// TestAwaitBs checks both paths of the awaitable_attrs step: on an A whose B's were never
// loaded it runs one SELECT ... WHERE b.a_id IN (...), and asked again it runs nothing.
func TestAwaitBs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := context.Background()
		var printed bytes.Buffer
		if err := run(ctx, tg.URL, false, false, &printed); err != nil {
			t.Fatalf("run: %v", err)
		}
		tr := &transcript{}
		eng, err := engine.Create(ctx, tg.URL, engine.Echo(true), engine.WithLogger(slog.New(tr)))
		if err != nil {
			t.Fatal(err)
		}
		defer eng.Close()
		s := orm.NewSessionMaker(eng, reg).New()
		defer s.Close()

		keys := keysOf(t, strings.Split(printed.String(), "\n"))
		a3, err := orm.GetOne[A](ctx, s, keys.a[2])
		if err != nil {
			t.Fatal(err)
		}
		if orm.IsLoaded(s, a3, AT.Bs) || a3.Bs != nil {
			t.Fatalf("a3.bs loaded before any load: %v", a3.Bs)
		}
		tr.Reset()
		bs, err := awaitBs(ctx, s, a3)
		if err != nil {
			t.Fatal(err)
		}
		want := placeholders(tg.Name, "SELECT b.id, b.a_id, b.data FROM b WHERE b.a_id IN (?) ORDER BY b.id") + fmt.Sprintf(" | [%d]", keys.a[2])
		if got := tr.from(""); len(got) != 1 || got[0] != want {
			t.Errorf("first load of a3.bs ran %q, want [%q]", got, want)
		}
		if len(bs) != 2 || bs[0].ID != keys.b[3] || bs[1].ID != keys.b[4] || bs[0].AID != keys.a[2] {
			t.Errorf("a3.bs = %v, want the fourth and fifth B of the third A (keys %v)", bs, keys)
		}
		tr.Reset()
		again, err := awaitBs(ctx, s, a3)
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.from(""); len(got) != 0 {
			t.Errorf("second access of a3.bs ran %q, want no SQL", got)
		}
		if len(again) != 2 || again[0] != bs[0] || again[1] != bs[1] {
			t.Errorf("second access returned %v, want the same objects %v", again, bs)
		}
	})
}

// TestOutputHelpers pins the Python-style renderings the program prints.
func TestOutputHelpers(t *testing.T) {
	if got := pyStr(nil); got != "None" {
		t.Errorf("pyStr(nil) = %q", got)
	}
	for in, want := range map[string]string{
		"a1":            "'a1'",
		`it's a \ test`: `"it's a \\ test"`,
		`say "hi"`:      `'say "hi"'`,
		`it's "both"`:   `'it\'s "both"'`,
	} {
		if got := pyStr(&in); got != want {
			t.Errorf("pyStr(%q) = %s, want %s", in, got, want)
		}
	}
	ts := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := pyDatetime(ts); got != "2025-01-02 03:04:05" {
		t.Errorf("pyDatetime = %q", got)
	}
	if got := pyDatetime(ts.Add(1500 * time.Microsecond)); got != "2025-01-02 03:04:05.001500" {
		t.Errorf("pyDatetime with microseconds = %q", got)
	}
	if got := (&A{ID: 1, Data: ptr("a1")}).String(); got != "A(id=1, data='a1')" {
		t.Errorf("A.String = %q", got)
	}
	if got := (&B{ID: 2, AID: 1}).String(); got != "B(id=2, a_id=1, data=None)" {
		t.Errorf("B.String = %q", got)
	}
}
