package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGolden regenerates the handles of testdata/models and compares them with the
// committed file (run `go generate ./cmd/retort-gen/testdata/models` after a change).
func TestGolden(t *testing.T) {
	got, err := generate("testdata/models", []string{"A", "B", "User", "Post"}, "T")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/models/retort_handles.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("generated handles differ from testdata/models/retort_handles.go:\n%s", got)
	}
}

// TestGeneratedCodeRegisters builds and runs the test program: the generated handles
// compile, register against the models (binding embedded fields, relationships and JSON
// columns) and refer to the right columns.
func TestGeneratedCodeRegisters(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	cmd := exec.Command("go", "run", "./testdata/models")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./testdata/models: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "a a_id id User tags" {
		t.Errorf("output %q", got)
	}
}

func TestErrors(t *testing.T) {
	if _, err := generate("testdata/models", []string{"Nope"}, "T"); err == nil || !strings.Contains(err.Error(), "type Nope: no struct type of that name in package main") {
		t.Errorf("unknown type: %v", err)
	}
	dir := t.TempDir()
	src := "package m\n\ntype M struct {\n\tID int64\n\tX  undeclared.T\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "m.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := generate(dir, []string{"M"}, "T"); err == nil || !strings.Contains(err.Error(), "M.X: cannot find the import of package undeclared") {
		t.Errorf("unknown package: %v", err)
	}
	if _, err := generate(filepath.Join(dir, "missing"), []string{"M"}, "T"); err == nil {
		t.Error("missing directory: no error")
	}
	for path, want := range map[string]string{"github.com/jackc/pgx/v5": "pgx", "time": "time", "example.com/go-thing": "go_thing"} {
		if got := defaultName(path); got != want {
			t.Errorf("defaultName(%q) = %q, want %q", path, got, want)
		}
	}
}
