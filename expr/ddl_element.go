package expr

// DDLElement is embedded by the DDL statements of package schema (CreateTable, DropTable,
// CreateIndex, ...) to make them Statements. It carries no data; package compile renders
// the embedding types.
// It carries no data, so it is safe for concurrent use and lives as long as the statement
// that embeds it.
type DDLElement struct{}

func (DDLElement) statementNode() {}
