package sqlite

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// SQLite reflection reads sqlite_master and the table_info, foreign_key_list,
// index_list and index_info pragmas; check constraints are read from the CREATE TABLE
// text, and so are the names of foreign keys and unique constraints (CONSTRAINT name
// ...), which the pragmas do not report, and the condition of a partial index (from its
// CREATE INDEX). Normalization (what a table created by retort
// reads back as): the autoincrement column is INTEGER (the rowid alias), timestamps
// lose WITH TIME ZONE (DATETIME), JSON is text, intervals are bigint, enums are
// string(longest value) with an unnamed CHECK. A foreign key action left out reads back
// as NO ACTION.

const sqTablesSQL = `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`

// Reflect reads the tables of the main database.
func (d *Dialect) Reflect(ctx context.Context, q dialect.CatalogQuery, opts dialect.ReflectOptions) (*schema.MetaData, error) {
	if opts.Schema != "" && opts.Schema != "main" {
		return nil, fmt.Errorf("sqlite: reflect: schema %q: only the main database can be reflected", opts.Schema)
	}
	rows, err := q(ctx, sqTablesSQL)
	if err != nil {
		return nil, err
	}
	var order []*dialect.ReflectedTable
	for _, r := range rows {
		name := dialect.Str(r[0])
		if opts.Include != nil && !opts.Include(name) {
			continue
		}
		rt, err := sqReflectTable(ctx, q, name, dialect.Str(r[1]))
		if err != nil {
			return nil, err
		}
		order = append(order, rt)
	}
	return dialect.BuildMetaData(order)
}

