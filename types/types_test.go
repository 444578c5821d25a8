package types

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestParseUUID(t *testing.T) {
	want := UUID{0x9f, 0x1c, 0x1e, 0x4a, 0x6b, 0x7d, 0x4c, 0x1e, 0x8f, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab}
	for _, s := range []string{"9f1c1e4a-6b7d-4c1e-8f00-0123456789ab", "9F1C1E4A-6B7D-4C1E-8F00-0123456789AB", "9f1c1e4a6b7d4c1e8f000123456789ab"} {
		u, err := ParseUUID(s)
		if err != nil || u != want {
			t.Errorf("ParseUUID(%q) = %v, %v", s, u, err)
		}
	}
	if got := want.String(); got != "9f1c1e4a-6b7d-4c1e-8f00-0123456789ab" {
		t.Errorf("String() = %q", got)
	}
	for _, s := range []string{"", "9f1c1e4a-6b7d-4c1e-8f00-0123456789a", "9f1c1e4a_6b7d-4c1e-8f00-0123456789ab", "zz1c1e4a-6b7d-4c1e-8f00-0123456789ab", "9f1c1e4a6b7d4c1e8f000123456789az"} {
		_, err := ParseUUID(s)
		if !errors.Is(err, ErrInvalidUUID) || err.Error() != `types: invalid UUID: "`+s+`"` {
			t.Errorf("ParseUUID(%q): %v", s, err)
		}
	}
	b, err := json.Marshal(struct{ ID UUID }{want})
	if err != nil || string(b) != `{"ID":"9f1c1e4a-6b7d-4c1e-8f00-0123456789ab"}` {
		t.Errorf("json: %s, %v", b, err)
	}
	var back struct{ ID UUID }
	if err := json.Unmarshal(b, &back); err != nil || back.ID != want {
		t.Errorf("json back: %v, %v", back.ID, err)
	}
	if err := json.Unmarshal([]byte(`{"ID":"nope"}`), &back); !errors.Is(err, ErrInvalidUUID) {
		t.Errorf("json of a bad UUID: %v", err)
	}
}

func TestTypeStringEqualGoType(t *testing.T) {
	for _, tc := range []struct {
		t    Type
		str  string
		goTy any
	}{
		{Unknown(), "unknown", new(any)},
		{Integer(), "integer", int64(0)},
		{BigInt(), "bigint", int64(0)},
		{SmallInt(), "smallint", int64(0)},
		{Boolean(), "boolean", false},
		{Float(), "float", 0.0},
		{Double(), "double", 0.0},
		{Numeric(10, 2), "numeric(10,2)", ""},
		{String(50), "string(50)", ""},
		{String(0), "string", ""},
		{Text(), "text", ""},
		{Bytes(), "bytes", []byte(nil)},
		{Date(), "date", time.Time{}},
		{Time(), "time", time.Duration(0)},
		{Timestamp(false), "timestamp", time.Time{}},
		{Timestamp(true), "timestamp with time zone", time.Time{}},
		{Interval(), "interval", time.Duration(0)},
		{JSON(), "json", RawJSON(nil)},
		{UUIDType(), "uuid", UUID{}},
		{Enum("mood", "sad", "ok"), "enum mood(sad,ok)", ""},
	} {
		if got := tc.t.String(); got != tc.str {
			t.Errorf("%#v.String() = %q, want %q", tc.t, got, tc.str)
		}
		want := reflect.TypeOf(tc.goTy)
		if p, ok := tc.goTy.(*any); ok {
			want = reflect.TypeOf(p).Elem()
		}
		if got := tc.t.GoType(); got != want {
			t.Errorf("%s.GoType() = %v, want %v", tc.t, got, want)
		}
		if !tc.t.Equal(tc.t) {
			t.Errorf("%s is not Equal to itself", tc.t)
		}
	}
	if Numeric(10, 2).Equal(Numeric(10, 3)) || String(5).Equal(Text()) || Timestamp(true).Equal(Timestamp(false)) ||
		Enum("a", "x").Equal(Enum("a", "y")) || Enum("a", "x").Equal(Enum("b", "x")) || Enum("a", "x").Equal(Enum("a", "x", "y")) {
		t.Error("different types compare Equal")
	}
	if !Unknown().IsZero() || Integer().IsZero() {
		t.Error("IsZero")
	}
	if got := Kind(200).String(); got != "kind(200)" {
		t.Errorf("Kind(200) = %q", got)
	}
	values := []string{"a", "b"}
	e := Enum("e", values...)
	values[0] = "changed"
	if e.EnumValues[0] != "a" {
		t.Error("Enum keeps the caller's slice")
	}
}

func TestNull(t *testing.T) {
	if p := (Null[int]{}).Ptr(); p != nil {
		t.Errorf("invalid Null gives %v", p)
	}
	n := NullOf(7)
	p := n.Ptr()
	if p == nil || *p != 7 || !n.Valid {
		t.Fatalf("NullOf(7).Ptr() = %v", p)
	}
	*p = 8
	if n.V != 7 {
		t.Error("Ptr points into the Null")
	}
}
