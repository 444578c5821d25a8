package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Parent has ten children in the eager-loading benchmark.
type Parent struct {
	ent.Schema
}

// Annotations names the table as the other libraries do.
func (Parent) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "parent"}}
}

// Fields of Parent.
func (Parent) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id"),
		field.String("name"),
	}
}

// Edges of Parent.
func (Parent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Child.Type),
	}
}
