package compile

import (
	"fmt"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
)

// ALTER TABLE statements that change a table in place (schema.AddColumn, DropColumn,
// RenameColumn, RenameTable, AlterColumn). Adding, dropping and renaming columns and
// renaming tables are spelled the same on every supported database. Changing a column
// differs, and the dialect says how through its features:
//
//   - AlterColumnInPlace: the database can change a column at all (SQLite cannot: a
//     migration tool copies the table into a new one instead).
//   - ModifyColumn: the column is restated whole (MySQL: ALTER TABLE t MODIFY COLUMN
//     c type [DEFAULT x] [NOT NULL]); otherwise each change is its own clause (ALTER
//     COLUMN c TYPE t, SET/DROP NOT NULL, SET/DROP DEFAULT), joined by commas.
//   - AlterTypeUsing: a type change converts the values explicitly (PostgreSQL: USING
//     CAST(c AS t)), so that for example text becomes an integer.

func alterTable(d DDLDialect, b []byte, stmt expr.Statement) ([]byte, error) {
	switch s := stmt.(type) {
	case *schema.AddColumn:
		if err := checkTable(s.Table, "ALTER TABLE ADD COLUMN"); err != nil {
			return nil, err
		}
		if s.Column == nil {
			return nil, errorf("ALTER TABLE %s ADD COLUMN without a column", s.Table.Key())
		}
		b = alterPrefix(d, b, s.Table)
		b = append(b, "ADD COLUMN "...)
		return appendColumn(d, b, s.Table, s.Column)
	case *schema.DropColumn:
		if err := checkTable(s.Table, "ALTER TABLE DROP COLUMN"); err != nil {
			return nil, err
		}
		if s.Column == "" {
			return nil, errorf("ALTER TABLE %s DROP COLUMN without a column name", s.Table.Key())
		}
		b = alterPrefix(d, b, s.Table)
		b = append(b, "DROP COLUMN "...)
		return d.AppendIdent(b, s.Column), nil
	case *schema.RenameColumn:
		if err := checkTable(s.Table, "ALTER TABLE RENAME COLUMN"); err != nil {
			return nil, err
		}
		if s.Column == "" || s.NewName == "" {
			return nil, errorf("ALTER TABLE %s RENAME COLUMN needs the old and the new name", s.Table.Key())
		}
		b = alterPrefix(d, b, s.Table)
		b = append(b, "RENAME COLUMN "...)
		b = d.AppendIdent(b, s.Column)
		b = append(b, " TO "...)
		return d.AppendIdent(b, s.NewName), nil
	case *schema.RenameTable:
		if err := checkTable(s.Table, "ALTER TABLE RENAME"); err != nil {
			return nil, err
		}
		if s.NewName == "" {
			return nil, errorf("ALTER TABLE %s RENAME without a new name", s.Table.Key())
		}
		b = alterPrefix(d, b, s.Table)
		b = append(b, "RENAME TO "...)
		return d.AppendIdent(b, s.NewName), nil
	case *schema.AlterColumn:
		return alterColumn(d, b, s)
	}
	return nil, errorf("%T is not an ALTER TABLE statement", stmt)
}

// CommentStatements returns the COMMENT ON COLUMN statements that give t's columns their
// comments on dialects that set them apart from CREATE TABLE (CommentOn); none
// elsewhere (MySQL writes them in the column definition, SQLite has none).
func CommentStatements(d Dialect, t *schema.Table) []expr.Statement {
	if !d.Features().Has(CommentOn) {
		return nil
	}
	var out []expr.Statement
	for _, c := range t.Cols {
		if c.Comment != "" {
			out = append(out, &schema.SetColumnComment{Table: t, Column: c.Name, Comment: c.Comment})
		}
	}
	return out
}

