package retort_test

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is retort's module path.
const module = "github.com/retortdb/retort"

// Layering, from the bottom up: a package may import only retort packages of a strictly
// lower rank (see rank). Core is everything below orm; it never imports orm.
//
//	orm > migrate > engine > dialect/* > dialect > compile > schema > expr > types
var layers = []struct {
	dir  string // path inside the module
	rank int
}{
	{"types", 10},
	{"expr", 20},
	{"schema", 30},
	{"compile", 40},
	{"dialect", 50},
	{"dialect/sqlite", 60},
	{"dialect/postgres", 60},
	{"dialect/mysql", 60},
	{"engine", 70},
	{"migrate", 75}, // migrations: reflection, compare, runner; uses engine, schema, compile
	{"orm", 80},
}

const (
	rankTestDB  = 0   // internal/testdb: test setup, imports no retort package
	rankProgram = 100 // the root package, examples/* and cmd/*: programs on top of everything
	// rankProgramPart: packages inside an example (examples/X/...), such as its models and
	// migrations, which the example's main package imports.
	rankProgramPart = rankProgram - 5
)

// drivers maps each database driver module to the one dialect package allowed to import it.
var drivers = []struct{ module, dialect string }{
	{"modernc.org/sqlite", "dialect/sqlite"},
	{"github.com/jackc/pgx", "dialect/postgres"}, // v5 and its subpackages
	{"github.com/jackc/pgconn", "dialect/postgres"},
	{"github.com/go-sql-driver/mysql", "dialect/mysql"},
}

// coreExamples are examples that show Core alone, and so must not depend on orm.
var coreExamples = []string{"examples/basic"}

// under reports whether rel is dir or inside it.
func under(rel, dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }

// rank returns the layer of the package at rel (its path inside the module, "" for the
// root). A package inside a layer's directory takes that layer's rank, except that
// X/internal/... ranks just below X, so X can use it and it can use what X can
// (dialect/internal/... ranks between dialect and dialect/*). ok is false for a package
// that fits no layer.
func rank(rel string) (r int, ok bool) {
	switch {
	case under(rel, "examples") && strings.Count(rel, "/") >= 2:
		return rankProgramPart, true
	case rel == "", under(rel, "examples"), under(rel, "cmd"):
		return rankProgram, true
	case under(rel, "internal/testdb"), under(rel, "internal/logcapture"): // test support, no retort imports
		return rankTestDB, true
	}
	best := ""
	for _, l := range layers {
		if under(rel, l.dir) && len(l.dir) > len(best) {
			best, r = l.dir, l.rank
		}
	}
	if best == "" {
		return 0, false
	}
	if under(rel, best+"/internal") {
		if best == "dialect" {
			// Helpers shared by the dialect implementations sit between dialect and
			// dialect/*: they may use dialect, and every dialect/* may use them.
			return r + 5, true
		}
		return r - 5, true
	}
	return r, true
}

// pkg is what the checks need to know about one retort package.
type pkg struct {
	rel     string   // path inside the module ("" for the root)
	imports []string // direct imports (full paths)
	deps    []string // all transitive dependencies (full paths)
}

// relOf returns path's location inside the module and whether it is a retort package.
func relOf(path string) (string, bool) {
	if path == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(path, module+"/")
	return rel, ok
}

func name(rel string) string {
	if rel == "" {
		return "retort (root)"
	}
	return rel
}

// checkLayers returns one message per broken rule in pkgs.
func checkLayers(pkgs []pkg) []string {
	var bad []string
	for _, p := range pkgs {
		pr, ok := rank(p.rel)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s fits no layer: place it in the layering table of import_test.go", name(p.rel)))
			continue
		}
		for _, imp := range p.imports {
			if rel, ok := relOf(imp); ok {
				ir, known := rank(rel)
				if known && ir >= pr {
					bad = append(bad, fmt.Sprintf("%s imports %s: imports must point to a strictly lower layer (orm > migrate > engine > dialect/* > dialect > compile > schema > expr > types)", name(p.rel), name(rel)))
				}
				continue
			}
			for _, d := range drivers {
				if !under(imp, d.module) {
					continue
				}
				if !under(p.rel, d.dialect) && !under(p.rel, "internal/testdb") && !under(p.rel, "examples") {
					bad = append(bad, fmt.Sprintf("%s imports driver %s: only %s may", name(p.rel), imp, d.dialect))
				}
			}
		}
		if pr < rankProgram || slices.Contains(coreExamples, p.rel) {
			for _, dep := range p.deps {
				if rel, ok := relOf(dep); ok && under(rel, "orm") && !under(p.rel, "orm") {
					bad = append(bad, fmt.Sprintf("%s depends on %s: Core never imports orm", name(p.rel), rel))
				}
			}
		}
	}
	return bad
}

