package engine

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// URL is a parsed SQLAlchemy-style database URL:
//
//	dialect[+driver]://[user[:password]@][host][:port][/database][?key=value&...]
//
// The dialects are sqlite, postgresql (also postgres) and mysql / mariadb. SQLite URLs
// carry a file path instead of a host: sqlite:///relative.db, sqlite:////abs/path.db,
// sqlite:///:memory: and sqlite:// (both in-memory). User, password and database are
// percent-decoded. The query options go to the dialect's driver (see each dialect's
// Driver), except pool_timeout (seconds), which the engine takes (see PoolTimeout).
// A URL is a plain value; it is not modified after parsing and is safe for
// concurrent reads. Its String method never shows the password.
// It lives as long as the caller keeps it.
type URL struct {
	Dialect  string // canonical dialect name: "sqlite", "postgresql", "mysql" or "mariadb"
	Driver   string // the "+driver" part as written (e.g. "pgx", "asyncpg"), or ""
	Username string
	Password string // never shown by String, Redacted, or any error or log line
	Host     string // without brackets for IPv6
	Port     int    // 0 when absent
	Database string // database name; for SQLite the file path ("" or ":memory:": in memory)
	Query    url.Values
}

// dialectInfo describes a dialect name accepted in URLs and the "+driver" names accepted
// with it. Python driver names are accepted as aliases so that SQLAlchemy URLs work as is.
type dialectInfo struct {
	canonical string
	drivers   []string
}

var urlDialects = map[string]dialectInfo{
	"sqlite":     {"sqlite", []string{"pysqlite", "aiosqlite", "modernc"}},
	"postgresql": {"postgresql", []string{"pgx", "asyncpg", "psycopg", "psycopg2", "pg8000"}},
	"postgres":   {"postgresql", []string{"pgx", "asyncpg", "psycopg", "psycopg2", "pg8000"}},
	"mysql":      {"mysql", []string{"pymysql", "aiomysql", "mysqldb", "asyncmy", "mysqlconnector", "gomysql"}},
	"mariadb":    {"mariadb", []string{"pymysql", "aiomysql", "mysqldb", "asyncmy", "mariadbconnector", "mysqlconnector", "gomysql"}},
}

// URLError reports a database URL that cannot be used. Its message names the part at fault
// and shows the URL with any password replaced by "***". It matches ErrInvalidURL with
// errors.Is, and ErrUnknownDialect when the dialect or driver is unknown.
// It is safe for concurrent reads once returned and lives as long as the caller keeps it.
type URLError struct {
	URL    string // the URL as given, with the password masked
	Part   string // the part at fault: "scheme", "dialect", "driver", "host", "port", "user", "password", "database", "query"
	Reason string
	Err    error // ErrUnknownDialect, or nil
}

// Error returns "engine: invalid database URL "<masked url>": <part>: <reason>".
func (e *URLError) Error() string {
	return "engine: invalid database URL " + strconv.Quote(e.URL) + ": " + e.Part + ": " + e.Reason
}

// Is matches ErrInvalidURL, and ErrUnknownDialect for an unknown dialect or driver.
func (e *URLError) Is(target error) bool {
	return target == ErrInvalidURL || (e.Err != nil && target == e.Err)
}

