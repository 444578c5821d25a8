// Command retort-gen writes the typed handle structs of retort ORM models (see package
// orm, "Typed column handles"), so that they need not be written by hand:
//
//	//go:generate go run github.com/retortdb/retort/cmd/retort-gen -type A,B
//
// For each named struct type T of the package in the current directory it writes
//
//	// TT is the typed handle of T.
//	var TT = struct {
//		orm.Table[T]
//		ID   orm.Column[int64]
//		Data orm.Column[*string]
//		Bs   orm.Relation[T, B]
//	}{}
//
// with one Column per mapped field (its type exactly as written in the struct) and one
// Relation per relationship field ([]*X or *X where X is a struct type of the package, or
// any field tagged rel), following the mapping rules of package orm: unexported fields
// and fields tagged retort:"-" are left out, fields of embedded structs of the package are
// included. It also writes RegisterHandles(reg), which registers every handle (and so
// every model) with orm.RegisterHandle. The generated handles are ordinary Go, checked
// against the models at registration like hand-written ones.
//
// Flags: -type (comma-separated type names, required), -dir (package directory, default
// "."), -o (output file, default retort_handles.go in -dir), -suffix (handle name suffix,
// default "T").
package main
