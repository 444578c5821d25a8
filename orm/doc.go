// Package orm is retort's object-relational mapper: SQLAlchemy's ORM (declarative
// mapping, Session, unit of work, identity map) for plain Go structs, built on retort's
// Core (packages expr, schema, engine).
//
// # Models
//
// A model is a plain struct. Register maps it:
//
//	type A struct {
//		ID         int64     `retort:"pk"`
//		Data       *string
//		CreateDate time.Time `retort:"server_default=now()"`
//		Bs         []*B      `retort:"rel"`
//	}
//
//	type B struct {
//		ID   int64   `retort:"pk"`
//		AID  int64   `retort:"a_id,fk=a.id"`
//		Data *string
//	}
//
//	reg := orm.NewRegistry()
//	err := orm.Register[A](reg) // registers B too, reached through A.Bs
//	err = eng.CreateAll(ctx, reg.MetaData())
//
// Mapping rules:
//
//   - Table name: the model's TableName() string method (value or pointer receiver), else
//     WithTableName, else the snake_case of the type name (A is "a", BlogPost "blog_post";
//     no pluralisation).
//   - Every exported field is a column named by the snake_case of the field name
//     (CreateDate is "create_date", UserID "user_id") unless tagged otherwise. Fields of
//     embedded structs (by value) are flattened. Unexported fields are ignored; tag a
//     field retort:"-" to leave it out.
//   - Column type from the Go type: int, int64, uint, uint32, uint64 are BIGINT (int64
//     canonical values; a uint beyond the int64 range is an error when written); int32
//     and uint16 INTEGER; int16, int8 and uint8 SMALLINT; bool BOOLEAN; float64 DOUBLE;
//     float32 FLOAT; string VARCHAR (size=N gives VARCHAR(N)); []byte BYTES;
//     json.RawMessage JSON; time.Time TIMESTAMP (without time zone); time.Duration
//     INTERVAL; types.UUID (or any [16]byte) UUID. Named types use their underlying
//     kind. type=... overrides: integer, bigint, smallint, boolean, float, double,
//     numeric(p,s) (string or float64 fields), string(n)/varchar(n), text, bytes, date,
//     time (a time.Duration since midnight), timestamp, timestamptz, interval, json,
//     uuid (also on string fields), enum(name:a|b|c). Any other type (struct, map, slice)
//     is stored as a JSON document when tagged json (or type=json) and is otherwise a
//     mapping error.
//   - Nullability follows the Go type: a pointer field or a types.Null[T] field is a
//     nullable column, any other field is NOT NULL (notnull makes a pointer field's column
//     NOT NULL; nullable on a non-pointer field is an error, since the field could not
//     hold NULL).
//   - Primary key: the fields tagged pk (several make a composite key, in field order),
//     or WithTableItems(schema.PrimaryKeyConstraint(...)); without either, a field named
//     ID is the key (a decision taken for brevity: SQLAlchemy has no such convention, but
//     nearly every Go model has an ID). No key at all is a mapping error. A single integer
//     key autoincrements unless autoincrement=false.
//   - Other options: unique, index, default=V (a client-side default), server_default=
//     (now(), a 'quoted string', a number, true, false, null, or name()), fk=table.column
//     with ondelete= and onupdate=, autoincrement[=false], name=. Composite constraints and
//     indexes are given with WithTableItems.
//
// The tag is a comma-separated list; commas inside parentheses and single quotes do not
// split it (type=numeric(10,2), default='a,b'). Its first item is the column name unless
// it is an option: `retort:"a_id,fk=a.id"`, `retort:",pk"`, `retort:"pk"`.
//
// Relationships are fields of type []*T (one-to-many: the foreign key is on T's table)
// or *T (many-to-one: the foreign key is on the model's own table), where T is another
// model. They are recognised by their type (tagging them rel is allowed and documents
// intent; the brief asked for the tag, the type alone is unambiguous because no column
// type is a slice of struct pointers or a struct pointer). The foreign key is inferred
// when the child table has exactly one foreign key to the parent table; otherwise
// fk=<child column> names it. back_populates=<field> links the two sides (User.Posts and
// Post.User), which makes loads fill both and flushes keep both consistent. The target
// model is registered automatically, with its defaults, when it is not yet.
//
// Registration reports every mistake at once as *MappingError values (errors.Join),
// naming the struct, the field, its tag and the problem: an unknown tag option, an
// unsupported field type, a type= the field cannot hold, a missing primary key, a foreign
// key to a table that is not registered (register the parent first) or to a column it
// does not have, a relationship without a usable foreign key, a bad back_populates. A
// failed registration leaves the registry and its MetaData unchanged: tables are first
// defined in scratch MetaData values and only copied into the registry's when everything
// checks out.
//
// # Per-type plans
//
// Registration computes, once per model, everything the hot paths need: each column
// field's offset in the struct and a codec (see codec.go) chosen from the field's Go kind
// and the column's type: typed reads and writes through unsafe pointers for the common
// kinds, wrappers for pointer and types.Null fields, encoding/json only for JSON
// documents of arbitrary types. Moving a row into a struct is then a loop over a slice of
// fields calling precomputed functions: no reflection lookups by name and no maps per
// row. Values cross the boundary as the canonical Go values of package types, which the
// engine guarantees on every dialect.
//
// # Typed column handles
//
// Queries name columns through handle structs checked at registration (see Table,
// Column and Relation):
//
//	var AT = struct {
//		orm.Table[A]
//		ID         orm.Column[int64]
//		Data       orm.Column[*string]
//		CreateDate orm.Column[time.Time]
//		Bs         orm.Relation[A, B]
//	}{}
//
//	func init() { orm.MustRegister(reg, &AT) }
//
// RegisterHandle binds each handle field to the model field of the same name and checks
// that Column[T]'s T is exactly that field's Go type: a misspelt field or a wrong type
// fails at start-up, never in production. Column[T] embeds the *expr.ColumnClause, so a
// handle column is an expr.Expr that works everywhere in package expr, while its own
// Eq/Ne/Lt/.../In/Between/Set methods take values of type T and convert them exactly as
// the field is converted (AT.Data.Eq(nil) is "data IS NULL"). Go has no operator
// overloading, so SQLAlchemy's A.data == "x" is spelt AT.Data.Eq(ptr("x")), and a
// column-to-column comparison expr.Eq(AT.ID, BT.AID). A generator (cmd/retort-gen, not
// written yet) may write the handle structs from the models; they are ordinary Go either
// way.
//
// # Status
//
// This package is being built in steps (see issue 3). Done: mapping, codecs, handles,
// and the pieces listed in the files' own comments. The session, unit of work and
// loaders are described below as they land.
package orm
