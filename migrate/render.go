package migrate

import (
	"bytes"
	"fmt"
	"go/format"
	"strconv"
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/expr"
	"github.com/retortdb/retort/types"
)

// Rendering operations as Go code, for the migration files autogenerate writes. The
// code is dialect-neutral where retort knows the construct (types, literal defaults,
// now()); other server defaults are written as raw SQL (expr.Text) as the database
// reported them.

// renderer writes Go code; d renders expressions it cannot write as Go.
type renderer struct{ d compile.Dialect }

func (r renderer) typ(t types.Type) string {
	switch t.Kind {
	case types.KindInteger:
		return "types.Integer()"
	case types.KindBigInt:
		return "types.BigInt()"
	case types.KindSmallInt:
		return "types.SmallInt()"
	case types.KindBoolean:
		return "types.Boolean()"
	case types.KindFloat:
		return "types.Float()"
	case types.KindDouble:
		return "types.Double()"
	case types.KindNumeric:
		return fmt.Sprintf("types.Numeric(%d, %d)", t.Precision, t.Scale)
	case types.KindString:
		return fmt.Sprintf("types.String(%d)", t.Length)
	case types.KindText:
		return "types.Text()"
	case types.KindBytes:
		return "types.Bytes()"
	case types.KindDate:
		return "types.Date()"
	case types.KindTime:
		return "types.Time()"
	case types.KindTimestamp:
		return fmt.Sprintf("types.Timestamp(%t)", t.Timezone)
	case types.KindInterval:
		return "types.Interval()"
	case types.KindJSON:
		return "types.JSON()"
	case types.KindUUID:
		return "types.UUIDType()"
	case types.KindEnum:
		args := []string{strconv.Quote(t.EnumName)}
		for _, v := range t.EnumValues {
			args = append(args, strconv.Quote(v))
		}
		return "types.Enum(" + strings.Join(args, ", ") + ")"
	}
	return "types.Unknown()"
}

