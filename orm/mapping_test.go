package orm

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// The models of seed 000 (examples/asyncio/async_orm.py).
type A struct {
	ID         int64     `retort:"pk"`
	Data       *string   //
	CreateDate time.Time `retort:"server_default=now()"`
	Bs         []*B      `retort:"rel"`
}

type B struct {
	ID   int64   `retort:"pk"`
	AID  int64   `retort:"a_id,fk=a.id"`
	Data *string //
}

// The models of seed 003.
type User struct {
	ID    int64
	Name  string
	Age   *int64
	Posts []*Post `retort:"rel,back_populates=User"`
}

func (User) TableName() string { return "users" }

type Post struct {
	ID     int64
	Title  string
	UserID *int64 `retort:"fk=users.id,ondelete=cascade"`
	User   *User  `retort:"rel,back_populates=Posts"`
}

func (*Post) TableName() string { return "posts" }

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"A": "a", "BlogPost": "blog_post", "ID": "id", "UserID": "user_id", "CreateDate": "create_date",
		"HTTPServer": "http_server", "AId": "a_id", "Field2Name": "field2_name", "already_snake": "already_snake",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func mustRegister[M any](t *testing.T, reg *Registry, opts ...Option) *mapper {
	t.Helper()
	if err := Register[M](reg, opts...); err != nil {
		t.Fatalf("Register[%s]: %v", reflect.TypeFor[M](), err)
	}
	m, _ := reg.mapperOf(reflect.TypeFor[M]())
	return m
}

func colSummary(c *schema.Column) string {
	s := c.Name + " " + c.Type.String()
	if c.PrimaryKey {
		s += " pk"
	}
	if c.Autoincrement {
		s += " autoinc"
	}
	if !c.Nullable {
		s += " notnull"
	}
	if c.ServerDefault != nil {
		s += " server_default"
	}
	if c.Default != nil {
		s += " default"
	}
	if c.Unique {
		s += " unique"
	}
	if c.Index {
		s += " index"
	}
	return s
}

func tableSummary(t *schema.Table) []string {
	var out []string
	for _, c := range t.Cols {
		out = append(out, colSummary(c))
	}
	for _, fk := range t.ForeignKeys {
		s := "fk " + strings.Join(fk.Columns, ",") + " -> " + fk.RefTable + "(" + strings.Join(fk.RefCols, ",") + ")"
		if fk.OnDelete != "" {
			s += " on delete " + fk.OnDelete
		}
		out = append(out, s)
	}
	return out
}

func TestRegisterSeedModels(t *testing.T) {
	reg := NewRegistry()
	ma := mustRegister[A](t, reg)
	// B was registered through A.Bs.
	mb, ok := reg.mapperOf(reflect.TypeFor[B]())
	if !ok {
		t.Fatal("B was not registered through the relationship A.Bs")
	}
	if ma.table.Name != "a" || mb.table.Name != "b" {
		t.Fatalf("table names %q, %q; want a, b", ma.table.Name, mb.table.Name)
	}
	wantA := []string{"id bigint pk autoinc notnull", "data string", "create_date timestamp with time zone notnull server_default"}
	if got := tableSummary(ma.table); !reflect.DeepEqual(got, wantA) {
		t.Errorf("table a:\n got %q\nwant %q", got, wantA)
	}
	wantB := []string{"id bigint pk autoinc notnull", "a_id bigint notnull", "data string", "fk a_id -> a(id)"}
	if got := tableSummary(mb.table); !reflect.DeepEqual(got, wantB) {
		t.Errorf("table b:\n got %q\nwant %q", got, wantB)
	}
	if len(ma.rels) != 1 {
		t.Fatalf("A has %d relationships, want 1", len(ma.rels))
	}
	r := ma.rels[0]
	if r.kind != oneToMany || r.target != mb || r.childCols[0].goName != "AID" || r.parentCols[0].goName != "ID" || r.back != nil {
		t.Errorf("A.Bs = %+v", r)
	}
	if ma.autoinc == nil || ma.autoinc.goName != "ID" || len(ma.pk) != 1 {
		t.Errorf("A key: autoinc %v pk %v", ma.autoinc, ma.pk)
	}
	if len(ma.fetchOnInsert) != 2 || ma.fetchOnInsert[1].goName != "CreateDate" {
		t.Errorf("A fetchOnInsert = %v", ma.fetchOnInsert)
	}
	// Both tables are in the registry's MetaData, in dependency order.
	sorted, err := reg.MetaData().SortedTables()
	if err != nil || len(sorted) != 2 || sorted[0] != ma.table || sorted[1] != mb.table {
		t.Errorf("SortedTables = %v, %v", sorted, err)
	}
	// Registering again without options is a no-op; with options an error.
	if err := Register[A](reg); err != nil {
		t.Errorf("second Register: %v", err)
	}
	if err := Register[B](reg, WithTableName("bb")); !errors.Is(err, ErrMapping) {
		t.Errorf("Register with options after automatic registration: %v", err)
	}
}

