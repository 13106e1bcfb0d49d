package main

import (
	"context"
	"fmt"
	"io"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqapi"
)

const bunqFiltersUsage = `Usage: bankhook bunq filters [flags]

Prints the URL notification filters, oldest first, one a line:
CATEGORY<TAB>TARGET. It reads every page of bunq's listing, and prints
filters of categories bankhook does not know as bunq listed them. The
target is printed in full: its query may hold the receiver's token.
`

// bunqFilters is bankhook bunq filters.
func bunqFilters(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("filters", bunqFiltersUsage, stdout, stderr)
	b.withAccount("the monetary account `id` whose filters to list, instead of the user's")
	if _, code, ok := b.parse(args, 0); !ok {
		return code
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	filters, err := b.listFilters(ctx, c)
	if err != nil {
		return b.fail(err)
	}
	printFilters(stdout, filters)
	return exitOK
}

// listFilters lists the filters of --account, or of the user.
func (b *bunqRun) listFilters(ctx context.Context, c *bunqapi.Client) ([]bunq.NotificationFilterURL, error) {
	if id := b.accountID(); id != 0 {
		return c.ListAccountFilters(ctx, id)
	}
	return c.ListFilters(ctx)
}

// updateFilters changes the filters of --account, or of the user, with
// edit, once the whole list was read.
func (b *bunqRun) updateFilters(ctx context.Context, c *bunqapi.Client, edit func([]bunq.NotificationFilterURL) []bunq.NotificationFilterURL) error {
	if id := b.accountID(); id != 0 {
		return c.UpdateAccountFilters(ctx, id, edit)
	}
	return c.UpdateFilters(ctx, edit)
}

// setFilters sets the filters of --account, or of the user.
func (b *bunqRun) setFilters(ctx context.Context, c *bunqapi.Client, filters []bunq.NotificationFilterURL) error {
	if id := b.accountID(); id != 0 {
		return c.SetAccountFilters(ctx, id, filters)
	}
	return c.SetFilters(ctx, filters)
}

// printFilters lists the filters as bunq holds them after a change.
func (b *bunqRun) printFilters(ctx context.Context, c *bunqapi.Client) int {
	filters, err := b.listFilters(ctx, c)
	if err != nil {
		return b.fail(fmt.Errorf("the change was made, but listing the filters failed: %w", err))
	}
	printFilters(b.stdout, filters)
	return exitOK
}

// printFilters writes filters one a line: CATEGORY<TAB>TARGET.
func printFilters(w io.Writer, filters []bunq.NotificationFilterURL) {
	for _, f := range filters {
		fmt.Fprintf(w, "%s\t%s\n", f.Category, f.NotificationTarget)
	}
}
