package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

func main() {
	typesFlag := flag.String("type", "", "comma-separated names of the model struct types (default: every model struct of the package)")
	dir := flag.String("dir", ".", "directory of the package holding the models")
	out := flag.String("o", "", "output file (default: retort_handles.go in -dir)")
	suffix := flag.String("suffix", "T", "suffix of the handle names (A gives AT)")
	flag.Parse()
	var names []string
	if *typesFlag != "" {
		names = strings.Split(*typesFlag, ",")
	}
	src, err := generate(*dir, names, *suffix)
	if err != nil {
		fmt.Fprintln(os.Stderr, "retort-gen:", err)
		os.Exit(1)
	}
	path := *out
	if path == "" {
		path = filepath.Join(*dir, "retort_handles.go")
	}
	if err := os.WriteFile(path, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "retort-gen:", err)
		os.Exit(1)
	}
}

// pkgInfo is the parsed package: its name, struct types and the imports of each file.
type pkgInfo struct {
	name    string
	structs map[string]*ast.StructType
	files   map[string]*ast.File // struct name -> file declaring it
	order   []string             // struct names in file and declaration order
	fset    *token.FileSet
}

func loadPackage(dir string) (*pkgInfo, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	p := &pkgInfo{structs: map[string]*ast.StructType{}, files: map[string]*ast.File{}, fset: fset}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") || n == "retort_handles.go" {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		if p.name == "" {
			p.name = f.Name.Name
		} else if p.name != f.Name.Name {
			continue // another package in the directory (package main beside a library)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				if st, ok := ts.Type.(*ast.StructType); ok && ts.TypeParams == nil {
					p.structs[ts.Name.Name] = st
					p.files[ts.Name.Name] = f
					p.order = append(p.order, ts.Name.Name)
				}
			}
		}
	}
	if p.name == "" {
		return nil, fmt.Errorf("no Go files in %s", dir)
	}
	return p, nil
}

// handleField is one field of a generated handle.
type handleField struct {
	name string
	typ  string // "orm.Column[...]" or "orm.Relation[A, B]"
}

// models returns the model structs of the package, in declaration order: the struct
// types that have a primary key (a field tagged pk, or a field named ID, also inside an
// embedded struct of the package) or are the target of another model's relationship,
// leaving out the structs that other structs embed (field groups such as a Base with the
// ID) and handle structs (those embedding orm.Table).
func (p *pkgInfo) models() []string {
	embedded := map[string]bool{}
	for _, st := range p.structs {
		for _, f := range st.Fields.List {
			if len(f.Names) == 0 {
				embedded[embeddedName(f.Type)] = true
			}
		}
	}
	isModel := map[string]bool{}
	for _, n := range p.order {
		if !embedded[n] && !isHandle(p.structs[n]) && p.hasKey(p.structs[n], nil) {
			isModel[n] = true
		}
	}
	// Relationship targets of models are models.
	for changed := true; changed; {
		changed = false
		for _, n := range p.order {
			if !isModel[n] {
				continue
			}
			for _, f := range p.structs[n].Fields.List {
				tag := fieldTag(f)
				if target, ok := p.relationTarget(f.Type, tag); ok && len(f.Names) > 0 {
					if _, local := p.structs[target]; local && !isModel[target] {
						isModel[target], changed = true, true
					}
				}
			}
		}
	}
	var out []string
	for _, n := range p.order {
		if isModel[n] {
			out = append(out, n)
		}
	}
	return out
}

// hasKey reports whether st (or a struct of the package it embeds) has a field tagged pk
// or named ID.
func (p *pkgInfo) hasKey(st *ast.StructType, seen []string) bool {
	for _, f := range st.Fields.List {
		tag := fieldTag(f)
		if tag == "-" {
			continue
		}
		if len(f.Names) == 0 {
			name := embeddedName(f.Type)
			if inner, ok := p.structs[name]; ok && !slices.Contains(seen, name) && p.hasKey(inner, append(seen, name)) {
				return true
			}
			continue
		}
		for _, o := range strings.Split(tag, ",") {
			if o = strings.TrimSpace(o); o == "pk" || o == "primary_key" {
				return true
			}
		}
		for _, n := range f.Names {
			if n.Name == "ID" {
				return true
			}
		}
	}
	return false
}