func TestRegisterBackPopulates(t *testing.T) {
	reg := NewRegistry()
	mu := mustRegister[User](t, reg)
	mp, _ := reg.mapperOf(reflect.TypeFor[Post]())
	if mu.table.Name != "users" || mp.table.Name != "posts" {
		t.Fatalf("tables %s %s", mu.table.Name, mp.table.Name)
	}
	want := []string{"id bigint pk autoinc notnull", "title string notnull", "user_id bigint", "fk user_id -> users(id) on delete CASCADE"}
	if got := tableSummary(mp.table); !reflect.DeepEqual(got, want) {
		t.Errorf("posts:\n got %q\nwant %q", got, want)
	}
	posts, user := mu.relByGoName("Posts"), mp.relByGoName("User")
	if posts.back != user || user.back != posts || user.kind != manyToOne || user.childCols[0].goName != "UserID" {
		t.Errorf("back_populates not linked: posts=%+v user=%+v", posts, user)
	}
}

type Everything struct {
	ID       types.UUID `retort:"pk"`
	I        int
	I8       int8
	I16      int16
	I32      int32
	U16      uint16
	U64      uint64
	F32      float32
	F64      float64
	Bool     bool
	Str      string `retort:"size=50,unique"`
	Text     string `retort:"type=text,index"`
	Bytes    []byte
	Raw      json.RawMessage
	Doc      map[string]int `retort:"json"`
	Dur      time.Duration
	At       time.Time `retort:"type=timestamptz"`
	Day      time.Time `retort:"type=date"`
	Price    string    `retort:"type=numeric(10,2),default=1.50"`
	Status   string    `retort:"type=enum(status:new|done),default=new"`
	NullI    types.Null[int64]
	PtrF     *float64
	Named    Level  `retort:"level"`
	Renamed  string `retort:"name=the_name,notnull"`
	Skipped  func() `retort:"-"`
	internal int
	Embedded
}

type Level int8

type Embedded struct {
	Note  *string `retort:"server_default='none'"`
	Count int     `retort:"default=3"`
}

func TestRegisterAllTypes(t *testing.T) {
	reg := NewRegistry()
	m := mustRegister[Everything](t, reg)
	if m.table.Name != "everything" {
		t.Errorf("table %q", m.table.Name)
	}
	want := []string{
		"id uuid pk notnull", "i bigint notnull", "i8 smallint notnull", "i16 smallint notnull", "i32 integer notnull",
		"u16 integer notnull", "u64 bigint notnull", "f32 float notnull", "f64 double notnull", "bool boolean notnull",
		"str string(50) notnull unique", "text text notnull index", "bytes bytes notnull", "raw json notnull",
		"doc json notnull", "dur interval notnull", "at timestamp with time zone notnull", "day date notnull",
		"price numeric(10,2) notnull default", "status enum status(new,done) notnull default", "null_i bigint", "ptr_f double",
		"level smallint notnull", "the_name string notnull", "note string server_default", "count bigint notnull default",
	}
	if got := tableSummary(m.table); !reflect.DeepEqual(got, want) {
		t.Errorf("everything:\n got %q\nwant %q", got, want)
	}
	if f := m.fieldByColumn("note"); f == nil || f.goName != "Embedded.Note" || !f.genOnInsert {
		t.Errorf("embedded field note: %+v", f)
	}
	if f := m.fieldByColumn("count"); !f.hasDefault || f.defVal != int64(3) {
		t.Errorf("count default: %+v", f)
	}
}