// columnComment renders COMMENT ON COLUMN t.c IS 'text' (or IS NULL).
func columnComment(d DDLDialect, b []byte, s *schema.SetColumnComment) ([]byte, error) {
	if err := checkTable(s.Table, "COMMENT ON COLUMN"); err != nil {
		return nil, err
	}
	if !d.Features().Has(CommentOn) {
		return nil, unsupportedf(d, "COMMENT ON COLUMN %s.%s", s.Table.Key(), s.Column)
	}
	b = append(b, "COMMENT ON COLUMN "...)
	b = appendTableName(d, b, s.Table)
	b = append(b, '.')
	b = d.AppendIdent(b, s.Column)
	b = append(b, " IS "...)
	if s.Comment == "" {
		return append(b, "NULL"...), nil
	}
	return d.AppendStringLiteral(b, s.Comment), nil
}

func alterPrefix(d Dialect, b []byte, t *schema.Table) []byte {
	b = append(b, "ALTER TABLE "...)
	b = appendTableName(d, b, t)
	return append(b, ' ')
}

func alterColumn(d DDLDialect, b []byte, s *schema.AlterColumn) ([]byte, error) {
	if err := checkTable(s.Table, "ALTER TABLE ALTER COLUMN"); err != nil {
		return nil, err
	}
	c := s.Column
	if c == nil {
		return nil, errorf("ALTER TABLE %s ALTER COLUMN without a column", s.Table.Key())
	}
	if !s.SetType && !s.SetNullable && !s.SetDefault && !s.SetComment {
		return nil, errorf("ALTER TABLE %s ALTER COLUMN %s changes nothing", s.Table.Key(), c.Name)
	}
	feats := d.Features()
	if !feats.Has(AlterColumnInPlace) {
		return nil, unsupportedf(d, "ALTER TABLE %s ALTER COLUMN %s (the table must be rebuilt)", s.Table.Key(), c.Name)
	}
	if s.SetComment && !feats.Has(InlineComment) {
		return nil, unsupportedf(d, "a column comment in ALTER TABLE %s ALTER COLUMN %s (use COMMENT ON COLUMN)", s.Table.Key(), c.Name)
	}
	b = alterPrefix(d, b, s.Table)
	if feats.Has(ModifyColumn) {
		b = append(b, "MODIFY COLUMN "...)
		return appendColumn(d, b, s.Table, c)
	}
	first := true
	clause := func() {
		if !first {
			b = append(b, ", "...)
		}
		first = false
		b = append(b, "ALTER COLUMN "...)
		b = d.AppendIdent(b, c.Name)
		b = append(b, ' ')
	}
	var err error
	if s.SetType {
		clause()
		b = append(b, "TYPE "...)
		if b, err = d.AppendColumnType(b, c.Type, false); err != nil {
			return nil, fmt.Errorf("%w (ALTER TABLE %s column %s)", err, s.Table.Key(), c.Name)
		}
		if feats.Has(AlterTypeUsing) {
			b = append(b, " USING CAST("...)
			b = d.AppendIdent(b, c.Name)
			b = append(b, " AS "...)
			if b, err = d.AppendCastType(b, c.Type); err != nil {
				return nil, fmt.Errorf("%w (ALTER TABLE %s column %s)", err, s.Table.Key(), c.Name)
			}
			b = append(b, ')')
		}
	}
	if s.SetNullable {
		clause()
		if c.Nullable {
			b = append(b, "DROP NOT NULL"...)
		} else {
			b = append(b, "SET NOT NULL"...)
		}
	}
	if s.SetDefault {
		clause()
		if c.ServerDefault == nil {
			b = append(b, "DROP DEFAULT"...)
		} else {
			b = append(b, "SET DEFAULT "...)
			b, err = d.AppendServerDefault(b, c.Type, c.ServerDefault, func(b []byte, e expr.Expr) ([]byte, error) {
				return AppendInline(d, b, e)
			})
			if err != nil {
				return nil, fmt.Errorf("%w (ALTER TABLE %s column %s DEFAULT)", err, s.Table.Key(), c.Name)
			}
		}
	}
	return b, nil
}
