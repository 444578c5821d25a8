package orm

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// fuzzParent is the model that fuzzed foreign keys and relationships may point at.
type fuzzParent struct {
	ID   int64 `retort:"pk"`
	Name string
}

// fuzzFieldTypes are the Go types a fuzzed field can have: every column kind, nullable
// forms, JSON documents, relationships and types no column can hold.
var fuzzFieldTypes = []reflect.Type{
	reflect.TypeFor[int64](),
	reflect.TypeFor[int8](),
	reflect.TypeFor[uint64](),
	reflect.TypeFor[*int32](),
	reflect.TypeFor[string](),
	reflect.TypeFor[*string](),
	reflect.TypeFor[bool](),
	reflect.TypeFor[float64](),
	reflect.TypeFor[float32](),
	reflect.TypeFor[[]byte](),
	reflect.TypeFor[json.RawMessage](),
	reflect.TypeFor[time.Time](),
	reflect.TypeFor[*time.Time](),
	reflect.TypeFor[time.Duration](),
	reflect.TypeFor[types.UUID](),
	reflect.TypeFor[[16]byte](),
	reflect.TypeFor[types.Null[int64]](),
	reflect.TypeFor[types.Null[string]](),
	reflect.TypeFor[**int](),
	reflect.TypeFor[*types.Null[int]](),
	reflect.TypeFor[map[string]int](),
	reflect.TypeFor[struct{ A int }](),
	reflect.TypeFor[[]string](),
	reflect.TypeFor[chan int](),
	reflect.TypeFor[func()](),
	reflect.TypeFor[complex128](),
	reflect.TypeFor[any](),
	reflect.TypeFor[*fuzzParent](),
	reflect.TypeFor[[]*fuzzParent](),
}

var fuzzDDLDialects = []compile.Dialect{
	sqlite.New(),
	postgres.New(),
	mysql.New(mysql.MariaDB, 10, 11, 0),
	mysql.New(mysql.MySQL, 8, 0, 36),
}

