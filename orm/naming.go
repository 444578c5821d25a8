package orm

import (
	"unicode"
	"unicode/utf8"
)

// snakeCase turns a Go identifier into a snake_case SQL name: "CreateDate" is
// "create_date", "BlogPost" "blog_post", "ID" "id", "UserID" "user_id", "HTTPServer"
// "http_server", "A" "a". An upper-case letter starts a new word after a lower-case letter
// or a digit, and at the end of an acronym (the last upper-case letter before a lower-case
// one).
func snakeCase(s string) string {
	runes := []rune(s)
	out := make([]byte, 0, len(s)+4)
	for i, r := range runes {
		if unicode.IsUpper(r) {
			if i > 0 {
				prev := runes[i-1]
				nextLower := i+1 < len(runes) && unicode.IsLower(runes[i+1])
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
					out = append(out, '_')
				}
			}
			r = unicode.ToLower(r)
		}
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}
