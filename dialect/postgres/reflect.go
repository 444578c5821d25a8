package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// PostgreSQL reflection reads pg_catalog. Normalization: every type reads back as
// declared (NUMERIC and VARCHAR without parameters included; enums keep their type name
// and values), since retort's PostgreSQL types are native. The autoincrement column is
// recognised by its sequence default (SERIAL) or as an identity column; a foreign key
// action left out reads back as NO ACTION. Defaults lose the casts PostgreSQL adds
// ('x'::character varying reads back as 'x'). Indexes that back a constraint (primary
// key, unique) are not listed as indexes; a partial index keeps its condition as
// PostgreSQL prints it (pg_get_expr), expression indexes are left out. A check declared without a name gets one from
// PostgreSQL (table_check, table_column_check); comparisons treat it as unnamed.

const pgTablesSQL = `SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname`

const pgColumnsSQL = `SELECT c.relname, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), t.typname, t.typtype::text,
 a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, pg_catalog.col_description(c.oid, a.attnum)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum`

const pgEnumsSQL = `SELECT t.typname, string_agg(e.enumlabel, chr(31) ORDER BY e.enumsortorder)
FROM pg_catalog.pg_enum e JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid GROUP BY t.typname`

const pgConstraintsSQL = `SELECT cl.relname, con.conname, con.contype::text,
 (SELECT string_agg(a.attname, chr(31) ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
   JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
 rcl.relname, rn.nspname,
 (SELECT string_agg(a.attname, chr(31) ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
   JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum),
 con.confdeltype::text, con.confupdtype::text, pg_catalog.pg_get_constraintdef(con.oid)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class cl ON cl.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
LEFT JOIN pg_catalog.pg_class rcl ON rcl.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rcl.relnamespace
WHERE n.nspname = $1 AND con.contype IN ('p', 'f', 'u', 'c')
ORDER BY cl.relname, con.conname`

const pgIndexesSQL = `SELECT t.relname, i.relname, ix.indisunique,
 (SELECT string_agg(a.attname, chr(31) ORDER BY k.ord) FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
   JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum),
 pg_catalog.pg_get_expr(ix.indpred, ix.indrelid)
FROM pg_catalog.pg_index ix
JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = ix.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = $1 AND NOT ix.indisprimary
 AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY t.relname, i.relname`

var fkActionNames = map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

// Reflect reads the tables of a schema (the current one when opts.Schema is "").
func (d *Dialect) Reflect(ctx context.Context, q dialect.CatalogQuery, opts dialect.ReflectOptions) (*schema.MetaData, error) {
	nsp := opts.Schema
	if nsp == "" {
		var err error
		if nsp, err = dialect.CurrentSchema(ctx, q, "SELECT current_schema()", "schema (search_path is empty)"); err != nil {
			return nil, err
		}
	}
	rows, err := q(ctx, pgTablesSQL, nsp)
	if err != nil {
		return nil, err
	}
	order, byName := dialect.NewTables(rows, opts.Schema, opts.Include)
	enums := map[string][]string{}
	if rows, err = q(ctx, pgEnumsSQL); err != nil {
		return nil, err
	}
	for _, r := range rows {
		enums[dialect.Str(r[0])] = dialect.SplitList(dialect.Str(r[1]))
	}
	if rows, err = q(ctx, pgColumnsSQL, nsp); err != nil {
		return nil, err
	}
	for _, r := range rows {
		rt := byName[dialect.Str(r[0])]
		if rt == nil {
			continue
		}
		col := dialect.ReflectedColumn{Name: dialect.Str(r[1]), Nullable: !dialect.Bool(r[5]), Comment: dialect.Str(r[8])}
		typname := dialect.Str(r[3])
		if dialect.Str(r[4]) == "e" {
			col.Type = types.Enum(typname, enums[typname]...)
		} else if col.Type, err = pgParseType(dialect.Str(r[2])); err != nil {
			return nil, fmt.Errorf("postgres: reflect: table %s column %s: %w", rt.Name, col.Name, err)
		}
		def := dialect.Str(r[6])
		switch {
		case dialect.Str(r[7]) != "":
			col.Autoincrement = true
		case strings.HasPrefix(def, "nextval("):
			col.Autoincrement = true
		case def != "":
			col.Default = dialect.ParseDefault(stripCasts(def), col.Type)
		}
		rt.Columns = append(rt.Columns, col)
	}
	if rows, err = q(ctx, pgConstraintsSQL, nsp); err != nil {
		return nil, err
	}
	for _, r := range rows {
		rt := byName[dialect.Str(r[0])]
		if rt == nil {
			continue
		}
		name, cols := dialect.Str(r[1]), dialect.SplitList(dialect.Str(r[3]))
		switch dialect.Str(r[2]) {
		case "p":
			rt.PrimaryKey = cols
		case "u":
			rt.Uniques = append(rt.Uniques, schema.UniqueDef{Name: name, Columns: cols})
		case "c":
			def := dialect.Str(r[9])
			def = strings.TrimSuffix(strings.TrimPrefix(def, "CHECK ("), ")")
			rt.Checks = append(rt.Checks, schema.CheckDef{Name: name, SQL: def})
		case "f":
			ref := dialect.Str(r[4])
			if opts.Schema != "" || dialect.Str(r[5]) != nsp {
				ref = dialect.Str(r[5]) + "." + ref
			}
			rt.ForeignKeys = append(rt.ForeignKeys, schema.ForeignKeyDef{Name: name, Columns: cols, RefTable: ref,
				RefCols: dialect.SplitList(dialect.Str(r[6])), OnDelete: fkActionNames[dialect.Str(r[7])], OnUpdate: fkActionNames[dialect.Str(r[8])]})
		}
	}
	if rows, err = q(ctx, pgIndexesSQL, nsp); err != nil {
		return nil, err
	}
	for _, r := range rows {
		rt := byName[dialect.Str(r[0])]
		cols := dialect.SplitList(dialect.Str(r[3]))
		if rt == nil || len(cols) == 0 { // expression indexes are not reflected
			continue
		}
		rt.Indexes = append(rt.Indexes, schema.IndexDef{Name: dialect.Str(r[1]), Unique: dialect.Bool(r[2]), Columns: cols, Where: dialect.Str(r[4])})
	}
	return dialect.BuildMetaData(order)
}

