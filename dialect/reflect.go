package dialect

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// CatalogQuery runs one catalog query (in the dialect's placeholder style) for
// reflection and returns every row. Text comes back as string (never []byte), integers
// as int64, booleans as bool where the driver reports them so, NULL as nil.
type CatalogQuery func(ctx context.Context, sql string, args ...any) ([][]any, error)

// ReflectOptions limit what Reflector.Reflect reads. It is a plain value, safe for
// concurrent reads, that lives as long as the caller keeps it.
type ReflectOptions struct {
	// Schema is the PostgreSQL schema or MySQL database to read; "" reads the
	// connection's current one. SQLite reads the main database.
	Schema string
	// Include, when not nil, reports whether a table is read; tables referenced by
	// foreign keys of included tables must be included too.
	Include func(table string) bool
}

// Reflector is implemented by dialects that can read a live database's schema into a
// schema.MetaData (SQLAlchemy's Inspector). dialect/sqlite, dialect/postgres and
// dialect/mysql implement it in their reflect.go. Implementations are safe for
// concurrent use and live as long as their engine.
type Reflector interface {
	// Reflect reads the tables of the database through q.
	Reflect(ctx context.Context, q CatalogQuery, opts ReflectOptions) (*schema.MetaData, error)
	// Normalization describes how a table created from a MetaData reads back; comparing
	// a model with a reflected database goes through it.
	Normalization() Normalization
}

// Normalization is a dialect's documented account of what reflection cannot give back
// as it was declared. A model compared with a reflected database is first passed
// through it: types through ReflectedType, foreign key actions "" through
// DefaultFKAction, and the flags say which names and kinds the database keeps.
// It is a plain value, safe for concurrent reads; it lives as long as the caller keeps it.
type Normalization struct {
	// ReflectedType returns the type a column declared with t (the autoincrement column
	// when autoincrement is true) reads back as, such as string(255) for a VARCHAR
	// without length on MySQL.
	ReflectedType func(t types.Type, autoincrement bool) types.Type
	// DefaultFKAction is what an ON DELETE / ON UPDATE left out reads back as.
	DefaultFKAction string
	// UniqueIndexIsConstraint: unique indexes and unique constraints are the same
	// object (MySQL); both read back as unique constraints.
	UniqueIndexIsConstraint bool
	// Comments: the database keeps column comments (SQLite does not).
	Comments bool
	// GeneratedCheckName reports whether name is one the database gives a check
	// constraint declared without a name (PostgreSQL: table_check, table_column_check;
	// MariaDB: CONSTRAINT_n). Such checks count as unnamed. Nil: the database keeps
	// unnamed checks unnamed.
	GeneratedCheckName func(table, name string) bool
}

// ReflectedColumn is a column read from a database catalog, before it becomes a
// schema.Column. It is a plain value built by one Reflect call: safe for concurrent
// reads, it lives until BuildMetaData has used it.
type ReflectedColumn struct {
	Name          string
	Type          types.Type
	Nullable      bool
	Default       expr.Expr // nil: no server default
	Autoincrement bool
	Comment       string
}

// ReflectedTable is a table read from a database catalog, as the dialects collect it
// before BuildMetaData turns it into a schema.Table. It is a plain value built by one
// Reflect call and owned by it: safe for concurrent reads, it lives until
// BuildMetaData has used it.
type ReflectedTable struct {
	Schema      string
	Name        string
	Columns     []ReflectedColumn
	PrimaryKey  []string
	ForeignKeys []schema.ForeignKeyDef // Table unset; RefTable possibly "schema.table"
	Uniques     []schema.UniqueDef
	Checks      []schema.CheckDef
	Indexes     []schema.IndexDef // Table unset
}

// BuildMetaData turns reflected tables into a MetaData, in the order given. Errors name
// the table that could not be defined.
func BuildMetaData(tables []*ReflectedTable) (*schema.MetaData, error) {
	md := schema.NewMetaData()
	for _, rt := range tables {
		if _, err := md.Table(rt.Name, TableItems(rt)...); err != nil {
			return nil, fmt.Errorf("dialect: reflecting table %s: %w", rt.Name, err)
		}
	}
	return md, nil
}

// TableItems returns the definition of rt as the items of schema.MetaData.Table:
// columns with explicit nullability and autoincrement, the primary key, foreign keys,
// unique and check constraints, indexes.
func TableItems(rt *ReflectedTable) []schema.TableItem {
	var items []schema.TableItem
	if rt.Schema != "" {
		items = append(items, schema.InSchema(rt.Schema))
	}
	for _, c := range rt.Columns {
		opts := []schema.ColumnOption{schema.Autoincrement(c.Autoincrement)}
		if c.Nullable {
			opts = append(opts, schema.Nullable())
		} else {
			opts = append(opts, schema.NotNull())
		}
		if c.Default != nil {
			opts = append(opts, schema.ServerDefault(c.Default))
		}
		if c.Comment != "" {
			opts = append(opts, schema.Comment(c.Comment))
		}
		items = append(items, schema.Col(c.Name, c.Type, opts...))
	}
	if len(rt.PrimaryKey) > 0 {
		items = append(items, schema.PrimaryKeyConstraint(rt.PrimaryKey...))
	}
	for _, fk := range rt.ForeignKeys {
		var opts []schema.FKOption
		if fk.OnDelete != "" {
			opts = append(opts, schema.OnDelete(fk.OnDelete))
		}
		if fk.OnUpdate != "" {
			opts = append(opts, schema.OnUpdate(fk.OnUpdate))
		}
		items = append(items, schema.ForeignKeyConstraint(fk.Name, fk.Columns, fk.RefTable, fk.RefCols, opts...))
	}
	for _, u := range rt.Uniques {
		items = append(items, schema.UniqueConstraint(u.Name, u.Columns...))
	}
	for _, ck := range rt.Checks {
		items = append(items, schema.CheckConstraint(ck.Name, ck.SQL))
	}
	for _, ix := range rt.Indexes {
		switch {
		case ix.Where != "":
			items = append(items, schema.PartialIndex(ix.Name, ix.Unique, ix.Where, ix.Columns...))
		case ix.Unique:
			items = append(items, schema.UniqueIndex(ix.Name, ix.Columns...))
		default:
			items = append(items, schema.Index(ix.Name, ix.Columns...))
		}
	}
	return items
}

