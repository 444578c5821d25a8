package engine

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"testing"
)

// urlSeeds are inputs for the URL fuzz targets: the accepted forms, every error path and
// the known traps for password masking (an '@' inside the password or the user name, a
// user name holding '/', passwords in query options, bad percent-encoding).
var urlSeeds = []string{
	"sqlite://",
	"sqlite:///relative.db",
	"sqlite:////abs/path.db",
	"sqlite:///:memory:",
	"sqlite:///x.db?mode=ro&cache=shared",
	"sqlite://host/x.db",
	"sqlite:///x.db?a=%zz",
	"postgresql://u:secret@h:5432/db?sslmode=disable",
	"postgresql+pgx://u:secret@h/db",
	"postgresql+asyncpg://u:p%40ss%2Fw%3Ard@h:6543/d",
	"postgresql://u:a/b:c?d@h/db",
	"postgresql://[::1]:5432/db",
	"postgresql://[::1/db",
	"postgresql://[::1]x/db",
	"postgresql://[::1]:/db",
	"postgresql:///db?host=/var/run/postgresql",
	"postgresql://u@h/db?sslpassword=hunter2",
	"postgresql://u@h/db?password=hunter2&x=%zz",
	"postgresql://u:secret@h:0/db",
	"postgresql://u:secret@h:99999/db",
	"postgresql://u:secret@h:/db",
	"postgresql://u:secret@h:port/db",
	"postgresql://u:sec%zzret@h/db",
	"postgresql://u%zz:secret@h/db",
	"postgresql://u:secret@h/d%zzb",
	"postgresql://u:secret@h h/db",
	"postgresql://user@server:secret@host:5432/db",
	"postgresql://user@server:secret@host/db",
	"postgresql://a/b:secret@host/%zz",
	"postgresql://a/b:secret@host:x/db",
	"postgresql://u?x:secret@host/db",
	"postgresql://u:secret@h/db?a=1;b=2",
	"postgres://h",
	"mysql://root@127.0.0.1:3306/test?charset=utf8mb4",
	"mysql+pymysql://u:pw@db.example.com/app",
	"mariadb://root:secret@127.0.0.1:3306/test?features=mysql",
	"MariaDB+PyMySQL://root@h/test",
	"mysql+nodriver://u:secret@h/db",
	"oracle://u:secret@h/db",
	"://u:secret@h/db",
	"+pgx://u:secret@h/db",
	"u:secret@h/db",
	"postgresql:u:secret@h/db",
	"",
	":",
	"@",
	"://",
}

// FuzzParseURL checks that ParseURL never panics, that its errors are *URLError values
// matching ErrInvalidURL, and that a parsed URL's String and Redacted never show the
// password: String is exactly the String of the same URL without password, with ":***"
// for it. String's output parses back to the same URL (the password then being "***").
func FuzzParseURL(f *testing.F) {
	for _, s := range urlSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ParseURL(raw)
		if err != nil {
			var ue *URLError
			if !errors.As(err, &ue) || !errors.Is(err, ErrInvalidURL) {
				t.Fatalf("ParseURL(%q) error %v (%T) is not a *URLError matching ErrInvalidURL", raw, err, err)
			}
			if !strings.HasPrefix(err.Error(), "engine: ") {
				t.Fatalf("ParseURL(%q) error %q lacks the package prefix", raw, err)
			}
			return
		}
		s := u.String()
		if r := u.Redacted(); r != s {
			t.Fatalf("Redacted() = %q, String() = %q", r, s)
		}
		if u.Password != "" {
			nopw := *u
			nopw.Password = ""
			want := nopw.String()
			got := strings.Replace(s, ":***@", "@", 1)
			got = strings.Replace(got, "://@", "://", 1) // no user name: "://:***@host"
			if got != want {
				t.Fatalf("ParseURL(%q).String() = %q: expected the password-free form %q with ':***' for the password", raw, s, want)
			}
		}
		for k, vs := range u.Query {
			if !secretKey(k) {
				continue
			}
			for _, v := range vs {
				if v != "" && v != "***" && strings.Contains(s, url.QueryEscape(v)) && !strings.Contains(u.Dialect+u.Username+u.Host+u.Database+k, v) {
					t.Fatalf("ParseURL(%q).String() = %q shows the secret option %s", raw, s, k)
				}
			}
		}
		// No fmt verb shows a secret: the URL prints exactly as the same URL with its
		// secrets replaced by "***".
		masked := maskedURL(u)
		for _, verb := range []string{"%v", "%+v", "%s", "%#v", "%q"} {
			if got, want := fmt.Sprintf(verb, *u), fmt.Sprintf(verb, masked); got != want {
				t.Fatalf("Sprintf(%q, URL) = %q, want %q", verb, got, want)
			}
			if got, want := fmt.Sprintf(verb, u), fmt.Sprintf(verb, &masked); got != want {
				t.Fatalf("Sprintf(%q, *URL) = %q, want %q", verb, got, want)
			}
		}
		// String's output is a URL that parses to the same fields (secrets masked).
		back, err := ParseURL(s)
		if err != nil {
			t.Fatalf("ParseURL(%q).String() = %q does not parse: %v", raw, s, err)
		}
		want := maskedURL(u)
		if !sameURL(*back, want) {
			t.Fatalf("ParseURL(%q).String() = %q parses back as %#v, want %#v", raw, s, *back, want)
		}
	})
}