func sqReflectTable(ctx context.Context, q dialect.CatalogQuery, name, createSQL string) (*dialect.ReflectedTable, error) {
	rt := &dialect.ReflectedTable{Name: name}
	rows, err := q(ctx, "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid", name)
	if err != nil {
		return nil, err
	}
	pk := map[int64]string{}
	for _, r := range rows {
		col := dialect.ReflectedColumn{Name: dialect.Str(r[0]), Nullable: !dialect.Bool(r[2]) && dialect.Int(r[4]) == 0}
		if col.Type, err = sqParseType(dialect.Str(r[1])); err != nil {
			return nil, fmt.Errorf("sqlite: reflect: table %s column %s: %w", name, col.Name, err)
		}
		if r[3] != nil {
			col.Default = parseDefault(dialect.Str(r[3]), col.Type)
		}
		if n := dialect.Int(r[4]); n > 0 {
			pk[n] = col.Name
		}
		rt.Columns = append(rt.Columns, col)
	}
	for i := int64(1); i <= int64(len(pk)); i++ {
		rt.PrimaryKey = append(rt.PrimaryKey, pk[i])
	}
	if len(rt.PrimaryKey) == 1 {
		for i := range rt.Columns {
			c := &rt.Columns[i]
			if c.Name == rt.PrimaryKey[0] && c.Type.Kind == types.KindInteger {
				c.Autoincrement = true
			}
		}
	}
	if rows, err = q(ctx, "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq", name); err != nil {
		return nil, err
	}
	lastID := int64(-1)
	for _, r := range rows {
		if id := dialect.Int(r[0]); id != lastID {
			lastID = id
			rt.ForeignKeys = append(rt.ForeignKeys, schema.ForeignKeyDef{RefTable: dialect.Str(r[1]),
				OnUpdate: dialect.Str(r[4]), OnDelete: dialect.Str(r[5])})
		}
		fk := &rt.ForeignKeys[len(rt.ForeignKeys)-1]
		fk.Columns = append(fk.Columns, dialect.Str(r[2]))
		fk.RefCols = append(fk.RefCols, dialect.Str(r[3]))
	}
	// pragma_foreign_key_list lists keys last to first.
	for i, j := 0, len(rt.ForeignKeys)-1; i < j; i, j = i+1, j-1 {
		rt.ForeignKeys[i], rt.ForeignKeys[j] = rt.ForeignKeys[j], rt.ForeignKeys[i]
	}
	if rows, err = q(ctx, "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?) ORDER BY seq DESC", name); err != nil {
		return nil, err
	}
	for _, r := range rows {
		ixName, origin := dialect.Str(r[0]), dialect.Str(r[2])
		if origin == "pk" {
			continue
		}
		cr, err := q(ctx, "SELECT name FROM pragma_index_info(?) ORDER BY seqno", ixName)
		if err != nil {
			return nil, err
		}
		var cols []string
		for _, c := range cr {
			cols = append(cols, dialect.Str(c[0]))
		}
		if origin == "u" {
			rt.Uniques = append(rt.Uniques, schema.UniqueDef{Columns: cols})
			continue
		}
		ix := schema.IndexDef{Name: ixName, Unique: dialect.Bool(r[1]), Columns: cols}
		if dialect.Bool(r[3]) {
			sr, err := q(ctx, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", ixName)
			if err != nil {
				return nil, err
			}
			if len(sr) > 0 {
				ix.Where = indexWhere(dialect.Str(sr[0][0]))
			}
		}
		rt.Indexes = append(rt.Indexes, ix)
	}
	rt.Checks = parseChecks(createSQL)
	// The pragmas give no constraint names; CREATE TABLE has them.
	for _, nc := range parseNamed(createSQL) {
		for i := range rt.ForeignKeys {
			if fk := &rt.ForeignKeys[i]; nc.kind == "FOREIGN" && fk.Name == "" && slices.Equal(fk.Columns, nc.cols) {
				fk.Name = nc.name
			}
		}
		for i := range rt.Uniques {
			if u := &rt.Uniques[i]; nc.kind == "UNIQUE" && u.Name == "" && slices.Equal(u.Columns, nc.cols) {
				u.Name = nc.name
			}
		}
	}
	return rt, nil
}

var sqTypeRE = regexp.MustCompile(`^([A-Za-z ]+?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?$`)

// sqParseType maps a declared column type to a retort type.
func sqParseType(s string) (types.Type, error) {
	m := sqTypeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return types.Type{}, fmt.Errorf("type %q is not one retort knows", s)
	}
	n1, _ := strconv.Atoi(m[2])
	n2, _ := strconv.Atoi(m[3])
	switch strings.ToUpper(m[1]) {
	case "INTEGER", "INT":
		return types.Integer(), nil
	case "BIGINT":
		return types.BigInt(), nil
	case "SMALLINT":
		return types.SmallInt(), nil
	case "BOOLEAN":
		return types.Boolean(), nil
	case "REAL", "FLOAT":
		return types.Float(), nil
	case "DOUBLE", "DOUBLE PRECISION":
		return types.Double(), nil
	case "NUMERIC", "DECIMAL":
		return types.Numeric(n1, n2), nil
	case "VARCHAR":
		return types.String(n1), nil
	case "CHAR":
		if n1 == 36 {
			return types.UUIDType(), nil
		}
		return types.String(n1), nil
	case "TEXT":
		return types.Text(), nil
	case "BLOB":
		return types.Bytes(), nil
	case "DATE":
		return types.Date(), nil
	case "TIME":
		return types.Time(), nil
	case "DATETIME", "TIMESTAMP":
		return types.Timestamp(false), nil
	}
	return types.Type{}, fmt.Errorf("type %q is not one retort knows", s)
}

// parseChecks finds the CHECK constraints of a CREATE TABLE statement: each CHECK
// keyword outside quotes, with the constraint name when CONSTRAINT name precedes it.
func parseChecks(sql string) []schema.CheckDef {
	var out []schema.CheckDef
	toks := sqTokens(sql)
	for i, t := range toks {
		if !strings.EqualFold(t, "CHECK") || i+1 >= len(toks) || !strings.HasPrefix(toks[i+1], "(") {
			continue
		}
		ck := schema.CheckDef{SQL: strings.TrimSpace(toks[i+1][1 : len(toks[i+1])-1])}
		if i >= 2 && strings.EqualFold(toks[i-2], "CONSTRAINT") {
			ck.Name = unquoteIdent(toks[i-1])
		}
		out = append(out, ck)
	}
	return out
}

// indexWhere returns the condition of a CREATE INDEX ... WHERE statement: what follows
// the WHERE keyword that comes after the column list.
func indexWhere(sql string) string {
	depth := 0
	var quote byte
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && i+5 <= len(sql) && strings.EqualFold(sql[i:i+5], "WHERE") &&
			(i == 0 || sql[i-1] == ' ' || sql[i-1] == ')' || sql[i-1] == '\n'):
			return strings.TrimSpace(sql[i+5:])
		}
	}
	return ""
}

