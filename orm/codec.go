package orm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/retortdb/retort/types"
)

// A codec moves one field's value between the struct and the canonical Go value of its
// column type (see types.Kind): get reads the field as a canonical value (nil for NULL),
// set stores a canonical value read from the database into the field, zero reports
// whether the field holds its zero value (nil pointer, invalid Null, zero value), and eq
// (nil for the kinds without it) reports, without boxing, that the field holds the
// canonical value v: true only when get would return a value equal to v (false may be
// wrong, and callers then compare through get). The pointer they take is the address of
// the field itself.
//
// Codecs are chosen once per field at registration, from the field's Go kind and the
// column's type kind: the common kinds read and write memory directly through typed
// pointers, so hydrating a row does no reflection lookups and no name lookups. Only JSON
// documents of arbitrary Go types go through encoding/json (and so reflection).
type codec struct {
	get  func(p unsafe.Pointer) (any, error)
	set  func(p unsafe.Pointer, v any) error
	zero func(p unsafe.Pointer) bool
	eq   func(p unsafe.Pointer, v any) bool
}

var (
	rtTime     = reflect.TypeFor[time.Time]()
	rtDuration = reflect.TypeFor[time.Duration]()
	rtRawJSON  = reflect.TypeFor[json.RawMessage]()
	rtUUID     = reflect.TypeFor[types.UUID]()
	nullPkg    = reflect.TypeFor[types.Null[int]]().PkgPath()
)

// isNullType reports whether t is an instance of types.Null[T].
func isNullType(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t.PkgPath() == nullPkg && strings.HasPrefix(t.Name(), "Null[") &&
		t.NumField() == 2 && t.Field(0).Name == "V" && t.Field(1).Name == "Valid"
}

// errAssign is the error of a set that got a value of the wrong Go type. It is wrapped
// with the column name by the caller.
func errAssign(v any, to reflect.Type) error {
	if v == nil {
		return fmt.Errorf("cannot assign NULL to %s (use a pointer or types.Null field for a nullable column)", to)
	}
	return fmt.Errorf("cannot assign %T to %s", v, to)
}

// defaultType returns the column type a field of Go type t maps to when no type= option
// is given, or false when t has no default column type.
func defaultType(t reflect.Type, size int, asJSON bool) (types.Type, bool) {
	if asJSON {
		return types.JSON(), true
	}
	switch t {
	case rtTime:
		// A time.Time is an instant: timestamp with time zone (UTC on the dialects that
		// store no zone); type=timestamp maps a naive date and time.
		return types.Timestamp(true), true
	case rtDuration:
		return types.Interval(), true
	case rtRawJSON:
		return types.JSON(), true
	case rtUUID:
		return types.UUIDType(), true
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return types.BigInt(), true
	case reflect.Int32, reflect.Uint16:
		return types.Integer(), true
	case reflect.Int16, reflect.Int8, reflect.Uint8:
		return types.SmallInt(), true
	case reflect.Bool:
		return types.Boolean(), true
	case reflect.Float64:
		return types.Double(), true
	case reflect.Float32:
		return types.Float(), true
	case reflect.String:
		return types.String(size), true
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return types.Bytes(), true
		}
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Len() == 16 {
			return types.UUIDType(), true
		}
	}
	return types.Type{}, false
}

// fieldCodec returns the codec of a field of Go type ft stored as column type ct, and
// whether the field can hold NULL (a pointer or a types.Null). The error explains why the
// combination is not supported.
func fieldCodec(ft reflect.Type, ct types.Type) (codec, bool, error) {
	switch {
	case ft.Kind() == reflect.Pointer:
		et := ft.Elem()
		if et.Kind() == reflect.Pointer || isNullType(et) {
			return codec{}, false, fmt.Errorf("field type %s nests nullability; use one pointer or one types.Null", ft)
		}
		ec, err := elemCodec(et, ct)
		if err != nil {
			return codec{}, false, err
		}
		return pointerCodec(et, ec), true, nil
	case isNullType(ft):
		et := ft.Field(0).Type
		if et.Kind() == reflect.Pointer || isNullType(et) {
			return codec{}, false, fmt.Errorf("field type %s nests nullability; use one pointer or one types.Null", ft)
		}
		ec, err := elemCodec(et, ct)
		if err != nil {
			return codec{}, false, err
		}
		return nullCodec(et, ft.Field(0).Offset, ft.Field(1).Offset, ec), true, nil
	}
	c, err := elemCodec(ft, ct)
	return c, false, err
}

