package orm

import "github.com/retortdb/retort/engine"

// snakeCase is the ORM's name rule for tables and columns (engine.SnakeCase, which
// engine.ScanAll shares): "CreateDate" is "create_date", "UserID" "user_id".
func snakeCase(s string) string { return engine.SnakeCase(s) }
