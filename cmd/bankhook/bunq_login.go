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
It refuses to replace an existing context file without --force.
`

// bunqLogin is bankhook bunq login.
func bunqLogin(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("login", bunqLoginUsage, stdout, stderr)
	force := b.fs.Bool("force", false, "replace an existing context file")
	description := b.fs.String("description", bunqapi.DefaultDescription, "`text` naming this device at bunq")
	permitted := b.fs.String("permitted-ips", "", "`addresses` (comma-separated) the API key may be used from; \"*\" with your address allows any; default the address login calls from")
	if _, code, ok := b.parse(args, 0); !ok {
		return code
	}
	apiKey := os.Getenv(apiKeyEnv)
	if apiKey == "" {
		return b.usage("$%s is not set: export the API key from bunq's app (Profile → Security → API keys) in it", apiKeyEnv)
	}
	if _, err := os.Lstat(b.flags.context); err == nil && !*force {
		return b.fail(fmt.Errorf("%s exists: pass --force to replace it", b.flags.context))
	}
	base := b.flags.baseURL()
	if base == "" {
		base = bunqapi.Production
	}
	c, err := bunqapi.Setup(ctx, apiKey, bunqapi.Options{
		BaseURL: base, Description: *description, PermittedIPs: splitList(*permitted), Logger: bunqLogger(stderr),
	})
	if err != nil {
		return b.fail(err)
	}
	if err := c.Save(b.flags.context); err != nil {
		return b.fail(err)
	}
	fmt.Fprintf(stdout, "user_id: %d\nuser_type: %s\ncontext: %s\n", c.UserID(), c.UserType(), b.flags.context)
	return exitOK
}
