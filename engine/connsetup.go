package engine

import (
	"net/url"
	"strings"
)

// InitCommandOption is the URL option whose values (one statement each, repeatable) every
// new pooled connection runs before its first use, as OnConnect's statements; for example
// mariadb://root@db1:3306/app?init_command=SET+SESSION+wsrep_sync_wait%3D1. The engine
// takes it out of the options it passes to the driver.
const InitCommandOption = "init_command"

// splitInitCommands returns q without init_command, and init_command's non-empty values.
func splitInitCommands(q url.Values) (url.Values, []string) {
	cmds, ok := q[InitCommandOption]
	if !ok {
		return q, nil
	}
	rest := make(url.Values, len(q))
	for k, v := range q {
		if k != InitCommandOption {
			rest[k] = v
		}
	}
	var out []string
	for _, c := range cmds {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return rest, out
}

// changesSession reports whether sql changes the state of the connection's session beyond
// the current transaction: a SET (other than SET LOCAL, which ends with the transaction),
// a USE, or an SQLite PRAGMA that assigns (PRAGMA name = value). A Conn that ran one
// closes its connection rather than returning it to the pool.
func changesSession(sql string) bool {
	s := strings.TrimLeft(sql, " \t\r\n(")
	word := func(w string) bool {
		if len(s) < len(w) || !strings.EqualFold(s[:len(w)], w) {
			return false
		}
		return len(s) == len(w) || strings.ContainsRune(" \t\r\n@", rune(s[len(w)]))
	}
	switch {
	case word("SET"):
		s = strings.TrimLeft(s[3:], " \t\r\n")
		return !word("LOCAL")
	case word("USE"):
		return true
	case word("PRAGMA"):
		return strings.ContainsRune(s, '=')
	}
	return false
}
