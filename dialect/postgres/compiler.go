package postgres

import (
	"strconv"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/types"
)

// SQL compiler hooks of PostgreSQL: standard spellings throughout (OFFSET alone, ||,
// ILIKE, NULLS FIRST/LAST, FOR SHARE, ON CONFLICT), bytea literals as '\x...', and
// parameters whose type the server cannot infer (SELECT $1, $1 + $2) cast to their type.

var syntax = compile.Syntax{
	ShareLock:        "FOR SHARE",
	DefaultValues:    "DEFAULT VALUES",
	HexByteString:    true,
	CastUntypedBinds: true,
}

// Syntax returns PostgreSQL's spellings.
func (d *Dialect) Syntax() *compile.Syntax { return &syntax }

// FuncName returns name unchanged: PostgreSQL has now() and the other generic functions.
func (d *Dialect) FuncName(name string) (string, bool) { return name, false }

// AppendCastType appends the PostgreSQL type name for t.
func (d *Dialect) AppendCastType(b []byte, t types.Type) ([]byte, error) {
	switch t.Kind {
	case types.KindInteger:
		return append(b, "INTEGER"...), nil
	case types.KindBigInt:
		return append(b, "BIGINT"...), nil
	case types.KindSmallInt:
		return append(b, "SMALLINT"...), nil
	case types.KindBoolean:
		return append(b, "BOOLEAN"...), nil
	case types.KindFloat:
		return append(b, "REAL"...), nil
	case types.KindDouble:
		return append(b, "DOUBLE PRECISION"...), nil
	case types.KindNumeric:
		b = append(b, "NUMERIC"...)
		if t.Precision > 0 {
			b = strconv.AppendInt(append(b, '('), int64(t.Precision), 10)
			b = append(strconv.AppendInt(append(b, ", "...), int64(t.Scale), 10), ')')
		}
		return b, nil
	case types.KindString:
		if t.Length > 0 {
			return append(strconv.AppendInt(append(b, "VARCHAR("...), int64(t.Length), 10), ')'), nil
		}
		return append(b, "VARCHAR"...), nil
	case types.KindText:
		return append(b, "TEXT"...), nil
	case types.KindBytes:
		return append(b, "BYTEA"...), nil
	case types.KindDate:
		return append(b, "DATE"...), nil
	case types.KindTime:
		return append(b, "TIME"...), nil
	case types.KindTimestamp:
		if t.Timezone {
			return append(b, "TIMESTAMP WITH TIME ZONE"...), nil
		}
		return append(b, "TIMESTAMP WITHOUT TIME ZONE"...), nil
	case types.KindInterval:
		return append(b, "INTERVAL"...), nil
	case types.KindJSON:
		return append(b, "JSONB"...), nil
	case types.KindUUID:
		return append(b, "UUID"...), nil
	case types.KindEnum:
		if t.EnumName != "" {
			return d.AppendIdent(b, t.EnumName), nil
		}
		return append(b, "VARCHAR"...), nil
	}
	return nil, &compile.Error{Msg: "CAST to " + t.String() + " is not supported by postgresql", Unsupported: true}
}