// CurrentSchema runs query, which returns the connection's current schema or database,
// and fails naming what is missing when it returns NULL.
func CurrentSchema(ctx context.Context, q CatalogQuery, query, what string) (string, error) {
	rows, err := q(ctx, query)
	if err != nil {
		return "", err
	}
	if len(rows) == 0 || rows[0][0] == nil {
		return "", fmt.Errorf("reflect: the connection has no current %s", what)
	}
	return Str(rows[0][0]), nil
}

// NewTables starts a ReflectedTable (in schemaName) for the table named by the first
// value of each row that include accepts (every one when include is nil), and returns
// them in order and by name.
func NewTables(rows [][]any, schemaName string, include func(string) bool) ([]*ReflectedTable, map[string]*ReflectedTable) {
	var order []*ReflectedTable
	byName := map[string]*ReflectedTable{}
	for _, r := range rows {
		name := Str(r[0])
		if include != nil && !include(name) {
			continue
		}
		rt := &ReflectedTable{Schema: schemaName, Name: name}
		order = append(order, rt)
		byName[name] = rt
	}
	return order, byName
}

// ParseDefault turns the text of a column default, as a catalog reports it (after the
// dialect has removed its own decorations such as PostgreSQL casts), into an
// expression: NULL is no default (nil), numbers and quoted strings become values of the
// column's type t, TRUE/FALSE booleans, CURRENT_TIMESTAMP / now() (with or without a
// precision) expr.Now(), and anything else raw SQL (expr.Text).
func ParseDefault(sql string, t types.Type) expr.Expr {
	s := strings.TrimSpace(sql)
	for len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' && balanced(s[1:len(s)-1]) {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	low := strings.ToLower(s)
	switch {
	case s == "" || low == "null":
		return nil
	case low == "true" || low == "false":
		return expr.Value(low == "true", t)
	case low == "current_timestamp" || low == "now()" || low == "localtimestamp" ||
		strings.HasPrefix(low, "current_timestamp("):
		return expr.Now()
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		v := strings.ReplaceAll(s[1:len(s)-1], "''", "'")
		if t.Kind == types.KindBoolean {
			return expr.Value(v == "1" || strings.EqualFold(v, "true"), t)
		}
		if k := t.Kind; k == types.KindInteger || k == types.KindBigInt || k == types.KindSmallInt {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return expr.Value(n, t)
			}
		}
		return expr.Value(v, t)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch t.Kind {
		case types.KindBoolean:
			return expr.Value(n != 0, t)
		case types.KindNumeric, types.KindString, types.KindText:
			return expr.Value(s, t)
		case types.KindFloat, types.KindDouble:
			return expr.Value(float64(n), t)
		}
		return expr.Value(n, t)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if t.Kind == types.KindNumeric {
			return expr.Value(s, t)
		}
		return expr.Value(f, t)
	}
	return expr.Text(strings.ReplaceAll(s, ":", `\:`))
}

// balanced reports whether the parentheses of s (outside quotes) pair up.
func balanced(s string) bool {
	depth := 0
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			inQuote = !inQuote
		case inQuote:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0 && !inQuote
}

// SplitList splits a list joined with the unit separator (0x1f), as the catalog queries
// aggregate column names; "" gives nil.
func SplitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x1f")
}

// Str returns a catalog value as text ("" for NULL).
func Str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// Int returns a catalog value as an integer (0 for NULL or text that is not a number).
func Int(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case int:
		return int64(x)
	case uint64:
		return int64(x)
	case bool:
		if x {
			return 1
		}
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(Str(v)), 10, 64)
	return n
}

// Bool returns a catalog value as a boolean: true, non-zero numbers, "t", "true",
// "yes", "y", "1".
func Bool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case nil:
		return false
	case string, []byte:
		switch strings.ToLower(Str(x)) {
		case "t", "true", "yes", "y", "1":
			return true
		}
		return false
	}
	return Int(v) != 0
}

// SessionLocker is implemented by dialects with named locks that a connection holds
// until it releases them or ends (PostgreSQL advisory locks, MySQL/MariaDB GET_LOCK).
// Tools that must run alone, such as a migration runner, take one. Dialects without
// (SQLite) serialise writers through the database's write lock instead.
// Implementations are safe for concurrent use and live as long as their engine.
type SessionLocker interface {
	// SessionLockSQL returns a query that waits for and takes the lock called name, and
	// one that releases it. Each yields one row; a lock query whose last value is 0 or
	// NULL did not get the lock.
	SessionLockSQL(name string) (lock, unlock string)
}
