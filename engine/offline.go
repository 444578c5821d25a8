package engine

import (
	"fmt"

	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
)

// offlineDialects makes the dialect of each canonical URL dialect name without a server,
// assuming the newest server version retort knows.
var offlineDialects = map[string]func() dialect.Dialect{
	"sqlite":     func() dialect.Dialect { return sqlite.New() },
	"postgresql": func() dialect.Dialect { return postgres.New() },
	"mysql":      func() dialect.Dialect { return mysql.New(mysql.MySQL, 8, 0, 36) },
	"mariadb":    func() dialect.Dialect { return mysql.New(mysql.MariaDB, 10, 11, 0) },
}

// OfflineDialect returns the dialect a database URL names without connecting to it, for
// rendering SQL offline (a migration script for review, for example). Where the dialect
// depends on the server's version it assumes the newest version retort knows (MySQL 8.0,
// MariaDB 10.11). Errors wrap ErrInvalidURL and never contain the URL's password.
func OfflineDialect(rawURL string) (dialect.Dialect, error) {
	u, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	mk, ok := offlineDialects[u.Dialect]
	if !ok {
		return nil, fmt.Errorf("engine: no dialect for %q: %w", u.Dialect, ErrInvalidURL)
	}
	return mk(), nil
}