// FuzzTag registers a model whose key and one other field carry fuzzed retort tags, the
// other field of a type picked by the fuzzer. Registration never panics; its errors
// match ErrMapping and each is a *MappingError naming the struct; a failed registration
// leaves the registry's MetaData unchanged. When it succeeds, CREATE TABLE renders on
// every dialect or fails with a compile error, without panicking.
func FuzzTag(f *testing.F) {
	seeds := []struct {
		idTag, tag string
		typ        uint8
	}{
		{"pk", "", 0},
		{"pk", "name,notnull,unique,index", 4},
		{",pk", "x_id,fk=p.id,ondelete=CASCADE", 0},
		{"pk,autoincrement=false", "type=numeric(10,2)", 4},
		{"pk", "type=numeric(10,2)", 7},
		{"pk", "type=numeric(99999999999999999999,1)", 7},
		{"pk", "type=numeric(2,3)", 4},
		{"pk", "type=enum(mood:sad|ok|happy),default=ok", 4},
		{"pk", "type=enum(mood:sad||happy)", 4},
		{"pk", "type=enum(", 4},
		{"pk", "type=enum)", 4},
		{"pk", "type=enum()", 4},
		{"pk", "type=enum(:)", 4},
		{"pk", "type=string(0)", 4},
		{"pk", "size=-1", 4},
		{"pk", "size=9999999999999999999999", 4},
		{"pk", "default='a,b'", 4},
		{"pk", "default='unterminated", 4},
		{"pk", "default=1000", 1},
		{"pk", "default=-1", 2},
		{"pk", "type=numeric(3,1),default=abc", 4},
		{"pk", "type=string(5),default=abcdefgh", 4},
		{"pk", "default=nan", 7},
		{"pk", "default=-129", 1},
		{"pk", "default=1e400", 7},
		{"pk", "default=x", 0},
		{"pk", "default=", 6},
		{"pk", "default={\"a\":1}", 10},
		{"pk", "server_default=now()", 11},
		{"pk", "server_default='x''y'", 4},
		{"pk", "json", 20},
		{"pk", "type=json", 21},
		{"pk", "type=uuid", 4},
		{"pk", "type=uuid", 15},
		{"pk", "type=time", 13},
		{"pk", "type=date", 11},
		{"pk", "nullable", 0},
		{"pk", "notnull", 5},
		{"pk", "rel", 27},
		{"pk", "rel,fk=x_id", 27},
		{"pk", "back_populates=Nope", 27},
		{"pk", "rel", 28},
		{"pk", "-", 23},
		{"pk,pk", "pk", 0},
		{"", "", 0},
		{"pk", "((", 0},
		{"pk", "))", 0},
		{"pk", "'", 0},
		{"pk", "name=", 0},
		{"pk", "name=bad name", 0},
		{"pk", "a=b=c", 0},
		{"pk", "autoincrement=maybe", 0},
		{"pk", "unknown", 0},
		{"pk", ",,,", 0},
		{"pk", " x , pk ", 0},
		{"pk", "\xff\xfe", 0},
		{"pk", "type=ENUM(Mood:A|b)", 4},
		{"pk", "type=\u212aelvin", 4},
		{"pk", "fk=nosuch.id", 0},
		{"pk", "fk=p.nosuch", 0},
		{"pk", "fk=p", 0},
		{"pk", "fk=.", 0},
	}
	for _, s := range seeds {
		f.Add(s.idTag, s.tag, s.typ)
	}
	f.Fuzz(func(t *testing.T, idTag, tag string, typ uint8) {
		ft := fuzzFieldTypes[int(typ)%len(fuzzFieldTypes)]
		st := reflect.StructOf([]reflect.StructField{
			{Name: "ID", Type: reflect.TypeFor[int64](), Tag: reflect.StructTag(`retort:` + strconv.Quote(idTag))},
			{Name: "X", Type: ft, Tag: reflect.StructTag(`retort:` + strconv.Quote(tag))},
		})
		reg := NewRegistry()
		if err := Register[fuzzParent](reg, WithTableName("p")); err != nil {
			t.Fatal(err)
		}
		_, hadT := reg.MetaData().TableByName("t")
		m, err := reg.register(st, []Option{WithTableName("t")})
		if err != nil {
			checkMappingError(t, err, idTag, tag, ft)
			if _, hasT := reg.MetaData().TableByName("t"); hasT || hadT {
				t.Fatalf("a failed registration left table t in the MetaData")
			}
			if _, ok := reg.mapperOf(st); ok {
				t.Fatalf("a failed registration left the model registered")
			}
			return
		}
		if m == nil || m.table == nil {
			t.Fatalf("register succeeded without a mapper or table")
		}
		// A client-side default accepted at registration must be storable in its field
		// and bindable on every dialect: a mistake in it is reported at registration,
		// never by the first flush that applies it.
		for _, fl := range m.fields {
			if !fl.hasDefault {
				continue
			}
			scratch := reflect.New(fl.typ).UnsafePointer()
			if err := fl.codec.set(scratch, fl.defVal); err != nil {
				t.Fatalf("tags %q, %q, field %s: default %#v accepted at registration cannot be stored: %v", idTag, tag, ft, fl.defVal, err)
			}
			for _, d := range fuzzDDLDialects {
				if _, err := d.(interface {
					ConvertArg(any, types.Type) (any, error)
				}).ConvertArg(fl.defVal, fl.col.Type); err != nil {
					t.Fatalf("tags %q, %q, field %s: default %#v accepted at registration cannot be bound on %s: %v", idTag, tag, ft, fl.defVal, d.Name(), err)
				}
			}
			if l := fl.col.Type.Length; l > 0 {
				if sv, ok := fl.defVal.(string); ok && utf8.RuneCountInString(sv) > l {
					t.Fatalf("tags %q, %q, field %s: default %q accepted for a column of %d characters", idTag, tag, ft, sv, l)
				}
			}
		}
		tables, err := reg.MetaData().SortedTables()
		if err != nil {
			t.Fatalf("SortedTables after a successful registration: %v", err)
		}
		for _, tbl := range tables {
			for _, d := range fuzzDDLDialects {
				_, err := compile.CompileDDL(d, &schema.CreateTable{Table: tbl})
				if err != nil && !errors.Is(err, compile.ErrCompile) {
					t.Fatalf("CREATE TABLE %s on %s (tags %q, %q, field %s): error %v does not wrap compile.ErrCompile",
						tbl.Name, d.Name(), idTag, tag, ft, err)
				}
			}
		}
	})
}

