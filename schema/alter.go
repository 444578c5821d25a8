package schema

import "github.com/retortdb/retort/expr"

// The ALTER TABLE elements below change an existing table in place. Like the other DDL
// elements they are expr.Statements that compile.CompileDDL renders for a dialect; a
// dialect that cannot do a change in place (SQLite for most of them) reports
// compile.ErrUnsupported, and a migration tool rebuilds the table instead. Build them as
// struct literals with pointers, for example &schema.AddColumn{Table: t, Column: c}.
// They are plain values, safe to share between goroutines once built, and live as long
// as the caller keeps them.

// AddColumn is ALTER TABLE Table ADD COLUMN with the definition of Column, a column of
// Table (its type, default and nullability; keys and indexes are added separately).
// It is a plain value: safe for concurrent reads, it lives as long as the caller keeps it.
type AddColumn struct {
	expr.DDLElement
	Table  *Table
	Column *Column
}

// DropColumn is ALTER TABLE Table DROP COLUMN Column.
// It is a plain value: safe for concurrent reads, it lives as long as the caller keeps it.
type DropColumn struct {
	expr.DDLElement
	Table  *Table
	Column string
}

// RenameColumn is ALTER TABLE Table RENAME COLUMN Column TO NewName.
// It is a plain value: safe for concurrent reads, it lives as long as the caller keeps it.
type RenameColumn struct {
	expr.DDLElement
	Table   *Table
	Column  string
	NewName string
}

// RenameTable is ALTER TABLE Table RENAME TO NewName (the table stays in its schema).
// It is a plain value: safe for concurrent reads, it lives as long as the caller keeps it.
type RenameTable struct {
	expr.DDLElement
	Table   *Table
	NewName string
}

// SetColumnComment is PostgreSQL's COMMENT ON COLUMN Table.Column IS Comment ("" removes
// the comment). Dialects that spell comments inside the column definition (MySQL)
// change them with AlterColumn and SetComment instead, and report
// compile.ErrUnsupported.
// It is a plain value: safe for concurrent reads, it lives as long as the caller keeps it.
type SetColumnComment struct {
	expr.DDLElement
	Table   *Table
	Column  string
	Comment string
}

// AlterColumn changes a column in place. Column is the column's new definition, a column
// of Table; the flags say which of its properties change: its type (SetType), whether it
// accepts NULL (SetNullable), its server default (SetDefault; a nil
// Column.ServerDefault drops it) and its comment (SetComment, only where the comment is
// part of the column definition: MySQL). Dialects that rewrite the whole column (MySQL's MODIFY
// COLUMN) use every property of Column whatever the flags.
// It is a plain value: safe for concurrent reads, it lives as long as the caller keeps it.
type AlterColumn struct {
	expr.DDLElement
	Table       *Table
	Column      *Column
	SetType     bool
	SetNullable bool
	SetDefault  bool
	SetComment  bool
}
