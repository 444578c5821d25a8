package engine

import (
	"context"
	"fmt"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// ReflectOption is an option of Reflect.
type ReflectOption func(*dialect.ReflectOptions)

// ReflectSchema reads the tables of a named schema (PostgreSQL) or database (MySQL)
// instead of the connection's current one; the tables are then registered as
// "schema.table".
func ReflectSchema(name string) ReflectOption {
	return func(o *dialect.ReflectOptions) { o.Schema = name }
}

// ReflectOnly limits Reflect to the tables for which include returns true. Tables that
// the kept tables reference through foreign keys must be kept too.
func ReflectOnly(include func(table string) bool) ReflectOption {
	return func(o *dialect.ReflectOptions) { o.Include = include }
}

// Reflect reads the live database's tables into a new MetaData (SQLAlchemy's
// MetaData.reflect): columns with their types, nullability, server defaults and
// autoincrement, primary keys, foreign keys with their actions, unique and check
// constraints, and indexes. What a dialect cannot read back exactly as it was declared
// is described by its dialect.Normalization. It fails with ErrUnsupported when the
// dialect cannot reflect.
func (c *Conn) Reflect(ctx context.Context, opts ...ReflectOption) (*schema.MetaData, error) {
	r, ok := c.eng.dialect.(dialect.Reflector)
	if !ok {
		return nil, fmt.Errorf("engine: Reflect: dialect %s cannot reflect: %w", c.eng.dialect.Name(), ErrUnsupported)
	}
	var o dialect.ReflectOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	md, err := r.Reflect(ctx, c.catalogQuery, o)
	if err != nil {
		return nil, fmt.Errorf("engine: Reflect: %w", err)
	}
	return md, nil
}

// Reflect is Conn.Reflect on a connection of its own.
func (e *Engine) Reflect(ctx context.Context, opts ...ReflectOption) (*schema.MetaData, error) {
	c, err := e.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Reflect(ctx, opts...)
}

// catalogQuery runs a reflection query and returns its rows.
func (c *Conn) catalogQuery(ctx context.Context, sql string, args ...any) ([][]any, error) {
	res, err := c.execDDL(ctx, &compile.Compiled{SQL: sql, Args: args, ArgTypes: make([]types.Type, len(args)), Returns: true})
	if err != nil {
		return nil, err
	}
	out := make([][]any, 0, res.Len())
	for _, row := range res.All() {
		vals := make([]any, row.Len())
		for i, v := range row.Values() {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			vals[i] = v
		}
		out = append(out, vals)
	}
	return out, nil
}
