package expr

// DDLElement is embedded by the DDL statements of package schema (CreateTable, DropTable,
// CreateIndex, ...) to make them Statements. It carries no data; package compile renders
// the embedding types.
type DDLElement struct{}

func (DDLElement) statementNode() {}
