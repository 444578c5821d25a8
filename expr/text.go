package expr

import (
	"github.com/retortdb/retort/types"
)

// NamedParam is a value for a :name placeholder of a Text statement.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type NamedParam struct {
	Name  string
	Value any
	Type  types.Type // optional; the unknown type passes the value through unconverted
}

// Param returns the value v for the placeholder :name.
func Param(name string, v any) NamedParam { return NamedParam{Name: name, Value: v} }

// TypedParam returns the value v for :name, converted as type t.
func TypedParam(name string, v any, t types.Type) NamedParam {
	return NamedParam{Name: name, Value: v, Type: t}
}

// TextSegment is a piece of a parsed Text: literal SQL, or a parameter reference.
// It is immutable once built and safe for concurrent use; it lives as long as the
// statements that hold it.
type TextSegment struct {
	SQL   string // literal SQL (when Param is "")
	Param string // parameter name
}

// TextStmt is raw SQL with :name placeholders, SQLAlchemy's text(). It is a Statement and
// can also stand as an expression (for example in Where). Placeholders are rendered in the
// dialect's style; "::" (a PostgreSQL cast), text inside quotes and "\:" are not
// placeholders ("\:" renders as ":"). Immutable.
// It holds no connection or other resource and lives as long as the caller keeps it: build
// it once and reuse it.
type TextStmt struct {
	SQL      string
	Segments []TextSegment
	Params   []NamedParam
	Cols     []*ColumnClause // result columns given with Columns, or nil
}

func (*TextStmt) statementNode() {}
func (*TextStmt) exprNode()      {}

// SQLType returns the type of the single result column given with Columns, else unknown.
func (t *TextStmt) SQLType() types.Type {
	if len(t.Cols) == 1 {
		return t.Cols[0].Type
	}
	return types.Unknown()
}

// Text returns the raw SQL statement sql with the given parameter values.
func Text(sql string, params ...NamedParam) *TextStmt {
	return &TextStmt{SQL: sql, Segments: parseText(sql), Params: append([]NamedParam(nil), params...)}
}

// Bind returns t with more parameter values (a later value for the same name wins).
func (t *TextStmt) Bind(params ...NamedParam) *TextStmt {
	n := *t
	n.Params = make([]NamedParam, 0, len(t.Params)+len(params))
	n.Params = append(append(n.Params, t.Params...), params...)
	return &n
}

// Columns returns t with typed result columns, so that results are converted as their
// types and the statement is known to return rows. Use Column(name, type).
func (t *TextStmt) Columns(cols ...*ColumnClause) *TextStmt {
	n := *t
	n.Cols = append([]*ColumnClause(nil), cols...)
	return &n
}

// ParamNames returns the placeholder names of t in order of appearance (repeats included).
func (t *TextStmt) ParamNames() []string {
	var out []string
	for _, s := range t.Segments {
		if s.Param != "" {
			out = append(out, s.Param)
		}
	}
	return out
}

func isNameStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameChar(c byte) bool { return isNameStart(c) || (c >= '0' && c <= '9') }

// parseText splits sql into literal pieces and :name references.
func parseText(sql string) []TextSegment {
	var segs []TextSegment
	lit := make([]byte, 0, len(sql))
	flush := func() {
		if len(lit) > 0 {
			segs = append(segs, TextSegment{SQL: string(lit)})
			lit = lit[:0]
		}
	}
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			// Copy a quoted string or identifier verbatim (doubled quotes stay inside).
			j := i + 1
			for j < len(sql) {
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(sql) {
				j = len(sql) - 1
			}
			lit = append(lit, sql[i:j+1]...)
			i = j
		case c == '\\' && i+1 < len(sql) && sql[i+1] == ':':
			lit = append(lit, ':')
			i++
		case c == ':' && i+1 < len(sql) && sql[i+1] == ':':
			lit = append(lit, "::"...)
			i++
		case c == ':' && i+1 < len(sql) && isNameStart(sql[i+1]) && (i == 0 || !isNameChar(sql[i-1])):
			j := i + 1
			for j < len(sql) && isNameChar(sql[j]) {
				j++
			}
			flush()
			segs = append(segs, TextSegment{Param: sql[i+1 : j]})
			i = j - 1
		default:
			lit = append(lit, c)
		}
	}
	flush()
	return segs
}
