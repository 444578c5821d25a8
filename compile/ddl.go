package compile

import (
	"fmt"

	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// DDLObject is a kind of schema object, as DDLDialect.IfExistsSupported asks about it.
type DDLObject uint8

// The schema objects DDL statements create and drop.
const (
	DDLTable      DDLObject = iota // CREATE / DROP TABLE
	DDLIndex                       // CREATE / DROP INDEX
	DDLConstraint                  // ALTER TABLE ... DROP CONSTRAINT
	DDLEnumType                    // CREATE / DROP TYPE (PostgreSQL enums)
)

// DDLDialect is a Dialect that can render DDL: the schema elements of package schema
// (CreateTable, DropTable, CreateIndex, ...). dialect/sqlite, dialect/postgres and
// dialect/mysql implement it; their hooks live in each package's ddl.go. Shared DDL code
// asks these hooks and the Features bits (NativeEnum, InlineEnum, AlterAddConstraint)
// and never branches on a dialect's name. Implementations are safe for concurrent use.
type DDLDialect interface {
	Dialect

	// AppendColumnType appends the column type for t. autoincrement is true for a table's
	// autoincrement column, for dialects that spell it in the type (SERIAL on PostgreSQL,
	// INTEGER for SQLite's rowid alias). It returns an error (wrapping ErrCompile) for a
	// type the dialect cannot store.
	AppendColumnType(b []byte, t types.Type, autoincrement bool) ([]byte, error)

	// AutoincrementClause returns what follows NOT NULL on the autoincrement column
	// ("AUTO_INCREMENT" on MySQL), or "" when the type says it all.
	AutoincrementClause() string

	// AppendStringLiteral appends s as a SQL string literal, escaped for the dialect.
	AppendStringLiteral(b []byte, s string) []byte

	// AppendServerDefault appends the expression of a DEFAULT clause on a column of type
	// t. inline renders e in the generic way (bound values as literals); the dialect may
	// wrap it (SQLite parenthesises expressions) or replace it (MySQL writes
	// CURRENT_TIMESTAMP(6) for now() on a DATETIME(6) column).
	AppendServerDefault(b []byte, t types.Type, e expr.Expr, inline func(b []byte, e expr.Expr) ([]byte, error)) ([]byte, error)

	// DropConstraintClause returns the ALTER TABLE clause that drops a constraint of the
	// given kind ("FOREIGN KEY", "UNIQUE", "CHECK"): "DROP CONSTRAINT" in standard SQL;
	// MySQL drops foreign keys with "DROP FOREIGN KEY" and unique keys with "DROP INDEX".
	DropConstraintClause(kind string) string

	// QualifyIndexName reports whether an index's schema qualifies the index name in
	// CREATE INDEX (SQLite: CREATE INDEX s.ix ON t) instead of the table name.
	QualifyIndexName() bool

	// DropIndexOnTable reports whether DROP INDEX names the table (MySQL: DROP INDEX ix ON t).
	DropIndexOnTable() bool

	// IfExistsSupported reports whether IF NOT EXISTS (create true) or IF EXISTS (create
	// false) is accepted on statements about obj.
	IfExistsSupported(obj DDLObject, create bool) bool
}

// unsupportedf reports that d lacks the DDL construct described by format and args.
func unsupportedf(d Dialect, format string, args ...any) error {
	return unsupported(d, fmt.Sprintf(format, args...))
}

// IsDDL reports whether stmt is one of the DDL elements of package schema, which
// CompileDDL renders.
func IsDDL(stmt expr.Statement) bool {
	switch stmt.(type) {
	case *schema.CreateTable, *schema.DropTable, *schema.CreateIndex, *schema.DropIndex,
		*schema.AddConstraint, *schema.DropConstraint, *schema.CreateEnumType, *schema.DropEnumType,
		schema.CreateTable, schema.DropTable, schema.CreateIndex, schema.DropIndex,
		schema.AddConstraint, schema.DropConstraint, schema.CreateEnumType, schema.DropEnumType,
		*schema.AddColumn, *schema.DropColumn, *schema.RenameColumn, *schema.RenameTable, *schema.AlterColumn,
		*schema.SetColumnComment:
		return true
	}
	return false
}

// CompileDDL renders a DDL element of package schema (CreateTable, DropTable,
// CreateIndex, DropIndex, AddConstraint, DropConstraint, CreateEnumType, DropEnumType, as
// pointers or values; AddColumn, DropColumn, RenameColumn, RenameTable, AlterColumn and
// SetColumnComment as pointers) for d, which must implement DDLDialect. The result has no
// arguments: DDL cannot take bound parameters, so defaults and enum values are written
// as escaped literals. Errors wrap ErrCompile, and ErrUnsupported for what the dialect
// lacks (ALTER TABLE ADD CONSTRAINT on SQLite, enum types outside PostgreSQL, ...).
func CompileDDL(d Dialect, stmt expr.Statement) (*Compiled, error) {
	dd, ok := d.(DDLDialect)
	if !ok {
		return nil, errorf("dialect %s cannot render DDL (it does not implement compile.DDLDialect)", d.Name())
	}
	var (
		b   []byte
		err error
	)
	switch s := stmt.(type) {
	case *schema.CreateTable:
		b, err = createTable(dd, nil, s)
	case schema.CreateTable:
		b, err = createTable(dd, nil, &s)
	case *schema.DropTable:
		b, err = dropTable(dd, nil, s)
	case schema.DropTable:
		b, err = dropTable(dd, nil, &s)
	case *schema.CreateIndex:
		b, err = createIndex(dd, nil, s)
	case schema.CreateIndex:
		b, err = createIndex(dd, nil, &s)
	case *schema.DropIndex:
		b, err = dropIndex(dd, nil, s)
	case schema.DropIndex:
		b, err = dropIndex(dd, nil, &s)
	case *schema.AddConstraint:
		b, err = addConstraint(dd, nil, s)
	case schema.AddConstraint:
		b, err = addConstraint(dd, nil, &s)
	case *schema.DropConstraint:
		b, err = dropConstraint(dd, nil, s)
	case schema.DropConstraint:
		b, err = dropConstraint(dd, nil, &s)
	case *schema.CreateEnumType:
		b, err = createEnum(dd, nil, s)
	case schema.CreateEnumType:
		b, err = createEnum(dd, nil, &s)
	case *schema.DropEnumType:
		b, err = dropEnum(dd, nil, s)
	case schema.DropEnumType:
		b, err = dropEnum(dd, nil, &s)
	case *schema.AddColumn, *schema.DropColumn, *schema.RenameColumn, *schema.RenameTable, *schema.AlterColumn:
		b, err = alterTable(dd, nil, stmt)
	case *schema.SetColumnComment:
		b, err = columnComment(dd, nil, s)
	case nil:
		return nil, errorf("nil statement")
	default:
		return nil, errorf("%T is not a DDL statement", stmt)
	}
	if err != nil {
		return nil, err
	}
	return &Compiled{SQL: string(b)}, nil
}

// InlineForeignKey reports whether CreateTable writes fk inside CREATE TABLE on d: always,
// except for keys marked UseAlter on dialects that can add them afterwards
// (AlterAddConstraint), which CreateAll adds with AddConstraint instead.
func InlineForeignKey(d Dialect, fk *schema.ForeignKeyDef) bool {
	return !fk.UseAlter || !d.Features().Has(AlterAddConstraint)
}

func appendTableName(d Dialect, b []byte, t *schema.Table) []byte {
	if t.Schema != "" {
		b = d.AppendIdent(b, t.Schema)
		b = append(b, '.')
	}
	return d.AppendIdent(b, t.Name)
}

func appendIdentList(d Dialect, b []byte, names []string) []byte {
	b = append(b, '(')
	for i, n := range names {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = d.AppendIdent(b, n)
	}
	return append(b, ')')
}

func checkTable(t *schema.Table, what string) error {
	if t == nil || t.TableClause == nil {
		return errorf("%s without a table", what)
	}
	return nil
}

func ifExists(d DDLDialect, b []byte, obj DDLObject, create, want bool, what string) ([]byte, error) {
	if !want {
		return b, nil
	}
	if !d.IfExistsSupported(obj, create) {
		if create {
			return nil, unsupportedf(d, "%s IF NOT EXISTS", what)
		}
		return nil, unsupportedf(d, "%s IF EXISTS", what)
	}
	if create {
		return append(b, "IF NOT EXISTS "...), nil
	}
	return append(b, "IF EXISTS "...), nil
}

func createTable(d DDLDialect, b []byte, s *schema.CreateTable) ([]byte, error) {
	t := s.Table
	if err := checkTable(t, "CREATE TABLE"); err != nil {
		return nil, err
	}
	if len(t.Cols) == 0 {
		return nil, errorf("CREATE TABLE %s: table has no columns", t.Key())
	}
	b = append(b, "CREATE TABLE "...)
	b, err := ifExists(d, b, DDLTable, true, s.IfNotExists, "CREATE TABLE")
	if err != nil {
		return nil, err
	}
	b = appendTableName(d, b, t)
	b = append(b, " ("...)
	feats := d.Features()
	for i, c := range t.Cols {
		if i > 0 {
			b = append(b, ", "...)
		}
		if b, err = appendColumn(d, b, t, c); err != nil {
			return nil, err
		}
	}
	if len(t.PrimaryKey) > 0 {
		b = append(b, ", PRIMARY KEY ("...)
		for i, c := range t.PrimaryKey {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = d.AppendIdent(b, c.Name)
		}
		b = append(b, ')')
	}
	for _, u := range t.Uniques {
		b = append(b, ", "...)
		b = appendUnique(d, b, u)
	}
	for _, ck := range t.Checks {
		b = append(b, ", "...)
		b = appendCheck(d, b, ck)
	}
	if !feats.Has(NativeEnum) && !feats.Has(InlineEnum) {
		for _, c := range t.Cols {
			if c.Type.Kind != types.KindEnum {
				continue
			}
			b = append(b, ", CHECK ("...)
			b = d.AppendIdent(b, c.Name)
			b = append(b, " IN ("...)
			for i, v := range c.Type.EnumValues {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = d.AppendStringLiteral(b, v)
			}
			b = append(b, "))"...)
		}
	}
	for _, fk := range t.ForeignKeys {
		if !InlineForeignKey(d, fk) {
			continue
		}
		b = append(b, ", "...)
		if b, err = appendForeignKey(d, b, fk, fk.Name); err != nil {
			return nil, err
		}
	}
	return append(b, ')'), nil
}

func appendColumn(d DDLDialect, b []byte, t *schema.Table, c *schema.Column) ([]byte, error) {
	b = d.AppendIdent(b, c.Name)
	b = append(b, ' ')
	var err error
	if c.Type.Kind == types.KindUnknown {
		return nil, errorf("CREATE TABLE %s column %s: the column has no SQL type", t.Key(), c.Name)
	}
	if b, err = d.AppendColumnType(b, c.Type, c.Autoincrement); err != nil {
		return nil, fmt.Errorf("%w (CREATE TABLE %s column %s)", err, t.Key(), c.Name)
	}
	if c.ServerDefault != nil {
		b = append(b, " DEFAULT "...)
		b, err = d.AppendServerDefault(b, c.Type, c.ServerDefault, func(b []byte, e expr.Expr) ([]byte, error) {
			return AppendInline(d, b, e)
		})
		if err != nil {
			return nil, fmt.Errorf("%w (CREATE TABLE %s column %s DEFAULT)", err, t.Key(), c.Name)
		}
	}
	if !c.Nullable {
		b = append(b, " NOT NULL"...)
	}
	if c.Autoincrement {
		if s := d.AutoincrementClause(); s != "" {
			b = append(b, ' ')
			b = append(b, s...)
		}
	}
	if c.Comment != "" && d.Features().Has(InlineComment) {
		b = append(b, " COMMENT "...)
		b = d.AppendStringLiteral(b, c.Comment)
	}
	return b, nil
}

func appendConstraintName(d Dialect, b []byte, name string) []byte {
	if name == "" {
		return b
	}
	b = append(b, "CONSTRAINT "...)
	b = d.AppendIdent(b, name)
	return append(b, ' ')
}

func appendUnique(d Dialect, b []byte, u *schema.UniqueDef) []byte {
	b = appendConstraintName(d, b, u.Name)
	b = append(b, "UNIQUE "...)
	return appendIdentList(d, b, u.Columns)
}

func appendCheck(d Dialect, b []byte, ck *schema.CheckDef) []byte {
	b = appendConstraintName(d, b, ck.Name)
	b = append(b, "CHECK ("...)
	b = append(b, ck.SQL...)
	return append(b, ')')
}

func appendForeignKey(d Dialect, b []byte, fk *schema.ForeignKeyDef, name string) ([]byte, error) {
	if fk.Table == nil {
		return nil, errorf("foreign key to %s without a table", fk.RefTable)
	}
	ref, err := fk.Target()
	if err != nil {
		return nil, wrapf(err, "foreign key of table %s: %s", fk.Table.Key(), trimPrefix(err.Error()))
	}
	b = appendConstraintName(d, b, name)
	b = append(b, "FOREIGN KEY "...)
	b = appendIdentList(d, b, fk.Columns)
	b = append(b, " REFERENCES "...)
	b = appendTableName(d, b, ref)
	b = append(b, ' ')
	b = appendIdentList(d, b, fk.RefCols)
	if fk.OnDelete != "" {
		b = append(b, " ON DELETE "...)
		b = append(b, fk.OnDelete...)
	}
	if fk.OnUpdate != "" {
		b = append(b, " ON UPDATE "...)
		b = append(b, fk.OnUpdate...)
	}
	return b, nil
}

func dropTable(d DDLDialect, b []byte, s *schema.DropTable) ([]byte, error) {
	if err := checkTable(s.Table, "DROP TABLE"); err != nil {
		return nil, err
	}
	b = append(b, "DROP TABLE "...)
	b, err := ifExists(d, b, DDLTable, false, s.IfExists, "DROP TABLE")
	if err != nil {
		return nil, err
	}
	return appendTableName(d, b, s.Table), nil
}

func createIndex(d DDLDialect, b []byte, s *schema.CreateIndex) ([]byte, error) {
	ix := s.Index
	if ix == nil || ix.Table == nil {
		return nil, errorf("CREATE INDEX without an index of a table")
	}
	if ix.Name == "" || len(ix.Columns) == 0 {
		return nil, errorf("CREATE INDEX on %s: an index needs a name and columns", ix.Table.Key())
	}
	b = append(b, "CREATE "...)
	if ix.Unique {
		b = append(b, "UNIQUE "...)
	}
	b = append(b, "INDEX "...)
	b, err := ifExists(d, b, DDLIndex, true, s.IfNotExists, "CREATE INDEX")
	if err != nil {
		return nil, err
	}
	if d.QualifyIndexName() {
		if ix.Table.Schema != "" {
			b = d.AppendIdent(b, ix.Table.Schema)
			b = append(b, '.')
		}
		b = d.AppendIdent(b, ix.Name)
		b = append(b, " ON "...)
		b = d.AppendIdent(b, ix.Table.Name)
	} else {
		b = d.AppendIdent(b, ix.Name)
		b = append(b, " ON "...)
		b = appendTableName(d, b, ix.Table)
	}
	b = append(b, ' ')
	b = appendIdentList(d, b, ix.Columns)
	if ix.Where != "" {
		if !d.Features().Has(PartialIndexes) {
			return nil, unsupportedf(d, "partial index %s (CREATE INDEX ... WHERE)", ix.Name)
		}
		b = append(b, " WHERE "...)
		b = append(b, ix.Where...)
	}
	return b, nil
}

func dropIndex(d DDLDialect, b []byte, s *schema.DropIndex) ([]byte, error) {
	ix := s.Index
	if ix == nil || ix.Table == nil || ix.Name == "" {
		return nil, errorf("DROP INDEX without a named index of a table")
	}
	b = append(b, "DROP INDEX "...)
	b, err := ifExists(d, b, DDLIndex, false, s.IfExists, "DROP INDEX")
	if err != nil {
		return nil, err
	}
	if d.DropIndexOnTable() {
		b = d.AppendIdent(b, ix.Name)
		b = append(b, " ON "...)
		return appendTableName(d, b, ix.Table), nil
	}
	if ix.Table.Schema != "" {
		b = d.AppendIdent(b, ix.Table.Schema)
		b = append(b, '.')
	}
	return d.AppendIdent(b, ix.Name), nil
}

func addConstraint(d DDLDialect, b []byte, s *schema.AddConstraint) ([]byte, error) {
	if err := checkTable(s.Table, "ALTER TABLE ADD CONSTRAINT"); err != nil {
		return nil, err
	}
	if !d.Features().Has(AlterAddConstraint) {
		return nil, unsupportedf(d, "ALTER TABLE %s ADD CONSTRAINT", s.Table.Key())
	}
	b = append(b, "ALTER TABLE "...)
	b = appendTableName(d, b, s.Table)
	b = append(b, " ADD "...)
	switch c := s.Constraint.(type) {
	case *schema.ForeignKeyDef:
		if c.Table == nil {
			return nil, errorf("ALTER TABLE %s ADD CONSTRAINT: foreign key without a table", s.Table.Key())
		}
		return appendForeignKey(d, b, c, c.ConstraintName())
	case *schema.UniqueDef:
		return appendUnique(d, b, c), nil
	case *schema.CheckDef:
		return appendCheck(d, b, c), nil
	default:
		return nil, errorf("ALTER TABLE %s ADD CONSTRAINT: %T is not a constraint", s.Table.Key(), s.Constraint)
	}
}

func dropConstraint(d DDLDialect, b []byte, s *schema.DropConstraint) ([]byte, error) {
	if err := checkTable(s.Table, "ALTER TABLE DROP CONSTRAINT"); err != nil {
		return nil, err
	}
	if !d.Features().Has(AlterAddConstraint) {
		return nil, unsupportedf(d, "ALTER TABLE %s DROP CONSTRAINT", s.Table.Key())
	}
	var name string
	switch c := s.Constraint.(type) {
	case *schema.ForeignKeyDef:
		name = c.ConstraintName()
	case *schema.UniqueDef:
		name = c.Name
	case *schema.CheckDef:
		name = c.Name
	default:
		return nil, errorf("ALTER TABLE %s DROP CONSTRAINT: %T is not a constraint", s.Table.Key(), s.Constraint)
	}
	if name == "" {
		return nil, errorf("ALTER TABLE %s DROP CONSTRAINT: the %s constraint has no name", s.Table.Key(), s.Constraint.ConstraintKind())
	}
	b = append(b, "ALTER TABLE "...)
	b = appendTableName(d, b, s.Table)
	b = append(b, ' ')
	b = append(b, d.DropConstraintClause(s.Constraint.ConstraintKind())...)
	b = append(b, ' ')
	b, err := ifExists(d, b, DDLConstraint, false, s.IfExists, "DROP CONSTRAINT")
	if err != nil {
		return nil, err
	}
	return d.AppendIdent(b, name), nil
}

func checkEnum(d Dialect, t types.Type, what string) error {
	if !d.Features().Has(NativeEnum) {
		return unsupportedf(d, "%s (enum types live in the column type there)", what)
	}
	if t.Kind != types.KindEnum || t.EnumName == "" {
		return errorf("%s needs a named enum type, got %s", what, t)
	}
	return nil
}

func createEnum(d DDLDialect, b []byte, s *schema.CreateEnumType) ([]byte, error) {
	if err := checkEnum(d, s.Type, "CREATE TYPE"); err != nil {
		return nil, err
	}
	if len(s.Type.EnumValues) == 0 {
		return nil, errorf("CREATE TYPE %s: enum type has no values", s.Type.EnumName)
	}
	b = append(b, "CREATE TYPE "...)
	b, err := ifExists(d, b, DDLEnumType, true, s.IfNotExists, "CREATE TYPE")
	if err != nil {
		return nil, err
	}
	b = d.AppendIdent(b, s.Type.EnumName)
	b = append(b, " AS ENUM ("...)
	for i, v := range s.Type.EnumValues {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = d.AppendStringLiteral(b, v)
	}
	return append(b, ')'), nil
}

func dropEnum(d DDLDialect, b []byte, s *schema.DropEnumType) ([]byte, error) {
	if err := checkEnum(d, s.Type, "DROP TYPE"); err != nil {
		return nil, err
	}
	b = append(b, "DROP TYPE "...)
	b, err := ifExists(d, b, DDLEnumType, false, s.IfExists, "DROP TYPE")
	if err != nil {
		return nil, err
	}
	return d.AppendIdent(b, s.Type.EnumName), nil
}
