package main

import (
	"regexp"
	"strings"
	"testing"
)

const sampleOutput = `goos: linux
BenchmarkPostgres/Insert/retort-2   	    1000	    300000 ns/op	         3.000 stmts/op	    4000 B/op	      90 allocs/op
BenchmarkPostgres/Insert/pgx-2      	    1000	    100000 ns/op	         1.000 stmts/op	     500 B/op	       8 allocs/op
BenchmarkPostgres/Insert/retort-2   	    1000	    500000 ns/op	         3.000 stmts/op	    4000 B/op	      92 allocs/op
BenchmarkPostgres/Insert/pgx-2      	    1000	    200000 ns/op	         1.000 stmts/op	     500 B/op	       8 allocs/op
BenchmarkPostgres/Insert/retort-2   	    1000	    400000 ns/op	         3.000 stmts/op	    4000 B/op	      94 allocs/op
BenchmarkPostgres/Insert/pgx-2      	    1000	    150000 ns/op	         1.000 stmts/op	     500 B/op	       8 allocs/op
BenchmarkPostgres/Flush10k/pgx_batch-2 	  10	  9000000 ns/op	    500 B/op	       8 allocs/op
BenchmarkSQLite/Read/retort         	    1000	     50000 ns/op	    3000 B/op	      70 allocs/op
BenchmarkSQLite/Read/sqlite         	    1000	     25000 ns/op	     600 B/op	      20 allocs/op
PASS
`

func TestParseMedianRatio(t *testing.T) {
	res, err := parse(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	ins := res["Postgres"]["Insert"]
	if len(ins["retort"]) != 3 || len(ins["pgx"]) != 3 {
		t.Fatalf("samples: retort %d, pgx %d, want 3 each", len(ins["retort"]), len(ins["pgx"]))
	}
	if got := median(ins["retort"], "ns/op"); got != 400000 {
		t.Errorf("median ns/op = %v, want 400000", got)
	}
	if got := median(ins["retort"], "allocs/op"); got != 92 {
		t.Errorf("median allocs/op = %v, want 92", got)
	}
	if got := ratio(ins, "retort", "pgx"); got != 400000.0/150000.0 {
		t.Errorf("ratio = %v, want %v", got, 400000.0/150000.0)
	}
	if got := ratio(res["SQLite"]["Read"], "retort", "sqlite"); got != 2 {
		t.Errorf("SQLite ratio = %v, want 2", got)
	}
}

func TestBenchLines(t *testing.T) {
	res, err := parse(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	writeBenchLines(&out, res)
	want := "BENCH case=Insert lib=retort ns_op=400000 allocs_op=92 ratio_vs_pgx=2.67\n" +
		"BENCH case=Insert lib=pgx ns_op=150000 allocs_op=8 ratio_vs_pgx=1.00\n"
	if out.String() != want {
		t.Errorf("BENCH lines:\n%s\nwant:\n%s", out.String(), want)
	}
	form := regexp.MustCompile(`^BENCH case=[A-Za-z0-9]+ lib=(retort|pgx|stdlib|bun|gorm|ent) ns_op=\d+ allocs_op=\d+ ratio_vs_pgx=\d+\.\d\d$`)
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !form.MatchString(line) {
			t.Errorf("line %q is not in the BENCH form", line)
		}
	}
}

func TestReport(t *testing.T) {
	res, err := parse(strings.NewReader(sampleOutput))
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	writeMarkdown(&md, res, "- CPU: 2 cores", "shared machine", 3)
	for _, want := range []string{
		"median of 3 runs", "shared machine", "- CPU: 2 cores", "![wall time",
		"| retort | 400,000 | 2.67 | 4,000 | 92 | 3 |", "| pgx_batch | 9,000,000 | – |",
		"## SQLite (ratios to raw database/sql over modernc.org/sqlite)", "| retort | 50,000 | 2.00 |",
		"| **geomean** | **2.67** | **1.00** |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
	var svg strings.Builder
	writeSVG(&svg, res["Postgres"])
	for _, want := range []string{"<svg", "Insert retort: 2.67×", "</svg>"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}

func TestParseRejectsBadValue(t *testing.T) {
	_, err := parse(strings.NewReader("BenchmarkPostgres/Insert/pgx-2 10 abc ns/op\n"))
	if err == nil || !strings.Contains(err.Error(), `bad value "abc"`) {
		t.Fatalf("err = %v, want a bad value error", err)
	}
}
