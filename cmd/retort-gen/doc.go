// Command retort-gen writes the typed handle structs of retort ORM models (see package
// orm, "Typed column handles"), so that they need not be written by hand:
//
//	//go:generate go run github.com/retortdb/retort/cmd/retort-gen
//
// It finds the models of the package in the current directory by itself: the struct
// types with a primary key (a field tagged pk, or a field named ID, also inside an
// embedded struct) and the structs other models' relationships point to, leaving out
// the structs that others embed (a Base holding the ID) and handle structs. -type A,B
// names them instead. For each model T it writes
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
// Handles are named after their models with the suffix T (User gives UserT, A gives AT),
// the convention of package orm's documentation. The output is gofmt'd, with its imports
// grouped as goimports groups them (standard library first), so that neither tool
// changes it.
//
// Flags: -type (comma-separated type names; default: every model of the package), -dir
// (package directory, default "."), -o (output file, default retort_handles.go in -dir),
// -suffix (handle name suffix, default "T").
package main
