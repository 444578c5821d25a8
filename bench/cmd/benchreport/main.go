// Command benchreport turns the output of the bench module's benchmarks (go test -bench,
// any -count) into bench/RESULTS.md, the ratio chart bench/ratios.svg and one BENCH line
// per PostgreSQL case and library on standard output:
//
//	go test -run '^$' -bench . -benchmem -count 5 > raw.txt
//	go run ./cmd/benchreport -in raw.txt -machine machine.md -md RESULTS.md -svg ratios.svg
//
// Every figure is the median of the runs; ratios divide a library's median ns/op by the
// median of the baseline measured in the same run (raw pgx on PostgreSQL, the raw
// database/sql driver on MariaDB and SQLite).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// caseOrder and libOrder fix the order of tables, chart groups and BENCH lines.
var (
	caseOrder = []string{"Insert", "InsertMulti", "Update", "Read", "ReadSlice", "Eager", "Flush10k", "Stream", "Core"}
	libOrder  = []string{"retort", "pgx", "pgx_batch", "stdlib", "bun", "gorm", "ent", "mysql", "sqlite"}
	// benchLibs are the library names the BENCH lines may carry.
	benchLibs = []string{"retort", "pgx", "stdlib", "bun", "gorm", "ent"}
	// geoCases are the cases whose geometric mean the PostgreSQL summary shows.
	geoCases = []string{"Insert", "InsertMulti", "Update", "Read", "ReadSlice"}
)

// sections maps a top-level benchmark to its title and the library its ratios divide by.
var sections = []struct{ bench, title, base, baseName string }{
	{"Postgres", "PostgreSQL", "pgx", "raw pgx"},
	{"MariaDB", "MariaDB", "mysql", "raw go-sql-driver/mysql"},
	{"SQLite", "SQLite", "sqlite", "raw database/sql over modernc.org/sqlite"},
}

// caseText says what each case measures.
var caseText = map[string]string{
	"Insert":      "one new object, committed",
	"InsertMulti": "100 new objects, one commit",
	"Update":      "one changed field of a loaded object, committed",
	"Read":        "one row by primary key (retort: a fresh session)",
	"ReadSlice":   "100 rows, WHERE + LIMIT",
	"Eager":       "100 parents with 10 children each (retort SelectIn, GORM Preload, Bun Relation, ent With...; pgx and stdlib: two hand-written queries)",
	"Flush10k":    "10,000 new objects in one commit (pgx: CopyFrom; pgx_batch: one transaction of batched 1000-row INSERT ... RETURNING id)",
	"Stream":      "every row of a large table as objects (peak heap and RSS of the whole process)",
	"Core":        "build, compile (statement cache) and execute a 3-predicate SELECT with retort's Core (expr + engine), rows scanned into structs",
}

// sample is one benchmark line.
type sample map[string]float64 // unit ("ns/op", "B/op", "allocs/op", ...) -> value

type results map[string]map[string]map[string][]sample // section -> case -> lib -> samples

var lineRE = regexp.MustCompile(`^Benchmark([A-Za-z0-9]+)/([A-Za-z0-9]+)/([A-Za-z0-9_]+?)(-\d+)?\s+(\d+)\s+(.*)$`)

func parse(r io.Reader) (results, error) {
	res := results{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := lineRE.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		fields := strings.Fields(m[6])
		s := sample{}
		for i := 0; i+1 < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchreport: bad value %q in %q", fields[i], sc.Text())
			}
			s[fields[i+1]] = v
		}
		if _, ok := s["ns/op"]; !ok {
			continue
		}
		sec, cs, lib := m[1], m[2], m[3]
		if res[sec] == nil {
			res[sec] = map[string]map[string][]sample{}
		}
		if res[sec][cs] == nil {
			res[sec][cs] = map[string][]sample{}
		}
		res[sec][cs][lib] = append(res[sec][cs][lib], s)
	}
	return res, sc.Err()
}