// isHandle reports whether st embeds orm.Table[...] (a handle struct, not a model).
func isHandle(st *ast.StructType) bool {
	for _, f := range st.Fields.List {
		if len(f.Names) != 0 {
			continue
		}
		if ix, ok := f.Type.(*ast.IndexExpr); ok {
			if sel, ok := ix.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "Table" {
				return true
			}
		}
	}
	return false
}

// fieldTag returns the retort tag of a field ("" when it has none).
func fieldTag(f *ast.Field) string {
	if f.Tag == nil {
		return ""
	}
	s, err := strconv.Unquote(f.Tag.Value)
	if err != nil {
		return ""
	}
	return reflect.StructTag(s).Get("retort")
}

// generate returns the source of the handles of the given types (every model of the
// package when typeNames is empty). Each handle is named after its model with suffix
// (User gives UserT), the convention of the package orm examples.
func generate(dir string, typeNames []string, suffix string) ([]byte, error) {
	p, err := loadPackage(dir)
	if err != nil {
		return nil, err
	}
	if len(typeNames) == 0 {
		typeNames = p.models()
		if len(typeNames) == 0 {
			return nil, fmt.Errorf("package %s has no model structs (a struct with a field tagged pk or named ID); name them with -type", p.name)
		}
	}
	imports := map[string]string{} // package name -> path, as used by the field types
	var b bytes.Buffer
	var body bytes.Buffer
	var handles []string
	var errs []error
	for _, tn := range typeNames {
		tn = strings.TrimSpace(tn)
		st, ok := p.structs[tn]
		if !ok {
			errs = append(errs, fmt.Errorf("type %s: no struct type of that name in package %s", tn, p.name))
			continue
		}
		fields, err := p.handleFields(tn, st, p.files[tn], imports, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		hn := tn + suffix
		handles = append(handles, hn)
		fmt.Fprintf(&body, "\n// %s is the typed handle of %s.\nvar %s = struct {\n\torm.Table[%s]\n", hn, tn, hn, tn)
		for _, f := range fields {
			fmt.Fprintf(&body, "\t%s %s\n", f.name, f.typ)
		}
		body.WriteString("}{}\n")
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	fmt.Fprintf(&b, "// Code generated by retort-gen; DO NOT EDIT.\n\npackage %s\n\nimport (\n", p.name)
	// Two groups, the standard library's then the others, each sorted by path, as
	// goimports writes them.
	std := []string{"errors"}
	other := []string{"github.com/retortdb/retort/orm"}
	named := map[string]string{}
	for name, path := range imports {
		if defaultName(path) != name {
			named[path] = name
		}
		if strings.Contains(strings.Split(path, "/")[0], ".") {
			other = append(other, path)
		} else if path != "errors" {
			std = append(std, path)
		}
	}
	sort.Strings(std)
	sort.Strings(other)
	for i, group := range [][]string{std, other} {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, path := range group {
			if name, ok := named[path]; ok {
				fmt.Fprintf(&b, "\t%s %q\n", name, path)
			} else {
				fmt.Fprintf(&b, "\t%q\n", path)
			}
		}
	}
	b.WriteString(")\n")
	b.Write(body.Bytes())
	b.WriteString("\n// RegisterHandles registers the handles above (and so their models) with reg.\nfunc RegisterHandles(reg *orm.Registry) error {\n\treturn errors.Join(\n")
	for _, h := range handles {
		fmt.Fprintf(&b, "\t\torm.RegisterHandle(reg, &%s),\n", h)
	}
	b.WriteString("\t)\n}\n")
	src := b.Bytes()
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("formatting the generated code: %w\n%s", err, src)
	}
	return out, nil
}

// handleFields lists the handle fields of struct st (model name owner), flattening
// embedded structs of the package. seen guards against recursive embedding.
func (p *pkgInfo) handleFields(owner string, st *ast.StructType, file *ast.File, imports map[string]string, seen []string) ([]handleField, error) {
	var out []handleField
	for _, f := range st.Fields.List {
		tag := ""
		if f.Tag != nil {
			if s, err := strconv.Unquote(f.Tag.Value); err == nil {
				tag = reflect.StructTag(s).Get("retort")
			}
		}
		if tag == "-" {
			continue
		}
		if len(f.Names) == 0 { // embedded
			name := embeddedName(f.Type)
			if inner, ok := p.structs[name]; ok && tag == "" && !slices.Contains(seen, name) {
				sub, err := p.handleFields(owner, inner, p.files[name], imports, append(seen, name))
				if err != nil {
					return nil, err
				}
				out = append(out, sub...)
			}
			continue
		}
		for _, n := range f.Names {
			if !n.IsExported() {
				continue
			}
			if target, ok := p.relationTarget(f.Type, tag); ok {
				out = append(out, handleField{name: n.Name, typ: "orm.Relation[" + owner + ", " + target + "]"})
				continue
			}
			typ, err := p.typeString(f.Type, file, imports)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", owner, n.Name, err)
			}
			out = append(out, handleField{name: n.Name, typ: "orm.Column[" + typ + "]"})
		}
	}
	return out, nil
}

