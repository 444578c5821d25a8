package postgres

import (
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/types"
)

// FuzzConvertResultPgx feeds ConvertResult the values of pgx's own types (numerics with
// any digits and exponent PostgreSQL can send, NaN and infinities, times, intervals of
// any size, infinite dates) for every column kind: it never panics, errors wrap
// dialect.ErrConvert with the "postgresql: " prefix, and results have the kind's
// canonical Go type. Engine's FuzzConvert covers plain Go values.
func FuzzConvertResultPgx(f *testing.F) {
	for src := 0; src < 8; src++ {
		for k := 0; k < 19; k++ {
			f.Add(uint8(src), uint8(k), int64(12345), int32(-2), int32(3), uint8(2), false)
		}
	}
	f.Add(uint8(0), uint8(1), int64(1), int32(30), int32(0), uint8(0), false)   // 1e30 into an integer
	f.Add(uint8(0), uint8(7), int64(-5), int32(-20), int32(0), uint8(4), false) // tiny numeric
	f.Add(uint8(2), uint8(14), int64(9223372036854775807), int32(2147483647), int32(2147483647), uint8(0), true)
	f.Add(uint8(2), uint8(14), int64(-9223372036854775808), int32(-2147483648), int32(-2147483648), uint8(0), true)
	f.Fuzz(func(t *testing.T, sel, kind uint8, n int64, exp, days int32, scale uint8, flag bool) {
		// PostgreSQL numerics have at most 131072 digits before the point and 16383
		// after: pgx never decodes a larger exponent.
		exp %= 1000
		var src any
		switch sel % 8 {
		case 0:
			src = pgtype.Numeric{Int: big.NewInt(n), Exp: exp, Valid: true}
		case 1:
			src = pgtype.Numeric{NaN: flag, InfinityModifier: pgtype.InfinityModifier(days % 3), Valid: !flag || n%2 == 0}
		case 2:
			src = pgtype.Interval{Microseconds: n, Days: days, Months: exp, Valid: flag || n%2 == 0}
		case 3:
			src = pgtype.Time{Microseconds: n % (24 * 3600 * 1_000_000), Valid: flag}
		case 4:
			src = pgtype.InfinityModifier(days % 3)
		case 5:
			var u [16]byte
			big.NewInt(n).FillBytes(u[8:])
			src = u
		case 6:
			src = time.Unix(n%(1<<40), 0).In(time.FixedZone("Z", int(days%50400)))
		case 7:
			src = pgtype.Numeric{Int: new(big.Int).Lsh(big.NewInt(n), uint(scale)), Exp: exp, Valid: true}
		}
		typ := types.Type{Kind: types.Kind(kind % 19)}
		switch typ.Kind {
		case types.KindNumeric:
			typ.Precision, typ.Scale = 10+int(scale%20), int(scale%10)
		case types.KindEnum:
			typ.EnumValues = []string{"a", "b"}
		}
		d := New()
		res, err := d.ConvertResult(src, typ)
		if err != nil {
			if !errors.Is(err, dialect.ErrConvert) || !strings.HasPrefix(err.Error(), "postgresql: ") {
				t.Fatalf("ConvertResult(%#v, %s): error %v does not wrap dialect.ErrConvert with the dialect's name", src, typ, err)
			}
			return
		}
		known := typ.Kind >= types.KindInteger && typ.Kind <= types.KindEnum
		if known && res != nil && reflect.TypeOf(res) != typ.GoType() {
			t.Fatalf("ConvertResult(%#v, %s) = %#v (%T), want a %s", src, typ, res, res, typ.GoType())
		}
	})
}
