package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/internal/testdb"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// kindCase is one column type of TestEveryKindRoundTrip with the values written to it and
// the canonical values expected back.
type kindCase struct {
	name string
	typ  types.Type
	in   []any // written one per row (row i gets in[i % len(in)])
	want []any // read back (same indexes); time.Time values compare with Equal and must be UTC
}

func kindCases(t *testing.T) []kindCase {
	u, err := types.ParseUUID("9f1c1e4a-6b7d-4c1e-8f00-0123456789ab")
	if err != nil {
		t.Fatal(err)
	}
	plus2 := time.FixedZone("UTC+2", 2*3600)
	tsIn := time.Date(2024, 3, 4, 5, 6, 7, 123456000, plus2) // 03:06:07.123456 UTC
	tsUTC := tsIn.UTC()
	myBytes := []byte{0, 1, 2, 0xfe, 0xff}
	type level int16
	return []kindCase{
		{"i", types.Integer(), []any{int64(math.MinInt32), 42, int32(7)}, []any{int64(math.MinInt32), int64(42), int64(7)}},
		{"bi", types.BigInt(), []any{int64(math.MaxInt64), uint32(5), int64(-1)}, []any{int64(math.MaxInt64), int64(5), int64(-1)}},
		{"si", types.SmallInt(), []any{int64(math.MinInt16), level(3), int8(-8)}, []any{int64(math.MinInt16), int64(3), int64(-8)}},
		{"b", types.Boolean(), []any{true, false, true}, []any{true, false, true}},
		{"f", types.Float(), []any{1.5, float32(-0.25), 3}, []any{1.5, -0.25, 3.0}},
		{"d", types.Double(), []any{2.25, math.MaxFloat64, -1e-300}, []any{2.25, math.MaxFloat64, -1e-300}},
		// Numeric comes back as a string with exactly Scale digits.
		{"n", types.Numeric(10, 2), []any{"12.5", 7, "-0.5"}, []any{"12.50", "7.00", "-0.50"}},
		{"n0", types.Numeric(18, 0), []any{"123456789012345678", int64(-3), "0"}, []any{"123456789012345678", "-3", "0"}},
		{"n4", types.Numeric(12, 4), []any{"3.1415", 0.5, "99999999.9999"}, []any{"3.1415", "0.5000", "99999999.9999"}},
		{"v", types.String(40), []any{"héllo 'world' \\ \"q\"", "", "日本語"}, []any{"héllo 'world' \\ \"q\"", "", "日本語"}},
		{"t", types.Text(), []any{"a long text\nwith lines", "x", ""}, []any{"a long text\nwith lines", "x", ""}},
		{"by", types.Bytes(), []any{myBytes, []byte{}, []byte("text")}, []any{myBytes, []byte{}, []byte("text")}},
		{"dt", types.Date(), []any{time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1999, 12, 31, 23, 0, 0, 0, plus2), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
			[]any{time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"tm", types.Time(), []any{13*time.Hour + 14*time.Minute + 15*time.Second + 123456*time.Microsecond, time.Duration(0), 23*time.Hour + 59*time.Minute + 59*time.Second},
			[]any{13*time.Hour + 14*time.Minute + 15*time.Second + 123456*time.Microsecond, time.Duration(0), 23*time.Hour + 59*time.Minute + 59*time.Second}},
		// Without a time zone the instant is stored as UTC wall time and read back in UTC.
		{"ts", types.Timestamp(false), []any{tsIn, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2038, 1, 19, 3, 14, 8, 999999000, time.UTC)},
			[]any{tsUTC, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2038, 1, 19, 3, 14, 8, 999999000, time.UTC)}},
		{"tstz", types.Timestamp(true), []any{tsIn, time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC), time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)},
			[]any{tsUTC, time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC), time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)}},
		{"iv", types.Interval(), []any{90*time.Minute + 5*time.Microsecond, -3 * time.Hour, 49*time.Hour + time.Second},
			[]any{90*time.Minute + 5*time.Microsecond, -3 * time.Hour, 49*time.Hour + time.Second}},
		{"j", types.JSON(), []any{json.RawMessage(`{"a": [1, 2]}`), json.RawMessage(`[]`), json.RawMessage(`"s"`)},
			[]any{json.RawMessage(`{"a": [1, 2]}`), json.RawMessage(`[]`), json.RawMessage(`"s"`)}},
		{"u", types.UUIDType(), []any{u, "00000000-0000-0000-0000-000000000001", [16]byte{15: 2}},
			[]any{u, types.UUID{15: 1}, types.UUID{15: 2}}},
		{"e", types.Enum("mood", "sad", "ok", "happy"), []any{"happy", "sad", "ok"}, []any{"happy", "sad", "ok"}},
	}
}