// pointerCodec wraps the codec of et for a *et field: nil is NULL; a value read from the
// database is stored in newly allocated memory (never in memory the old pointer shares).
func pointerCodec(et reflect.Type, ec codec) codec {
	return codec{
		get: func(p unsafe.Pointer) (any, error) {
			ep := *(*unsafe.Pointer)(p)
			if ep == nil {
				return nil, nil
			}
			return ec.get(ep)
		},
		set: func(p unsafe.Pointer, v any) error {
			if v == nil {
				*(*unsafe.Pointer)(p) = nil
				return nil
			}
			np := reflect.New(et).UnsafePointer()
			if err := ec.set(np, v); err != nil {
				return err
			}
			*(*unsafe.Pointer)(p) = np
			return nil
		},
		zero: func(p unsafe.Pointer) bool { return *(*unsafe.Pointer)(p) == nil },
		eq:   wrapEq(ec.eq, func(p unsafe.Pointer) unsafe.Pointer { return *(*unsafe.Pointer)(p) }),
	}
}

// nullCodec wraps the codec of et for a types.Null[et] field laid out with V at vOff and
// Valid at validOff.
func nullCodec(et reflect.Type, vOff, validOff uintptr, ec codec) codec {
	return codec{
		get: func(p unsafe.Pointer) (any, error) {
			if !*(*bool)(unsafe.Add(p, validOff)) {
				return nil, nil
			}
			return ec.get(unsafe.Add(p, vOff))
		},
		set: func(p unsafe.Pointer, v any) error {
			if v == nil {
				reflect.NewAt(et, unsafe.Add(p, vOff)).Elem().SetZero()
				*(*bool)(unsafe.Add(p, validOff)) = false
				return nil
			}
			if err := ec.set(unsafe.Add(p, vOff), v); err != nil {
				return err
			}
			*(*bool)(unsafe.Add(p, validOff)) = true
			return nil
		},
		zero: func(p unsafe.Pointer) bool { return !*(*bool)(unsafe.Add(p, validOff)) },
		eq: wrapEq(ec.eq, func(p unsafe.Pointer) unsafe.Pointer {
			if !*(*bool)(unsafe.Add(p, validOff)) {
				return nil
			}
			return unsafe.Add(p, vOff)
		}),
	}
}

// wrapEq is the eq of a nullable wrapper whose value is at elem(p) (nil for NULL), given
// the eq of the value's codec (nil: the wrapper has none either).
func wrapEq(eq func(unsafe.Pointer, any) bool, elem func(unsafe.Pointer) unsafe.Pointer) func(unsafe.Pointer, any) bool {
	if eq == nil {
		return nil
	}
	return func(p unsafe.Pointer, v any) bool {
		ep := elem(p)
		if ep == nil {
			return v == nil
		}
		return v != nil && eq(ep, v)
	}
}