var pgTypeRE = regexp.MustCompile(`^([a-z ]+?)(?:\((\d+)(?:,(\d+))?\))?( with time zone| without time zone)?$`)

// pgParseType maps format_type's output to a retort type.
func pgParseType(s string) (types.Type, error) {
	m := pgTypeRE.FindStringSubmatch(s)
	if m == nil {
		return types.Type{}, fmt.Errorf("type %q is not one retort knows", s)
	}
	n1, _ := strconv.Atoi(m[2])
	n2, _ := strconv.Atoi(m[3])
	switch m[1] {
	case "integer":
		return types.Integer(), nil
	case "bigint":
		return types.BigInt(), nil
	case "smallint":
		return types.SmallInt(), nil
	case "boolean":
		return types.Boolean(), nil
	case "real":
		return types.Float(), nil
	case "double precision":
		return types.Double(), nil
	case "numeric":
		return types.Numeric(n1, n2), nil
	case "character varying":
		return types.String(n1), nil
	case "text":
		return types.Text(), nil
	case "bytea":
		return types.Bytes(), nil
	case "date":
		return types.Date(), nil
	case "time":
		return types.Time(), nil
	case "timestamp":
		return types.Timestamp(m[4] == " with time zone"), nil
	case "interval":
		return types.Interval(), nil
	case "json":
		return types.JSON(), nil
	case "uuid":
		return types.UUIDType(), nil
	}
	return types.Type{}, fmt.Errorf("type %q is not one retort knows", s)
}

// pgCheckSuffixRE matches what PostgreSQL appends to the table name when it names an
// unnamed check: "check", "column_check", with a number when the name is taken.
var pgCheckSuffixRE = regexp.MustCompile(`^(.*_)?check\d*$`)

var castRE = regexp.MustCompile(`::[a-z_ ]+(\([0-9, ]+\))?(\[\])?`)

// stripCasts removes PostgreSQL's ::type casts outside string literals.
func stripCasts(s string) string {
	var b strings.Builder
	inQuote := false
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			if !inQuote {
				b.WriteString(castRE.ReplaceAllString(s[start:i], ""))
				start = i
			} else {
				b.WriteString(s[start : i+1])
				start = i + 1
			}
			inQuote = !inQuote
		}
	}
	if inQuote {
		b.WriteString(s[start:])
	} else {
		b.WriteString(castRE.ReplaceAllString(s[start:], ""))
	}
	return b.String()
}

// Normalization returns PostgreSQL's reflection rules: types read back as declared.
func (d *Dialect) Normalization() dialect.Normalization {
	return dialect.Normalization{
		ReflectedType:   func(t types.Type, _ bool) types.Type { return t },
		DefaultFKAction: "NO ACTION",
		Comments:        true,
		GeneratedCheckName: func(table, name string) bool {
			rest, ok := strings.CutPrefix(name, table+"_")
			return ok && pgCheckSuffixRE.MatchString(rest)
		},
	}
}

var _ dialect.Reflector = (*Dialect)(nil)
