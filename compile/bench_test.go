package compile_test

import (
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/expr"
)

func select3Predicates(i int) expr.Statement {
	return expr.Select(users.C("id"), users.C("name"), users.C("email")).
		Where(users.C("age").Gt(i), users.C("name").Like("a%"), users.C("email").IsNotNull()).
		OrderBy(users.C("id")).Limit(10)
}

// BenchmarkCompileSelect3Predicates builds and compiles a SELECT with three predicates:
// after the first iteration every compile is a statement-cache hit.
func BenchmarkCompileSelect3Predicates(b *testing.B) {
	d := postgres.New()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := compile.Compile(d, select3Predicates(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileSelect3PredicatesPrebuilt compiles one prebuilt statement (cache hit),
// measuring the compile step alone.
func BenchmarkCompileSelect3PredicatesPrebuilt(b *testing.B) {
	d := postgres.New()
	s := select3Predicates(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compile.Compile(d, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompileSelect3PredicatesUncached renders the statement every time, without
// the statement cache.
func BenchmarkCompileSelect3PredicatesUncached(b *testing.B) {
	d := postgres.New()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := compile.CompileUncached(d, select3Predicates(i)); err != nil {
			b.Fatal(err)
		}
	}
}
