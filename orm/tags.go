package orm

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/retortdb/retort/types"
)

// tagKey is the struct tag key read by the mapper.
const tagKey = "retort"

// fieldTag is a parsed `retort:"..."` struct tag.
//
// Grammar: comma-separated items; commas inside parentheses or single quotes do not
// split. The first item is the column name unless it is an option (a flag word or
// key=value). Flags: pk (primary_key), autoincrement, notnull, nullable, unique, index,
// json, rel, version. Key=value options: name, size, type, default, server_default,
// update_default, fk, ondelete, onupdate, autoincrement (true/false), back_populates, lazy
// (select, selectin, joined, raise, noload). Other relationship options
// (relationship.go): uselist=false, secondary, order_by, cascade, passive_deletes,
// post_update, remote_side. "-" alone skips the field.
type fieldTag struct {
	raw      string
	present  bool
	skip     bool
	name     string
	pk       bool
	version  bool // the optimistic version counter (SQLAlchemy's version_id_col)
	autoinc  *bool
	notNull  bool
	nullable bool
	unique   bool
	index    bool
	json     bool
	size     int
	typ      *types.Type
	hasDef   bool
	def      string
	srvDef   string
	updDef   string
	fk       string
	onDelete string
	onUpdate string
	rel      bool
	backPop  string
	lazy     strategy
	relOpt   relTagOptions // the other relationship options (relationship.go)
	// colOpts records the column-only options given, to reject them on relationships.
	colOpts []string
	relOpts []string
}

var tagFlags = map[string]bool{
	"pk": true, "primary_key": true, "autoincrement": true, "notnull": true, "nullable": true,
	"unique": true, "index": true, "json": true, "rel": true, "version": true,
}

// splitTag splits s at commas outside parentheses and single quotes.
func splitTag(s string) ([]string, error) {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ')' at byte %d", i)
			}
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote")
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced '('")
	}
	return append(out, s[start:]), nil
}

// parseTag parses a retort tag. Errors describe the faulty item.
func parseTag(raw string, present bool) (fieldTag, error) {
	t := fieldTag{raw: raw, present: present}
	if !present || raw == "" {
		return t, nil
	}
	if raw == "-" {
		t.skip = true
		return t, nil
	}
	items, err := splitTag(raw)
	if err != nil {
		return t, err
	}
	for i, it := range items {
		it = strings.TrimSpace(it)
		key, val, hasVal := strings.Cut(it, "=")
		key = strings.TrimSpace(key)
		val = strings.TrimSpace(val)
		if i == 0 && !hasVal && !tagFlags[key] {
			t.name = key // column name (may be empty: `retort:",pk"`)
			if key != "" && !validName(key) {
				return t, fmt.Errorf("column name %q is not a valid SQL name (letters, digits, _ and $)", key)
			}
			continue
		}
		if it == "" {
			continue
		}
		if err := t.option(key, val, hasVal); err != nil {
			return t, err
		}
	}
	return t, nil
}

func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80) {
			return false
		}
	}
	return s != ""
}

func (t *fieldTag) option(key, val string, hasVal bool) error {
	flag := func() error {
		if hasVal {
			return fmt.Errorf("option %s takes no value", key)
		}
		return nil
	}
	need := func() error {
		if !hasVal || val == "" {
			return fmt.Errorf("option %s needs a value (%s=...)", key, key)
		}
		return nil
	}
	col := func() { t.colOpts = append(t.colOpts, key) }
	switch key {
	case "pk", "primary_key":
		col()
		t.pk = true
		return flag()
	case "notnull":
		col()
		t.notNull = true
		return flag()
	case "version":
		col()
		t.version = true
		return flag()
	case "nullable":
		col()
		t.nullable = true
		return flag()
	case "unique":
		col()
		t.unique = true
		return flag()
	case "index":
		col()
		t.index = true
		return flag()
	case "json":
		col()
		t.json = true
		return flag()
	case "rel":
		t.relOpts = append(t.relOpts, key)
		t.rel = true
		return flag()
	case "autoincrement":
		col()
		on := true
		if hasVal {
			b, err := strconv.ParseBool(val)
			if err != nil {
				return fmt.Errorf("autoincrement=%s: want true or false", val)
			}
			on = b
		}
		t.autoinc = &on
		return nil
	case "name":
		col()
		if err := need(); err != nil {
			return err
		}
		if !validName(val) {
			return fmt.Errorf("column name %q is not a valid SQL name (letters, digits, _ and $)", val)
		}
		t.name = val
		return nil
	case "size":
		col()
		if err := need(); err != nil {
			return err
		}
		n, err := strconv.Atoi(val)
		if err != nil || n <= 0 {
			return fmt.Errorf("size=%s: want a positive integer", val)
		}
		t.size = n
		return nil
	case "type":
		col()
		if err := need(); err != nil {
			return err
		}
		typ, err := parseType(val)
		if err != nil {
			return err
		}
		t.typ = &typ
		return nil
	case "default":
		col()
		if !hasVal {
			return fmt.Errorf("option default needs a value (default=...)")
		}
		t.hasDef, t.def = true, unquote(val)
		return nil
	case "server_default":
		col()
		if err := need(); err != nil {
			return err
		}
		t.srvDef = val
		return nil
	case "update_default":
		col()
		if err := need(); err != nil {
			return err
		}
		t.updDef = val
		return nil
	case "fk":
		// Valid on columns (fk=table.column) and on relationships (fk=child_column).
		if err := need(); err != nil {
			return err
		}
		t.fk = val
		return nil
	case "ondelete", "onupdate":
		col()
		if err := need(); err != nil {
			return err
		}
		if key == "ondelete" {
			t.onDelete = val
		} else {
			t.onUpdate = val
		}
		return nil
	case "lazy":
		t.relOpts = append(t.relOpts, key)
		if err := need(); err != nil {
			return err
		}
		k, err := parseLazy(val)
		if err != nil {
			return err
		}
		t.lazy = k
		return nil
	case "back_populates":
		t.relOpts = append(t.relOpts, key)
		if err := need(); err != nil {
			return err
		}
		t.backPop = val
		return nil
	}
	if handled, err := t.relOpt.option(key, val, hasVal); handled {
		t.relOpts = append(t.relOpts, key)
		return err
	}
	return fmt.Errorf("unknown tag option %q", key)
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	return s
}

