package retort_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The documentation rules of design.md ("Style"): every exported name has a doc comment
// that starts with its name, and every package has a doc.go holding its package comment.
// TestDocComments checks them over every non-test .go file of the module.

// docExempt lists directories whose misses are reported (t.Log) but do not fail the test.
// It is empty: the rules hold for the whole module, orm included. A directory may be
// listed here only while its owner is still writing it, with a TODO naming that owner.
var docExempt []string

// docMiss is one broken documentation rule.
type docMiss struct {
	pos token.Position
	msg string
}

func (m docMiss) String() string { return fmt.Sprintf("%s:%d: %s", m.pos.Filename, m.pos.Line, m.msg) }

// articles may precede a type's name in its doc comment ("A Conn is ...").
var articles = []string{"A ", "An ", "The "}

// startsWithName reports whether doc (a comment's text) begins with name as a word,
// optionally after an article when allowArticle is set.
func startsWithName(doc, name string, allowArticle bool) bool {
	doc = strings.TrimSpace(doc)
	if startsWithWord(doc, name) {
		return true
	}
	if allowArticle {
		for _, a := range articles {
			if rest, ok := strings.CutPrefix(doc, a); ok && startsWithWord(rest, name) {
				return true
			}
		}
	}
	return false
}

// startsWithWord reports whether s begins with the word w: "Conn is" or "Conn's" for
// Conn, not "Connect".
func startsWithWord(s, w string) bool {
	rest, ok := strings.CutPrefix(s, w)
	return ok && (rest == "" || !isIdentByte(rest[0]))
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// checkFileDocs returns the documentation misses of one parsed file.
func checkFileDocs(fset *token.FileSet, f *ast.File) []docMiss {
	var out []docMiss
	miss := func(n ast.Node, format string, args ...any) {
		out = append(out, docMiss{fset.Position(n.Pos()), fmt.Sprintf(format, args...)})
	}
	// need checks that an exported name has a doc comment starting with it; label is how
	// the miss names it ("method Conn.Close" for the method Close).
	need := func(n ast.Node, label, name string, doc *ast.CommentGroup, allowArticle bool) {
		if doc == nil || strings.TrimSpace(doc.Text()) == "" {
			miss(n, "%s has no doc comment", label)
			return
		}
		if !startsWithName(doc.Text(), name, allowArticle) {
			first, _, _ := strings.Cut(strings.TrimSpace(doc.Text()), "\n")
			miss(n, "doc comment of %s does not start with %s: %q", label, name, first)
		}
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			if d.Recv == nil {
				need(d, "func "+d.Name.Name, d.Name.Name, d.Doc, false)
				continue
			}
			recv := receiverName(d.Recv)
			if recv == "" || !ast.IsExported(recv) {
				continue // a method of an unexported type is not part of the API
			}
			need(d, "method "+recv+"."+d.Name.Name, d.Name.Name, d.Doc, false)
		case *ast.GenDecl:
			grouped := d.Lparen.IsValid()
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					doc := s.Doc
					if doc == nil && !grouped {
						doc = d.Doc
					}
					need(s, "type "+s.Name.Name, s.Name.Name, doc, true)
					if doc != nil && f.Name.Name != "main" && statefulType(s.Type) {
						text := strings.ToLower(doc.Text())
						if !mentions(text, concurrencyWords) || !mentions(text, lifetimeWords) {
							miss(s, "doc comment of type %s does not say whether it is safe for concurrent use and how long it lives", s.Name.Name)
						}
					}
					if it, ok := s.Type.(*ast.InterfaceType); ok {
						for _, m := range it.Methods.List {
							for _, n := range m.Names {
								if !n.IsExported() {
									continue
								}
								mdoc := m.Doc
								if mdoc == nil {
									mdoc = m.Comment
								}
								if mdoc == nil {
									miss(m, "interface method %s.%s has no doc comment", s.Name.Name, n.Name)
								} else if m.Doc != nil {
									need(m, "interface method "+s.Name.Name+"."+n.Name, n.Name, m.Doc, false)
								}
							}
						}
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if !n.IsExported() {
							continue
						}
						kind := "var"
						if d.Tok == token.CONST {
							kind = "const"
						}
						switch {
						case s.Doc != nil || s.Comment != nil:
							// A comment of its own (above or at the end of the line).
						case grouped && d.Doc != nil:
							// A member of a group explained by the group's comment.
						case !grouped:
							need(n, kind+" "+n.Name, n.Name, d.Doc, false)
						default:
							miss(n, "%s %s has no comment, and its group has none either", kind, n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// Words that show a type's doc comment states its concurrency rules and its lifetime
// (design.md: "Each type's doc states whether it is safe for concurrent use and how long
// it lives"). The check is a guard against forgetting, not a proof of a good sentence.
var (
	concurrencyWords = []string{"concurren", "goroutine", "immutable"}
	lifetimeWords    = []string{"live", "until", "lifetime", "as long as"}
)

func mentions(text string, words []string) bool {
	for _, w := range words {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

// statefulType reports whether a type declaration is a struct or an interface: the types
// whose doc must state their concurrency and lifetime (names for basic values, function
// types and aliases need not).
func statefulType(e ast.Expr) bool {
	switch e.(type) {
	case *ast.StructType, *ast.InterfaceType:
		return true
	}
	return false
}

// receiverName returns the type name of a method's receiver ("Conn" for *Conn or
// Null[T]).
func receiverName(fl *ast.FieldList) string {
	if fl == nil || len(fl.List) == 0 {
		return ""
	}
	t := fl.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
		case *ast.IndexExpr:
			t = x.X
		case *ast.IndexListExpr:
			t = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// docPackage is what checkPackageDocs needs about one directory's package.
type docPackage struct {
	dir   string
	files map[string]*ast.File // base name → file (non-test files only)
}

// checkPackageDocs checks the package-level rules: a doc.go exists and carries the
// package comment, which starts with "Package <name>" (or "Command <name>" / a sentence
// about the program for package main).
func checkPackageDocs(fset *token.FileSet, p docPackage) []docMiss {
	docFile, ok := p.files["doc.go"]
	pos := token.Position{Filename: filepath.Join(p.dir, "doc.go"), Line: 1}
	if !ok {
		return []docMiss{{pos, "package has no doc.go"}}
	}
	if docFile.Doc == nil || strings.TrimSpace(docFile.Doc.Text()) == "" {
		return []docMiss{{pos, "doc.go has no package comment"}}
	}
	name := docFile.Name.Name
	text := strings.TrimSpace(docFile.Doc.Text())
	if name != "main" && !strings.HasPrefix(text, "Package "+name+" ") && !strings.HasPrefix(text, "Package "+name+"\n") {
		first, _, _ := strings.Cut(text, "\n")
		return []docMiss{{pos, fmt.Sprintf("package comment does not start with \"Package %s\": %q", name, first)}}
	}
	var out []docMiss
	for base, f := range p.files {
		if base != "doc.go" && f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
			out = append(out, docMiss{fset.Position(f.Doc.Pos()), "a second package comment outside doc.go (keep it in doc.go only)"})
		}
	}
	return out
}

// moduleRoot returns the directory of this test: the module root.
func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(wd, "go.mod")); err != nil {
		t.Fatalf("run from the module root: %v", err)
	}
	return wd
}

// scanDocs parses every non-test .go file under root (skipping testdata, hidden
// directories, vendor and nested modules) and returns the misses per top directory.
func scanDocs(t *testing.T, root string) (misses []docMiss, files int) {
	t.Helper()
	fset := token.NewFileSet()
	pkgs := map[string]*docPackage{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if path != root && (base == "testdata" || base == "vendor" || strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_")) {
				return filepath.SkipDir
			}
			// A directory with a go.mod of its own (the benchmark module bench/, with
			// ent's generated code) is another module, outside these rules.
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		dir := filepath.Dir(rel)
		p := pkgs[dir]
		if p == nil {
			p = &docPackage{dir: dir, files: map[string]*ast.File{}}
			pkgs[dir] = p
		}
		p.files[filepath.Base(rel)] = f
		files++
		for _, m := range checkFileDocs(fset, f) {
			m.pos.Filename = rel
			misses = append(misses, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		misses = append(misses, checkPackageDocs(fset, *p)...)
	}
	for i := range misses {
		if r, err := filepath.Rel(root, misses[i].pos.Filename); err == nil && !strings.HasPrefix(r, "..") {
			misses[i].pos.Filename = r
		}
	}
	slices.SortFunc(misses, func(a, b docMiss) int { return strings.Compare(a.String(), b.String()) })
	return misses, files
}

// TestDocComments checks the documentation rules over every non-test .go file of the
// module, orm included (see docExempt).
func TestDocComments(t *testing.T) {
	misses, files := scanDocs(t, moduleRoot(t))
	if files < 50 {
		t.Fatalf("only %d files scanned: the walk is broken", files)
	}
	for _, m := range misses {
		exempt := false
		for _, dir := range docExempt {
			if under(filepath.ToSlash(m.pos.Filename), dir) {
				exempt = true
			}
		}
		if exempt {
			t.Logf("not yet enforced: %s", m)
			continue
		}
		t.Error(m)
	}
}

// TestCheckDocsCatchesMisses feeds the checker a file with every kind of miss, so that
// TestDocComments cannot pass by checking nothing.
func TestCheckDocsCatchesMisses(t *testing.T) {
	const src = `// Package p is a test.
package p

func Undocumented() {}

// Wrong name here.
func Named() {}

// Documented does something.
func Documented() {}

func unexported() {}

type T struct{}

// A U is fine with an article. It is immutable and lives as long as the caller keeps it.
type U struct{}

// V is a struct with a doc comment that states nothing more.
type V struct{}

// W is an int: no concurrency statement needed.
type W int

// UX is not U.
type Ux int

func (U) Method() {}

// Method2 is documented.
func (*U) Method2() {}

// Something else.
func (U) Method3() {}

func (t) hidden() {}

const Lone = 1

// Doc is documented.
const Doc = 2

// The group's comment.
const (
	A = iota
	B
)

const (
	C = 1 // C has a line comment.
	D = 2
)

var V int

// I is an interface. Implementations are safe for concurrent use and live until Close.
type I interface {
	// M does m.
	M()
	N() // N does n.
	O()
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range checkFileDocs(fset, f) {
		got = append(got, m.msg)
	}
	want := []string{
		"func Undocumented has no doc comment",
		`doc comment of func Named does not start with Named: "Wrong name here."`,
		"type T has no doc comment",
		"doc comment of type V does not say whether it is safe for concurrent use and how long it lives",
		`doc comment of type Ux does not start with Ux: "UX is not U."`,
		"method U.Method has no doc comment",
		`doc comment of method U.Method3 does not start with Method3: "Something else."`,
		"const Lone has no doc comment",
		"const D has no comment, and its group has none either",
		"var V has no doc comment",
		"interface method I.O has no doc comment",
	}
	if !slices.Equal(got, want) {
		t.Errorf("misses:\n got %q\nwant %q", got, want)
	}

	pf, err := parser.ParseFile(fset, "x.go", "// Package p is p.\npackage p\n", parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	if m := checkPackageDocs(fset, docPackage{dir: "p", files: map[string]*ast.File{"x.go": pf}}); len(m) != 1 || m[0].msg != "package has no doc.go" {
		t.Errorf("package without doc.go: %v", m)
	}
	df, err := parser.ParseFile(fset, "doc.go", "// Stuff.\npackage p\n", parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	if m := checkPackageDocs(fset, docPackage{dir: "p", files: map[string]*ast.File{"doc.go": df}}); len(m) != 1 || !strings.Contains(m[0].msg, `does not start with "Package p"`) {
		t.Errorf("bad package comment: %v", m)
	}
	gf, err := parser.ParseFile(fset, "doc.go", "// Package p is p.\npackage p\n", parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	if m := checkPackageDocs(fset, docPackage{dir: "p", files: map[string]*ast.File{"doc.go": gf}}); len(m) != 0 {
		t.Errorf("good doc.go: %v", m)
	}
	if m := checkPackageDocs(fset, docPackage{dir: "p", files: map[string]*ast.File{"doc.go": gf, "x.go": pf}}); len(m) != 1 || !strings.Contains(m[0].msg, "second package comment") {
		t.Errorf("a second package comment went unnoticed")
	}
}
