package dialect

// AppendQuoted appends name to b quoted with q when it needs quoting: when it is not a
// plain lower-case identifier ([a-z_][a-z0-9_$]*) or is one of reserved. Quote characters
// inside name are doubled.
func AppendQuoted(b []byte, name string, q byte, reserved map[string]struct{}) []byte {
	if !NeedsQuote(name, reserved) {
		return append(b, name...)
	}
	b = append(b, q)
	for i := 0; i < len(name); i++ {
		if name[i] == q {
			b = append(b, q)
		}
		b = append(b, name[i])
	}
	return append(b, q)
}

// NeedsQuote reports whether name must be quoted to be read back as written.
func NeedsQuote(name string, reserved map[string]struct{}) bool {
	if name == "" {
		return true
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case (c >= '0' && c <= '9') || c == '$':
			if i == 0 {
				return true
			}
		default:
			return true
		}
	}
	_, r := reserved[name]
	return r
}

// ReservedWords returns a set of the given words.
func ReservedWords(words ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(words))
	for _, w := range words {
		m[w] = struct{}{}
	}
	return m
}

// CommonReserved are SQL keywords reserved in every supported dialect; a column named
// like one of them is quoted everywhere.
var CommonReserved = []string{
	"all", "and", "any", "as", "asc", "between", "by", "case", "check", "collate", "column",
	"constraint", "create", "cross", "current_date", "current_time", "current_timestamp",
	"default", "delete", "desc", "distinct", "drop", "else", "end", "except", "exists",
	"false", "for", "foreign", "from", "full", "group", "having", "in", "index", "inner",
	"insert", "intersect", "into", "is", "join", "key", "left", "like", "limit", "natural",
	"not", "null", "offset", "on", "or", "order", "outer", "primary", "references", "right",
	"select", "set", "table", "then", "to", "true", "union", "unique", "update", "using",
	"values", "when", "where", "with",
}
