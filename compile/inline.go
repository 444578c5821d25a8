package compile

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"time"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// AppendInline appends e rendered for d with every value written as a literal (strings
// quoted and escaped for the dialect, numbers, booleans, NULL, timestamps as quoted
// text) and columns unqualified. It is for DDL only (DEFAULT and CHECK clauses), where
// bound parameters are not allowed; statements bind every value instead.
func AppendInline(d Dialect, b []byte, e expr.Expr) ([]byte, error) {
	if d == nil {
		return b, errorf("dialect is nil")
	}
	c := &compiler{d: d, syn: d.Syntax(), feats: d.Features(), b: b, inline: true, noQual: 1}
	c.expr(e, 0)
	if c.err != nil {
		return b, c.err
	}
	return c.b, nil
}

// literal writes v as a SQL literal of type t.
func (c *compiler) literal(v any, t types.Type) {
	switch x := v.(type) {
	case nil:
		c.put("NULL")
		return
	case bool:
		switch {
		case c.feats.Has(BooleanLiterals) && x:
			c.put("true")
		case c.feats.Has(BooleanLiterals):
			c.put("false")
		case x:
			c.put("1")
		default:
			c.put("0")
		}
		return
	case string:
		c.stringLiteral(x)
		return
	case []byte:
		if c.syn.HexByteString {
			c.put(`'\x`)
			c.b = hex.AppendEncode(c.b, x)
			c.put("'")
		} else {
			c.put("X'")
			c.b = hex.AppendEncode(c.b, x)
			c.put("'")
		}
		return
	case json.RawMessage:
		c.stringLiteral(string(x))
		return
	case types.UUID:
		c.stringLiteral(x.String())
		return
	case time.Time:
		switch t.Kind {
		case types.KindDate:
			c.stringLiteral(x.Format("2006-01-02"))
		case types.KindTimestamp:
			if t.Timezone {
				c.stringLiteral(x.Format("2006-01-02 15:04:05.999999-07:00"))
			} else {
				c.stringLiteral(x.UTC().Format("2006-01-02 15:04:05.999999"))
			}
		default:
			c.stringLiteral(x.UTC().Format("2006-01-02 15:04:05.999999"))
		}
		return
	case time.Duration:
		c.fail(errorf("cannot write the duration %s as a literal", x))
		return
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		c.b = strconv.AppendInt(c.b, rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		c.b = strconv.AppendUint(c.b, rv.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			c.fail(errorf("cannot write %v as a literal", f))
			return
		}
		bits := 64
		if rv.Kind() == reflect.Float32 {
			bits = 32
		}
		c.b = strconv.AppendFloat(c.b, f, 'g', -1, bits)
	case reflect.String:
		c.stringLiteral(rv.String())
	case reflect.Bool:
		c.literal(rv.Bool(), t)
	case reflect.Pointer:
		if rv.IsNil() {
			c.put("NULL")
			return
		}
		c.literal(rv.Elem().Interface(), t)
	default:
		c.fail(errorf("cannot write a %T as a literal", v))
	}
}

func (c *compiler) stringLiteral(s string) {
	c.b = append(c.b, '\'')
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			c.b = append(c.b, '\'')
		case '\\':
			if c.syn.BackslashEscapes {
				c.b = append(c.b, '\\')
			}
		case 0:
			c.fail(errorf("string literal contains a NUL byte"))
			return
		}
		c.b = append(c.b, s[i])
	}
	c.b = append(c.b, '\'')
}