// elemCodec returns the codec of a non-nullable value of Go type t as column type ct.
func elemCodec(t reflect.Type, ct types.Type) (codec, error) {
	k := t.Kind()
	bad := func() (codec, error) {
		return codec{}, fmt.Errorf("field type %s cannot hold a %s column", t, ct)
	}
	switch ct.Kind {
	case types.KindInteger, types.KindBigInt, types.KindSmallInt:
		if c, ok := intCodec(k); ok {
			return c, nil
		}
		return bad()
	case types.KindBoolean:
		if k != reflect.Bool {
			return bad()
		}
		return codec{
			get: func(p unsafe.Pointer) (any, error) { return *(*bool)(p), nil },
			set: func(p unsafe.Pointer, v any) error {
				b, ok := v.(bool)
				if !ok {
					return errAssign(v, t)
				}
				*(*bool)(p) = b
				return nil
			},
			zero: func(p unsafe.Pointer) bool { return !*(*bool)(p) },
			eq: func(p unsafe.Pointer, v any) bool {
				b, ok := v.(bool)
				return ok && b == *(*bool)(p)
			},
		}, nil
	case types.KindFloat, types.KindDouble:
		switch k {
		case reflect.Float64:
			return floatCodec[float64](t), nil
		case reflect.Float32:
			return floatCodec[float32](t), nil
		}
		return bad()
	case types.KindNumeric:
		// The canonical value of a numeric column is its decimal text.
		switch k {
		case reflect.String:
			return stringCodec(t), nil
		case reflect.Float64:
			return codec{
				get: func(p unsafe.Pointer) (any, error) {
					f := *(*float64)(p)
					if math.IsInf(f, 0) || math.IsNaN(f) {
						return nil, fmt.Errorf("%v is not a decimal number", f)
					}
					return strconv.FormatFloat(f, 'f', -1, 64), nil
				},
				set: func(p unsafe.Pointer, v any) error {
					s, ok := v.(string)
					if !ok {
						return errAssign(v, t)
					}
					f, err := strconv.ParseFloat(s, 64)
					if err != nil {
						return fmt.Errorf("numeric %q does not fit float64: %w", s, err)
					}
					*(*float64)(p) = f
					return nil
				},
				zero: func(p unsafe.Pointer) bool { return *(*float64)(p) == 0 },
			}, nil
		}
		return bad()
	case types.KindString, types.KindText, types.KindEnum:
		if k != reflect.String {
			return bad()
		}
		return stringCodec(t), nil
	case types.KindBytes:
		if k == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return bytesCodec(t, false), nil
		}
		return bad()
	case types.KindDate, types.KindTimestamp:
		if t != rtTime {
			return bad()
		}
		return codec{
			get: func(p unsafe.Pointer) (any, error) { return *(*time.Time)(p), nil },
			set: func(p unsafe.Pointer, v any) error {
				tm, ok := v.(time.Time)
				if !ok {
					return errAssign(v, t)
				}
				*(*time.Time)(p) = tm
				return nil
			},
			zero: func(p unsafe.Pointer) bool { return (*(*time.Time)(p)).IsZero() },
			eq: func(p unsafe.Pointer, v any) bool {
				tm, ok := v.(time.Time)
				return ok && tm.Equal(*(*time.Time)(p))
			},
		}, nil
	case types.KindTime, types.KindInterval:
		if k != reflect.Int64 {
			return bad()
		}
		return codec{
			get: func(p unsafe.Pointer) (any, error) { return time.Duration(*(*int64)(p)), nil },
			set: func(p unsafe.Pointer, v any) error {
				d, ok := v.(time.Duration)
				if !ok {
					return errAssign(v, t)
				}
				*(*int64)(p) = int64(d)
				return nil
			},
			zero: func(p unsafe.Pointer) bool { return *(*int64)(p) == 0 },
		}, nil
	case types.KindUUID:
		switch {
		case k == reflect.Array && t.Elem().Kind() == reflect.Uint8 && t.Len() == 16:
			return codec{
				get: func(p unsafe.Pointer) (any, error) { return types.UUID(*(*[16]byte)(p)), nil },
				set: func(p unsafe.Pointer, v any) error {
					u, ok := v.(types.UUID)
					if !ok {
						return errAssign(v, t)
					}
					*(*[16]byte)(p) = u
					return nil
				},
				zero: func(p unsafe.Pointer) bool { return *(*[16]byte)(p) == [16]byte{} },
			}, nil
		case k == reflect.String:
			return codec{
				get: func(p unsafe.Pointer) (any, error) { return types.ParseUUID(*(*string)(p)) },
				set: func(p unsafe.Pointer, v any) error {
					u, ok := v.(types.UUID)
					if !ok {
						return errAssign(v, t)
					}
					*(*string)(p) = u.String()
					return nil
				},
				zero: func(p unsafe.Pointer) bool { return *(*string)(p) == "" },
			}, nil
		}
		return bad()
	case types.KindJSON:
		switch {
		case k == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
			return bytesCodec(t, true), nil
		case k == reflect.String:
			return codec{
				get: func(p unsafe.Pointer) (any, error) { return json.RawMessage(*(*string)(p)), nil },
				set: func(p unsafe.Pointer, v any) error {
					raw, ok := v.(json.RawMessage)
					if !ok {
						return errAssign(v, t)
					}
					*(*string)(p) = string(raw)
					return nil
				},
				zero: func(p unsafe.Pointer) bool { return *(*string)(p) == "" },
			}, nil
		case k == reflect.Func || k == reflect.Chan || k == reflect.UnsafePointer || k == reflect.Complex64 || k == reflect.Complex128:
			return bad()
		}
		return jsonCodec(t), nil
	}
	return codec{}, fmt.Errorf("column type %s is not supported by the ORM", ct)
}