// mappingErrors registers M and returns its mapping errors' problems.
func mappingErrors[M any](t *testing.T, reg *Registry) []*MappingError {
	t.Helper()
	err := Register[M](reg)
	if err == nil {
		t.Fatalf("Register[%s] succeeded; want a mapping error", reflect.TypeFor[M]())
	}
	if !errors.Is(err, ErrMapping) {
		t.Fatalf("error %v does not wrap ErrMapping", err)
	}
	var out []*MappingError
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		var me *MappingError
		if !errors.As(e, &me) {
			t.Fatalf("error %v is not a *MappingError", e)
		}
		out = append(out, me)
	}
	if _, ok := reg.mapperOf(reflect.TypeFor[M]()); ok {
		t.Errorf("%s was registered despite the error", reflect.TypeFor[M]())
	}
	return out
}

type badTag struct {
	ID   int64
	Data string `retort:"data,primry_key"`
}
type badNoPK struct{ Name string }
type badType struct {
	ID int64
	Ch chan int
}
type badStructs struct {
	ID    int64
	Items []Item
}
type Item struct{ N int }
type badFKTable struct {
	ID  int64
	XID int64 `retort:"fk=nowhere.id"`
}
type badFKColumn struct {
	ID  int64
	AID int64 `retort:"fk=a.nope"`
}
type badKindMismatch struct {
	ID   int64
	Data int `retort:"type=text"`
}
type badNullable struct {
	ID   int64
	Data string `retort:"nullable"`
}
type badSize struct {
	ID int64
	N  int `retort:"size=10"`
}
type badPtrPK struct {
	ID *int64 `retort:"pk"`
}
type badDefault struct {
	ID int64
	N  int  `retort:"default=abc"`
	On bool `retort:"default=true"`
}
type badServerDefault struct {
	ID int64
	N  int `retort:"server_default=1+1"`
}
type badOnDelete struct {
	ID  int64
	AID int64 `retort:"ondelete=cascade"`
}
type badAction struct {
	ID  int64
	AID int64 `retort:"fk=a.id,ondelete=explode"`
}
type badDupColumn struct {
	ID    int64
	Name  string
	Name2 string `retort:"name"`
}
type badRelNoFK struct {
	ID    int64
	Items []*orphan
}
type orphan struct{ ID int64 }
type badRelAmbiguous struct {
	ID    int64
	Edges []*edge
}
type edge struct {
	ID   int64
	From int64 `retort:"fk=bad_rel_ambiguous.id"`
	To   int64 `retort:"fk=bad_rel_ambiguous.id"`
}
type badColOptOnRel struct {
	ID    int64
	Items []*orphan `retort:"rel,unique"`
}
type badRelOnColumn struct {
	ID   int64
	Name string `retort:"rel"`
}
type badBack struct {
	ID   int64
	Kids []*kid `retort:"back_populates=Nope"`
}
type kid struct {
	ID    int64
	BadID int64 `retort:"fk=bad_back.id"`
}

type badMany struct {
	ID    int64
	Title string `retort:"size=20,indexx"`
	XID   int64  `retort:"fk=nowhere.id"`
	Ch    chan int
	Kids  []*badManyKid
}
type badManyKid struct {
	ID   int64
	Name string `retort:"name,nulable"`
	BID  int64  `retort:"fk=missing.id"`
}

