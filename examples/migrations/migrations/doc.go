// Package migrations holds this module's database migrations. Each migration file adds its
// revision to Chain in an init function; write new ones with
// go run github.com/retortdb/retort/cmd/retort migrate revision -m MESSAGE -autogenerate.
package migrations
