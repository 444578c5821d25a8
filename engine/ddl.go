package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// DDLCatalog is what CreateAll and DropAll ask a dialect to find out which schema objects
// exist, for the CheckFirst option. Each method returns a query (in the dialect's
// placeholder style, with its arguments) that yields at least one row when the object
// exists, or "" when the dialect has no such objects. dialect/sqlite (sqlite_master),
// dialect/postgres (pg_catalog) and dialect/mysql (information_schema) implement it in
// their ddl.go.
// Implementations (the dialects) are safe for concurrent use and live as long as their
// engine.
type DDLCatalog interface {
	// TableExistsQuery looks for a table in a schema ("" for the connection's default).
	TableExistsQuery(schemaName, name string) (sql string, args []any)
	// EnumTypeExistsQuery looks for an enum type (PostgreSQL); "" elsewhere.
	EnumTypeExistsQuery(name string) (sql string, args []any)
}

// DDLOption is an option of CreateAll and DropAll.
type DDLOption func(*ddlOptions)

type ddlOptions struct {
	checkFirst bool
	tables     []*schema.Table
}

// CheckFirst says whether CreateAll and DropAll first ask the database's catalog which
// tables (and PostgreSQL enum types) exist, creating only the missing ones and dropping
// only the present ones. It is on by default, as in SQLAlchemy; CheckFirst(false) issues
// every statement, so that an existing table (on create) or a missing one (on drop) is an
// error.
func CheckFirst(on bool) DDLOption { return func(o *ddlOptions) { o.checkFirst = on } }

// OnlyTables limits CreateAll and DropAll to the given tables of the MetaData (still in
// dependency order).
func OnlyTables(tables ...*schema.Table) DDLOption {
	return func(o *ddlOptions) { o.tables = append(o.tables, tables...) }
}