func embeddedName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// relationTarget reports whether a field of type e is a relationship, and its target:
// []*X or *X with X a struct of the package (unless the tag stores it as JSON), or any
// []*X / *X tagged rel.
func (p *pkgInfo) relationTarget(e ast.Expr, tag string) (string, bool) {
	opts := strings.Split(tag, ",")
	if slices.Contains(opts, "json") || slices.ContainsFunc(opts, func(o string) bool { return strings.HasPrefix(o, "type=") }) {
		return "", false
	}
	rel := slices.Contains(opts, "rel")
	if arr, ok := e.(*ast.ArrayType); ok && arr.Len == nil {
		e = arr.Elt
		if _, ok := e.(*ast.StarExpr); !ok {
			return "", false
		}
	}
	star, ok := e.(*ast.StarExpr)
	if !ok {
		return "", false
	}
	switch x := star.X.(type) {
	case *ast.Ident:
		if _, isStruct := p.structs[x.Name]; isStruct || rel {
			return x.Name, true
		}
	case *ast.SelectorExpr:
		if rel {
			return fmt.Sprintf("%s.%s", x.X.(*ast.Ident).Name, x.Sel.Name), true
		}
	}
	return "", false
}

// typeString prints type e as written, recording the imports it needs.
func (p *pkgInfo) typeString(e ast.Expr, file *ast.File, imports map[string]string) (string, error) {
	var err error
	ast.Inspect(e, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		path, found := importPath(file, id.Name)
		if !found {
			err = fmt.Errorf("cannot find the import of package %s", id.Name)
			return false
		}
		if prev, dup := imports[id.Name]; dup && prev != path {
			err = fmt.Errorf("package name %s stands for both %s and %s", id.Name, prev, path)
			return false
		}
		imports[id.Name] = path
		return false
	})
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := format.Node(&b, p.fset, e); err != nil {
		return "", err
	}
	return b.String(), nil
}

// defaultName returns the package name an import path gives by default: its last
// element, or the one before a major version suffix (github.com/jackc/pgx/v5 is pgx).
func defaultName(path string) string {
	parts := strings.Split(path, "/")
	last := parts[len(parts)-1]
	if len(parts) > 1 && len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
		last = parts[len(parts)-2]
	}
	return strings.ReplaceAll(last, "-", "_")
}

// importPath returns the path of the import that file refers to as name.
func importPath(file *ast.File, name string) (string, bool) {
	for _, imp := range file.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		local := defaultName(path)
		if imp.Name != nil {
			local = imp.Name.Name
		}
		if local == name {
			return path, true
		}
	}
	return "", false
}