// ParseURL parses a SQLAlchemy-style database URL (see URL). Errors are *URLError values
// that never contain the password.
func ParseURL(raw string) (*URL, error) {
	fail := func(part, reason string, err error) (*URL, error) {
		return nil, &URLError{URL: maskRawURL(raw), Part: part, Reason: reason, Err: err}
	}
	// show quotes raw[off:off+len(piece)] (piece) for a message, with the bytes that may
	// hold a password (see passwordSpan) masked: when the user name holds an unescaped
	// '@' ("user@server:secret@host") or a '/', the parser takes the password for part of
	// the host, port or database, which messages quote.
	lo, hi := passwordSpan(raw)
	show := func(piece string, off int) string {
		end := off + len(piece)
		if lo >= hi || end <= lo || off >= hi {
			return strconv.Quote(piece)
		}
		var b strings.Builder
		if off < lo {
			b.WriteString(raw[off:lo])
		}
		b.WriteString("***")
		if end > hi {
			b.WriteString(raw[hi:end])
		}
		return strconv.Quote(b.String())
	}
	sep := strings.Index(raw, "://")
	if sep < 0 {
		return fail("scheme", `missing "<dialect>://" prefix (for example "sqlite:///app.db" or "postgresql://user@host/db")`, nil)
	}
	scheme := strings.ToLower(raw[:sep])
	dname, driver, _ := strings.Cut(scheme, "+")
	if dname == "" {
		return fail("dialect", "empty dialect name", ErrUnknownDialect)
	}
	info, ok := urlDialects[dname]
	if !ok {
		return fail("dialect", strconv.Quote(dname)+" is not a known dialect (want sqlite, postgresql, mysql or mariadb)", ErrUnknownDialect)
	}
	if driver != "" && !contains(info.drivers, driver) {
		return fail("driver", strconv.Quote(driver)+" is not a known driver for "+info.canonical+
			" (accepted: "+strings.Join(info.drivers, ", ")+")", ErrUnknownDialect)
	}
	u := &URL{Dialect: info.canonical, Driver: driver, Query: url.Values{}}
	rest := raw[sep+3:]
	parseQuery := func(rawQuery string) error {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return err
		}
		u.Query = q
		return nil
	}

	if u.Dialect == "sqlite" {
		rest, rawQuery, hasQuery := strings.Cut(rest, "?")
		if hasQuery {
			if parseQuery(rawQuery) != nil {
				return fail("query", "malformed query string (bad percent-encoding or a ';' separator)", nil)
			}
		}
		switch {
		case rest == "":
			// sqlite:// is an in-memory database.
		case rest[0] != '/':
			return fail("host", "a sqlite URL has no host: write sqlite:///relative/path.db or sqlite:////absolute/path.db", nil)
		default:
			u.Database = rest[1:]
		}
		return u, nil
	}

	// Server URLs: [user[:password]@][host][:port][/database][?query]. As in SQLAlchemy,
	// the password runs up to the first '@' and may hold '/', ':' or '?'; the user name
	// holds none of them.
	base := sep + 3 // offset of rest in raw, for show
	if at := strings.IndexByte(rest, '@'); at >= 0 {
		userinfo := rest[:at]
		user, pass, hasPass := strings.Cut(userinfo, ":")
		if !strings.ContainsAny(user, "/?") {
			rest = rest[at+1:]
			base += at + 1
			var err error
			if u.Username, err = url.PathUnescape(user); err != nil {
				return fail("user", "invalid percent-encoding", nil)
			}
			if hasPass {
				if u.Password, err = url.PathUnescape(pass); err != nil {
					return fail("password", "invalid percent-encoding", nil)
				}
			}
		}
	}
	rest, rawQuery, hasQuery := strings.Cut(rest, "?")
	if hasQuery {
		if parseQuery(rawQuery) != nil {
			return fail("query", "malformed query string (bad percent-encoding or a ';' separator)", nil)
		}
	}
	hostport, db, _ := strings.Cut(rest, "/")
	if db != "" {
		d, err := url.PathUnescape(db)
		if err != nil {
			return fail("database", "invalid percent-encoding in "+show(db, base+len(hostport)+1), nil)
		}
		u.Database = d
	}
	// hostOff and portOff are the offsets of host and port in raw, for show.
	host, port, hostOff, portOff := hostport, "", base, 0
	if strings.HasPrefix(hostport, "[") {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return fail("host", "unterminated IPv6 address "+show(hostport, base), nil)
		}
		host, hostOff = hostport[1:end], base+1
		after := hostport[end+1:]
		if after != "" {
			if after[0] != ':' {
				return fail("host", "unexpected "+show(after, base+end+1)+" after IPv6 address", nil)
			}
			port, portOff = after[1:], base+end+2
			if port == "" {
				return fail("port", "empty port after ':'", nil)
			}
		}
	} else if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		host, port, portOff = hostport[:i], hostport[i+1:], base+i+1
		if port == "" {
			return fail("port", "empty port after ':'", nil)
		}
	}
	if strings.ContainsAny(host, " \t@/") || (!strings.HasPrefix(hostport, "[") && strings.ContainsRune(host, ':')) {
		return fail("host", "invalid host "+show(host, hostOff), nil)
	}
	u.Host = host
	if port != "" {
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return fail("port", show(port, portOff)+" is not a port number (1-65535)", nil)
		}
		u.Port = p
	}
	return u, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// String returns the URL with the password (and any query value whose key mentions a
