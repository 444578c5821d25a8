package mysql

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

// MySQL/MariaDB reflection reads information_schema. Normalization (what a table created
// by retort reads back as): VARCHAR without length is string(255), NUMERIC without
// precision numeric(65,30), timestamps lose WITH TIME ZONE (DATETIME(6) either way),
// intervals are bigint, enums lose their type name (ENUM(...) is a column type). On
// MariaDB a JSON column is LONGTEXT with a json_valid check named after the column; it
// reads back as JSON and the check is not listed. Unique indexes and unique constraints
// are the same object and read back as unique constraints; the index InnoDB adds for a
// foreign key (named after the key, or after its first column when the key has no
// name) is not listed: a plain index with such a name reads as that index. A foreign key action left out reads back
// as RESTRICT. A check declared without a name is called CONSTRAINT_n by MariaDB;
// comparisons treat it as unnamed.

const myColumnsSQL = `SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`

const myKeysSQL = `SELECT tc.TABLE_NAME, tc.CONSTRAINT_NAME, tc.CONSTRAINT_TYPE, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA,
 k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME
FROM information_schema.TABLE_CONSTRAINTS tc
JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA
 AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME AND k.TABLE_NAME = tc.TABLE_NAME
WHERE tc.TABLE_SCHEMA = ? AND tc.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')
ORDER BY tc.TABLE_NAME, tc.CONSTRAINT_NAME, k.ORDINAL_POSITION`

const myRulesSQL = `SELECT TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE, UPDATE_RULE
FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`

const myChecksSQL = `SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE
FROM information_schema.CHECK_CONSTRAINTS cc
JOIN information_schema.TABLE_CONSTRAINTS tc ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA
 AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME AND tc.CONSTRAINT_TYPE = 'CHECK'
WHERE cc.CONSTRAINT_SCHEMA = ? ORDER BY tc.TABLE_NAME, cc.CONSTRAINT_NAME`

const myIndexesSQL = `SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA = ? AND INDEX_NAME <> 'PRIMARY' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`

