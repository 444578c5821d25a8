package v1

import (
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

var (
	md = schema.NewMetaData()
	// Users is the users table.
	Users = md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("name", types.String(50), schema.NotNull()),
	)
	// Notes is a table the fourth version drops.
	Notes = md.MustTable("notes",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("body", types.Text()),
	)
)

// MetaData returns the models' MetaData (what retort migrate -models reads).
func MetaData() *schema.MetaData { return md }
