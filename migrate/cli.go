package migrate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"go/token"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/retortdb/retort/compile"
	"github.com/retortdb/retort/engine"
	"github.com/retortdb/retort/schema"
)

// ErrModelsDiffer is returned by the check verb when the models and the database
// differ.
var ErrModelsDiffer = errors.New("migrate: the models and the database differ")

// URLEnv is the environment variable the command reads the database URL from when
// -url is not given.
const URLEnv = "RETORT_DATABASE_URL"

// Command is the migrate command line over a program's chain and models: what
// `go run ./cmd/retort migrate` runs through a small generated main, and what a program
// can call itself (for example as a subcommand). Verbs:
//
//	revision -m MSG [-autogenerate]   write a new migration file into Dir
//	merge -m MSG                      write a merge revision joining the heads
//	upgrade [REV|head|heads|+N]       apply migrations (default head)
//	downgrade REV|base|-N             revert migrations
//	current                           the database's revision
//	history                           every revision, newest first
//	heads                             the chain's heads
//	stamp REV|base|head               record a revision without running anything
//	check                             exit non-zero when models and database differ
//	sql [-from REV] [-to REV]         print the SQL of an upgrade or downgrade offline
//
// Flags before the verb: -url (or RETORT_DATABASE_URL), -version-table,
// -allow-destructive. A Command is configured once and used by one goroutine at a time;
// it lives as long as the caller keeps it.
type Command struct {
	Chain  *Chain
	Models *schema.MetaData // needed by revision -autogenerate and check
	Dir    string           // the migrations package's directory, where revision writes
	Stdout io.Writer
	Stderr io.Writer
}

// Main runs the command with args (without the program name) and returns the exit
// status: 0 on success, 1 on failure (and for check, when the models differ), 2 for a
// usage mistake. Errors are printed on Stderr.
func (c *Command) Main(ctx context.Context, args []string) int {
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	err := c.Run(ctx, args)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(c.Stderr, "migrate:", ue.msg)
		return 2
	default:
		fmt.Fprintln(c.Stderr, err)
		return 1
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return "migrate: " + e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Run runs the command with args and returns its error.
func (c *Command) Run(ctx context.Context, args []string) error {
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	url := fs.String("url", "", "database URL (default $"+URLEnv+")")
	table := fs.String("version-table", DefaultVersionTable, "name of the version table")
	allow := fs.Bool("allow-destructive", false, "run destructive operations their migration did not accept")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if *url == "" {
		*url = os.Getenv(URLEnv)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return usagef("no verb (revision, merge, upgrade, downgrade, current, history, heads, stamp, check, sql)")
	}
	verb, vargs := rest[0], rest[1:]
	logger := slog.New(slog.NewTextHandler(c.Stderr, nil))
	opts := []Option{VersionTable(*table), AllowDestructive(*allow), WithLogger(logger)}
	if f, ok := c.Stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			opts = append(opts, ProgressBar(f))
		}
	}
	if c.Chain == nil {
		return errors.New("migrate: no chain")
	}
	// Verbs that need no database.
	switch verb {
	case "history":
		return c.history()
	case "heads":
		for _, h := range c.Chain.Heads() {
			mg, _ := c.Chain.Get(h)
			fmt.Fprintf(c.Stdout, "%s (head) %s\n", h, mg.Message)
		}
		return nil
	case "sql":
		vfs := flag.NewFlagSet("sql", flag.ContinueOnError)
		vfs.SetOutput(c.Stderr)
		from := vfs.String("from", "base", "revision the database is at")
		to := vfs.String("to", "head", "revision to move it to")
		if err := vfs.Parse(vargs); err != nil {
			return usagef("%v", err)
		}
		if *url == "" {
			return usagef("sql needs -url (or %s) to choose the dialect; nothing connects to it", URLEnv)
		}
		d, err := engine.OfflineDialect(*url)
		if err != nil {
			return err
		}
		dd, ok := d.(compile.DDLDialect)
		if !ok {
			return fmt.Errorf("migrate: dialect %s cannot render DDL", d.Name())
		}
		return New(nil, c.Chain, opts...).SQL(c.Stdout, dd, *from, *to)
	case "merge":
		vfs := flag.NewFlagSet("merge", flag.ContinueOnError)
		vfs.SetOutput(c.Stderr)
		msg := vfs.String("m", "", "message")
		if err := vfs.Parse(vargs); err != nil {
			return usagef("%v", err)
		}
		f, err := New(nil, c.Chain, opts...).NewRevision(c.pkg(), c.message(*msg, "merge"), true)
		if err != nil {
			return err
		}
		return c.write(f)
	}
	if *url == "" {
		return usagef("%s needs a database: give -url or set %s", verb, URLEnv)
	}
	eng, err := engine.Create(ctx, *url)
	if err != nil {
		return err
	}
	defer eng.Close()
	m := New(eng, c.Chain, opts...)
	target := func(def string) (string, error) {
		switch len(vargs) {
		case 0:
			if def == "" {
				return "", usagef("%s needs a target revision", verb)
			}
			return def, nil
		case 1:
			return vargs[0], nil
		}
		return "", usagef("%s takes one revision, got %q", verb, strings.Join(vargs, " "))
	}
	switch verb {
	case "upgrade":
		t, err := target("head")
		if err != nil {
			return err
		}
		return m.Upgrade(ctx, t)
	case "downgrade":
		t, err := target("")
		if err != nil {
			return err
		}
		return m.Downgrade(ctx, t)
	case "stamp":
		t, err := target("")
		if err != nil {
			return err
		}
		return m.Stamp(ctx, t)
	case "current":
		st, err := m.Current(ctx)
		if err != nil {
			return err
		}
		if len(st.Heads) == 0 {
			fmt.Fprintln(c.Stdout, "base")
		}
		heads := c.Chain.Heads()
		for _, h := range st.Heads {
			mark := ""
			if len(heads) == 1 && heads[0] == h {
				mark = " (head)"
			}
			fmt.Fprintf(c.Stdout, "%s%s\n", h, mark)
		}
		for _, d := range st.Dirty {
			fmt.Fprintf(c.Stdout, "%s (dirty: stopped half-way; repair, then stamp)\n", d)
		}
		return nil
	case "check":
		if c.Models == nil {
			return usagef("check needs the models (give -models to retort migrate)")
		}
		changes, err := m.Check(ctx, c.Models)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			fmt.Fprintln(c.Stdout, "no changes: the models and the database agree")
			return nil
		}
		for _, ch := range changes {
			fmt.Fprintf(c.Stdout, "  %s\n", ch.Up)
		}
		return fmt.Errorf("%w (%d changes)", ErrModelsDiffer, len(changes))
	case "revision":
		vfs := flag.NewFlagSet("revision", flag.ContinueOnError)
		vfs.SetOutput(c.Stderr)
		msg := vfs.String("m", "", "message")
		auto := vfs.Bool("autogenerate", false, "fill the revision by comparing the models with the database")
		if err := vfs.Parse(vargs); err != nil {
			return usagef("%v", err)
		}
		if *msg == "" {
			return usagef("revision needs -m MESSAGE")
		}
		var f *File
		if *auto {
			if c.Models == nil {
				return usagef("revision -autogenerate needs the models (give -models to retort migrate)")
			}
			f, err = m.Autogenerate(ctx, c.Models, c.pkg(), *msg)
		} else {
			f, err = m.NewRevision(c.pkg(), *msg, false)
		}
		if err != nil {
			return err
		}
		for _, d := range f.Destructive {
			fmt.Fprintf(c.Stderr, "migrate: destructive, review and accept: %s\n", d)
		}
		return c.write(f)
	}
	return usagef("unknown verb %q", verb)
}

