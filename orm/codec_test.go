package orm

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/retortdb/retort/types"
)

// TestCodecRoundTrip sets every field of Everything from canonical values and reads them
// back through the same plans the ORM uses for rows.
func TestCodecRoundTrip(t *testing.T) {
	reg := NewRegistry()
	m := mustRegister[Everything](t, reg)
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	u := types.UUID{1, 2, 3}
	vals := map[string]any{
		"id": u, "i": int64(-5), "i8": int64(-8), "i16": int64(16), "i32": int64(32), "u16": int64(65535),
		"u64": int64(math.MaxInt64), "f32": 1.5, "f64": 2.25, "bool": true, "str": "s", "text": "t",
		"bytes": []byte{1, 2}, "raw": json.RawMessage(`{"a":1}`), "doc": json.RawMessage(`{"x":2}`),
		"dur": 3 * time.Second, "at": at, "day": at.Truncate(24 * time.Hour), "price": "9.99", "status": "done",
		"null_i": int64(4), "ptr_f": 0.5, "level": int64(3), "the_name": "n", "note": "hello", "count": int64(7),
	}
	var e Everything
	base := unsafe.Pointer(&e)
	for _, f := range m.fields {
		v, ok := vals[f.col.Name]
		if !ok {
			t.Fatalf("no test value for column %s", f.col.Name)
		}
		if err := f.set(base, v); err != nil {
			t.Fatalf("set %s: %v", f.col.Name, err)
		}
	}
	if e.I != -5 || e.U16 != 65535 || e.F32 != 1.5 || e.Doc["x"] != 2 || e.NullI != types.NullOf[int64](4) ||
		*e.PtrF != 0.5 || e.Named != 3 || *e.Note != "hello" || e.Count != 7 || e.ID != u || e.Dur != 3*time.Second {
		t.Fatalf("struct after set: %+v", e)
	}
	for _, f := range m.fields {
		got, err := f.get(base)
		if err != nil {
			t.Fatalf("get %s: %v", f.col.Name, err)
		}
		if !equalValues(got, vals[f.col.Name]) {
			t.Errorf("get %s = %#v, want %#v", f.col.Name, got, vals[f.col.Name])
		}
	}
	// NULL into nullable fields, and zero detection.
	for _, name := range []string{"null_i", "ptr_f", "note"} {
		f := m.fieldByColumn(name)
		if err := f.set(base, nil); err != nil {
			t.Fatalf("set %s NULL: %v", name, err)
		}
		if v, _ := f.get(base); v != nil || !f.isZero(base) {
			t.Errorf("%s after NULL: %#v zero=%v", name, v, f.isZero(base))
		}
	}
	if e.NullI.Valid || e.PtrF != nil || e.Note != nil {
		t.Errorf("NULLs not stored: %+v", e)
	}
}

func TestCodecErrors(t *testing.T) {
	reg := NewRegistry()
	m := mustRegister[Everything](t, reg)
	var e Everything
	base := unsafe.Pointer(&e)
	for _, tc := range []struct {
		col  string
		v    any
		want string
	}{
		{"i8", int64(300), "value 300 overflows int8"},
		{"u16", int64(-1), "value -1 overflows uint16"},
		{"i", "x", "cannot assign string to int"},
		{"i", nil, "cannot assign NULL to int (use a pointer or types.Null field"},
		{"doc", json.RawMessage(`[1]`), "decode JSON into map[string]int"},
		{"at", "2024", "cannot assign string to time.Time"},
	} {
		err := m.fieldByColumn(tc.col).set(base, tc.v)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "orm: orm.Everything field ") {
			t.Errorf("set %s = %#v: error %v, want one containing %q", tc.col, tc.v, err, tc.want)
		}
	}
	e.U64 = math.MaxUint64
	if _, err := m.fieldByColumn("u64").get(base); err == nil || !strings.Contains(err.Error(), "overflows the int64 range") {
		t.Errorf("get u64 beyond int64: %v", err)
	}
}

func TestCodecCopiesBytes(t *testing.T) {
	reg := NewRegistry()
	m := mustRegister[Everything](t, reg)
	var e Everything
	src := []byte{1, 2, 3}
	f := m.fieldByColumn("bytes")
	if err := f.set(unsafe.Pointer(&e), src); err != nil {
		t.Fatal(err)
	}
	src[0] = 9
	if e.Bytes[0] != 1 {
		t.Error("set shares memory with the database value")
	}
}

func TestEqualValues(t *testing.T) {
	t1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	same := [][2]any{{nil, nil}, {int64(1), int64(1)}, {"a", "a"}, {t1, t1.In(time.FixedZone("x", 3600))},
		{[]byte("a"), []byte("a")}, {json.RawMessage("1"), json.RawMessage("1")}, {math.NaN(), math.NaN()}}
	for _, p := range same {
		if !equalValues(p[0], p[1]) {
			t.Errorf("equalValues(%#v, %#v) = false", p[0], p[1])
		}
	}
	diff := [][2]any{{nil, int64(0)}, {int64(1), int64(2)}, {"a", []byte("a")}, {1.0, int64(1)}}
	for _, p := range diff {
		if equalValues(p[0], p[1]) {
			t.Errorf("equalValues(%#v, %#v) = true", p[0], p[1])
		}
	}
}

func TestParseTag(t *testing.T) {
	tag, err := parseTag("price,type=numeric(10,2),default='a,b',fk=t.c,ondelete=set null", true)
	if err != nil {
		t.Fatal(err)
	}
	if tag.name != "price" || tag.typ.Kind != types.KindNumeric || tag.typ.Precision != 10 || tag.def != "a,b" || tag.fk != "t.c" || tag.onDelete != "set null" {
		t.Errorf("parsed %+v", tag)
	}
	for raw, want := range map[string]string{
		"type=numeric(10,2":   "unbalanced",
		"size=x":              "size=x: want a positive integer",
		"type=varchar(0)":     "want varchar(positive length)",
		"type=enum(x)":        "want enum(name:value|value...)",
		"pk=1":                "option pk takes no value",
		"name=bad name":       "not a valid SQL name",
		"type=blobby":         `unknown type "blobby"`,
		"autoincrement=maybe": "want true or false",
	} {
		if _, err := parseTag(raw, true); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseTag(%q) error %v, want %q", raw, err, want)
		}
	}
	if tag, _ := parseTag("-", true); !tag.skip {
		t.Error(`"-" does not skip`)
	}
	if reflect.TypeFor[types.Null[string]]().Name() == "" || !isNullType(reflect.TypeFor[types.Null[string]]()) {
		t.Error("isNullType(types.Null[string]) = false")
	}
}