// checkMappingError checks that err matches ErrMapping and that each error it joins is a
// *MappingError naming the struct, with the package prefix.
func checkMappingError(t *testing.T, err error, idTag, tag string, ft reflect.Type) {
	t.Helper()
	if !errors.Is(err, ErrMapping) {
		t.Fatalf("tags %q, %q, field %s: error %v does not match ErrMapping", idTag, tag, ft, err)
	}
	leaves := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		leaves = j.Unwrap()
	}
	for _, e := range leaves {
		var me *MappingError
		if !errors.As(e, &me) || me != e {
			t.Fatalf("tags %q, %q, field %s: error %v (%T) is not a *MappingError", idTag, tag, ft, e, e)
		}
		if me.Struct == "" || me.Problem == "" || !strings.HasPrefix(me.Error(), "orm: mapping ") {
			t.Fatalf("tags %q, %q, field %s: mapping error %#v lacks its struct, problem or prefix", idTag, tag, ft, me)
		}
	}
}

// FuzzParseTag checks the tag parser alone: it never panics, and an error leaves no
// half-parsed skip flag.
func FuzzParseTag(f *testing.F) {
	for _, s := range []string{"", "-", "pk", "a_id,fk=a.id", "type=numeric(10,2)", "default='a,b'", "((", "'", "type=enum(x:a|b)", "size=3,name=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		tg, err := parseTag(raw, true)
		if err != nil && tg.skip {
			t.Fatalf("parseTag(%q): error %v with skip set", raw, err)
		}
		if err == nil && tg.typ != nil && tg.typ.Kind == types.KindEnum && len(tg.typ.EnumValues) == 0 {
			t.Fatalf("parseTag(%q): enum type without values", raw)
		}
	})
}

// TestDefaultMistakesAtRegistration pins the registration errors for client-side
// defaults that the first flush applying them would have failed on.
func TestDefaultMistakesAtRegistration(t *testing.T) {
	type overflow struct {
		ID int64 `retort:"pk"`
		N  int8  `retort:"default=1000"`
	}
	type negative struct {
		ID int64  `retort:"pk"`
		N  uint64 `retort:"default=-1"`
	}
	type notDecimal struct {
		ID    int64  `retort:"pk"`
		Price string `retort:"type=numeric(10,2),default=abc"`
	}
	type tooLong struct {
		ID   int64  `retort:"pk"`
		Code string `retort:"size=3,default=abcd"`
	}
	type nanDefault struct {
		ID int64   `retort:"pk"`
		F  float64 `retort:"default=nan"`
	}
	type badJSON struct {
		ID   int64    `retort:"pk"`
		Tags []string `retort:"json,default={\"a\":1}"`
	}
	cases := []struct {
		register func(*Registry, ...Option) error
		want     string
	}{
		{Register[overflow], "orm: mapping orm.overflow field N (tag `retort:\"default=1000\"`): default=1000 does not fit the field: value 1000 overflows int8"},
		{Register[negative], "orm: mapping orm.negative field N (tag `retort:\"default=-1\"`): default=-1 does not fit the field: value -1 overflows uint64"},
		{Register[notDecimal], "orm: mapping orm.notDecimal field Price (tag `retort:\"type=numeric(10,2),default=abc\"`): default=abc is not a decimal number"},
		{Register[tooLong], "orm: mapping orm.tooLong field Code (tag `retort:\"size=3,default=abcd\"`): default=abcd is longer than the column's 3 characters"},
		{Register[nanDefault], "orm: mapping orm.nanDefault field F (tag `retort:\"default=nan\"`): default=nan is not a finite number"},
		{Register[badJSON], "orm: mapping orm.badJSON field Tags (tag `retort:\"json,default={\"a\":1}\"`): default={\"a\":1} does not fit the field: decode JSON into []string: json: cannot unmarshal object into Go value of type []string"},
	}
	for _, c := range cases {
		reg := NewRegistry()
		err := c.register(reg)
		if err == nil {
			t.Errorf("registered, want %s", c.want)
			continue
		}
		var me *MappingError
		if !errors.As(err, &me) || !errors.Is(err, ErrMapping) {
			t.Errorf("%v: not a *MappingError", err)
		}
		if err.Error() != c.want {
			t.Errorf("got  %s\nwant %s", err, c.want)
		}
	}
}