func ddlOpts(opts []DDLOption) ddlOptions {
	o := ddlOptions{checkFirst: true}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// CreateAll creates md's tables, their indexes and (on PostgreSQL) the enum types they use,
// in foreign key dependency order: enum types first, then each table followed by its
// indexes, then the foreign keys that close a dependency cycle, added with ALTER TABLE
// (on SQLite they stay inside CREATE TABLE, which may reference tables created later).
// See CheckFirst (on by default) and OnlyTables.
//
// Where DDL is transactional (PostgreSQL, SQLite) everything runs in one transaction, or
// in the caller's when the Conn already has one, so a failure leaves nothing behind. On
// MySQL/MariaDB each statement commits by itself and a failure leaves the objects created
// before it.
func (c *Conn) CreateAll(ctx context.Context, md *schema.MetaData, opts ...DDLOption) error {
	return c.runDDL(ctx, md, ddlOpts(opts), true)
}

// DropAll drops md's tables in reverse dependency order: first the foreign keys that
// CreateAll added with ALTER TABLE, then the tables, then (on PostgreSQL) the enum types
// that no remaining table of md uses. On SQLite, foreign key checks are deferred to the
// end of the transaction, so that tables of a dependency cycle can be dropped even when
// they hold rows. See CheckFirst (on by default) and OnlyTables; transactions are as for
// CreateAll.
func (c *Conn) DropAll(ctx context.Context, md *schema.MetaData, opts ...DDLOption) error {
	return c.runDDL(ctx, md, ddlOpts(opts), false)
}

// CreateAll is Conn.CreateAll on a connection of its own.
func (e *Engine) CreateAll(ctx context.Context, md *schema.MetaData, opts ...DDLOption) error {
	c, err := e.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.CreateAll(ctx, md, opts...)
}

// DropAll is Conn.DropAll on a connection of its own.
func (e *Engine) DropAll(ctx context.Context, md *schema.MetaData, opts ...DDLOption) error {
	c, err := e.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.DropAll(ctx, md, opts...)
}

// ddlPrelude is implemented by dialects that need statements before DropAll in its
// transaction (SQLite: PRAGMA defer_foreign_keys = ON).
type ddlPrelude interface {
	DropAllPrelude() []string
}

func (c *Conn) runDDL(ctx context.Context, md *schema.MetaData, o ddlOptions, create bool) error {
	what := "DropAll"
	if create {
		what = "CreateAll"
	}
	if md == nil {
		return fmt.Errorf("engine: %s: nil MetaData", what)
	}
	d, ok := c.eng.dialect.(compile.DDLDialect)
	if !ok {
		return fmt.Errorf("engine: %s: dialect %s cannot render DDL: %w", what, c.eng.dialect.Name(), ErrUnsupported)
	}
	tables, err := ddlTables(md, o.tables)
	if err != nil {
		return fmt.Errorf("engine: %s: %w", what, err)
	}
	body := func(ctx context.Context, c *Conn) error {
		var ex existing
		if o.checkFirst {
			if ex, err = c.catalog(ctx, d, tables); err != nil {
				return err
			}
		}
		var stmts []expr.Statement
		var pre []string
		if create {
			stmts, err = planCreate(d, tables, ex)
		} else {
			stmts, err = planDrop(d, md, tables, ex)
			if p, ok := d.(ddlPrelude); ok && c.InTransaction() && len(stmts) > 0 {
				pre = p.DropAllPrelude()
			}
		}
		if err != nil {
			return err
		}
		for _, sql := range pre {
			if _, err := c.execDDL(ctx, &compile.Compiled{SQL: sql}); err != nil {
				return err
			}
		}
		for _, s := range stmts {
			comp, err := compile.CompileDDL(d, s)
			if err != nil {
				return err
			}
			if _, err := c.execDDL(ctx, comp); err != nil {
				return err
			}
		}
		return nil
	}
	if d.Features().Has(compile.TransactionalDDL) && !c.InTransaction() {
		err = c.Transaction(ctx, body)
	} else {
		err = body(ctx, c)
	}
	if err != nil {
		return fmt.Errorf("engine: %s: %w", what, err)
	}
	return nil
}

// execDDL runs one compiled statement on the Conn.
func (c *Conn) execDDL(ctx context.Context, comp *compile.Compiled) (*Result, error) {
	if err := c.enter(); err != nil {
		return nil, err
	}
	defer c.leave()
	return c.run(ctx, comp)
}

// ddlTables returns md's tables in dependency order, limited to only when given.
func ddlTables(md *schema.MetaData, only []*schema.Table) ([]*schema.Table, error) {
	sorted, err := md.SortedTables()
	if err != nil {
		return nil, err
	}
	if len(only) == 0 {
		return sorted, nil
	}
	for _, t := range only {
		if t == nil || t.MetaData != md {
			name := "<nil>"
			if t != nil {
				name = t.Key()
			}
			return nil, fmt.Errorf("OnlyTables: table %s is not part of this MetaData", name)
		}
	}
	return slices.DeleteFunc(sorted, func(t *schema.Table) bool { return !slices.Contains(only, t) }), nil
}

// existing records which objects the catalog reported; its zero value means "not
// checked" (everything is created, or dropped).
type existing struct {
	checked bool
	tables  map[*schema.Table]bool
	enums   map[string]bool
}

func (ex existing) table(t *schema.Table) (exists, known bool) {
	return ex.tables[t], ex.checked
}

// catalog asks the database which of tables (and of the enum types they use) exist.
func (c *Conn) catalog(ctx context.Context, d compile.DDLDialect, tables []*schema.Table) (existing, error) {
	cat, ok := d.(DDLCatalog)
	if !ok {
		return existing{}, fmt.Errorf("dialect %s cannot look up its catalog (CheckFirst): %w", d.Name(), ErrUnsupported)
	}
	ex := existing{checked: true, tables: map[*schema.Table]bool{}, enums: map[string]bool{}}
	probe := func(sql string, args []any) (bool, error) {
		res, err := c.execDDL(ctx, &compile.Compiled{SQL: sql, Args: args, ArgTypes: make([]types.Type, len(args)), Returns: true})
		if err != nil {
			return false, err
		}
		return res.Len() > 0, nil
	}
	for _, t := range tables {
		sql, args := cat.TableExistsQuery(t.Schema, t.Name)
		found, err := probe(sql, args)
		if err != nil {
			return existing{}, err
		}
		ex.tables[t] = found
	}
	if d.Features().Has(compile.NativeEnum) {
		enums, err := schema.EnumTypesOf(tables)
		if err != nil {
			return existing{}, err
		}
		for _, e := range enums {
			sql, args := cat.EnumTypeExistsQuery(e.EnumName)
			if sql == "" {
				continue
			}
			found, err := probe(sql, args)
			if err != nil {
				return existing{}, err
			}
			ex.enums[e.EnumName] = found
		}
	}
	return ex, nil
}

// planCreate lists the statements that create tables (in dependency order) on d, leaving
// out what ex reports as existing.
func planCreate(d compile.DDLDialect, tables []*schema.Table, ex existing) ([]expr.Statement, error) {
	var out []expr.Statement
	var todo []*schema.Table
	for _, t := range tables {
		if exists, _ := ex.table(t); !exists {
			todo = append(todo, t)
		}
	}
	if d.Features().Has(compile.NativeEnum) {
		enums, err := schema.EnumTypesOf(todo)
		if err != nil {
			return nil, err
		}
		for _, e := range enums {
			if !ex.enums[e.EnumName] {
				out = append(out, &schema.CreateEnumType{Type: e})
			}
		}
	}
	for _, t := range todo {
		out = append(out, &schema.CreateTable{Table: t})
		out = append(out, compile.CommentStatements(d, t)...)
		for _, ix := range t.Indexes {
			out = append(out, &schema.CreateIndex{Index: ix})
		}
	}
	for _, t := range todo {
		for _, fk := range t.ForeignKeys {
			if !compile.InlineForeignKey(d, fk) {
				out = append(out, &schema.AddConstraint{Table: t, Constraint: fk})
			}
		}
	}
	return out, nil
}

// planDrop lists the statements that drop tables (given in dependency order) on d, in
// reverse order, leaving out what ex reports as missing. Enum types are dropped when no
// table of md that stays uses them.
func planDrop(d compile.DDLDialect, md *schema.MetaData, tables []*schema.Table, ex existing) ([]expr.Statement, error) {
	var out []expr.Statement
	var todo []*schema.Table
	for i := len(tables) - 1; i >= 0; i-- {
		if exists, known := ex.table(tables[i]); exists || !known {
			todo = append(todo, tables[i])
		}
	}
	for _, t := range todo {
		for _, fk := range t.ForeignKeys {
			if compile.InlineForeignKey(d, fk) {
				continue
			}
			// The referenced table may already be gone (not created, or dropped by hand);
			// its key went with it then.
			if ref, err := fk.Target(); err == nil && ex.checked && !ex.tables[ref] && slices.Contains(tables, ref) {
				continue
			}
			out = append(out, &schema.DropConstraint{Table: t, Constraint: fk, IfExists: d.IfExistsSupported(compile.DDLConstraint, false)})
		}
	}
	for _, t := range todo {
		out = append(out, &schema.DropTable{Table: t})
	}
	if d.Features().Has(compile.NativeEnum) {
		dropped, err := schema.EnumTypesOf(tables)
		if err != nil {
			return nil, err
		}
		var stay []*schema.Table
		for _, t := range md.Tables {
			if !slices.Contains(tables, t) {
				stay = append(stay, t)
			}
		}
		kept, err := schema.EnumTypesOf(stay)
		if err != nil {
			return nil, err
		}
		for _, e := range dropped {
			if slices.ContainsFunc(kept, func(k types.Type) bool { return k.EnumName == e.EnumName }) {
				continue
			}
			if ex.checked && !ex.enums[e.EnumName] {
				continue
			}
			out = append(out, &schema.DropEnumType{Type: e})
		}
	}
	return out, nil
}
