package sqlite

import (
	"strconv"
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/types"
)

// SQL compiler hooks of SQLite (the methods compile.Dialect adds to the basics):
// OFFSET needs a LIMIT (LIMIT -1 means none), now() is the current UTC time as text in
// the one format every timestamp is stored in (see NowSQL), there is no
// ILIKE (emulated by the compiler with lower()), and no row locking (FOR UPDATE is left
// out, as SQLAlchemy does).

var syntax = compile.Syntax{
	LimitAll:      "-1",
	ShareLock:     "",
	DefaultValues: "DEFAULT VALUES",
}

// Syntax returns SQLite's spellings.
func (d *Dialect) Syntax() *compile.Syntax { return &syntax }

// NowSQL is how SQLite spells now(), in queries and in server defaults: the current UTC
// time as text in the format bound timestamps are stored in ("2006-01-02
// 15:04:05.000000", microseconds, the last three digits zero). SQLite's own
// CURRENT_TIMESTAMP ("2006-01-02 15:04:05") would compare as text with stored values,
// so that a row's default time would sort before the same instant bound from Go.
const NowSQL = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"

// FuncName spells now() and current_timestamp() as NowSQL; other names are unchanged.
func (d *Dialect) FuncName(name string) (string, bool) {
	switch strings.ToLower(name) {
	case "now", "current_timestamp":
		return NowSQL, true
	}
	return name, false
}

// AppendCastType appends the type name of CAST(x AS ...), chosen for its SQLite affinity
// and matching how values of t are stored (timestamps, UUIDs and JSON as TEXT,
// intervals as INTEGER microseconds).
func (d *Dialect) AppendCastType(b []byte, t types.Type) ([]byte, error) {
	switch t.Kind {
	case types.KindInteger, types.KindBigInt, types.KindSmallInt, types.KindBoolean, types.KindInterval:
		return append(b, "INTEGER"...), nil
	case types.KindFloat, types.KindDouble:
		return append(b, "REAL"...), nil
	case types.KindNumeric:
		return append(b, "NUMERIC"...), nil
	case types.KindString:
		if t.Length > 0 {
			return append(strconv.AppendInt(append(b, "VARCHAR("...), int64(t.Length), 10), ')'), nil
		}
		return append(b, "TEXT"...), nil
	case types.KindText, types.KindJSON, types.KindUUID, types.KindEnum,
		types.KindDate, types.KindTime, types.KindTimestamp:
		return append(b, "TEXT"...), nil
	case types.KindBytes:
		return append(b, "BLOB"...), nil
	}
	return nil, &compile.Error{Msg: "CAST to " + t.String() + " is not supported by sqlite", Unsupported: true}
}