func (c *Command) message(msg, def string) string {
	if msg == "" {
		return def
	}
	return msg
}

// pkg returns the migrations package's name: its directory's name when that is a Go
// identifier, "migrations" otherwise.
func (c *Command) pkg() string {
	if name := filepath.Base(c.Dir); c.Dir != "" && token.IsIdentifier(name) {
		return name
	}
	return "migrations"
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

// write saves a generated migration file into Dir.
func (c *Command) write(f *File) error {
	if c.Dir == "" {
		return errors.New("migrate: no migrations directory to write the revision into")
	}
	slug := strings.Trim(slugRE.ReplaceAllString(strings.ToLower(f.Message), "_"), "_")
	if len(slug) > 40 {
		slug = slug[:40]
	}
	path := filepath.Join(c.Dir, f.Revision+"_"+slug+".go")
	if err := os.WriteFile(path, f.Source, 0o644); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintf(c.Stdout, "%s %s\n", f.Revision, path)
	return nil
}

func (c *Command) history() error {
	hist, err := c.Chain.History()
	if err != nil {
		return err
	}
	heads := map[string]bool{}
	for _, h := range c.Chain.Heads() {
		heads[h] = true
	}
	for i := len(hist) - 1; i >= 0; i-- {
		mg := hist[i]
		parents := "base"
		if len(mg.Parents) > 0 {
			parents = strings.Join(mg.Parents, ", ")
		}
		mark := ""
		if heads[mg.Revision] {
			mark = " (head)"
		}
		fmt.Fprintf(c.Stdout, "%s -> %s%s: %s\n", parents, mg.Revision, mark, mg.Message)
	}
	return nil
}
