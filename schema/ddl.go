package schema

import (
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// The DDL elements below are expr.Statements: compile.Compile renders them for a dialect
// and an engine executes them like any other statement. Build them as struct literals,
// for example &schema.CreateTable{Table: users, IfNotExists: true}. They are plain values,
// safe to share between goroutines once built.

// CreateTable is CREATE TABLE for Table with its columns, primary key, foreign keys,
// unique and check constraints. Indexes are created separately (CreateIndex). Foreign
// keys marked UseAlter are left out on dialects that can add them later with ALTER TABLE
// (compile.AlterAddConstraint); elsewhere (SQLite) they are written inline.
// It is built for one CreateAll, DropAll or CompileDDL call and not modified by them: safe
// for concurrent reads, it lives as long as the caller keeps it.
type CreateTable struct {
	expr.DDLElement
	Table       *Table
	IfNotExists bool
}

// DropTable is DROP TABLE.
// It is built for one CreateAll, DropAll or CompileDDL call and not modified by them: safe
// for concurrent reads, it lives as long as the caller keeps it.
type DropTable struct {
	expr.DDLElement
	Table    *Table
	IfExists bool
}

// CreateIndex is CREATE [UNIQUE] INDEX for an index of a table.
// It is built for one CreateAll, DropAll or CompileDDL call and not modified by them: safe
// for concurrent reads, it lives as long as the caller keeps it.
type CreateIndex struct {
	expr.DDLElement
	Index       *IndexDef
	IfNotExists bool
}

// DropIndex is DROP INDEX.
// It is built for one CreateAll, DropAll or CompileDDL call and not modified by them: safe
// for concurrent reads, it lives as long as the caller keeps it.
type DropIndex struct {
	expr.DDLElement
	Index    *IndexDef
	IfExists bool
}

// Constraint is a table constraint that can be added or dropped with ALTER TABLE:
// *ForeignKeyDef, *UniqueDef or *CheckDef.
// Implementations belong to a Table: safe for concurrent reads once its MetaData is built,
// they live as long as the MetaData.
type Constraint interface {
	// ConstraintKind returns "FOREIGN KEY", "UNIQUE" or "CHECK".
	ConstraintKind() string
}

// ConstraintKind returns "FOREIGN KEY".
func (*ForeignKeyDef) ConstraintKind() string { return "FOREIGN KEY" }

// ConstraintKind returns "UNIQUE".
func (*UniqueDef) ConstraintKind() string { return "UNIQUE" }

// ConstraintKind returns "CHECK".
func (*CheckDef) ConstraintKind() string { return "CHECK" }

// AddConstraint is ALTER TABLE Table ADD CONSTRAINT. A foreign key without a name gets
// ForeignKeyDef.ConstraintName. Not available on SQLite (compile reports
// compile.ErrUnsupported).
// It is built for one CreateAll, DropAll or CompileDDL call and not modified by them: safe
// for concurrent reads, it lives as long as the caller keeps it.
type AddConstraint struct {
	expr.DDLElement
	Table      *Table
	Constraint Constraint
}

// DropConstraint is ALTER TABLE Table DROP CONSTRAINT (DROP FOREIGN KEY / DROP INDEX on
// MySQL). The constraint must have a name (for a foreign key, ConstraintName is used).
// It is built for one CreateAll, DropAll or CompileDDL call and not modified by them: safe
// for concurrent reads, it lives as long as the caller keeps it.
type DropConstraint struct {
	expr.DDLElement
	Table      *Table
	Constraint Constraint
	IfExists   bool
}

// CreateEnumType is PostgreSQL's CREATE TYPE name AS ENUM (...) for an enum Type. Other
// dialects spell enums inside the column type and report compile.ErrUnsupported.
// It is built for one CreateAll, DropAll or CompileDDL call and not modified by them: safe
// for concurrent reads, it lives as long as the caller keeps it.
type CreateEnumType struct {
	expr.DDLElement
	Type        types.Type
	IfNotExists bool
}

// DropEnumType is PostgreSQL's DROP TYPE for an enum Type.
// It is built for one CreateAll, DropAll or CompileDDL call and not modified by them: safe
// for concurrent reads, it lives as long as the caller keeps it.
type DropEnumType struct {
	expr.DDLElement
	Type     types.Type
	IfExists bool
}