// TestEveryKindRoundTrip writes a value of every types.Kind through the public API
// (schema, CreateAll, expr.Insert) and reads it back with expr.Select, on every database:
// each comes back as its Kind's canonical Go value, equal to what was written. Every kind
// is used in a NOT NULL column and in a nullable one, which also stores NULL (nil, a nil
// pointer, an invalid types.Null) and comes back nil.
func TestEveryKindRoundTrip(t *testing.T) {
	testdb.Each(t, func(t *testing.T, tg testdb.Target) {
		ctx := t.Context()
		eng := openEngine(t, tg)
		cases := kindCases(t)
		md := schema.NewMetaData()
		items := []schema.TableItem{schema.Col("id", types.Integer(), schema.PrimaryKey(), schema.Autoincrement(false))}
		for _, kc := range cases {
			items = append(items,
				schema.Col(kc.name, kc.typ, schema.NotNull()),
				schema.Col(kc.name+"_null", kc.typ))
		}
		tbl := md.MustTable("kinds", items...)
		if err := eng.CreateAll(ctx, md); err != nil {
			t.Fatalf("CreateAll: %v", err)
		}
		c := connect(t, eng)

		const rows = 6
		nulls := []func(v any) any{
			func(any) any { return nil },
			func(any) any { var p *string; return p },
			func(any) any { return types.Null[int64]{} },
		}
		ins := expr.Insert(tbl)
		for r := range rows {
			vals := map[string]any{"id": r + 1}
			for _, kc := range cases {
				v := kc.in[r%len(kc.in)]
				vals[kc.name] = v
				if r < 3 {
					vals[kc.name+"_null"] = pointerTo(v) // a pointer to the value
				} else {
					vals[kc.name+"_null"] = nulls[r-3](v)
				}
			}
			ins = ins.Values(vals)
		}
		res, err := c.Execute(ctx, ins)
		if err != nil {
			t.Fatalf("insert: %v", err)
		}
		if res.RowsAffected() != rows {
			t.Errorf("insert affected %d rows, want %d", res.RowsAffected(), rows)
		}

		res, err = c.Execute(ctx, expr.Select(tbl).OrderBy(tbl.C("id")))
		if err != nil {
			t.Fatalf("select: %v", err)
		}
		if res.Len() != rows {
			t.Fatalf("select returned %d rows, want %d", res.Len(), rows)
		}
		for r, row := range res.All() {
			for _, kc := range cases {
				want := kc.want[r%len(kc.want)]
				got, _ := row.ByName(kc.name)
				checkKindValue(t, fmt.Sprintf("row %d %s (%s)", r+1, kc.name, kc.typ), got, want)
				gotNull, _ := row.ByName(kc.name + "_null")
				if r < 3 {
					checkKindValue(t, fmt.Sprintf("row %d %s_null (%s)", r+1, kc.name, kc.typ), gotNull, want)
				} else if gotNull != nil {
					t.Errorf("row %d %s_null (%s) = %#v, want nil (SQL NULL)", r+1, kc.name, kc.typ, gotNull)
				}
			}
		}

		// The same values select back through a WHERE on each column: the bound parameter
		// converts to what the database stored.
		for _, kc := range cases {
			if kc.typ.Kind == types.KindJSON || kc.typ.Kind == types.KindFloat || kc.typ.Kind == types.KindDouble {
				continue // JSON has no equality on PostgreSQL; floats are not compared with =
			}
			var want int64
			for r := range rows {
				if reflect.DeepEqual(kc.want[r%len(kc.want)], kc.want[0]) {
					want++
				}
			}
			n, err := c.Scalar(ctx, expr.Select(expr.CountStar()).From(tbl).Where(tbl.C(kc.name).Eq(kc.in[0])))
			if err != nil {
				t.Errorf("WHERE %s = value: %v", kc.name, err)
			} else if n != want {
				t.Errorf("WHERE %s = %v matched %v rows, want %d", kc.name, kc.in[0], n, want)
			}
		}

		// A value that cannot stand for its column is refused before the statement is sent.
		_, err = c.Execute(ctx, expr.Insert(tbl).Values(map[string]any{"id": 100, "e": "angry"}))
		if !errors.Is(err, dialect.ErrConvert) {
			t.Errorf("invalid enum value: got %v, want dialect.ErrConvert", err)
		} else if want := `parameter 2: ` + eng.Dialect().Name() + `: cannot convert string to enum mood(sad,ok,happy) column: "angry" is not one of the allowed values ["sad", "ok", "happy"]`; !strings.Contains(err.Error(), want) {
			t.Errorf("invalid enum value: %q does not contain %q", err, want)
		}
		_, err = c.Execute(ctx, expr.Insert(tbl).Values(map[string]any{"id": 100, "u": "not-a-uuid"}))
		if !errors.Is(err, dialect.ErrConvert) {
			t.Errorf("invalid uuid: got %v, want dialect.ErrConvert", err)
		}
		_, err = c.Execute(ctx, expr.Insert(tbl).Values(map[string]any{"id": 100, "n": "12,5"}))
		if !errors.Is(err, dialect.ErrConvert) {
			t.Errorf("invalid numeric: got %v, want dialect.ErrConvert", err)
		}
		_, err = c.Execute(ctx, expr.Insert(tbl).Values(map[string]any{"id": 100, "tm": 25 * time.Hour}))
		if !errors.Is(err, dialect.ErrConvert) {
			t.Errorf("time of day beyond 24h: got %v, want dialect.ErrConvert", err)
		}
		if n := count(t, c, "kinds"); n != rows {
			t.Errorf("%d rows after the refused inserts, want %d", n, rows)
		}
	})
}

// pointerTo returns a pointer to a copy of v (of v's dynamic type).
func pointerTo(v any) any {
	p := reflect.New(reflect.TypeOf(v))
	p.Elem().Set(reflect.ValueOf(v))
	return p.Interface()
}

// checkKindValue compares a value read back with the canonical value expected: same Go
// type and equal; time.Time values must be the same instant in UTC.
func checkKindValue(t *testing.T, what string, got, want any) {
	t.Helper()
	if reflect.TypeOf(got) != reflect.TypeOf(want) {
		t.Errorf("%s = %#v (%T), want %#v (%T)", what, got, got, want, want)
		return
	}
	if wt, ok := want.(time.Time); ok {
		gt := got.(time.Time)
		if !gt.Equal(wt) || gt.Location() != time.UTC {
			t.Errorf("%s = %v, want %v in UTC", what, gt, wt)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}