type namedConstraint struct {
	kind string // "FOREIGN" or "UNIQUE"
	name string
	cols []string
}

// parseNamed finds CONSTRAINT name FOREIGN KEY (cols) and CONSTRAINT name UNIQUE (cols)
// in a CREATE TABLE statement.
func parseNamed(sql string) []namedConstraint {
	var out []namedConstraint
	toks := sqTokens(sql)
	for i := 0; i+3 < len(toks); i++ {
		if !strings.EqualFold(toks[i], "CONSTRAINT") {
			continue
		}
		kind := strings.ToUpper(toks[i+2])
		list := toks[i+3]
		if kind == "FOREIGN" && i+4 < len(toks) {
			list = toks[i+4]
		}
		if (kind != "FOREIGN" && kind != "UNIQUE") || !strings.HasPrefix(list, "(") {
			continue
		}
		var cols []string
		for _, c := range strings.Split(list[1:len(list)-1], ",") {
			cols = append(cols, unquoteIdent(strings.TrimSpace(c)))
		}
		out = append(out, namedConstraint{kind: kind, name: unquoteIdent(toks[i+1]), cols: cols})
	}
	return out
}

// sqTokens splits SQL into words, quoted strings/identifiers and balanced parenthesised
// groups (one token each); the outer parentheses of CREATE TABLE (...) are opened.
func sqTokens(sql string) []string {
	if i := strings.IndexByte(sql, '('); i >= 0 && strings.HasSuffix(strings.TrimSpace(sql), ")") {
		body := strings.TrimSpace(sql)
		sql = body[i+1 : len(body)-1]
	}
	var out []string
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case c == '\'' || c == '"' || c == '`' || c == '[':
			end := byte(c)
			if c == '[' {
				end = ']'
			}
			j := i + 1
			for j < len(sql) {
				if sql[j] == end {
					if end != ']' && j+1 < len(sql) && sql[j+1] == end {
						j += 2
						continue
					}
					break
				}
				j++
			}
			out = append(out, sql[i:min(j+1, len(sql))])
			i = j + 1
		case c == '(':
			depth, j := 0, i
			inQ := byte(0)
			for ; j < len(sql); j++ {
				switch ch := sql[j]; {
				case inQ != 0:
					if ch == inQ {
						inQ = 0
					}
				case ch == '\'' || ch == '"' || ch == '`':
					inQ = ch
				case ch == '(':
					depth++
				case ch == ')':
					depth--
				}
				if depth == 0 {
					break
				}
			}
			out = append(out, sql[i:min(j+1, len(sql))])
			i = j + 1
		default:
			j := i
			for j < len(sql) && !strings.ContainsRune(" \t\n\r,('\"`[", rune(sql[j])) {
				j++
			}
			out = append(out, sql[i:j])
			i = j
		}
	}
	return out
}

func unquoteIdent(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '`' || s[0] == '[') {
		q := s[:1]
		s = s[1 : len(s)-1]
		if q != "[" {
			s = strings.ReplaceAll(s, q+q, q)
		}
	}
	return s
}

// Normalization returns SQLite's reflection rules (see the comment at the top of this file).
func (d *Dialect) Normalization() dialect.Normalization {
	return dialect.Normalization{
		ReflectedType: func(t types.Type, autoincrement bool) types.Type {
			if autoincrement {
				return types.Integer()
			}
			switch t.Kind {
			case types.KindTimestamp:
				return types.Timestamp(false)
			case types.KindJSON:
				return types.Text()
			case types.KindInterval:
				return types.BigInt()
			case types.KindEnum:
				n := 1
				for _, v := range t.EnumValues {
					n = max(n, len(v))
				}
				return types.String(n)
			}
			return t
		},
		DefaultFKAction: "NO ACTION",
	}
}

var _ dialect.Reflector = (*Dialect)(nil)

// parseDefault is dialect.ParseDefault, reading NowSQL (how now() is written) as now().
func parseDefault(sql string, t types.Type) expr.Expr {
	s := strings.TrimSpace(sql)
	for len(s) >= 2 && s[0] == '(' && s[len(s)-1] == ')' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if s == NowSQL {
		return expr.Now()
	}
	return dialect.ParseDefault(sql, t)
}