// median of one unit over samples (NaN when no sample has it).
func median(ss []sample, unit string) float64 {
	var vs []float64
	for _, s := range ss {
		if v, ok := s[unit]; ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return math.NaN()
	}
	sort.Float64s(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2]
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
}

func ordered(keys []string, order []string) []string {
	out := slices.Clone(keys)
	rank := func(k string) int {
		if i := slices.Index(order, k); i >= 0 {
			return i
		}
		return len(order)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if rank(out[i]) != rank(out[j]) {
			return rank(out[i]) < rank(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// ratio of lib's median ns/op to the baseline's in one case (NaN without a baseline).
func ratio(libs map[string][]sample, lib, base string) float64 {
	b := median(libs[base], "ns/op")
	if math.IsNaN(b) || b == 0 {
		return math.NaN()
	}
	return median(libs[lib], "ns/op") / b
}

func fmtNum(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if v >= 100 || v == math.Trunc(v) {
		return groupDigits(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func groupDigits(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

func fmtRatio(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// extraUnits are the reported metrics beyond ns/op, B/op and allocs/op, in table order.
var extraUnits = []string{"stmts/op", "round-trips/op", "peak-heap-MB", "peak-RSS-MB"}

func writeMarkdown(w io.Writer, res results, machine, note string, runs int) {
	fmt.Fprintln(w, "# Benchmark results")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Written by `scripts/bench` (the benchmark module `bench/`, report by `bench/cmd/benchreport`).")
	fmt.Fprintf(w, "Every figure is the median of %d runs; a ratio is a library's median ns/op divided by the\n", runs)
	fmt.Fprintln(w, "baseline's median measured in the same run (below 1.00 is faster than the baseline).")
	fmt.Fprintln(w, "stmts/op: the statements of one op (BEGIN and COMMIT included), counted outside the timed loop by")
	fmt.Fprintln(w, "a pgx tracer for the libraries on pgx and by retort's echo log for retort. round-trips/op (retort")
	fmt.Fprintln(w, "only): the times one op's client sent again after the server had answered, counted by a TCP proxy")
	fmt.Fprintln(w, "in front of the server on a second op over a warm connection; the peers' autocommit statements are")
	fmt.Fprintln(w, "one round trip each. Stream's peak heap and RSS are the whole benchmark process's.")
	if note != "" {
		fmt.Fprintln(w)
		fmt.Fprintln(w, note)
	}
	if machine != "" {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "## Machine")
		fmt.Fprintln(w)
		fmt.Fprintln(w, strings.TrimSpace(machine))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "![wall time as a ratio to raw pgx, per case and library](ratios.svg)")
	for _, sec := range sections {
		cases := res[sec.bench]
		if len(cases) == 0 {
			continue
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "## %s (ratios to %s)\n", sec.title, sec.baseName)
		if sec.bench == "Postgres" {
			writeGeomean(w, cases, sec.base)
		}
		for _, cs := range ordered(keys(cases), caseOrder) {
			libs := cases[cs]
			fmt.Fprintln(w)
			fmt.Fprintf(w, "### %s\n\n%s.\n\n", cs, caseText[cs])
			var extras []string
			for _, u := range extraUnits {
				for _, ss := range libs {
					if !math.IsNaN(median(ss, u)) {
						extras = append(extras, u)
						break
					}
				}
			}
			fmt.Fprintf(w, "| library | ns/op | ratio to %s | B/op | allocs/op |", sec.base)
			for _, u := range extras {
				fmt.Fprintf(w, " %s |", u)
			}
			fmt.Fprintln(w)
			fmt.Fprint(w, "|---|---:|---:|---:|---:|")
			for range extras {
				fmt.Fprint(w, "---:|")
			}
			fmt.Fprintln(w)
			for _, lib := range ordered(keys(libs), libOrder) {
				ss := libs[lib]
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s |", lib, fmtNum(median(ss, "ns/op")), fmtRatio(ratio(libs, lib, sec.base)),
					fmtNum(median(ss, "B/op")), fmtNum(median(ss, "allocs/op")))
				for _, u := range extras {
					fmt.Fprintf(w, " %s |", fmtNum(median(ss, u)))
				}
				fmt.Fprintln(w)
			}
		}
	}
}

// writeGeomean writes the geometric mean of the ratios of the five basic cases per library.
func writeGeomean(w io.Writer, cases map[string]map[string][]sample, base string) {
	var libs []string
	for _, lib := range benchLibs {
		if _, ok := cases["Insert"][lib]; ok {
			libs = append(libs, lib)
		}
	}
	if len(libs) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "| case |")
	for _, lib := range libs {
		fmt.Fprintf(w, " %s |", lib)
	}
	fmt.Fprintln(w)
	fmt.Fprint(w, "|---|")
	for range libs {
		fmt.Fprint(w, "---:|")
	}
	fmt.Fprintln(w)
	logs := make([]float64, len(libs))
	n := make([]int, len(libs))
	for _, cs := range geoCases {
		fmt.Fprintf(w, "| %s |", cs)
		for i, lib := range libs {
			r := ratio(cases[cs], lib, base)
			fmt.Fprintf(w, " %s |", fmtRatio(r))
			if !math.IsNaN(r) && r > 0 {
				logs[i] += math.Log(r)
				n[i]++
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "| **geomean** |")
	for i := range libs {
		g := math.NaN()
		if n[i] > 0 {
			g = math.Exp(logs[i] / float64(n[i]))
		}
		fmt.Fprintf(w, " **%s** |", fmtRatio(g))
	}
	fmt.Fprintln(w)
}

// writeBenchLines prints one BENCH line per PostgreSQL case and library.
func writeBenchLines(w io.Writer, res results) {
	cases := res["Postgres"]
	for _, cs := range ordered(keys(cases), caseOrder) {
		libs := cases[cs]
		for _, lib := range benchLibs {
			ss, ok := libs[lib]
			if !ok {
				continue
			}
			fmt.Fprintf(w, "BENCH case=%s lib=%s ns_op=%.0f allocs_op=%.0f ratio_vs_pgx=%s\n",
				cs, lib, median(ss, "ns/op"), median(ss, "allocs/op"), fmtRatio(ratio(libs, lib, "pgx")))
		}
	}
}

func main() {
	in := flag.String("in", "", "go test -bench output (default: standard input)")
	machineFile := flag.String("machine", "", "Markdown file describing the machine and versions")
	note := flag.String("note", "", "a paragraph to put under the title")
	mdOut := flag.String("md", "RESULTS.md", "Markdown report to write")
	svgOut := flag.String("svg", "ratios.svg", "SVG chart to write")
	runs := flag.Int("runs", 0, "runs the medians are taken over (for the report's text)")
	flag.Parse()

	var r io.Reader = os.Stdin
	if *in != "" {
		f, err := os.Open(*in)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		r = f
	}
	res, err := parse(r)
	if err != nil {
		fail(err)
	}
	if len(res) == 0 {
		fail(fmt.Errorf("benchreport: no benchmark results in the input"))
	}
	machine := ""
	if *machineFile != "" {
		b, err := os.ReadFile(*machineFile)
		if err != nil {
			fail(err)
		}
		machine = string(b)
	}
	if *runs == 0 {
		for _, cases := range res {
			for _, libs := range cases {
				for _, ss := range libs {
					*runs = max(*runs, len(ss))
				}
			}
		}
	}
	var md strings.Builder
	writeMarkdown(&md, res, machine, *note, *runs)
	if err := os.WriteFile(*mdOut, []byte(md.String()), 0o644); err != nil {
		fail(err)
	}
	var svg strings.Builder
	writeSVG(&svg, res["Postgres"])
	if err := os.WriteFile(*svgOut, []byte(svg.String()), 0o644); err != nil {
		fail(err)
	}
	writeBenchLines(os.Stdout, res)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
