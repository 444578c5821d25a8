package mysql

import (
	"strconv"
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/types"
)

// SQL compiler hooks of MySQL and MariaDB: OFFSET needs a LIMIT (the largest unsigned
// 64-bit number means none), string concatenation is concat() because || is OR, string
// literals escape backslashes, integers are divided with DIV (so that 7 / 2 is 3 as on
// the other databases), INSERT with no values is "() VALUES ()", shared locks are
// FOR SHARE on MySQL 8.0+ and LOCK IN SHARE MODE on MariaDB and older MySQL. There is no
// ILIKE and no NULLS FIRST/LAST: the compiler emulates both (lower(x) LIKE lower(y);
// ORDER BY x IS NULL, x). Upserts use ON DUPLICATE KEY UPDATE with VALUES(col), which
// both servers accept.

var (
	syntaxShare = compile.Syntax{
		LimitAll:         "18446744073709551615",
		ConcatFunc:       true,
		ShareLock:        "FOR SHARE",
		DefaultValues:    "() VALUES ()",
		BackslashEscapes: true,
		IntDivision:      "DIV",
	}
	syntaxLockInShare = compile.Syntax{
		LimitAll:         "18446744073709551615",
		ConcatFunc:       true,
		ShareLock:        "LOCK IN SHARE MODE",
		DefaultValues:    "() VALUES ()",
		BackslashEscapes: true,
		IntDivision:      "DIV",
	}
)

// Syntax returns the server's spellings.
func (d *Dialect) Syntax() *compile.Syntax {
	if d.flavor == MySQL && d.version[0] >= 8 {
		return &syntaxShare
	}
	return &syntaxLockInShare
}

// FuncName spells random() as rand() and now() as now(6); other names are unchanged.
func (d *Dialect) FuncName(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "random":
		return "rand", false
	case "now":
		// NOW() has whole seconds; stored timestamps (DATETIME(6)) have microseconds.
		return "now(6)", true
	}
	return name, false
}

// AppendCastType appends the CAST target for t. MySQL casts to a few type names only:
// SIGNED for integers and booleans, DECIMAL(p,s), DOUBLE, CHAR(n) for strings, UUIDs and
// enums, BINARY, DATE, TIME, DATETIME(6), and JSON on MySQL (CHAR on MariaDB).
func (d *Dialect) AppendCastType(b []byte, t types.Type) ([]byte, error) {
	switch t.Kind {
	case types.KindInteger, types.KindBigInt, types.KindSmallInt, types.KindBoolean:
		return append(b, "SIGNED"...), nil
	case types.KindFloat, types.KindDouble:
		return append(b, "DOUBLE"...), nil
	case types.KindNumeric:
		b = append(b, "DECIMAL"...)
		if t.Precision > 0 {
			b = strconv.AppendInt(append(b, '('), int64(t.Precision), 10)
			b = append(strconv.AppendInt(append(b, ", "...), int64(t.Scale), 10), ')')
		}
		return b, nil
	case types.KindString:
		if t.Length > 0 {
			return append(strconv.AppendInt(append(b, "CHAR("...), int64(t.Length), 10), ')'), nil
		}
		return append(b, "CHAR"...), nil
	case types.KindText, types.KindEnum:
		return append(b, "CHAR"...), nil
	case types.KindUUID:
		return append(b, "CHAR(36)"...), nil
	case types.KindBytes:
		return append(b, "BINARY"...), nil
	case types.KindDate:
		return append(b, "DATE"...), nil
	case types.KindTime:
		return append(b, "TIME(6)"...), nil
	case types.KindTimestamp:
		return append(b, "DATETIME(6)"...), nil
	case types.KindJSON:
		if d.flavor == MySQL {
			return append(b, "JSON"...), nil
		}
		return append(b, "CHAR"...), nil
	}
	return nil, &compile.Error{Msg: "CAST to " + t.String() + " is not supported by " + d.Name(), Unsupported: true}
}
