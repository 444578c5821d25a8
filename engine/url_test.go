package engine

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in   string
		want URL
		str  string // String(), with the password masked
	}{
		{"sqlite:///relative.db", URL{Dialect: "sqlite", Database: "relative.db"}, "sqlite:///relative.db"},
		{"sqlite:///./mydb.db", URL{Dialect: "sqlite", Database: "./mydb.db"}, "sqlite:///./mydb.db"},
		{"sqlite:////abs/path.db", URL{Dialect: "sqlite", Database: "/abs/path.db"}, "sqlite:////abs/path.db"},
		{"sqlite://", URL{Dialect: "sqlite"}, "sqlite://"},
		{"sqlite:///:memory:", URL{Dialect: "sqlite", Database: ":memory:"}, "sqlite:///:memory:"},
		{"sqlite+aiosqlite:///./mydb.db", URL{Dialect: "sqlite", Driver: "aiosqlite", Database: "./mydb.db"}, "sqlite+aiosqlite:///./mydb.db"},
		{"sqlite+pysqlite:///x.db?mode=ro", URL{Dialect: "sqlite", Driver: "pysqlite", Database: "x.db",
			Query: url.Values{"mode": {"ro"}}}, "sqlite+pysqlite:///x.db?mode=ro"},
		{"postgresql://scott:tiger@localhost/test", URL{Dialect: "postgresql", Username: "scott", Password: "tiger",
			Host: "localhost", Database: "test"}, "postgresql://scott:***@localhost/test"},
		{"postgresql+asyncpg://scott:tiger@localhost/test", URL{Dialect: "postgresql", Driver: "asyncpg",
			Username: "scott", Password: "tiger", Host: "localhost", Database: "test"},
			"postgresql+asyncpg://scott:***@localhost/test"},
		{"postgresql+pgx://u@127.0.0.1:5432/db?sslmode=disable&application_name=x",
			URL{Dialect: "postgresql", Driver: "pgx", Username: "u", Host: "127.0.0.1", Port: 5432, Database: "db",
				Query: url.Values{"sslmode": {"disable"}, "application_name": {"x"}}},
			"postgresql+pgx://u@127.0.0.1:5432/db?application_name=x&sslmode=disable"},
		{"postgres://u:p%40ss%2Fw%3Ard@h:6543/d", URL{Dialect: "postgresql", Username: "u", Password: "p@ss/w:rd",
			Host: "h", Port: 6543, Database: "d"}, "postgresql://u:***@h:6543/d"},
		// An unescaped password may hold '/', ':' and '?', as SQLAlchemy allows.
		{"postgresql://u:a/b:c?d@h/db", URL{Dialect: "postgresql", Username: "u", Password: "a/b:c?d",
			Host: "h", Database: "db"}, "postgresql://u:***@h/db"},
		{"postgresql://[::1]:5432/db", URL{Dialect: "postgresql", Host: "::1", Port: 5432, Database: "db"},
			"postgresql://[::1]:5432/db"},
		{"postgresql:///db?host=/var/run/postgresql", URL{Dialect: "postgresql", Database: "db",
			Query: url.Values{"host": {"/var/run/postgresql"}}}, "postgresql:///db?host=%2Fvar%2Frun%2Fpostgresql"},
		{"postgresql://u@h/db?sslpassword=hunter2", URL{Dialect: "postgresql", Username: "u", Host: "h", Database: "db",
			Query: url.Values{"sslpassword": {"hunter2"}}}, "postgresql://u@h/db?sslpassword=***"},
		{"mysql://root@127.0.0.1:3306/test?charset=utf8mb4", URL{Dialect: "mysql", Username: "root", Host: "127.0.0.1",
			Port: 3306, Database: "test", Query: url.Values{"charset": {"utf8mb4"}}},
			"mysql://root@127.0.0.1:3306/test?charset=utf8mb4"},
		{"mysql+pymysql://u:pw@db.example.com/app", URL{Dialect: "mysql", Driver: "pymysql", Username: "u", Password: "pw",
			Host: "db.example.com", Database: "app"}, "mysql+pymysql://u:***@db.example.com/app"},
		{"mysql+aiomysql://u:pw@h/app", URL{Dialect: "mysql", Driver: "aiomysql", Username: "u", Password: "pw",
			Host: "h", Database: "app"}, "mysql+aiomysql://u:***@h/app"},
		{"mariadb://root@127.0.0.1:3306/test", URL{Dialect: "mariadb", Username: "root", Host: "127.0.0.1", Port: 3306,
			Database: "test"}, "mariadb://root@127.0.0.1:3306/test"},
		{"MariaDB+PyMySQL://root@h/test", URL{Dialect: "mariadb", Driver: "pymysql", Username: "root", Host: "h",
			Database: "test"}, "mariadb+pymysql://root@h/test"},
		// '@' in a query value is not a userinfo separator.
		{"postgresql://h/db?application_name=a@b", URL{Dialect: "postgresql", Host: "h", Database: "db",
			Query: url.Values{"application_name": {"a@b"}}}, "postgresql://h/db?application_name=a%40b"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := ParseURL(tt.in)
			if err != nil {
				t.Fatalf("ParseURL: %v", err)
			}
			want := tt.want
			if want.Query == nil {
				want.Query = url.Values{}
			}
			if !reflect.DeepEqual(*u, want) {
				t.Errorf("got  %#v\nwant %#v", *u, want)
			}
			if got := u.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if u.Redacted() != u.String() {
				t.Errorf("Redacted() = %q, String() = %q", u.Redacted(), u.String())
			}
			if u.Password != "" && strings.Contains(u.String(), u.Password) {
				t.Errorf("String() %q shows the password", u.String())
			}
			// The masked form parses back to the same URL but for the password.
			back, err := ParseURL(u.String())
			if err != nil {
				t.Fatalf("reparse %q: %v", u.String(), err)
			}
			if back.Host != u.Host || back.Port != u.Port || back.Database != u.Database || back.Username != u.Username {
				t.Errorf("reparse of %q = %#v", u.String(), back)
			}
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	tests := []struct {
		in      string
		part    string
		msg     string // the whole message
		unknown bool   // wraps ErrUnknownDialect
	}{
		{"", "scheme", `engine: invalid database URL "": scheme: missing "<dialect>://" prefix (for example "sqlite:///app.db" or "postgresql://user@host/db")`, false},
		{"localhost:5432/db", "scheme", `engine: invalid database URL "localhost...": scheme: missing "<dialect>://" prefix (for example "sqlite:///app.db" or "postgresql://user@host/db")`, false},
		{"oracle://scott:tiger@h/db", "dialect", `engine: invalid database URL "oracle://scott:***@h/db": dialect: "oracle" is not a known dialect (want sqlite, postgresql, mysql or mariadb)`, true},
		{"://h/db", "dialect", `engine: invalid database URL "://h/db": dialect: empty dialect name`, true},
		{"postgresql+psycopg9://u:hunter2@h/db", "driver", `engine: invalid database URL "postgresql+psycopg9://u:***@h/db": driver: "psycopg9" is not a known driver for postgresql (accepted: pgx, asyncpg, psycopg, psycopg2, pg8000)`, true},
		{"sqlite+foo:///x.db", "driver", `engine: invalid database URL "sqlite+foo:///x.db": driver: "foo" is not a known driver for sqlite (accepted: pysqlite, aiosqlite, modernc)`, true},
		{"sqlite://host/x.db", "host", `engine: invalid database URL "sqlite://host/x.db": host: a sqlite URL has no host: write sqlite:///relative/path.db or sqlite:////absolute/path.db`, false},
		{"postgresql://u:hunter2@h:abc/db", "port", `engine: invalid database URL "postgresql://u:***@h:abc/db": port: "abc" is not a port number (1-65535)`, false},
		{"postgresql://u:hunter2@h:99999/db", "port", `engine: invalid database URL "postgresql://u:***@h:99999/db": port: "99999" is not a port number (1-65535)`, false},
		{"postgresql://u:hunter2@h:/db", "port", `engine: invalid database URL "postgresql://u:***@h:/db": port: empty port after ':'`, false},
		{"postgresql://u:hun%zzter2@h/db", "password", `engine: invalid database URL "postgresql://u:***@h/db": password: invalid percent-encoding`, false},
		{"postgresql://u%zz:hunter2@h/db", "user", `engine: invalid database URL "postgresql://u%zz:***@h/db": user: invalid percent-encoding`, false},
		{"postgresql://u:hunter2@h/d%zzb", "database", `engine: invalid database URL "postgresql://u:***@h/d%zzb": database: invalid percent-encoding in "d%zzb"`, false},
		{"postgresql://u:hunter2@h/db?a=%zz", "query", `engine: invalid database URL "postgresql://u:***@h/db?a=%zz": query: malformed query string (bad percent-encoding or a ';' separator)`, false},
		{"postgresql://u:hunter2@[::1/db", "host", `engine: invalid database URL "postgresql://u:***@[::1/db": host: unterminated IPv6 address "[::1"`, false},
		{"mysql://u:hunter2@h h/db", "host", `engine: invalid database URL "mysql://u:***@h h/db": host: invalid host "h h"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := ParseURL(tt.in)
			if err == nil {
				t.Fatalf("ParseURL(%q) = %#v, want an error", tt.in, u)
			}
			if !errors.Is(err, ErrInvalidURL) {
				t.Errorf("error %v does not match ErrInvalidURL", err)
			}
			if got := errors.Is(err, ErrUnknownDialect); got != tt.unknown {
				t.Errorf("errors.Is(err, ErrUnknownDialect) = %v, want %v", got, tt.unknown)
			}
			var ue *URLError
			if !errors.As(err, &ue) || ue.Part != tt.part {
				t.Errorf("error %v: want a *URLError for part %q", err, tt.part)
			}
			msg := err.Error()
			if msg != tt.msg {
				t.Errorf("message\n got %s\nwant %s", msg, tt.msg)
			}
			if strings.Contains(msg, "hunter2") || strings.Contains(msg, "hun%zzter2") {
				t.Errorf("message %q shows the password", msg)
			}
		})
	}
}

func TestMaskRawURL(t *testing.T) {
	tests := map[string]string{
		"postgresql://u:secret@h/db":         "postgresql://u:***@h/db",
		"postgresql://u:se@cret@h/db":        "postgresql://u:***@h/db",
		"postgresql://h/db?password=secret":  "postgresql://h/db?password=***",
		"postgresql://h/db":                  "postgresql://h/db",
		"no-scheme:secret@host":              "no-scheme...",
		"mysql://u:x@h/db?a=1&SSLPassword=z": "mysql://u:***@h/db?a=1&SSLPassword=***",
	}
	for in, want := range tests {
		if got := maskRawURL(in); got != want {
			t.Errorf("maskRawURL(%q) = %q, want %q", in, got, want)
		}
	}
}