// password or secret) replaced by "***". It is safe to log. It has a value receiver so
// that fmt's %v, %+v and %s of a URL value (not only of a *URL) use it instead of
// printing the Password field.
func (u URL) String() string {
	var b strings.Builder
	b.WriteString(u.Dialect)
	if u.Driver != "" {
		b.WriteByte('+')
		b.WriteString(u.Driver)
	}
	b.WriteString("://")
	if u.Dialect == "sqlite" {
		if u.Database != "" {
			b.WriteByte('/')
			b.WriteString(u.Database)
		}
	} else {
		if u.Username != "" || u.Password != "" {
			b.WriteString(escapeUserinfo(u.Username))
			if u.Password != "" {
				b.WriteString(":***")
			}
			b.WriteByte('@')
		}
		if strings.ContainsRune(u.Host, ':') {
			b.WriteByte('[')
			b.WriteString(u.Host)
			b.WriteByte(']')
		} else {
			b.WriteString(u.Host)
		}
		if u.Port != 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(u.Port))
		}
		if u.Database != "" {
			b.WriteByte('/')
			// An unescaped '@' would read back as the end of a userinfo.
			b.WriteString(strings.ReplaceAll(url.PathEscape(u.Database), "@", "%40"))
		}
	}
	if len(u.Query) > 0 {
		b.WriteByte('?')
		keys := make([]string, 0, len(u.Query))
		for k := range u.Query {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		first := true
		for _, k := range keys {
			for _, v := range u.Query[k] {
				if !first {
					b.WriteByte('&')
				}
				first = false
				b.WriteString(url.QueryEscape(k))
				b.WriteByte('=')
				if secretKey(k) {
					b.WriteString("***")
				} else {
					b.WriteString(url.QueryEscape(v))
				}
			}
		}
	}
	return b.String()
}

// Redacted returns the URL as String does, with every secret replaced by "***". It exists
// for symmetry with net/url.URL.Redacted.
func (u URL) Redacted() string { return u.String() }

// GoString returns the URL as Go syntax for fmt's %#v, with the password and secret query
// values replaced by "***", so that no format verb shows them.
func (u URL) GoString() string {
	type plain URL // no methods: %#v prints the fields
	p := plain(u)
	if p.Password != "" {
		p.Password = "***"
	}
	if len(u.Query) > 0 {
		p.Query = make(url.Values, len(u.Query))
		for k, vs := range u.Query {
			if secretKey(k) {
				vs = []string{"***"}
			}
			p.Query[k] = vs
		}
	}
	return "engine.URL" + strings.TrimPrefix(fmt.Sprintf("%#v", p), "engine.plain")
}

// secretKey reports whether a query option's value must be masked.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "pass") || strings.Contains(k, "secret")
}

func escapeUserinfo(s string) string {
	// url.PathEscape keeps ':' and '@' readable; userinfo must not contain them raw.
	e := url.PathEscape(s)
	e = strings.ReplaceAll(e, ":", "%3A")
	return strings.ReplaceAll(e, "@", "%40")
}

// maskRawURL masks the password of a URL that may not parse, for error messages: anything
// between the first ':' of the userinfo and the '@' ending it becomes "***", as do query
// values whose key mentions a password.
func maskRawURL(raw string) string {
	sep := strings.Index(raw, "://")
	if sep < 0 {
		// Without a scheme we cannot tell where a password would be; show only a prefix
		// that cannot hold one.
		if i := strings.IndexAny(raw, ":@"); i >= 0 {
			return raw[:i] + "..."
		}
		return raw
	}
	head, rest := raw[:sep+3], raw[sep+3:]
	if lo, hi := passwordSpan(raw); lo < hi || lo > 0 {
		rest = raw[sep+3:lo] + "***" + raw[hi:]
	}
	if before, q, ok := strings.Cut(rest, "?"); ok {
		parts := strings.Split(q, "&")
		for i, p := range parts {
			if k, _, ok := strings.Cut(p, "="); ok && secretKey(k) {
				parts[i] = k + "=***"
			}
		}
		rest = before + "?" + strings.Join(parts, "&")
	}
	return head + rest
}

// passwordSpan returns the byte range [lo, hi) of raw that may hold a password, as
// maskRawURL masks it: from the first ':' of the userinfo, taken up to the last '@', to
// that '@'. Taking the last '@' (where the parser takes the first) covers a user name or
// password holding an unescaped '@'. lo == hi == 0 when raw has no such part; lo == hi > 0
// for an empty password.
func passwordSpan(raw string) (lo, hi int) {
	sep := strings.Index(raw, "://")
	if sep < 0 {
		return 0, 0
	}
	rest := raw[sep+3:]
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return 0, 0
	}
	c := strings.IndexByte(rest[:at], ':')
	if c < 0 {
		return 0, 0
	}
	return sep + 3 + c + 1, sep + 3 + at
}
