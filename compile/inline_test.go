package compile_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

func TestAppendInline(t *testing.T) {
	when := time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.UTC)
	cases := []struct {
		name string
		e    expr.Expr
		want map[string]string // dialect label -> SQL; "*" for all
	}{
		{"string", expr.Value("it's a \\ test", types.Text()), map[string]string{
			"sqlite": `'it''s a \ test'`, "postgresql": `'it''s a \ test'`,
			"mariadb 10.11": `'it''s a \\ test'`, "mysql 8.0.36": `'it''s a \\ test'`}},
		{"integer", expr.Value(-42, types.Integer()), map[string]string{"*": "-42"}},
		{"uint", expr.Value(uint16(7), types.SmallInt()), map[string]string{"*": "7"}},
		{"float", expr.Value(2.5, types.Double()), map[string]string{"*": "2.5"}},
		{"bool", expr.Value(true, types.Boolean()), map[string]string{"*": "true"}},
		{"null", expr.Null(), map[string]string{"*": "NULL"}},
		{"nil value", expr.Value(nil, types.Text()), map[string]string{"*": "NULL"}},
		{"false literal", expr.False(), map[string]string{"*": "false"}},
		{"now", expr.Now(), map[string]string{"sqlite": "strftime('%Y-%m-%d %H:%M:%f000', 'now')", "postgresql": "now()",
			"mariadb 10.11": "now(6)", "mysql 8.0.36": "now(6)"}},
		{"function with literal", expr.Fn("lower", "ABC"), map[string]string{"*": "lower('ABC')"}},
		{"now with an argument", expr.Fn("now", 3), map[string]string{"*": "now(3)"}},
		{"timestamp", expr.Value(when, types.Timestamp(false)), map[string]string{"*": "'2024-01-02 03:04:05.6'"}},
		{"date", expr.Value(when, types.Date()), map[string]string{"*": "'2024-01-02'"}},
		{"bytes", expr.Value([]byte{0xde, 0xad}, types.Bytes()), map[string]string{
			"sqlite": "X'dead'", "postgresql": `'\xdead'`, "mariadb 10.11": "X'dead'", "mysql 8.0.36": "X'dead'"}},
		{"check expression", expr.And(items.C("seq").Gt(0), items.C("status").In("new", "old"), items.C("select").IsNotNull()),
			map[string]string{"sqlite": `seq > 0 AND status IN ('new', 'old') AND "select" IS NOT NULL`,
				"postgresql":    `seq > 0 AND status IN ('new', 'old') AND "select" IS NOT NULL`,
				"mariadb 10.11": "seq > 0 AND `status` IN ('new', 'old') AND `select` IS NOT NULL",
				"mysql 8.0.36":  "seq > 0 AND `status` IN ('new', 'old') AND `select` IS NOT NULL"}},
		{"empty in inline", items.C("seq").In(), map[string]string{"*": "seq IN (NULL) AND (1 != 1)"}},
	}
	for _, tc := range cases {
		for _, nd := range goldenDialects {
			want, ok := tc.want[nd.label]
			if !ok {
				want = tc.want["*"]
			}
			got, err := compile.AppendInline(nd.d, []byte("x "), tc.e)
			if err != nil {
				t.Errorf("%s on %s: %v", tc.name, nd.label, err)
				continue
			}
			if string(got) != "x "+want {
				t.Errorf("%s on %s: got %s, want x %s", tc.name, nd.label, got, want)
			}
		}
	}
}

func TestAppendInlineErrors(t *testing.T) {
	d := goldenDialects[0].d
	for _, e := range []expr.Expr{
		expr.Value(math.NaN(), types.Double()),
		expr.Value(struct{}{}, types.Unknown()),
		expr.Value("a\x00b", types.Text()),
		expr.Value(time.Second, types.Interval()),
	} {
		b, err := compile.AppendInline(d, []byte("keep"), e)
		if err == nil || !errors.Is(err, compile.ErrCompile) {
			t.Errorf("%#v: want an ErrCompile error, got %v", e, err)
		}
		if string(b) != "keep" {
			t.Errorf("buffer changed on error: %q", b)
		}
	}
}
