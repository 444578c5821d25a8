package compile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// treeGen builds an expression tree from fuzz bytes: each byte picks the next node.
type treeGen struct {
	data []byte
	pos  int
}

func (g *treeGen) next() byte {
	if g.pos >= len(g.data) {
		return 0
	}
	b := g.data[g.pos]
	g.pos++
	return b
}

var fuzzCols = []*expr.ColumnClause{users.C("id"), users.C("name"), users.C("email"), users.C("age"), users.C("created_at")}

var fuzzValues = []any{nil, 0, int64(-1), 1 << 40, "", "x'; DROP TABLE users; --", "😀", 1.5, true, false, []byte{0, 1}, types.Null[int]{}}

var fuzzOps = []expr.Op{expr.OpEq, expr.OpNe, expr.OpLt, expr.OpLe, expr.OpGt, expr.OpGe, expr.OpLike, expr.OpNotLike,
	expr.OpILike, expr.OpNotILike, expr.OpIs, expr.OpIsNot, expr.OpAdd, expr.OpSub, expr.OpMul, expr.OpDiv, expr.OpMod, expr.OpConcat}

// expr returns a random expression of at most depth levels.
func (g *treeGen) expr(depth int) expr.Expr {
	b := g.next()
	if depth <= 0 {
		b %= 3
	}
	switch b % 16 {
	case 0:
		return fuzzCols[int(g.next())%len(fuzzCols)]
	case 1:
		return expr.ToExpr(fuzzValues[int(g.next())%len(fuzzValues)], types.Unknown())
	case 2:
		return expr.Null()
	case 3:
		return expr.Binary(g.expr(depth-1), fuzzOps[int(g.next())%len(fuzzOps)], g.expr(depth-1))
	case 4:
		return expr.And(g.expr(depth-1), g.expr(depth-1))
	case 5:
		return expr.Or(g.expr(depth-1), g.expr(depth-1), g.expr(depth-1))
	case 6:
		return expr.Not(g.expr(depth - 1))
	case 7:
		return expr.Fn("lower", g.expr(depth-1))
	case 8:
		return expr.Coalesce(g.expr(depth-1), fuzzValues[int(g.next())%len(fuzzValues)])
	case 9:
		ts := []types.Type{types.Integer(), types.String(10), types.Text(), types.Boolean(), types.Numeric(10, 2), types.Timestamp(true)}
		return expr.Cast(g.expr(depth-1), ts[int(g.next())%len(ts)])
	case 10:
		return expr.Case().When(g.expr(depth-1), g.expr(depth-1)).Else(g.expr(depth - 1))
	case 11:
		return expr.Exists(expr.Select(addresses.C("id")).Where(g.expr(depth - 1)))
	case 12:
		c := fuzzCols[int(g.next())%len(fuzzCols)]
		return c.In(fuzzValues[int(g.next())%len(fuzzValues)], g.next())
	case 13:
		c := fuzzCols[int(g.next())%len(fuzzCols)]
		return c.Between(g.expr(depth-1), g.expr(depth-1))
	case 14:
		return expr.Label(g.expr(depth-1), string([]byte{'l', g.next()}))
	default:
		return expr.CountStar()
	}
}

// statement returns a random statement around random expressions.
func (g *treeGen) statement() expr.Statement {
	switch g.next() % 4 {
	case 0:
		return expr.Update(users).Set(users.C("name"), g.expr(3)).Where(g.expr(4))
	case 1:
		return expr.Delete(users).Where(g.expr(4))
	case 2:
		return expr.Insert(users).Values(map[string]any{"id": g.expr(2), "name": g.expr(2)})
	}
	return expr.Select(g.expr(3), g.expr(3)).Where(g.expr(5)).OrderBy(g.expr(2)).Limit(int(g.next()))
}

// FuzzCompileExpr compiles random expression trees inside random statements for every
// dialect: no panic; either a compile error (wrapping compile.ErrCompile) or non-empty
// SQL with an argument type and column entry for each argument, the same result through
// the statement cache and without it, and no bound value spliced into the text.
func FuzzCompileExpr(f *testing.F) {
	for _, seed := range []string{"", "\x00", "\x03\x00\x01\x01\x05", "\x0b\x04\x03\x00\x00\x02\x01\x05", "\x01\x0c\x02\x05\x07\x0d\x00\x01\x01\x02",
		"\x00\x09\x03\x01\x05\x04\x0a\x01\x01\x02\x03\x08\x04\x0e\x02\x07", "\x02\x03\x01\x04\x00\x05"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, nd := range goldenDialects {
			stmt := (&treeGen{data: data}).statement()
			c, err := compile.Compile(nd.d, stmt)
			if err != nil {
				if !errors.Is(err, compile.ErrCompile) {
					t.Fatalf("%s: error %v does not wrap ErrCompile", nd.label, err)
				}
				continue
			}
			if c.SQL == "" {
				t.Fatalf("%s: empty SQL", nd.label)
			}
			if len(c.ArgTypes) != len(c.Args) || len(c.ArgColumns) != len(c.Args) {
				t.Fatalf("%s: %d args, %d types, %d columns: %s", nd.label, len(c.Args), len(c.ArgTypes), len(c.ArgColumns), c.SQL)
			}
			if strings.Contains(c.SQL, "DROP TABLE") {
				t.Fatalf("%s: a bound value reached the SQL text: %s", nd.label, c.SQL)
			}
			u, err := compile.CompileUncached(nd.d, (&treeGen{data: data}).statement())
			if err != nil || u.SQL != c.SQL || len(u.Args) != len(c.Args) {
				t.Fatalf("%s: cached and uncached compilations differ:\n%s\n%v %v", nd.label, c.SQL, u, err)
			}
		}
	})
}
