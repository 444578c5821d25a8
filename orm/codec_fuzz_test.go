package orm

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/retortdb/retort/types"
)

// codecCase is a field Go type with a column type it may be mapped to.
type codecCase struct {
	ft    reflect.Type
	ct    types.Type
	exact bool // a canonical value stored and read back is the same value
	// sample is a canonical value the field holds before the fuzzed set.
	sample any
}

var codecCases = []codecCase{
	{reflect.TypeFor[int64](), types.BigInt(), true, int64(7)},
	{reflect.TypeFor[int8](), types.SmallInt(), true, int64(7)},
	{reflect.TypeFor[uint64](), types.BigInt(), true, int64(7)},
	{reflect.TypeFor[uint8](), types.SmallInt(), true, int64(7)},
	{reflect.TypeFor[*int32](), types.Integer(), true, int64(7)},
	{reflect.TypeFor[types.Null[int64]](), types.BigInt(), true, int64(7)},
	{reflect.TypeFor[bool](), types.Boolean(), true, true},
	{reflect.TypeFor[float64](), types.Double(), true, 1.25},
	{reflect.TypeFor[float32](), types.Float(), false, 1.25},
	{reflect.TypeFor[string](), types.Numeric(10, 2), true, "3.14"},
	{reflect.TypeFor[float64](), types.Numeric(10, 2), false, "3.14"},
	{reflect.TypeFor[string](), types.String(20), true, "old"},
	{reflect.TypeFor[*string](), types.Text(), true, "old"},
	{reflect.TypeFor[types.Null[string]](), types.Enum("e", "a", "b"), true, "a"},
	{reflect.TypeFor[[]byte](), types.Bytes(), true, []byte("old")},
	{reflect.TypeFor[json.RawMessage](), types.JSON(), true, json.RawMessage(`{"old":1}`)},
	{reflect.TypeFor[string](), types.JSON(), true, json.RawMessage(`{"old":1}`)},
	{reflect.TypeFor[map[string]any](), types.JSON(), false, json.RawMessage(`{"old":1}`)},
	{reflect.TypeFor[[]int](), types.JSON(), false, json.RawMessage(`[1,2]`)},
	{reflect.TypeFor[*struct{ A int }](), types.JSON(), false, json.RawMessage(`{"A":1}`)},
	{reflect.TypeFor[time.Time](), types.Timestamp(false), true, time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)},
	{reflect.TypeFor[*time.Time](), types.Date(), true, time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC)},
	{reflect.TypeFor[time.Duration](), types.Interval(), true, time.Hour},
	{reflect.TypeFor[time.Duration](), types.Time(), true, time.Hour},
	{reflect.TypeFor[types.UUID](), types.UUIDType(), true, types.UUID{1, 2, 3}},
	{reflect.TypeFor[[16]byte](), types.UUIDType(), true, types.UUID{1, 2, 3}},
	{reflect.TypeFor[string](), types.UUIDType(), true, types.UUID{1, 2, 3}},
	{reflect.TypeFor[*types.UUID](), types.UUIDType(), true, types.UUID{1, 2, 3}},
}

// codecValues builds the value a codec's set receives: the canonical value of every kind,
// NULL, and values of the wrong type.
var codecValues = []func(i int64, f float64, s string, b []byte) any{
	func(int64, float64, string, []byte) any { return nil },
	func(i int64, _ float64, _ string, _ []byte) any { return i },
	func(_ int64, f float64, _ string, _ []byte) any { return f },
	func(i int64, _ float64, _ string, _ []byte) any { return i&1 == 1 },
	func(_ int64, _ float64, s string, _ []byte) any { return s },
	func(_ int64, _ float64, _ string, b []byte) any { return b },
	func(_ int64, _ float64, _ string, b []byte) any { return json.RawMessage(b) },
	func(i int64, _ float64, _ string, _ []byte) any { return time.Unix(i%(1<<40), 0).UTC() },
	func(i int64, _ float64, _ string, _ []byte) any { return time.Duration(i) },
	func(_ int64, _ float64, _ string, b []byte) any {
		var u types.UUID
		copy(u[:], b)
		return u
	},
	func(i int64, _ float64, _ string, _ []byte) any { return int32(i) },
	func(i int64, _ float64, s string, _ []byte) any { return map[string]any{s: i} },
}

// FuzzCodec stores fuzzed values into fields of every supported Go type through the
// field's codec, as hydration does with the values the engine reads. set never panics
// and refuses what the field cannot hold with an error; after a failed set get still
// works; a canonical value stored in an exact field reads back unchanged.
func FuzzCodec(f *testing.F) {
	for c := range codecCases {
		for v := range codecValues {
			f.Add(uint8(c), uint8(v), int64(42), 2.5, "12.50", []byte(`{"a":[1,2]}`))
		}
	}
	f.Add(uint8(1), uint8(1), int64(1000), 0.0, "", []byte(nil))
	f.Add(uint8(2), uint8(1), int64(-1), 0.0, "", []byte(nil))
	f.Add(uint8(10), uint8(4), int64(0), 0.0, "1e400", []byte(nil))
	f.Add(uint8(16), uint8(6), int64(0), 0.0, "", []byte(`{"a":`))
	f.Add(uint8(17), uint8(6), int64(0), 0.0, "", []byte(`null`))
	f.Add(uint8(17), uint8(6), int64(0), 0.0, "", []byte(``))
	f.Fuzz(func(t *testing.T, csel, vsel uint8, i int64, fl float64, s string, b []byte) {
		c := codecCases[int(csel)%len(codecCases)]
		v := codecValues[int(vsel)%len(codecValues)](i, fl, s, b)
		cd, nullable, err := fieldCodec(c.ft, c.ct)
		if err != nil {
			t.Fatalf("fieldCodec(%s, %s): %v", c.ft, c.ct, err)
		}
		p := reflect.New(c.ft).UnsafePointer()
		if err := cd.set(p, c.sample); err != nil {
			t.Fatalf("set sample %#v into %s: %v", c.sample, c.ft, err)
		}
		before, err := cd.get(p)
		if err != nil {
			t.Fatalf("get sample from %s: %v", c.ft, err)
		}
		if err := cd.set(p, v); err != nil {
			if v == nil && nullable {
				t.Fatalf("set NULL into nullable %s: %v", c.ft, err)
			}
			// A refused value leaves the field as it was.
			after, err := cd.get(p)
			if err != nil || !equalValues(after, before) {
				t.Fatalf("a failed set of %#v into %s changed the field from %#v to %#v (%v)", v, c.ft, before, after, err)
			}
			return
		}
		if v == nil && !nullable {
			t.Fatalf("set NULL into %s (not nullable) succeeded", c.ft)
		}
		got, err := cd.get(p)
		if err != nil {
			t.Fatalf("set %#v into %s (%s), then get: %v", v, c.ft, c.ct, err)
		}
		if v == nil {
			if got != nil || !cd.zero(p) {
				t.Fatalf("NULL stored in %s reads back as %#v", c.ft, got)
			}
			return
		}
		if c.exact && reflect.TypeOf(v) == c.ct.GoType() && !equalValues(got, v) {
			t.Fatalf("%#v stored in %s (%s) reads back as %#v", v, c.ft, c.ct, got)
		}
	})
}
