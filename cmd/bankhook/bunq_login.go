package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/bankhook/bankhook/bunq/bunqapi"
)

// apiKeyEnv is where login takes the API key from: never a flag, which
// would land in shell history and in ps.
const apiKeyEnv = "BUNQ_API_KEY"

const bunqLoginUsage = `Usage: bankhook bunq login [flags]

Sets up an API context with the API key in $BUNQ_API_KEY (never a flag:
flags land in shell history and ps): a new RSA 2048 key pair, POST
/v1/installation, /v1/device-server and /v1/session-server. It saves the
context to --context with mode 0600 and prints the user id and type.
It refuses to replace an existing context file without --force. A
sandbox API key comes from bankhook bunq sandbox-user.
`

// loginFlags are the flags of the subcommands that log in.
type loginFlags struct {
	force       *bool
	description *string
	permitted   *string
}

// withLogin adds login's flags.
func (b *bunqRun) withLogin() loginFlags {
	return loginFlags{
		force:       b.fs.Bool("force", false, "replace an existing context file"),
		description: b.fs.String("description", bunqapi.DefaultDescription, "`text` naming this device at bunq"),
		permitted:   b.fs.String("permitted-ips", "", "`addresses` (comma-separated) the API key may be used from; \"*\" with your address allows any; default the address login calls from"),
	}
}

// checkContextFree refuses to go on when the context file exists and
// --force was not given.
func (b *bunqRun) checkContextFree(l loginFlags) error {
	if _, err := os.Lstat(b.flags.context); err == nil && !*l.force {
		return fmt.Errorf("%s exists: pass --force to replace it", b.flags.context)
	}
	return nil
}

// login sets up a context for apiKey at base, saves it and prints the
// user to out.
func (b *bunqRun) login(ctx context.Context, apiKey, base string, l loginFlags, out io.Writer) int {
	c, err := bunqapi.Setup(ctx, apiKey, bunqapi.Options{
		BaseURL: base, Description: *l.description, PermittedIPs: splitList(*l.permitted), Logger: bunqLogger(b.stderr),
	})
	if err != nil {
		return b.fail(err)
	}
	if err := c.Save(b.flags.context); err != nil {
		return b.fail(err)
	}
	fmt.Fprintf(out, "user_id: %d\nuser_type: %s\ncontext: %s\n", c.UserID(), c.UserType(), b.flags.context)
	return exitOK
}

// bunqLogin is bankhook bunq login.
func bunqLogin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("login", bunqLoginUsage, stdout, stderr)
	l := b.withLogin()
	if _, code, ok := b.parse(args, 0); !ok {
		return code
	}
	apiKey := os.Getenv(apiKeyEnv)
	if apiKey == "" {
		return b.usage("$%s is not set: export the API key from bunq's app (Profile → Security → API keys) in it, or one of bunq's sandbox from bankhook bunq sandbox-user", apiKeyEnv)
	}
	if err := b.checkContextFree(l); err != nil {
		return b.fail(err)
	}
	base := b.flags.baseURL()
	if base == "" {
		base = bunqapi.Production
	}
	return b.login(ctx, apiKey, base, l, stdout)
}