// intCodec returns the codec for an integer field of kind k (canonical value int64).
func intCodec(k reflect.Kind) (codec, bool) {
	switch k {
	case reflect.Int:
		return signedCodec[int](), true
	case reflect.Int8:
		return signedCodec[int8](), true
	case reflect.Int16:
		return signedCodec[int16](), true
	case reflect.Int32:
		return signedCodec[int32](), true
	case reflect.Int64:
		return signedCodec[int64](), true
	case reflect.Uint:
		return unsignedCodec[uint](), true
	case reflect.Uint8:
		return unsignedCodec[uint8](), true
	case reflect.Uint16:
		return unsignedCodec[uint16](), true
	case reflect.Uint32:
		return unsignedCodec[uint32](), true
	case reflect.Uint64:
		return unsignedCodec[uint64](), true
	}
	return codec{}, false
}

type signedInt interface {
	int | int8 | int16 | int32 | int64
}

type unsignedInt interface {
	uint | uint8 | uint16 | uint32 | uint64
}

func signedCodec[N signedInt]() codec {
	return codec{
		get: func(p unsafe.Pointer) (any, error) { return int64(*(*N)(p)), nil },
		set: func(p unsafe.Pointer, v any) error {
			n, ok := v.(int64)
			if !ok {
				return errAssign(v, reflect.TypeFor[N]())
			}
			if int64(N(n)) != n {
				return fmt.Errorf("value %d overflows %s", n, reflect.TypeFor[N]())
			}
			*(*N)(p) = N(n)
			return nil
		},
		zero: func(p unsafe.Pointer) bool { return *(*N)(p) == 0 },
		eq: func(p unsafe.Pointer, v any) bool {
			n, ok := v.(int64)
			return ok && n == int64(*(*N)(p))
		},
	}
}

func unsignedCodec[N unsignedInt]() codec {
	return codec{
		get: func(p unsafe.Pointer) (any, error) {
			u := uint64(*(*N)(p))
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("value %d overflows the int64 range of SQL integers", u)
			}
			return int64(u), nil
		},
		set: func(p unsafe.Pointer, v any) error {
			n, ok := v.(int64)
			if !ok {
				return errAssign(v, reflect.TypeFor[N]())
			}
			if n < 0 || uint64(N(n)) != uint64(n) {
				return fmt.Errorf("value %d overflows %s", n, reflect.TypeFor[N]())
			}
			*(*N)(p) = N(n)
			return nil
		},
		zero: func(p unsafe.Pointer) bool { return *(*N)(p) == 0 },
		eq: func(p unsafe.Pointer, v any) bool {
			n, ok := v.(int64)
			return ok && n >= 0 && uint64(n) == uint64(*(*N)(p))
		},
	}
}

func floatCodec[F float32 | float64](t reflect.Type) codec {
	return codec{
		get: func(p unsafe.Pointer) (any, error) { return float64(*(*F)(p)), nil },
		set: func(p unsafe.Pointer, v any) error {
			f, ok := v.(float64)
			if !ok {
				return errAssign(v, t)
			}
			*(*F)(p) = F(f)
			return nil
		},
		zero: func(p unsafe.Pointer) bool { return *(*F)(p) == 0 },
		eq: func(p unsafe.Pointer, v any) bool {
			f, ok := v.(float64)
			return ok && f == float64(*(*F)(p))
		},
	}
}

func stringCodec(t reflect.Type) codec {
	return codec{
		get: func(p unsafe.Pointer) (any, error) { return *(*string)(p), nil },
		set: func(p unsafe.Pointer, v any) error {
			s, ok := v.(string)
			if !ok {
				return errAssign(v, t)
			}
			*(*string)(p) = s
			return nil
		},
		zero: func(p unsafe.Pointer) bool { return *(*string)(p) == "" },
		eq: func(p unsafe.Pointer, v any) bool {
			x, ok := v.(string)
			return ok && x == *(*string)(p)
		},
	}
}

// bytesCodec is the codec of a []byte-kind field (raw bytes, or JSON text when asJSON).
// Values are copied both ways, so that neither the database layer nor a snapshot shares
// memory with the struct.
func bytesCodec(t reflect.Type, asJSON bool) codec {
	return codec{
		get: func(p unsafe.Pointer) (any, error) {
			b := *(*[]byte)(p)
			if asJSON {
				if b == nil {
					return json.RawMessage("null"), nil
				}
				return json.RawMessage(b), nil
			}
			if b == nil {
				return []byte{}, nil // a nil slice in a non-nullable field is empty, not NULL
			}
			return b, nil
		},
		set: func(p unsafe.Pointer, v any) error {
			var src []byte
			switch x := v.(type) {
			case []byte:
				src = x
			case json.RawMessage:
				src = x
			default:
				return errAssign(v, t)
			}
			*(*[]byte)(p) = bytes.Clone(src)
			return nil
		},
		zero: func(p unsafe.Pointer) bool { return len(*(*[]byte)(p)) == 0 },
	}
}

