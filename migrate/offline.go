package migrate

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/dialect"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/schema"
	"github.com/retortdb/retort/types"
)

// SQL writes the SQL of moving a database from revision from ("base" for an empty one)
// to revision to ("head", "base", a revision id) for dialect d, without a database
// (Alembic's offline mode), for review by a DBA: the version table's creation (from
// base), then per migration its statements and its version table update, each
// migration in BEGIN/COMMIT where DDL is transactional. The schema at from is worked out
// by replaying the migrations before it in memory; data steps (Op.Run) and checks that
// need the data are written as comments. Destructive steps are marked with a comment.
// The Migrator needs no engine for this.
func (m *Migrator) SQL(w io.Writer, d compile.DDLDialect, from, to string) error {
	if m.chain == nil || d == nil {
		return fmt.Errorf("migrate: SQL needs a chain and a dialect")
	}
	if err := m.chain.Validate(); err != nil {
		return err
	}
	done, err := m.upTo(from)
	if err != nil {
		return err
	}
	replay := &Migrator{chain: m.chain, table: m.table, allowDestructive: true}
	hist, err := m.chain.History()
	if err != nil {
		return err
	}
	var before []*Migration
	for _, mg := range hist {
		if done[mg.Revision] {
			before = append(before, mg)
		}
	}
	st := &state{}
	if _, err = replay.plan(d, st, before, true); err != nil {
		return err
	}
	up := true
	var todo []*Migration
	switch {
	case to == "base":
		up = false
	case to == "head" || to == "heads" || strings.HasPrefix(to, "+"):
	case strings.HasPrefix(to, "-"):
		up = false
	default:
		mg, err := m.chain.Get(to)
		if err != nil {
			return err
		}
		if done[mg.Revision] {
			up = false
		}
	}
	if up {
		todo, err = m.upgradePath(done, to)
	} else {
		todo, err = m.downgradePath(done, to)
	}
	if err != nil {
		return err
	}
	steps, err := replay.plan(d, st, todo, up)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	verb := "upgrade"
	if !up {
		verb = "downgrade"
	}
	fmt.Fprintf(bw, "-- retort migrate %s %s -> %s (%s)\n\n", verb, from, to, d.Name())
	vt := versionTable(m.table)
	if from == "base" && up {
		c, err := compile.CompileDDL(d, &schema.CreateTable{Table: vt, IfNotExists: d.IfExistsSupported(compile.DDLTable, true)})
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "%s;\n\n", c.SQL)
	}
	transactional := d.Features().Has(compile.TransactionalDDL)
	rebuilder, rebuilds := d.(dialect.TableRebuilder)
	if rebuilds {
		off, _ := rebuilder.ForeignKeysOff()
		fmt.Fprintf(bw, "%s;\n\n", off)
	}
	for _, s := range steps {
		fmt.Fprintf(bw, "-- revision %s: %s\n", s.m.Revision, s.m.Message)
		if transactional {
			bw.WriteString("BEGIN;\n")
		}
		for i, op := range s.ops {
			fmt.Fprintf(bw, "-- %s\n", op)
			if why := s.why[i]; why != "" {
				fmt.Fprintf(bw, "-- DESTRUCTIVE: %s\n", why)
			}
			for _, x := range s.stmts[i] {
				if err := writeOffline(bw, d, x); err != nil {
					return &Error{Revision: s.m.Revision, Message: s.m.Message, Operation: op.String(), Err: err}
				}
			}
		}
		if err := writeVersion(bw, d, vt, s.m.Revision, up); err != nil {
			return err
		}
		if transactional {
			bw.WriteString("COMMIT;\n")
		}
		bw.WriteString("\n")
	}
	if rebuilds {
		_, on := rebuilder.ForeignKeysOff()
		fmt.Fprintf(bw, "%s;\n", on)
	}
	return bw.Flush()
}

func writeOffline(w *bufio.Writer, d compile.DDLDialect, x stmt) error {
	switch {
	case x.run != nil:
		w.WriteString("-- (a data step written in Go runs here when migrating online)\n")
	case x.check != "" && x.ddl != nil:
		fmt.Fprintf(w, "-- (online, checks that no row holds NULL first: %s)\n", x.check)
	case x.ddl != nil:
		c, err := compile.Compile(d, x.ddl)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s;\n", c.SQL)
	case x.check != "":
		fmt.Fprintf(w, "-- %s: %s;\n", x.check, x.sql)
	case len(x.args) > 0:
		b, err := compile.AppendInline(d, nil, expr.Text(x.sql, x.args...))
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s;\n", b)
	default:
		fmt.Fprintf(w, "%s;\n", x.sql)
	}
	return nil
}

func writeVersion(w *bufio.Writer, d compile.DDLDialect, vt *schema.Table, rev string, up bool) error {
	name := string(d.AppendIdent(nil, vt.Name))
	lit := string(d.AppendStringLiteral(nil, rev))
	if !up {
		fmt.Fprintf(w, "DELETE FROM %s WHERE revision = %s;\n", name, lit)
		return nil
	}
	f, err := compile.AppendInline(d, nil, expr.Value(false, types.Boolean()))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "INSERT INTO %s (revision, dirty) VALUES (%s, %s);\n", name, lit, f)
	return nil
}