// maskedURL returns a copy of u with the password and secret query values replaced by
// "***".
func maskedURL(u *URL) URL {
	m := *u
	if m.Password != "" {
		m.Password = "***"
	}
	m.Query = maps.Clone(u.Query)
	for k, vs := range m.Query {
		if secretKey(k) {
			masked := make([]string, len(vs))
			for i := range masked {
				masked[i] = "***"
			}
			m.Query[k] = masked
		}
	}
	return m
}

func sameURL(a, b URL) bool {
	if a.Dialect != b.Dialect || a.Driver != b.Driver || a.Username != b.Username || a.Password != b.Password ||
		a.Host != b.Host || a.Port != b.Port || a.Database != b.Database || len(a.Query) != len(b.Query) {
		return false
	}
	for k, v := range a.Query {
		w, ok := b.Query[k]
		if !ok || len(v) != len(w) {
			return false
		}
		for i := range v {
			if v[i] != w[i] {
				return false
			}
		}
	}
	return true
}

// fuzzSecret turns fuzzer bytes into a password that cannot change how a URL parses
// (letters and digits only) and a second one of the same length sharing no character
// with it, so that a message can be checked against both.
func fuzzSecret(b string) (secret, other string) {
	const first, second = "abcdefghijklmnopqrstuvwxyzABCDE", "FGHIJKLMNOPQRSTUVWXYZ0123456789"
	s := make([]byte, len(b))
	o := make([]byte, len(b))
	for i := 0; i < len(b); i++ {
		if strings.IndexByte(urlSpecial, b[i]) >= 0 {
			s[i], o[i] = b[i], b[i] // the same structure in both
			continue
		}
		s[i] = first[int(b[i])%len(first)]
		o[i] = second[int(b[i])%len(second)]
	}
	return string(s), string(o)
}

// urlSpecial are the bytes that fuzzSecret keeps: those that change how a URL parses.
const urlSpecial = "@/:?%"

// secretRuns returns the runs of letters and digits of a password made by fuzzSecret.
func secretRuns(secret string) []string {
	return strings.FieldsFunc(secret, func(r rune) bool { return strings.ContainsRune(urlSpecial, r) })
}

