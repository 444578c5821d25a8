package main

import (
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestGolden regenerates the handles of testdata/models and compares them with the
// committed file (run `go generate ./cmd/retort-gen/testdata/models` after a change).
func TestGolden(t *testing.T) {
	got, err := generate("testdata/models", nil, "T") // the models found by themselves
	if err != nil {
		t.Fatal(err)
	}
	named, err := generate("testdata/models", []string{"A", "B", "User", "Post"}, "T")
	if err != nil || string(named) != string(got) {
		t.Errorf("-type A,B,User,Post differs from the models found (%v):\n%s", err, named)
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

// TestFormatTools checks that gofmt and goimports leave the generated file unchanged
// (goimports when it is installed).
func TestFormatTools(t *testing.T) {
	src, err := os.ReadFile("testdata/models/retort_handles.go")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := format.Source(src); err != nil || string(out) != string(src) {
		t.Errorf("gofmt changes the generated file (%v):\n%s", err, out)
	}
	path, err := exec.LookPath("goimports")
	if err != nil {
		t.Skip("goimports is not installed")
	}
	out, err := exec.Command(path, "-d", "testdata/models/retort_handles.go").CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("goimports changes the generated file (%v):\n%s", err, out)
	}
}

// TestFindModels checks which structs count as models: not the embedded Base, not a
// handle struct, not a struct without a key; a relationship's target even without one.
func TestFindModels(t *testing.T) {
	dir := t.TempDir()
	src := `package m

import "github.com/retortdb/retort/orm"

type Base struct{ ID int64 }

type Note struct{ Text string }

type Owner struct {
	Base
	Pets []*Pet
}

type Pet struct {
	Name    string
	OwnerID int64 ` + "`retort:\"fk=owner.id\"`" + `
}

type Keyed struct {
	Code string ` + "`retort:\"pk\"`" + `
}

type OwnerHandle struct {
	orm.Table[Owner]
	ID orm.Column[int64]
}
`
	if err := os.WriteFile(filepath.Join(dir, "m.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := loadPackage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.models(), ","); got != "Owner,Pet,Keyed" {
		t.Errorf("models = %s, want Owner,Pet,Keyed", got)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "e.go"), []byte("package e\n\ntype Note struct{ Text string }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := generate(empty, nil, "T"); err == nil || !strings.Contains(err.Error(), "package e has no model structs") {
		t.Errorf("package without models: %v", err)
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
