package orm

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/retortdb/retort/types"
)

// TestAllTypesRoundTrip creates the table of a model with every supported field type
// (CreateAll through the engine), writes an object through a session and reads it back
// in a fresh session: each value comes back as written, on every database.
func TestAllTypesRoundTrip(t *testing.T) {
	eachDB(t, func(reg *Registry) error { return Register[Everything](reg) }, func(e *env) {
		t := e.t
		sm := NewSessionMaker(e.eng, e.reg)
		at := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
		in := &Everything{
			ID: types.UUID{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
			I:  -5, I8: -8, I16: 1600, I32: 320000, U16: 65535, U64: 1 << 62,
			F32: 1.5, F64: 2.25, Bool: true, Str: "short", Text: "a longer text",
			Bytes: []byte{0, 1, 2, 255}, Raw: json.RawMessage(`{"a": 1}`), Doc: map[string]int{"x": 2},
			Dur: 90 * time.Minute, At: at, Day: time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC),
			Price: "9.99", Status: "done", NullI: types.NullOf[int64](4), PtrF: ptr(0.5),
			Named: 3, Renamed: "n", Embedded: Embedded{Note: ptr("hello"), Count: 7},
		}
		s := sm.New()
		if err := s.Add(in); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s2 := sm.New()
		defer s2.Close()
		out, err := GetOne[Everything](e.ctx, s2, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		// JSON documents come back re-encoded by some servers: compare them decoded.
		var rawIn, rawOut any
		_ = json.Unmarshal(in.Raw, &rawIn)
		_ = json.Unmarshal(out.Raw, &rawOut)
		if !reflect.DeepEqual(rawIn, rawOut) {
			t.Errorf("Raw = %s, want %s", out.Raw, in.Raw)
		}
		out.Raw, in.Raw = nil, nil
		if !out.At.Equal(in.At) {
			t.Errorf("At = %v, want %v", out.At, in.At)
		}
		out.At = in.At
		if !reflect.DeepEqual(out, in) {
			t.Errorf("read back:\n got %+v\nwant %+v", *out, *in)
		}
		// The zero values and NULLs: defaults apply to zero fields on INSERT.
		s3 := sm.New()
		defer s3.Close()
		zero := &Everything{ID: types.UUID{1}, Day: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), At: at, Raw: json.RawMessage(`null`)}
		if err := s3.Add(zero); err != nil {
			t.Fatal(err)
		}
		if err := s3.Commit(e.ctx); err != nil {
			t.Fatal(err)
		}
		if zero.Price != "1.50" || zero.Status != "new" || zero.Count != 3 || zero.Note == nil || *zero.Note != "none" || zero.PtrF != nil || zero.NullI.Valid {
			t.Errorf("defaults: price %q status %q count %d note %v ptrf %v nulli %v", zero.Price, zero.Status, zero.Count, zero.Note, zero.PtrF, zero.NullI)
		}
	})
}
