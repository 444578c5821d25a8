package engine

import (
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/postgres"
	"github.com/retortdb/retort/dialect/sqlite"
)

// drivers maps a canonical dialect name of a URL to the Driver that opens it.
// TODO(engine): add "mysql" and "mariadb" (mysql.Driver{}) once dialect/mysql has its driver.
var drivers = map[string]dialect.Driver{
	"sqlite":     sqlite.Driver{},
	"postgresql": postgres.Driver{},
}

func lookupDriver(name string) (dialect.Driver, bool) {
	d, ok := drivers[name]
	return d, ok
}
