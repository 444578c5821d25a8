package engine

import "github.com/retortdb/retort/dialect"

// drivers maps a canonical dialect name of a URL to the Driver that opens it.
// TODO(engine): fill in sqlite.Driver{}, postgres.Driver{}, mysql.Driver{} once the
// drivers land in dialect/*.
var drivers = map[string]dialect.Driver{}

func lookupDriver(name string) (dialect.Driver, bool) {
	d, ok := drivers[name]
	return d, ok
}
