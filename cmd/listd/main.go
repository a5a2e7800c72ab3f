// Command listd is the mailing-list daemon and its command line: `listd serve` runs
// every service; the other commands work on the same database, also while it serves.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	_ "time/tzdata" // digest schedules need zones also where the system has no tz database

	"listd/internal/lists"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: listd [-config FILE] COMMAND [ARGS]

commands:
  serve                               run SMTP, LMTP, IMAP, HTTP and the delivery queue
  list create NAME [-title T] [-description D] [-archive public|members|private]
                   [-moderation none|first-post|all] [-topics t1,t2] [-anonymous yes|no] [-retention MONTHS]
  list ls                             NAME<TAB>members<TAB>title
  list show NAME                      every setting, one KEY<TAB>value line each
  member add LIST ADDRESS [-name N] [-mode each|digest|nomail] [-role member|moderator|owner] [-postal CODE]
                          [-digest-format newsletter|mime|plain]
  member rm LIST ADDRESS
  member ls LIST                      ADDRESS<TAB>mode<TAB>role
  member import LIST FILE [-mode M]   one address a line ("Name <addr>" too), or CSV with a header row
                                      (email,name,mode,role,postal or adresse;name;modus;rolle;plz)
  member set LIST ADDRESS [-mode M] [-role R] [-name N] [-postal CODE]
  member export LIST                  CSV with a header row: email,name,mode,role,postal
  list rm NAME                        delete a list with its archive, members and held posts
  ban add|rm LIST ADDRESS|@DOMAIN     who may not join or post (an address's +tag and case do not matter)
  ban ls LIST                         PATTERN<TAB>since
  admin add|rm ADDRESS                site admins (besides the config's admins)
  admin ls                            MAILBOX<TAB>config|added
  audit ls [LIST] [-limit N] [-before ID]  the audit log, newest first: ID<TAB>when<TAB>list<TAB>actor<TAB>action<TAB>detail
  centers import FILE.csv [-skip-invalid]  the counselling centres (columns in the README)
  centers export                      the centres as CSV, to stdout
  centers ls                          NAME<TAB>postal_code<TAB>city<TAB>topics
  geo import FILE                     a GeoNames postal-code file (tab-separated, or its .zip)
  archive import LIST FILE.mbox       old archives into a list (mboxrd or mboxo); nothing is sent
  import mailman2 LIST DIR|FILE...    a Mailman 2 list's members (dumpdb/list_members output) and pipermail mbox
  import mailman3 LIST MEMBERS.csv [ARCHIVE.mbox]  a Mailman 3 list: Postorius member CSV, HyperKitty mbox
  list set NAME [-moderation M] [-nonmember hold|reject|discard] [-first-posts N] [-max-size BYTES]
               [-attachments TYPES] [-keywords WORDS] [-emergency on|off] [-title T] ...
               [-digest daily|weekly] [-digest-time 07:00] [-digest-tz Europe/Berlin] [-digest-day 1] [-digest-max-posts N]
               [-retention MONTHS]
  mod ls                              held posts: ID<TAB>list<TAB>held at<TAB>from<TAB>reason<TAB>subject
  mod approve|discard ID              decide on a held post
  mod reject ID [-reason R]           the reason goes to the poster
  digest send [LIST]                  build and queue the digests that have new mail now
  user password ADDRESS [-label L]    prints a new IMAP app password for ADDRESS
  user export ADDRESS                 everything stored about ADDRESS (JSON, posts as mbox), to stdout
  user erase ADDRESS                  remove ADDRESS and its personal data ([privacy] erase_posts)
  figures [-since YYYY-MM]            the association's aggregate counts (readers, posters, first posts, counselling)
  postfix-config                      the Postfix settings that hand list mail to listd
  dkim keygen [-selector S] [-algorithm rsa|ed25519]  a DKIM key in data_dir, printing the DNS TXT record
  backup FILE                         a consistent copy of the database
  check [-ip ADDRESS]                 what DNS (MX, SPF, DKIM, DMARC, PTR) and the config still lack
  relay test ADDRESS                  one test mail through the relay, its answers shown
`

// env is what a command gets: its arguments, output streams and the global options.
type env struct {
	ctx    context.Context
	args   []string
	stdout io.Writer
	stderr io.Writer
	config string // -config given before the command
}

type command struct {
	path string // "list create"
	run  func(e *env) error
}

func commands() []command {
	return []command{
		{"serve", cmdServe},
		{"list create", cmdListCreate},
		{"list ls", cmdListLs},
		{"list show", cmdListShow},
		{"member add", cmdMemberAdd},
		{"member rm", cmdMemberRm},
		{"member ls", cmdMemberLs},
		{"member import", cmdMemberImport},
		{"centers import", cmdCentersImport},
		{"centers export", cmdCentersExport},
		{"centers ls", cmdCentersLs},
		{"geo import", cmdGeoImport},
		{"archive import", cmdArchiveImport},
		{"import mailman2", cmdImportMailman2},
		{"import mailman3", cmdImportMailman3},
		{"backup", cmdBackup},
		{"check", cmdCheck},
		{"digest send", cmdDigestSend},
		{"user password", cmdUserPassword},
		{"user export", cmdUserExport},
		{"user erase", cmdUserErase},
		{"figures", cmdFigures},
		{"postfix-config", cmdPostfixConfig},
		{"dkim keygen", cmdDKIMKeygen},
		{"relay test", cmdRelayTest},
		{"list set", cmdListSet},
		{"mod ls", cmdModLs},
		{"mod approve", modAction(lists.ModApprove)},
		{"mod reject", modAction(lists.ModReject)},
		{"mod discard", modAction(lists.ModDiscard)},
		{"list rm", cmdListRm},
		{"member set", cmdMemberSet},
		{"member export", cmdMemberExport},
		{"ban add", cmdBanAdd},
		{"ban rm", cmdBanRm},
		{"ban ls", cmdBanLs},
		{"admin add", cmdAdminAdd},
		{"admin rm", cmdAdminRm},
		{"admin ls", cmdAdminLs},
		{"audit ls", cmdAuditLs},
	}
}

// errUsage asks run to print the usage text.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr}
	// Global options stand before the command.
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name, val, hasVal := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		switch name {
		case "config":
			if !hasVal {
				if len(args) < 2 {
					fmt.Fprintln(stderr, "listd: -config needs a file")
					return 2
				}
				val, args = args[1], args[1:]
			}
			e.config = val
			args = args[1:]
		case "h", "help":
			fmt.Fprint(stdout, usage)
			return 0
		default:
			fmt.Fprintf(stderr, "listd: unknown option %s\n%s", args[0], usage)
			return 2
		}
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	for _, c := range commands() {
		words := strings.Fields(c.path)
		if len(args) < len(words) || strings.Join(args[:len(words)], " ") != c.path {
			continue
		}
		e.args = args[len(words):]
		err := c.run(e)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "listd %s: %v\n", c.path, err)
			return 2
		}
		if err != nil {
			fmt.Fprintf(stderr, "listd %s: %v\n", c.path, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "listd: unknown command %q\n%s", strings.Join(args, " "), usage)
	return 2
}

// flags is a command's option set; every command also takes -config.
type flags struct {
	*flag.FlagSet
	e      *env
	config *string
}

func newFlags(e *env, name string) *flags {
	fs := flag.NewFlagSet("listd "+name, flag.ContinueOnError)
	// Errors are reported by run in one line; -h prints the options to stdout.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{FlagSet: fs, e: e, config: fs.String("config", "", "config file (default ./listd.toml if it exists)")}
}

// parse reads options wherever they stand among the positional arguments (Go's flag
// package stops at the first positional one) and checks their count.
func (f *flags) parse(minArgs, maxArgs int, names string) ([]string, error) {
	var pos []string
	args := f.e.args
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprintf(f.e.stdout, "usage: %s\n", f.Name())
				f.SetOutput(f.e.stdout)
				f.PrintDefaults()
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = f.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < minArgs || len(pos) > maxArgs {
		return nil, fmt.Errorf("%w: expected %s", errUsage, names)
	}
	if *f.config == "" {
		*f.config = f.e.config
	}
	return pos, nil
}

// run parses the command's options and arguments, opens the list domain and the
// database, and calls fn with them.
func (f *flags) run(minArgs, maxArgs int, names string, fn func(a *app, pos []string) error) error {
	pos, err := f.parse(minArgs, maxArgs, names)
	if err != nil {
		return err
	}
	a, err := open(f.e, *f.config, serving{})
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a, pos)
}