// FuzzParseURLPassword builds URLs of the form scheme://user:password@rest, the password
// made of letters and digits, and checks that ParseURL's error text never contains the
// password, whatever the other parts hold (an '@' or '/' in the user name, a bad host,
// port or database). The password may appear in the message only where it also appears
// with another password in its place, that is where the input has it outside its
// password part. The password parsed from a valid URL never appears in String.
func FuzzParseURLPassword(f *testing.F) {
	f.Add("postgresql", "u", "secret", "h:5432/db")
	f.Add("postgresql", "user@server", "secret", "host:5432/db")
	f.Add("postgresql", "user@server", "secret", "host/db")
	f.Add("postgresql", "a/b", "secret", "host/%zz")
	f.Add("postgresql", "a/b", "secret", "host:x/db")
	f.Add("postgresql", "a?b", "secret", "host/db")
	f.Add("mysql", "a:b", "secret", "h/db")
	f.Add("mariadb", "root", "secret", "[::1/db")
	f.Add("mariadb", "root", "secret", "[::1]x/db")
	f.Add("mysql", "root", "pw", "h h/db")
	f.Add("mysql", "root", "pw", "h:0/db")
	f.Add("postgres", "", "pw", "h/db?x=%zz")
	f.Add("oracle", "u", "secret", "h/db")
	f.Add("postgresql", "u", "sec@ret", "host/db")
	f.Add("postgresql", "u", "se/c:r?et@x", "[::1]y/db")
	f.Add("postgresql", "a/b", "se@cret", "host/%zz")
	f.Add("postgresql", "u", "sec%zzret", "host/db")
	f.Add("sqlite", "u", "secret", "h/db")
	f.Add("postgresql+nodriver", "u", "secret", "h/db")
	f.Fuzz(func(t *testing.T, scheme, user, pw, rest string) {
		if pw == "" {
			return
		}
		secret, other := fuzzSecret(pw)
		build := func(p string) string { return scheme + "://" + user + ":" + p + "@" + rest }
		raw := build(secret)
		u, err := ParseURL(raw)
		if err != nil {
			msg := err.Error()
			// The other password may parse (after a '%', hex digits matter); then the
			// message is checked against the rest of the input alone.
			msg2 := build(other)
			if _, err2 := ParseURL(msg2); err2 != nil {
				msg2 = err2.Error()
			}
			for _, run := range secretRuns(secret) {
				// A run of one letter is too short to tell from the rest of the message.
				if len(run) > 1 && strings.Contains(msg, run) && !strings.Contains(msg2, run) {
					t.Fatalf("ParseURL(%q) error shows the password (%q of %q): %s", raw, run, secret, msg)
				}
			}
			return
		}
		if u.Password != "" {
			if s := u.String(); strings.Contains(s, u.Password) {
				nopw := *u
				nopw.Password = ""
				if !strings.Contains(nopw.String(), u.Password) {
					t.Fatalf("ParseURL(%q).String() = %q shows the password", raw, s)
				}
			}
		}
	})
}

// TestParseURLErrorsMaskPasswordInParts pins the messages for URLs whose password the
// parser takes for part of the host, port or database (an unescaped '@' in the user
// name, as in Azure's "user@server" names, or in the password; a '/' in the user name):
// the quoted part shows "***" where the password was.
func TestParseURLErrorsMaskPasswordInParts(t *testing.T) {
	tests := map[string]string{
		"postgresql://user@server:secret@host:5432/db": `engine: invalid database URL "postgresql://user@server:***@host:5432/db": host: invalid host "server:***@host"`,
		"postgresql://user@server:secret@host/db":      `engine: invalid database URL "postgresql://user@server:***@host/db": port: "***@host" is not a port number (1-65535)`,
		"postgresql://a/b:secret@host/%zz":             `engine: invalid database URL "postgresql://a/b:***@host/%zz": database: invalid percent-encoding in "b:***@host/%zz"`,
		"postgresql://u:sec@ret@host/db":               `engine: invalid database URL "postgresql://u:***@host/db": host: invalid host "***@host"`,
		"postgresql://u:sec@[::1]x@y/db":               `engine: invalid database URL "postgresql://u:***@y/db": host: unexpected "***@y" after IPv6 address`,
		"postgresql://u:sec@[::1]:x@y/db":              `engine: invalid database URL "postgresql://u:***@y/db": port: "***@y" is not a port number (1-65535)`,
		"postgresql://u:secret@[::1/db":                `engine: invalid database URL "postgresql://u:***@[::1/db": host: unterminated IPv6 address "[::1"`,
	}
	for in, want := range tests {
		_, err := ParseURL(in)
		if err == nil {
			t.Errorf("ParseURL(%q) succeeded, want an error", in)
			continue
		}
		if got := err.Error(); got != want {
			t.Errorf("ParseURL(%q):\n got %s\nwant %s", in, got, want)
		}
		if strings.Contains(err.Error(), "sec") {
			t.Errorf("ParseURL(%q): %q shows (part of) the password", in, err)
		}
	}
}