// TestMappingErrorsAllAtOnce checks that one Register reports every mistake of the models
// it maps, whatever phase finds it: unknown tag options, an unsupported field type and
// foreign keys to tables that do not exist, in the model and in one it reaches.
func TestMappingErrorsAllAtOnce(t *testing.T) {
	errs := mappingErrors[badMany](t, NewRegistry())
	want := []string{
		`orm.badMany.Title: unknown tag option "indexx"`,
		`orm.badMany.Ch: unsupported field type chan int`,
		`orm.badMany.XID: foreign key target table nowhere is not registered`,
		`orm.badManyKid.Name: unknown tag option "nulable"`,
		`orm.badManyKid.BID: foreign key target table missing is not registered`,
	}
	for _, w := range want {
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e.Struct+"."+e.Field+": "+e.Problem, w)
		}
		if !found {
			t.Errorf("no error %q", w)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("%d errors, want %d:", len(errs), len(want))
		for _, e := range errs {
			t.Errorf("    %v", e)
		}
	}
}

type badRoot struct {
	ID     int64
	Loose  []*badLoose
	Broken []*badBroken
}
type badLoose struct{ ID int64 } // no foreign key to bad_root
type badBroken struct {
	ID     int64
	RootID int64 `retort:"fk=bad_root.id,cascde"`
}

// TestMappingErrorsWithRelationships: a relationship mistake between sound models is
// reported next to another model's mistake; the relationship of the model with the
// mistake is not resolved (no error about it).
func TestMappingErrorsWithRelationships(t *testing.T) {
	errs := mappingErrors[badRoot](t, NewRegistry())
	var got []string
	for _, e := range errs {
		got = append(got, e.Struct+"."+e.Field+": "+e.Problem)
	}
	if len(errs) != 2 || !strings.Contains(got[0]+got[1], `orm.badBroken.RootID: unknown tag option "cascde"`) ||
		!strings.Contains(got[0]+got[1], "orm.badRoot.Loose: one-to-many relationship to orm.badLoose") {
		t.Errorf("errors:\n%s", strings.Join(got, "\n"))
	}
}

func TestMappingErrors(t *testing.T) {
	reg := NewRegistry()
	mustRegister[A](t, reg) // table a exists for the fk tests
	check := func(name string, errs []*MappingError, field, problem string) {
		t.Helper()
		for _, e := range errs {
			if e.Field == field && strings.Contains(e.Problem, problem) {
				if !strings.HasPrefix(e.Error(), "orm: mapping ") || !strings.Contains(e.Error(), e.Struct) {
					t.Errorf("%s: message %q lacks prefix or struct name", name, e.Error())
				}
				return
			}
		}
		t.Errorf("%s: no error for field %q containing %q; got:", name, field, problem)
		for _, e := range errs {
			t.Errorf("    %v", e)
		}
	}
	check("unknown tag", mappingErrors[badTag](t, reg), "Data", `unknown tag option "primry_key"`)
	check("no pk", mappingErrors[badNoPK](t, reg), "", "no primary key")
	check("unsupported type", mappingErrors[badType](t, reg), "Ch", "unsupported field type chan int")
	check("slice of structs", mappingErrors[badStructs](t, reg), "Items", "[]*Item")
	check("fk table", mappingErrors[badFKTable](t, reg), "XID", "foreign key target table nowhere is not registered")
	check("fk column", mappingErrors[badFKColumn](t, reg), "AID", "foreign key target table a has no column nope")
	check("type mismatch", mappingErrors[badKindMismatch](t, reg), "Data", "field type int cannot hold a text column")
	check("nullable", mappingErrors[badNullable](t, reg), "Data", "nullable needs a pointer")
	check("size", mappingErrors[badSize](t, reg), "N", "size= applies to string")
	check("pointer pk", mappingErrors[badPtrPK](t, reg), "ID", "primary key field cannot be a pointer")
	errs := mappingErrors[badDefault](t, reg)
	check("default int", errs, "N", "default=abc is not an integer")
	check("default bool", errs, "On", "use *bool")
	check("server default", mappingErrors[badServerDefault](t, reg), "N", "server_default=1+1")
	check("ondelete without fk", mappingErrors[badOnDelete](t, reg), "AID", "ondelete/onupdate need fk")
	check("fk action", mappingErrors[badAction](t, reg), "AID", `unknown ON DELETE action "explode"`)
	check("duplicate column", mappingErrors[badDupColumn](t, reg), "Name2", "column defined twice")
	check("relationship without fk", mappingErrors[badRelNoFK](t, reg), "Items", "has no foreign key to table bad_rel_no_fk")
	check("ambiguous fk", mappingErrors[badRelAmbiguous](t, reg), "Edges", "2 foreign keys to table bad_rel_ambiguous (from, to)")
	check("column option on relationship", mappingErrors[badColOptOnRel](t, reg), "Items", "option unique applies to columns")
	check("rel on column", mappingErrors[badRelOnColumn](t, reg), "Name", "option rel needs a relationship field")
	check("back_populates", mappingErrors[badBack](t, reg), "Kids", "back_populates=Nope: orm.kid has no relationship field Nope")
	// A failed registration leaves nothing behind: kid (reached through badBack.Kids) is
	// not registered and its table is not in the MetaData.
	if _, ok := reg.mapperOf(reflect.TypeFor[kid]()); ok {
		t.Error("kid registered by a failed registration")
	}
	if _, ok := reg.MetaData().TableByName("kid"); ok {
		t.Error("table kid defined by a failed registration")
	}
	if n := len(reg.MetaData().Tables); n != 2 {
		t.Errorf("MetaData has %d tables after failed registrations, want 2 (a, b)", n)
	}
}

