package v4

import (
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

var (
	md = schema.NewMetaData()
	// Teams is the teams table.
	Teams = md.MustTable("teams",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("title", types.String(50), schema.NotNull()),
	)
	// Users is the users table.
	Users = md.MustTable("users",
		schema.Col("id", types.Integer(), schema.PrimaryKey()),
		schema.Col("full_name", types.String(50), schema.NotNull()),
		schema.Col("email", types.String(100)),
		schema.Col("team_id", types.Integer(), schema.ForeignKey("teams.id", schema.OnDelete("SET NULL"))),
		schema.Index("ix_users_email", "email"),
	)
)

// MetaData returns the models' MetaData (what retort migrate -models reads).
func MetaData() *schema.MetaData { return md }
