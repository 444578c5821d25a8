package expr_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
	"github.com/retortdb/retort/expr"
)

// textDialects are the dialects Text statements are compiled for in FuzzText.
var textDialects = []compile.Dialect{
	sqlite.New(),
	postgres.New(),
	mysql.New(mysql.MariaDB, 10, 11, 0),
	mysql.New(mysql.MySQL, 8, 0, 36),
}

func isTextNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// FuzzText checks the :name placeholder parser of expr.Text: it never panics; every
// parameter is a well-formed name; without backslashes (the only escape, "\:") the
// segments rebuild the SQL exactly and parse again to the same segments; and compiled on
// every dialect with a value per name, the bound arguments are exactly those values in
// the order of ParamNames (repeats included), while a missing value is a compile error
// naming the parameter.
func FuzzText(f *testing.F) {
	for _, s := range []string{
		"SELECT :a",
		"SELECT * FROM t WHERE id = :id AND name = :name OR id = :id",
		"SELECT x::int, :a::text FROM t",
		":::a",
		":a:b",
		"x:a",
		`SELECT '\:a', "it's", 'it''s :b', "a""b :c", ` + "`q:d`" + ` :e`,
		`SELECT \:a, \\:b, :c\:d`,
		"SELECT ':unterminated",
		"'",
		`"`,
		"`",
		":",
		"::",
		`\`,
		`\:`,
		":_x1 + :X_2 + :é + :9 + :_",
		"SELECT $1, ?, %s, :a -- :b\n/* :c */",
		"INSERT INTO t (a, b) VALUES (:a, :b) RETURNING :c",
		"SELECT :a\x00:b",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		st := expr.Text(sql)
		names := st.ParamNames()
		var rebuilt strings.Builder
		for _, seg := range st.Segments {
			if seg.Param == "" {
				if seg.SQL == "" {
					t.Fatalf("Text(%q): empty literal segment", sql)
				}
				rebuilt.WriteString(seg.SQL)
				continue
			}
			if seg.SQL != "" {
				t.Fatalf("Text(%q): segment %+v has both SQL and a parameter", sql, seg)
			}
			if !isTextNameStart(seg.Param[0]) {
				t.Fatalf("Text(%q): parameter %q does not start with a letter or '_'", sql, seg.Param)
			}
			for i := 1; i < len(seg.Param); i++ {
				if c := seg.Param[i]; !isTextNameStart(c) && (c < '0' || c > '9') {
					t.Fatalf("Text(%q): parameter %q holds %q", sql, seg.Param, c)
				}
			}
			rebuilt.WriteString(":" + seg.Param)
		}
		if !strings.Contains(sql, `\`) {
			if rebuilt.String() != sql {
				t.Fatalf("Text(%q): segments rebuild %q", sql, rebuilt.String())
			}
			again := expr.Text(rebuilt.String())
			if !reflect.DeepEqual(again.Segments, st.Segments) {
				t.Fatalf("Text(%q): reparsed segments %+v, want %+v", sql, again.Segments, st.Segments)
			}
		}

		// One value per distinct name: the name's index in order of first appearance.
		idx := map[string]int64{}
		var params []expr.NamedParam
		for _, n := range names {
			if _, ok := idx[n]; !ok {
				idx[n] = int64(len(idx))
				params = append(params, expr.Param(n, idx[n]))
			}
		}
		want := make([]any, len(names))
		for i, n := range names {
			want[i] = idx[n]
		}
		bound := st.Bind(params...)
		for _, d := range textDialects {
			c, err := compile.Compile(d, bound)
			if err != nil {
				t.Fatalf("Compile(%s, Text(%q)) with every value: %v", d.Name(), sql, err)
			}
			if len(c.Args) != len(want) || (len(want) > 0 && !reflect.DeepEqual(c.Args, want)) {
				t.Fatalf("Compile(%s, Text(%q)): args %v, want %v", d.Name(), sql, c.Args, want)
			}
			if len(names) == 0 {
				continue
			}
			_, err = compile.Compile(d, st)
			if err == nil || !errors.Is(err, compile.ErrCompile) || !strings.Contains(err.Error(), ":"+names[0]) {
				t.Fatalf("Compile(%s, Text(%q)) without values: error %v, want a compile error naming :%s", d.Name(), sql, err, names[0])
			}
		}
	})
}