type ambiguousOK struct {
	ID    int64
	Edges []*edge2 `retort:"rel,fk=from_id"`
}
type edge2 struct {
	ID     int64
	FromID int64 `retort:"fk=ambiguous_ok.id"`
	ToID   int64 `retort:"fk=ambiguous_ok.id"`
}

func TestRelationshipExplicitFK(t *testing.T) {
	reg := NewRegistry()
	m := mustRegister[ambiguousOK](t, reg)
	if r := m.rels[0]; r.childCols[0].col.Name != "from_id" {
		t.Errorf("fk=from_id chose %s", r.childCols[0].col.Name)
	}
}

func TestWithTableItems(t *testing.T) {
	type pair struct {
		Left  int64 `retort:"pk,autoincrement=false"`
		Right int64 `retort:"pk"`
		Note  string
	}
	reg := NewRegistry()
	m := mustRegister[pair](t, reg, WithTableName("pairs"), WithTableItems(schema.Index("ix_pairs_note", "note")))
	if m.table.Name != "pairs" || len(m.pk) != 2 || m.autoinc != nil || len(m.table.Indexes) != 1 {
		t.Errorf("pairs: %v pk=%d autoinc=%v indexes=%d", m.table.Name, len(m.pk), m.autoinc, len(m.table.Indexes))
	}
	type single struct{ ID int64 }
	err := Register[single](reg, WithTableItems(schema.Col("extra", types.Text())))
	if !errors.Is(err, ErrMapping) || !strings.Contains(err.Error(), "cannot add columns") {
		t.Errorf("Col in WithTableItems: %v", err)
	}
}

var AT = struct {
	Table[A]
	ID         Column[int64]
	Data       Column[*string]
	CreateDate Column[time.Time]
	Bs         Relation[A, B]
}{}