// parseType parses the value of type=...: integer, bigint, smallint, boolean, float,
// double, numeric(p,s), string, string(n) (varchar(n)), text, bytes, date, time,
// timestamp, timestamptz, interval, json, uuid, enum(name:a|b|c).
func parseType(s string) (types.Type, error) {
	name, args, hasArgs := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "(")
	if hasArgs {
		if !strings.HasSuffix(args, ")") {
			return types.Type{}, fmt.Errorf("type=%s: missing ')'", s)
		}
		args = args[:len(args)-1]
	}
	noArgs := func(t types.Type) (types.Type, error) {
		if hasArgs {
			return types.Type{}, fmt.Errorf("type=%s: %s takes no arguments", s, name)
		}
		return t, nil
	}
	switch name {
	case "integer", "int":
		return noArgs(types.Integer())
	case "bigint":
		return noArgs(types.BigInt())
	case "smallint":
		return noArgs(types.SmallInt())
	case "boolean", "bool":
		return noArgs(types.Boolean())
	case "float", "real":
		return noArgs(types.Float())
	case "double":
		return noArgs(types.Double())
	case "text":
		return noArgs(types.Text())
	case "bytes", "blob", "binary":
		return noArgs(types.Bytes())
	case "date":
		return noArgs(types.Date())
	case "time":
		return noArgs(types.Time())
	case "timestamp", "datetime":
		return noArgs(types.Timestamp(false))
	case "timestamptz":
		return noArgs(types.Timestamp(true))
	case "interval":
		return noArgs(types.Interval())
	case "json":
		return noArgs(types.JSON())
	case "uuid":
		return noArgs(types.UUIDType())
	case "string", "varchar":
		if !hasArgs {
			return types.String(0), nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(args))
		if err != nil || n <= 0 {
			return types.Type{}, fmt.Errorf("type=%s: want %s(positive length)", s, name)
		}
		return types.String(n), nil
	case "numeric", "decimal":
		if !hasArgs {
			return types.Numeric(0, 0), nil
		}
		p, sc, ok := strings.Cut(args, ",")
		pn, err1 := strconv.Atoi(strings.TrimSpace(p))
		sn, err2 := strconv.Atoi(strings.TrimSpace(sc))
		if !ok || err1 != nil || err2 != nil || pn <= 0 || sn < 0 || sn > pn {
			return types.Type{}, fmt.Errorf("type=%s: want %s(precision,scale) with 0 <= scale <= precision", s, name)
		}
		return types.Numeric(pn, sn), nil
	case "enum":
		// enum(name:a|b|c); the original case of the values is kept.
		orig := strings.TrimSpace(s)
		i := strings.IndexByte(orig, '(')
		if !hasArgs || i < 0 {
			return types.Type{}, fmt.Errorf("type=%s: want enum(name:value|value...)", s)
		}
		body := orig[i+1 : len(orig)-1]
		en, vals, ok := strings.Cut(body, ":")
		if !ok || strings.TrimSpace(en) == "" || strings.TrimSpace(vals) == "" {
			return types.Type{}, fmt.Errorf("type=%s: want enum(name:value|value...)", s)
		}
		parts := strings.Split(vals, "|")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
			if parts[i] == "" {
				return types.Type{}, fmt.Errorf("type=%s: empty enum value", s)
			}
		}
		return types.Enum(strings.TrimSpace(en), parts...), nil
	}
	return types.Type{}, fmt.Errorf("type=%s: unknown type %q", s, name)
}
