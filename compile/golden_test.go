package compile_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the compiler's output")

// goldenCase is one statement whose SQL and arguments on every dialect are pinned by
// testdata/<name>.golden.
type goldenCase struct {
	name string
	stmt func() expr.Statement
}

// renderGolden compiles stmt for every golden dialect and formats the results.
func renderGolden(t *testing.T, stmt expr.Statement) string {
	t.Helper()
	var sb strings.Builder
	for _, nd := range goldenDialects {
		fmt.Fprintf(&sb, "-- %s --\n", nd.label)
		c, err := compile.Compile(nd.d, stmt)
		if err != nil {
			fmt.Fprintf(&sb, "error: %v\n", err)
			continue
		}
		sb.WriteString(c.SQL)
		sb.WriteString("\nargs:")
		for _, a := range c.Args {
			fmt.Fprintf(&sb, " %T(%#v)", a, a)
		}
		sb.WriteString("\n")
		if len(c.Columns) > 0 {
			sb.WriteString("columns:")
			for _, col := range c.Columns {
				fmt.Fprintf(&sb, " %s:%s", col.Name, col.Type)
			}
			sb.WriteString("\n")
		}
		if len(c.ArgTypes) != len(c.Args) {
			t.Errorf("%s: %d arg types for %d args", nd.label, len(c.ArgTypes), len(c.Args))
		}
		// A second compilation (a cache hit) must give the same text and arguments.
		c2, err := compile.Compile(nd.d, stmt)
		if err != nil {
			t.Errorf("%s: second compile failed: %v", nd.label, err)
		} else if c2.SQL != c.SQL || fmt.Sprint(c2.Args) != fmt.Sprint(c.Args) {
			t.Errorf("%s: cached compile differs:\n%s %v\n%s %v", nd.label, c.SQL, c.Args, c2.SQL, c2.Args)
		}
		// And the uncached compiler must agree with the cache.
		c3, err := compile.CompileUncached(nd.d, stmt)
		if err != nil || c3.SQL != c.SQL {
			t.Errorf("%s: uncached compile differs: %v %v", nd.label, c3, err)
		}
	}
	return sb.String()
}

func runGolden(t *testing.T, cases []goldenCase) {
	t.Helper()
	seen := map[string]bool{}
	for _, gc := range cases {
		if seen[gc.name] {
			t.Fatalf("duplicate golden case %s", gc.name)
		}
		seen[gc.name] = true
		t.Run(gc.name, func(t *testing.T) {
			got := renderGolden(t, gc.stmt())
			path := filepath.Join("testdata", gc.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("missing golden file (run go test ./compile -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("SQL differs from %s:\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
			}
		})
	}
}
