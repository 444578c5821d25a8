// Package schema holds the ent schema of the benchmark tables (item, parent, child),
// from which the code of package ent is generated.
package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
)

// Item is the single-table benchmark row.
type Item struct {
	ent.Schema
}

// Annotations names the table as the other libraries do.
func (Item) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "item"}}
}

// Fields of Item.
func (Item) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.String("name"),
		field.Int64("value"),
	}
}