func (r renderer) expr(e expr.Expr) string {
	switch x := e.(type) {
	case nil:
		return "nil"
	case *expr.Bind:
		var lit string
		switch v := x.Value.(type) {
		case string:
			lit = strconv.Quote(v)
		case int64:
			lit = fmt.Sprintf("int64(%d)", v)
		case float64:
			lit = "float64(" + strconv.FormatFloat(v, 'g', -1, 64) + ")"
		case bool:
			lit = strconv.FormatBool(v)
		default:
			lit = fmt.Sprintf("%#v", v)
		}
		return "expr.Value(" + lit + ", " + r.typ(x.Type) + ")"
	case *expr.FuncCall:
		if strings.EqualFold(x.Name, "now") && len(x.Args) == 0 {
			return "expr.Now()"
		}
	case *expr.TextStmt:
		return "expr.Text(" + strconv.Quote(x.SQL) + ")"
	}
	b, err := compile.AppendInline(r.d, nil, e)
	if err != nil {
		return fmt.Sprintf("nil /* cannot render the default: %v */", err)
	}
	return "expr.Text(" + strconv.Quote(strings.ReplaceAll(string(b), ":", `\:`)) + ")"
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func (r renderer) col(c colSpec, inPK bool, pkLen int) string {
	args := []string{strconv.Quote(c.Name), r.typ(c.Type)}
	if !c.Nullable && !inPK {
		args = append(args, "schema.NotNull()")
	}
	if c.Default != nil {
		args = append(args, "schema.ServerDefault("+r.expr(c.Default)+")")
	}
	if c.Comment != "" {
		args = append(args, "schema.Comment("+strconv.Quote(c.Comment)+")")
	}
	k := c.Type.Kind
	if inPK && pkLen == 1 && (k == types.KindInteger || k == types.KindBigInt || k == types.KindSmallInt) || c.Autoincrement {
		args = append(args, fmt.Sprintf("schema.Autoincrement(%t)", c.Autoincrement))
	}
	return "schema.Col(" + strings.Join(args, ", ") + ")"
}

func (r renderer) fkOpts(fk fkSpec) string {
	var s string
	if fk.OnDelete != "" {
		s += ", schema.OnDelete(" + strconv.Quote(fk.OnDelete) + ")"
	}
	if fk.OnUpdate != "" {
		s += ", schema.OnUpdate(" + strconv.Quote(fk.OnUpdate) + ")"
	}
	return s
}

// op returns the Go statement that records o on the Op called op.
func (r renderer) op(o Operation) string {
	switch x := o.(type) {
	case *createTableOp:
		t := x.t
		lines := []string{strconv.Quote(t.key())}
		for _, c := range t.Cols {
			lines = append(lines, r.col(c, contains(t.PK, c.Name), len(t.PK)))
		}
		if len(t.PK) > 0 {
			lines = append(lines, "schema.PrimaryKeyConstraint("+quoteList(t.PK)+")")
		}
		for _, fk := range t.FKs {
			lines = append(lines, fmt.Sprintf("schema.ForeignKeyConstraint(%q, []string{%s}, %q, []string{%s}%s)",
				fk.Name, quoteList(fk.Columns), fk.RefTable, quoteList(fk.RefCols), r.fkOpts(fk)))
		}
		for _, u := range t.Uniques {
			lines = append(lines, fmt.Sprintf("schema.UniqueConstraint(%q, %s)", u.Name, quoteList(u.Columns)))
		}
		for _, ck := range t.Checks {
			lines = append(lines, fmt.Sprintf("schema.CheckConstraint(%q, %q)", ck.Name, ck.SQL))
		}
		for _, ix := range t.Indexes {
			switch {
			case ix.Where != "":
				lines = append(lines, fmt.Sprintf("schema.PartialIndex(%q, %t, %q, %s)", ix.Name, ix.Unique, ix.Where, quoteList(ix.Columns)))
			case ix.Unique:
				lines = append(lines, fmt.Sprintf("schema.UniqueIndex(%q, %s)", ix.Name, quoteList(ix.Columns)))
			default:
				lines = append(lines, fmt.Sprintf("schema.Index(%q, %s)", ix.Name, quoteList(ix.Columns)))
			}
		}
		return "op.CreateTable(\n" + strings.Join(lines, ",\n") + ",\n)"
	case *dropTableOp:
		return fmt.Sprintf("op.DropTable(%q)", x.name)
	case *renameTableOp:
		return fmt.Sprintf("op.RenameTable(%q, %q)", x.old, x.new)
	case *addColumnOp:
		return fmt.Sprintf("op.AddColumn(%q, %s)", x.table, r.col(x.col, false, 0))
	case *dropColumnOp:
		return fmt.Sprintf("op.DropColumn(%q, %q)", x.table, x.col)
	case *renameColumnOp:
		return fmt.Sprintf("op.RenameColumn(%q, %q, %q)", x.table, x.old, x.new)
	case *alterColumnOp:
		var opts []string
		if x.typ != nil {
			opts = append(opts, "migrate.SetType("+r.typ(*x.typ)+")")
		}
		if x.nullable != nil {
			opts = append(opts, fmt.Sprintf("migrate.SetNullable(%t)", *x.nullable))
		}
		if x.setDefault {
			opts = append(opts, "migrate.SetServerDefault("+r.expr(x.dflt)+")")
		}
		if x.comment != nil {
			opts = append(opts, "migrate.SetComment("+strconv.Quote(*x.comment)+")")
		}
		return fmt.Sprintf("op.AlterColumn(%q, %q, %s)", x.table, x.col, strings.Join(opts, ", "))
	case *createIndexOp:
		if x.ix.Where != "" {
			return fmt.Sprintf("op.CreatePartialIndex(%q, %q, %t, %q, %s)", x.ix.Name, x.table, x.ix.Unique, x.ix.Where, quoteList(x.ix.Columns))
		}
		fn := "CreateIndex"
		if x.ix.Unique {
			fn = "CreateUniqueIndex"
		}
		return fmt.Sprintf("op.%s(%q, %q, %s)", fn, x.ix.Name, x.table, quoteList(x.ix.Columns))
	case *dropIndexOp:
		return fmt.Sprintf("op.DropIndex(%q, %q)", x.name, x.table)
	case *constraintOp:
		switch {
		case x.fk != nil && x.add:
			return fmt.Sprintf("op.AddForeignKey(%q, %q, []string{%s}, %q, []string{%s}%s)", x.fk.Name, x.table,
				quoteList(x.fk.Columns), x.fk.RefTable, quoteList(x.fk.RefCols), r.fkOpts(*x.fk))
		case x.fk != nil:
			return fmt.Sprintf("op.DropForeignKey(%q, %q)", x.fk.Name, x.table)
		case x.unique != nil && x.add:
			return fmt.Sprintf("op.AddUnique(%q, %q, %s)", x.unique.Name, x.table, quoteList(x.unique.Columns))
		case x.unique != nil:
			return fmt.Sprintf("op.DropUnique(%q, %q, %s)", x.unique.Name, x.table, quoteList(x.unique.Columns))
		case x.add:
			return fmt.Sprintf("op.AddCheck(%q, %q, %q)", x.check.Name, x.table, x.check.SQL)
		default:
			return fmt.Sprintf("op.DropCheck(%q, %q)", x.check.Name, x.table)
		}
	case *executeOp:
		return fmt.Sprintf("op.Execute(%q)", x.sql)
	}
	return "// " + o.String() + ": cannot be written as Go code"
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// File is a generated migration file. It is a plain value: safe for concurrent reads,
// it lives as long as the caller keeps it.
type File struct {
	Revision    string
	Parents     []string
	Message     string
	Changes     []Change
	Destructive []string // what Accept must list for Up and Down to run
	Source      []byte   // gofmt-ed Go source
}

// renderFile writes the Go source of a migration registering itself in the package's
// Chain variable.
func renderFile(pkg string, f *File, d compile.Dialect) ([]byte, error) {
	r := renderer{d: d}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by retort migrate revision --autogenerate. Review it, then commit it.\n\n")
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	var body bytes.Buffer
	fmt.Fprintf(&body, "func init() {\n\tChain.Add(&migrate.Migration{\n")
	fmt.Fprintf(&body, "Revision: %q,\n", f.Revision)
	if len(f.Parents) > 0 {
		fmt.Fprintf(&body, "Parents: []string{%s},\n", quoteList(f.Parents))
	}
	fmt.Fprintf(&body, "Message: %q,\n", f.Message)
	if len(f.Destructive) > 0 {
		body.WriteString("// Destructive steps are refused until accepted: review each, then uncomment it.\n")
		body.WriteString("Accept: []string{\n")
		for _, d := range f.Destructive {
			fmt.Fprintf(&body, "// %q,\n", d)
		}
		body.WriteString("},\n")
	}
	body.WriteString("Up: func(op *migrate.Op) {\n")
	for _, ch := range f.Changes {
		if ch.Note != "" {
			fmt.Fprintf(&body, "// %s\n", ch.Note)
		}
		if ch.Destructive != "" {
			fmt.Fprintf(&body, "// DESTRUCTIVE: %s\n", ch.Destructive)
		}
		body.WriteString(r.op(ch.Up) + "\n")
	}
	body.WriteString("},\nDown: func(op *migrate.Op) {\n")
	for i := len(f.Changes) - 1; i >= 0; i-- {
		body.WriteString(r.op(f.Changes[i].Down) + "\n")
	}
	body.WriteString("},\n})\n}\n")
	src := body.String()
	b.WriteString("import (\n")
	if strings.Contains(src, "expr.") {
		b.WriteString("\t\"github.com/retortdb/retort/expr\"\n")
	}
	b.WriteString("\t\"github.com/retortdb/retort/migrate\"\n")
	if strings.Contains(src, "schema.") {
		b.WriteString("\t\"github.com/retortdb/retort/schema\"\n")
	}
	if strings.Contains(src, "types.") {
		b.WriteString("\t\"github.com/retortdb/retort/types\"\n")
	}
	b.WriteString(")\n\n")
	b.WriteString(src)
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("migrate: formatting the generated migration: %w", err)
	}
	return out, nil
}