func TestHandleBinding(t *testing.T) {
	reg := NewRegistry()
	h := AT // a copy, so tests do not share the package-level handle
	// Before binding, expressions report ErrUnboundHandle through their column.
	if e := h.ID.Eq(1); !errors.Is(e.Left.(*expr.ColumnClause).Err, ErrUnboundHandle) {
		t.Errorf("unbound Eq left = %#v", e.Left)
	}
	if err := RegisterHandle(reg, &h); err != nil {
		t.Fatal(err)
	}
	ta, _ := TableOf[A](reg)
	if h.Core() != ta || h.ID.ColumnClause != ta.C("id") || h.Data.Expr() != ta.C("data") || h.Bs.Name() != "Bs" {
		t.Fatalf("handle not bound to table a: %+v", h)
	}
	// Typed comparisons bind canonical values with the column's type.
	e := h.ID.Eq(7)
	if b, ok := e.Right.(*expr.Bind); !ok || b.Value != int64(7) || b.Type.Kind != types.KindBigInt || e.Op != expr.OpEq {
		t.Errorf("ID.Eq(7) = %#v", e)
	}
	s := "x"
	if b := h.Data.Eq(&s).Right.(*expr.Bind); b.Value != "x" {
		t.Errorf("Data.Eq(&s) binds %#v", b.Value)
	}
	if e := h.Data.Eq(nil); e.Op != expr.OpIs {
		t.Errorf("Data.Eq(nil) op = %v, want IS", e.Op)
	}
	if in := h.ID.In(1, 2, 3); len(in.Values) != 3 || in.Values[2].(*expr.Bind).Value != int64(3) {
		t.Errorf("ID.In = %#v", in)
	}
	if o := h.ID.Desc(); !o.Desc || o.X != ta.C("id") {
		t.Errorf("ID.Desc = %#v", o)
	}
	// The handle is an expr.Expr for column-to-column comparisons.
	hb := struct {
		Table[B]
		AID Column[int64]
	}{}
	if err := RegisterHandle(reg, &hb); err != nil {
		t.Fatal(err)
	}
	if e := expr.Eq(h.ID, hb.AID).(*expr.BinaryExpr); e.Left != ta.C("id") || e.Right != hb.AID.ColumnClause {
		t.Errorf("expr.Eq(h.ID, hb.AID) = %#v", e)
	}
}

func TestHandleErrors(t *testing.T) {
	reg := NewRegistry()
	wrongType := struct {
		Table[A]
		ID   Column[int]
		Data Column[string]
	}{}
	err := RegisterHandle(reg, &wrongType)
	if !errors.Is(err, ErrMapping) || !strings.Contains(err.Error(), "field ID: declared as orm.Column[int] but A.ID is int64") ||
		!strings.Contains(err.Error(), "declared as orm.Column[string] but A.Data is *string") {
		t.Errorf("type mismatch: %v", err)
	}
	if wrongType.Table.m != nil {
		t.Error("a failed handle registration bound the table")
	}
	unknown := struct {
		Table[A]
		Nope Column[int64]
		Bs   Column[int64]
	}{}
	err = RegisterHandle(reg, &unknown)
	if err == nil || !strings.Contains(err.Error(), "field Nope: orm.A has no mapped field Nope") ||
		!strings.Contains(err.Error(), "A.Bs is a relationship; declare it as orm.Relation[A, B]") {
		t.Errorf("unknown field: %v", err)
	}
	badRel := struct {
		Table[A]
		Bs Relation[A, User]
	}{}
	if err := RegisterHandle(reg, &badRel); err == nil || !strings.Contains(err.Error(), "declared as orm.Relation[orm.A, orm.User]") {
		t.Errorf("relation mismatch: %v", err)
	}
	noTable := struct{ ID Column[int64] }{}
	if err := RegisterHandle(reg, &noTable); err == nil || !strings.Contains(err.Error(), "must embed orm.Table[Model]") {
		t.Errorf("no Table: %v", err)
	}
	if err := RegisterHandle(reg, noTable); err == nil || !strings.Contains(err.Error(), "needs a pointer") {
		t.Errorf("non-pointer: %v", err)
	}
	other := struct {
		Table[A]
		X int
	}{}
	if err := RegisterHandle(reg, &other); err == nil || !strings.Contains(err.Error(), "must be orm.Column[T] or orm.Relation[A, B], not int") {
		t.Errorf("plain field: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustRegister did not panic on a bad handle")
		}
	}()
	MustRegister(reg, &other)
}
