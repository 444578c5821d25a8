package engine

import (
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/mysql"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
)

// drivers maps a canonical dialect name of a URL (see URL.Dialect) to the Driver that
// opens it. MySQL and MariaDB share a driver, which detects the server it talks to.
var drivers = map[string]dialect.Driver{
	"sqlite":     sqlite.Driver{},
	"postgresql": postgres.Driver{},
	"mysql":      mysql.Driver{},
	"mariadb":    mysql.Driver{},
}

func lookupDriver(name string) (dialect.Driver, bool) {
	d, ok := drivers[name]
	return d, ok
}
