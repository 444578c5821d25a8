package engine

import (
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/dialect/sqlite"
)

// drivers maps a canonical dialect name of a URL to the Driver that opens it.
// TODO(engine): add "postgresql" (postgres.Driver{}), "mysql" and "mariadb" (mysql.Driver{})
// as their drivers land.
var drivers = map[string]dialect.Driver{
	"sqlite": sqlite.Driver{},
}

func lookupDriver(name string) (dialect.Driver, bool) {
	d, ok := drivers[name]
	return d, ok
}