// Reflect reads the tables of a database (the connection's when opts.Schema is "").
func (d *Dialect) Reflect(ctx context.Context, q dialect.CatalogQuery, opts dialect.ReflectOptions) (*schema.MetaData, error) {
	db := opts.Schema
	if db == "" {
		var err error
		if db, err = dialect.CurrentSchema(ctx, q, "SELECT DATABASE()", "database"); err != nil {
			return nil, err
		}
	}
	rows, err := q(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", db)
	if err != nil {
		return nil, err
	}
	order, byName := dialect.NewTables(rows, opts.Schema, opts.Include)
	// Checks first: MariaDB's JSON columns are recognised by theirs.
	jsonCols := map[[2]string]bool{}
	checks := map[string][]schema.CheckDef{}
	if rows, err = q(ctx, myChecksSQL, db); err != nil {
		return nil, err
	}
	for _, r := range rows {
		tbl, name, clause := dialect.Str(r[0]), dialect.Str(r[1]), dialect.Str(r[2])
		if strings.EqualFold(clause, "json_valid(`"+name+"`)") {
			jsonCols[[2]string{tbl, name}] = true
			continue
		}
		checks[tbl] = append(checks[tbl], schema.CheckDef{Name: name, SQL: clause})
	}
	if rows, err = q(ctx, myColumnsSQL, db); err != nil {
		return nil, err
	}
	for _, r := range rows {
		rt := byName[dialect.Str(r[0])]
		if rt == nil {
			continue
		}
		col := dialect.ReflectedColumn{Name: dialect.Str(r[1]), Nullable: dialect.Str(r[4]) == "YES",
			Autoincrement: strings.Contains(strings.ToLower(dialect.Str(r[6])), "auto_increment"), Comment: dialect.Str(r[7])}
		if jsonCols[[2]string{rt.Name, col.Name}] {
			col.Type = types.JSON()
		} else if col.Type, err = myParseType(dialect.Str(r[2]), dialect.Str(r[3])); err != nil {
			return nil, fmt.Errorf("%s: reflect: table %s column %s: %w", d.Name(), rt.Name, col.Name, err)
		}
		if r[5] != nil {
			col.Default = dialect.ParseDefault(dialect.Str(r[5]), col.Type)
		}
		rt.Columns = append(rt.Columns, col)
	}
	for tbl, cks := range checks {
		if rt := byName[tbl]; rt != nil {
			rt.Checks = cks
		}
	}
	if rows, err = q(ctx, myKeysSQL, db); err != nil {
		return nil, err
	}
	fkNames := map[[2]string]bool{} // (table, index name) of the indexes InnoDB adds for foreign keys
	uqNames := map[[2]string]bool{}
	for _, r := range rows {
		rt := byName[dialect.Str(r[0])]
		if rt == nil {
			continue
		}
		name, col := dialect.Str(r[1]), dialect.Str(r[3])
		switch dialect.Str(r[2]) {
		case "PRIMARY KEY":
			rt.PrimaryKey = append(rt.PrimaryKey, col)
		case "UNIQUE":
			uqNames[[2]string{rt.Name, name}] = true
			if n := len(rt.Uniques); n > 0 && rt.Uniques[n-1].Name == name {
				rt.Uniques[n-1].Columns = append(rt.Uniques[n-1].Columns, col)
			} else {
				rt.Uniques = append(rt.Uniques, schema.UniqueDef{Name: name, Columns: []string{col}})
			}
		case "FOREIGN KEY":
			fkNames[[2]string{rt.Name, name}] = true
			if n := len(rt.ForeignKeys); n == 0 || rt.ForeignKeys[n-1].Name != name {
				fkNames[[2]string{rt.Name, col}] = true // unnamed keys get an index named after their first column
			}
			if n := len(rt.ForeignKeys); n > 0 && rt.ForeignKeys[n-1].Name == name {
				fk := &rt.ForeignKeys[n-1]
				fk.Columns = append(fk.Columns, col)
				fk.RefCols = append(fk.RefCols, dialect.Str(r[6]))
			} else {
				ref := dialect.Str(r[5])
				if opts.Schema != "" || dialect.Str(r[4]) != db {
					ref = dialect.Str(r[4]) + "." + ref
				}
				rt.ForeignKeys = append(rt.ForeignKeys, schema.ForeignKeyDef{Name: name, Columns: []string{col}, RefTable: ref, RefCols: []string{dialect.Str(r[6])}})
			}
		}
	}
	if rows, err = q(ctx, myRulesSQL, db); err != nil {
		return nil, err
	}
	for _, r := range rows {
		rt := byName[dialect.Str(r[0])]
		if rt == nil {
			continue
		}
		for i := range rt.ForeignKeys {
			if fk := &rt.ForeignKeys[i]; fk.Name == dialect.Str(r[1]) {
				fk.OnDelete, fk.OnUpdate = dialect.Str(r[2]), dialect.Str(r[3])
			}
		}
	}
	if rows, err = q(ctx, myIndexesSQL, db); err != nil {
		return nil, err
	}
	for _, r := range rows {
		rt := byName[dialect.Str(r[0])]
		key := [2]string{dialect.Str(r[0]), dialect.Str(r[1])}
		if rt == nil || uqNames[key] || fkNames[key] && !isUniqueRow(r) {
			continue
		}
		name, col := key[1], dialect.Str(r[3])
		if n := len(rt.Indexes); n > 0 && rt.Indexes[n-1].Name == name {
			rt.Indexes[n-1].Columns = append(rt.Indexes[n-1].Columns, col)
		} else {
			rt.Indexes = append(rt.Indexes, schema.IndexDef{Name: name, Unique: !dialect.Bool(r[2]), Columns: []string{col}})
		}
	}
	return dialect.BuildMetaData(order)
}

func isUniqueRow(r []any) bool { return !dialect.Bool(r[2]) }

var myParamsRE = regexp.MustCompile(`\((\d+)(?:,(\d+))?\)`)

// myParseType maps DATA_TYPE and COLUMN_TYPE to a retort type.
func myParseType(dataType, columnType string) (types.Type, error) {
	var n1, n2 int
	if m := myParamsRE.FindStringSubmatch(columnType); m != nil {
		n1, _ = strconv.Atoi(m[1])
		n2, _ = strconv.Atoi(m[2])
	}
	switch strings.ToLower(dataType) {
	case "int", "integer", "mediumint":
		return types.Integer(), nil
	case "bigint":
		return types.BigInt(), nil
	case "smallint":
		return types.SmallInt(), nil
	case "tinyint":
		if n1 == 1 {
			return types.Boolean(), nil
		}
		return types.SmallInt(), nil
	case "float":
		return types.Float(), nil
	case "double":
		return types.Double(), nil
	case "decimal":
		return types.Numeric(n1, n2), nil
	case "varchar":
		return types.String(n1), nil
	case "char":
		if n1 == 36 {
			return types.UUIDType(), nil
		}
		return types.String(n1), nil
	case "text", "longtext", "mediumtext", "tinytext":
		return types.Text(), nil
	case "blob", "longblob", "mediumblob", "tinyblob", "varbinary", "binary":
		return types.Bytes(), nil
	case "date":
		return types.Date(), nil
	case "time":
		return types.Time(), nil
	case "datetime", "timestamp":
		return types.Timestamp(false), nil
	case "json":
		return types.JSON(), nil
	case "enum":
		return types.Enum("", parseEnumValues(columnType)...), nil
	}
	return types.Type{}, fmt.Errorf("type %q is not one retort knows", columnType)
}

// parseEnumValues reads the values of enum('a','b”c').
func parseEnumValues(ct string) []string {
	var out []string
	i := strings.IndexByte(ct, '(')
	if i < 0 {
		return nil
	}
	s := ct[i+1:]
	for len(s) > 0 && s[0] == '\'' {
		var b strings.Builder
		j := 1
		for j < len(s) {
			if s[j] == '\'' {
				if j+1 < len(s) && s[j+1] == '\'' {
					b.WriteByte('\'')
					j += 2
					continue
				}
				break
			}
			if s[j] == '\\' && j+1 < len(s) {
				j++
			}
			b.WriteByte(s[j])
			j++
		}
		out = append(out, b.String())
		s = strings.TrimLeft(s[min(j+1, len(s)):], ",")
	}
	return out
}

// Normalization returns MySQL's reflection rules (see the comment at the top of this file).
func (d *Dialect) Normalization() dialect.Normalization {
	return dialect.Normalization{
		ReflectedType: func(t types.Type, _ bool) types.Type {
			switch t.Kind {
			case types.KindString:
				if t.Length <= 0 {
					return types.String(255)
				}
			case types.KindNumeric:
				if t.Precision == 0 {
					return types.Numeric(65, 30)
				}
			case types.KindTimestamp:
				return types.Timestamp(false)
			case types.KindInterval:
				return types.BigInt()
			case types.KindEnum:
				return types.Enum("", t.EnumValues...)
			}
			return t
		},
		DefaultFKAction:         "RESTRICT",
		UniqueIndexIsConstraint: true,
		Comments:                true,
		GeneratedCheckName: func(_, name string) bool {
			n, ok := strings.CutPrefix(name, "CONSTRAINT_")
			_, err := strconv.Atoi(n)
			return ok && err == nil
		},
	}
}

var _ dialect.Reflector = (*Dialect)(nil)