// listPackages runs go list -deps over the module and returns its own packages.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to check imports: %v", err)
	}
	cmd := exec.Command(goTool, "list", "-e", "-deps",
		"-f", "{{.ImportPath}}\t{{join .Imports \" \"}}\t{{join .Deps \" \"}}", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	for line := range strings.Lines(string(out)) {
		fields := strings.Split(strings.TrimRight(line, "\n"), "\t")
		if len(fields) != 3 {
			t.Fatalf("go list: unexpected line %q", line)
		}
		rel, ok := relOf(fields[0])
		if !ok {
			continue // standard library or another module
		}
		pkgs = append(pkgs, pkg{rel: rel, imports: strings.Fields(fields[1]), deps: strings.Fields(fields[2])})
	}
	return pkgs
}

// TestImportLayers checks the import rules of the module with go list -deps: imports
// point down the layers, Core never depends on orm, and database drivers are imported
// only by their dialect package (and by internal/testdb and examples).
func TestImportLayers(t *testing.T) {
	pkgs := listPackages(t)
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p.rel] = true
	}
	// go list must really have listed the module, or the check below proves nothing.
	for _, want := range []string{"types", "expr", "schema", "compile", "dialect"} {
		if !seen[want] {
			t.Errorf("go list did not report package %s", want)
		}
	}
	for _, msg := range checkLayers(pkgs) {
		t.Error(msg)
	}
}

// TestCheckLayersCatchesViolations feeds the checker broken graphs, so TestImportLayers
// cannot pass by checking nothing.
func TestCheckLayersCatchesViolations(t *testing.T) {
	m := func(rel string) string { return module + "/" + rel }
	cases := []struct {
		p    pkg
		want string // substring of the one expected message; "" for none
	}{
		{pkg{rel: "expr", imports: []string{m("types"), "fmt"}}, ""},
		{pkg{rel: "compile", imports: []string{m("schema"), m("expr")}}, ""},
		{pkg{rel: "dialect/sqlite", imports: []string{m("dialect"), m("dialect/internal/conv"), "modernc.org/sqlite"}}, ""},
		{pkg{rel: "dialect/internal/conv", imports: []string{m("dialect"), m("types")}}, ""},
		{pkg{rel: "dialect/postgres", imports: []string{"github.com/jackc/pgx/v5/pgxpool"}}, ""},
		{pkg{rel: "engine", imports: []string{m("dialect/sqlite"), m("dialect/postgres"), m("dialect/mysql")}}, ""},
		{pkg{rel: "orm", imports: []string{m("engine")}}, ""},
		{pkg{rel: "internal/testdb", imports: []string{"github.com/jackc/pgx/v5", "github.com/go-sql-driver/mysql"}}, ""},
		{pkg{rel: "examples/shop", imports: []string{m("orm"), "modernc.org/sqlite"}, deps: []string{m("orm")}}, ""},
		{pkg{rel: "types", imports: []string{m("expr")}}, "types imports expr"},
		{pkg{rel: "expr", imports: []string{m("expr/internal/x"), m("schema")}}, "expr imports schema"},
		{pkg{rel: "schema", imports: []string{m("compile")}}, "schema imports compile"},
		{pkg{rel: "dialect/sqlite", imports: []string{m("dialect/postgres")}}, "dialect/sqlite imports dialect/postgres"},
		{pkg{rel: "dialect/internal/conv", imports: []string{m("dialect/mysql")}}, "dialect/internal/conv imports dialect/mysql"},
		{pkg{rel: "dialect", imports: []string{m("dialect/internal/conv")}}, "dialect imports dialect/internal/conv"},
		{pkg{rel: "engine/internal/pool", imports: []string{m("dialect")}}, ""},
		{pkg{rel: "engine", imports: []string{m("engine/internal/pool")}}, ""},
		{pkg{rel: "engine/internal/pool", imports: []string{m("engine")}}, "engine/internal/pool imports engine"},
		{pkg{rel: "engine", imports: []string{m("orm")}, deps: []string{m("orm")}}, "engine imports orm"},
		{pkg{rel: "engine", imports: []string{"github.com/jackc/pgx/v5"}}, "engine imports driver github.com/jackc/pgx/v5: only dialect/postgres may"},
		{pkg{rel: "dialect/mysql", imports: []string{"modernc.org/sqlite/lib"}}, "only dialect/sqlite may"},
		{pkg{rel: "", imports: []string{"github.com/go-sql-driver/mysql"}}, "retort (root) imports driver"},
		{pkg{rel: "internal/testdb", imports: []string{m("types")}}, "internal/testdb imports types"},
		{pkg{rel: "examples/basic", deps: []string{m("orm/internal/x")}}, "examples/basic depends on orm/internal/x: Core never imports orm"},
		{pkg{rel: "widgets"}, "widgets fits no layer"},
	}
	for _, c := range cases {
		got := checkLayers([]pkg{c.p})
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%s %v: unexpected %q", name(c.p.rel), c.p.imports, got)
		case c.want != "" && (len(got) == 0 || !strings.Contains(got[0], c.want)):
			t.Errorf("%s %v: got %q, want a message containing %q", name(c.p.rel), c.p.imports, got, c.want)
		}
	}
}
