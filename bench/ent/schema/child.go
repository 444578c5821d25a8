package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Child belongs to a Parent through parent_id.
type Child struct {
	ent.Schema
}

// Annotations names the table as the other libraries do.
func (Child) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "child"}}
}

// Fields of Child.
func (Child) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.Int64("parent_id"),
		field.String("name"),
	}
}

// Edges of Child.
func (Child) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("parent", Parent.Type).Ref("children").Field("parent_id").Unique().Required(),
	}
}