// jsonCodec stores any JSON-encodable Go type as a JSON document.
func jsonCodec(t reflect.Type) codec {
	return codec{
		get: func(p unsafe.Pointer) (any, error) {
			b, err := json.Marshal(reflect.NewAt(t, p).Interface())
			if err != nil {
				return nil, err
			}
			return json.RawMessage(b), nil
		},
		set: func(p unsafe.Pointer, v any) error {
			raw, ok := v.(json.RawMessage)
			if !ok {
				if b, isBytes := v.([]byte); isBytes {
					raw = b
				} else {
					return errAssign(v, t)
				}
			}
			// Decode into a fresh value, so that a document that does not decode leaves
			// the field as it was (and no value merges into the old one).
			nv := reflect.New(t)
			if err := json.Unmarshal(raw, nv.Interface()); err != nil {
				return fmt.Errorf("decode JSON into %s: %w", t, err)
			}
			reflect.NewAt(t, p).Elem().Set(nv.Elem())
			return nil
		},
		zero: func(p unsafe.Pointer) bool { return reflect.NewAt(t, p).Elem().IsZero() },
	}
}

// equalValues reports whether two canonical values are the same (used to find changed
// columns). Timestamps compare as instants; byte slices and JSON by content.
func equalValues(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || x != x && y != y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case json.RawMessage:
		y, ok := b.(json.RawMessage)
		return ok && bytes.Equal(x, y)
	case time.Duration:
		y, ok := b.(time.Duration)
		return ok && x == y
	case types.UUID:
		y, ok := b.(types.UUID)
		return ok && x == y
	}
	return false
}

// cloneValue returns a copy of a canonical value that shares no memory with v.
func cloneValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return bytes.Clone(x)
	case json.RawMessage:
		return json.RawMessage(bytes.Clone(x))
	}
	return v
}

// parseDefault parses the text of default=... as a canonical value of column type ct.
func parseDefault(s string, ct types.Type) (any, error) {
	switch ct.Kind {
	case types.KindInteger, types.KindBigInt, types.KindSmallInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("default=%s is not an integer", s)
		}
		return n, nil
	case types.KindBoolean:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("default=%s is not a boolean", s)
		}
		return b, nil
	case types.KindFloat, types.KindDouble:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("default=%s is not a number", s)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			// SQLite stores NaN as NULL, MySQL refuses both: not a portable default.
			return nil, fmt.Errorf("default=%s is not a finite number", s)
		}
		return f, nil
	case types.KindString, types.KindText:
		if ct.Length > 0 && utf8.RuneCountInString(s) > ct.Length {
			return nil, fmt.Errorf("default=%s is longer than the column's %d characters", s, ct.Length)
		}
		return s, nil
	case types.KindNumeric:
		if !validDecimal(s) {
			return nil, fmt.Errorf("default=%s is not a decimal number", s)
		}
		return s, nil
	case types.KindEnum:
		for _, v := range ct.EnumValues {
			if v == s {
				return s, nil
			}
		}
		return nil, fmt.Errorf("default=%s is not one of the enum values %s", s, strings.Join(ct.EnumValues, ", "))
	case types.KindUUID:
		return types.ParseUUID(s)
	case types.KindJSON:
		if !json.Valid([]byte(s)) {
			return nil, errors.New("default=" + s + " is not a JSON document")
		}
		return json.RawMessage(s), nil
	}
	return nil, fmt.Errorf("default= is not supported for %s columns (use server_default=)", ct)
}

// defaultFits reports an error when the client-side default v (from parseDefault) cannot
// be stored in a field of Go type ft through its codec c, such as default=1000 on an int8
// field: a mistake reported at registration rather than by the first flush applying it.
func defaultFits(ft reflect.Type, c codec, v any) error {
	if err := c.set(reflect.New(ft).UnsafePointer(), v); err != nil {
		shown := v
		if raw, ok := v.(json.RawMessage); ok {
			shown = string(raw)
		}
		return fmt.Errorf("default=%v does not fit the field: %w", shown, err)
	}
	return nil
}

// validDecimal reports whether s is decimal text as numeric columns take it: an optional
// sign, digits with an optional decimal point (at least one digit), and an optional
// exponent.
func validDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}
