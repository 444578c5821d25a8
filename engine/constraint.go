package engine

import (
	"errors"
	"regexp"
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/schema"
)

// describeIntegrity completes an *IntegrityError in err with what the definition of the
// table the statement writes (comp.Table) tells and the database did not report: the
// columns of the constraint it names (PostgreSQL's users_email_key is UNIQUE (email);
// MariaDB names a unique key only), or the name of the constraint over the columns it
// names (SQLite reports "users.email" and no name), the table, and for SQLite's bare
// "FOREIGN KEY constraint failed" on an INSERT or UPDATE, the one foreign key of the
// table the statement sets. A constraint the table's definition does not declare
// explicitly is matched by the name the database gives unnamed constraints (see
// dialect.ConstraintNamer). Nothing is guessed: when several constraints fit, nothing
// is filled.
func (e *Engine) describeIntegrity(err error, comp *compile.Compiled) {
	var ie *IntegrityError
	t := comp.Table
	if t == nil || !errors.As(err, &ie) {
		return
	}
	if ie.Table != "" && ie.Table != t.Name {
		return // another table's constraint (a child's key on a DELETE of its parent)
	}
	namer, _ := e.dialect.(dialect.ConstraintNamer)
	name := func(kind, explicit string, cols []string) string {
		if explicit != "" || namer == nil {
			return explicit
		}
		return namer.DefaultConstraintName(kind, t.Name, cols)
	}
	type candidate struct {
		name string
		cols []string
	}
	var cands []candidate
	switch ie.Kind {
	case UniqueViolation:
		if len(t.PrimaryKey) > 0 {
			cols := make([]string, len(t.PrimaryKey))
			for i, c := range t.PrimaryKey {
				cols[i] = c.Name
			}
			cands = append(cands, candidate{name("PRIMARY KEY", "", cols), cols})
		}
		for _, u := range t.Uniques {
			cands = append(cands, candidate{name("UNIQUE", u.Name, u.Columns), u.Columns})
		}
		for _, ix := range t.Indexes {
			if ix.Unique {
				cands = append(cands, candidate{ix.Name, ix.Columns})
			}
		}
	case ForeignKeyViolation:
		for _, fk := range t.ForeignKeys {
			cands = append(cands, candidate{name("FOREIGN KEY", fk.Name, fk.Columns), fk.Columns})
		}
		if ie.Constraint == "" && ie.Column == "" && len(comp.ArgColumns) > 0 {
			// SQLite names nothing: the foreign key whose columns the statement sets,
			// when only one does.
			var set []candidate
			for _, c := range cands {
				for _, col := range c.cols {
					if containsString(comp.ArgColumns, col) {
						set = append(set, c)
						break
					}
				}
			}
			if len(set) == 1 {
				ie.Table = t.Name
				ie.Constraint, ie.Column = set[0].name, strings.Join(set[0].cols, ", ")
			}
			return
		}
	case CheckViolation:
		if ie.Column == "" && ie.Constraint != "" {
			for _, ck := range t.Checks {
				if ck.Name == ie.Constraint {
					if col := onlyColumn(t, ck.SQL); col != "" {
						ie.Column = col
					}
				}
			}
		}
		if ie.Table == "" {
			ie.Table = t.Name
		}
		return
	case NotNullViolation:
		if ie.Table == "" && ie.Column != "" {
			if _, ok := t.Col(ie.Column); ok {
				ie.Table = t.Name
			}
		}
		return
	default:
		return
	}
	var match *candidate
	for i, c := range cands {
		fits := false
		switch {
		case ie.Constraint != "":
			fits = c.name != "" && c.name == ie.Constraint
		case ie.Column != "":
			fits = strings.Join(c.cols, ", ") == ie.Column
		}
		if !fits {
			continue
		}
		if match != nil {
			return // ambiguous: name nothing
		}
		match = &cands[i]
	}
	if match == nil {
		return
	}
	ie.Table = t.Name
	if ie.Column == "" {
		ie.Column = strings.Join(match.cols, ", ")
	}
	if ie.Constraint == "" {
		ie.Constraint = match.name
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var sqlWord = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// onlyColumn returns the one column of t that the SQL of a CHECK constraint mentions, or
// "" when it mentions none or several.
func onlyColumn(t *schema.Table, sql string) string {
	found := ""
	for _, w := range sqlWord.FindAllString(sql, -1) {
		if _, ok := t.Col(w); !ok || w == found {
			continue
		}
		if found != "" {
			return ""
		}
		found = w
	}
	return found
}
