package migrate

import (
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
)

// batch rebuilds a table whose change the database cannot make in place (SQLite's
// limited ALTER TABLE), the way Alembic's batch mode does: create the new table under a
// temporary name, copy the rows of the columns both versions have, drop the old table,
// rename the new one, recreate the indexes, and finally list the rows that break a
// foreign key (an error if there is any). The runner has stopped enforcing foreign keys
// for the run (dialect.TableRebuilder), so that a table other tables reference can be
// rebuilt.
func batch(d compile.DDLDialect, before, after *state, table string) ([]stmt, error) {
	oldSpec, err := before.table(table)
	if err != nil {
		return nil, err
	}
	newSpec, err := after.table(table)
	if err != nil {
		return nil, err
	}
	tmpName := "_retort_tmp_" + newSpec.Name
	scratch := after.clone()
	tmp, _ := scratch.table(table)
	tmp.Name = tmpName
	tmp.Indexes = nil
	md, err := scratch.metadata()
	if err != nil {
		return nil, err
	}
	tmpTable, err := built(md, qualify(newSpec.Schema, tmpName))
	if err != nil {
		return nil, err
	}
	oldTable, err := tableOf(before, table)
	if err != nil {
		return nil, err
	}
	finalTable, err := tableOf(after, table)
	if err != nil {
		return nil, err
	}
	var cols []string
	for _, c := range newSpec.Cols {
		if oldSpec.col(c.Name) >= 0 {
			cols = append(cols, string(d.AppendIdent(nil, c.Name)))
		}
	}
	out := ddl(&schema.CreateTable{Table: tmpTable})
	if len(cols) > 0 {
		list := strings.Join(cols, ", ")
		out = append(out, stmt{sql: "INSERT INTO " + string(d.AppendIdent(nil, tmpName)) + " (" + list + ") SELECT " + list +
			" FROM " + string(d.AppendIdent(nil, oldSpec.Name))})
	}
	out = append(out, ddl(&schema.DropTable{Table: oldTable}, &schema.RenameTable{Table: tmpTable, NewName: newSpec.Name})...)
	var ixs []expr.Statement
	for _, ix := range finalTable.Indexes {
		ixs = append(ixs, &schema.CreateIndex{Index: ix})
	}
	out = append(out, ddl(ixs...)...)
	if r, ok := d.(dialect.TableRebuilder); ok {
		out = append(out, stmt{sql: r.ForeignKeyCheckSQL(), check: "foreign key check after rebuilding table " + table})
	}
	return out, nil
}
