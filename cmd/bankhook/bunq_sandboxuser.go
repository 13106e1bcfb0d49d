package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/bankhook/bankhook/bunq/bunqapi"
)

const bunqSandboxUserUsage = `Usage: bankhook bunq sandbox-user [--login] [flags]

Has bunq's sandbox create a test user with test money (POST
/v1/sandbox-user-person) and prints its API key as one line,

  BUNQ_API_KEY=sandbox_…

for export: export "$(bankhook bunq sandbox-user)". It talks to the
sandbox (` + bunqapi.Sandbox + `) unless --api-url names another
one, such as a stand-in, and refuses bunq's production API. With --login
it goes on to log in with the new key as bankhook bunq login does and
saves the context (--force replaces an existing one); the user is then
printed on stderr, so that stdout stays the one line.
`

// bunqSandboxUser is bankhook bunq sandbox-user.
func bunqSandboxUser(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("sandbox-user", bunqSandboxUserUsage, stdout, stderr)
	login := b.fs.Bool("login", false, "log in with the new key and save the context")
	l := b.withLogin()
	if _, code, ok := b.parse(args, 0); !ok {
		return code
	}
	base := b.flags.apiURL
	if base == "" {
		base = bunqapi.Sandbox
	}
	if isProductionURL(base) {
		return b.usage("--api-url: sandbox users are made on bunq's sandbox only, not on its production API")
	}
	if *login {
		if err := b.checkContextFree(l); err != nil {
			return b.fail(err)
		}
	}
	apiKey, err := bunqapi.CreateSandboxUser(ctx, bunqapi.Options{BaseURL: base, Logger: bunqLogger(stderr)})
	if err != nil {
		return b.fail(err)
	}
	fmt.Fprintf(stdout, "%s=%s\n", apiKeyEnv, apiKey)
	if !*login {
		return exitOK
	}
	return b.login(ctx, apiKey, base, l, stderr)
}

// isProductionURL reports whether s is on the host of bunq's production
// API.
func isProductionURL(s string) bool {
	u, err := url.Parse(s)
	p, _ := url.Parse(bunqapi.Production) // a constant URL
	return err == nil && strings.EqualFold(strings.TrimSuffix(u.Hostname(), "."), p.Hostname())
}
