package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/bankhook/bankhook/bunq"
)

const bunqSubscribeUsage = `Usage: bankhook bunq subscribe --url URL [flags] CATEGORY...

Makes bunq send the given categories to URL: it reads the whole list of
filters (every page), replaces those of URL by the given categories, keeps
the filters of other URLs as bunq listed them (categories bankhook does
not know included) and writes the list back (bunq's POST replaces the
whole list). When the list cannot be read to its end, nothing is written.
URL must be
https; put a secret token in its query (?token=…) for the receiver to
check. Prints the filters afterwards. Categories:

  ` + "{{categories}}" + `
`

// bunqSubscribe is bankhook bunq subscribe.
func bunqSubscribe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("subscribe", strings.Replace(bunqSubscribeUsage, "{{categories}}", categoryList(), 1), stdout, stderr)
	target := b.fs.String("url", "", "the https `URL` bunq calls back")
	b.withAccount("subscribe a monetary account (`id`) instead of the user")
	positional, code, ok := b.parse(args, -1)
	if !ok {
		return code
	}
	if err := checkTargetURL(*target); err != nil {
		return b.usage("--url: %v", err)
	}
	if len(positional) == 0 {
		return b.usage("no CATEGORY given")
	}
	var categories []bunq.Category
	for _, arg := range positional {
		cat := bunq.Category(strings.ToUpper(arg))
		if !cat.Known() {
			return b.usage("category %q is not one bunq documents", arg)
		}
		if !slices.Contains(categories, cat) {
			categories = append(categories, cat)
		}
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	err = b.updateFilters(ctx, c, func(filters []bunq.NotificationFilterURL) []bunq.NotificationFilterURL {
		filters = slices.DeleteFunc(filters, func(f bunq.NotificationFilterURL) bool { return f.NotificationTarget == *target })
		for _, cat := range categories {
			filters = append(filters, bunq.NotificationFilterURL{Category: cat, NotificationTarget: *target})
		}
		return filters
	})
	if err != nil {
		return b.fail(err)
	}
	return b.printFilters(ctx, c)
}

// checkTargetURL accepts an absolute https URL with a host. Its errors
// never repeat the URL, whose query may hold a token.
func checkTargetURL(s string) error {
	if s == "" {
		return errors.New("missing; give the https URL bunq calls back")
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if u.Scheme != "https" || u.Hostname() == "" {
		return errors.New("bunq calls https URLs only: want https://host/path")
	}
	return nil
}

// categoryList is bunq's categories for the usage text, in lines of at
// most 72 columns after the first's indent.
func categoryList() string {
	var b strings.Builder
	line := 0
	for _, c := range bunq.Categories() {
		switch {
		case line == 0:
		case line+1+len(c) > 72:
			b.WriteString("\n  ")
			line = 0
		default:
			b.WriteByte(' ')
			line++
		}
		b.WriteString(string(c))
		line += len(c)
	}
	return b.String()
}

const bunqUnsubscribeUsage = `Usage: bankhook bunq unsubscribe [flags]

Removes the URL filters of --url, keeping the others as bunq listed them,
or, without --url, every URL filter. With --url it reads the whole list
first (every page) and writes nothing when it cannot. Prints the filters
afterwards.
`

// bunqUnsubscribe is bankhook bunq unsubscribe.
func bunqUnsubscribe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	b := newBunqRun("unsubscribe", bunqUnsubscribeUsage, stdout, stderr)
	target := b.fs.String("url", "", "the callback `URL` whose filters to remove; default all")
	b.withAccount("unsubscribe a monetary account (`id`) instead of the user")
	if _, code, ok := b.parse(args, 0); !ok {
		return code
	}
	c, err := b.client()
	if err != nil {
		return b.fail(err)
	}
	if *target == "" {
		if err := b.setFilters(ctx, c, nil); err != nil {
			return b.fail(err)
		}
		return b.printFilters(ctx, c)
	}
	var unchanged []bunq.NotificationFilterURL
	none := false
	err = b.updateFilters(ctx, c, func(filters []bunq.NotificationFilterURL) []bunq.NotificationFilterURL {
		keep := slices.DeleteFunc(slices.Clone(filters), func(f bunq.NotificationFilterURL) bool { return f.NotificationTarget == *target })
		if none = len(keep) == len(filters); none {
			unchanged = filters
		}
		return keep
	})
	if err != nil {
		return b.fail(err)
	}
	if none {
		fmt.Fprintln(stderr, "bankhook bunq unsubscribe: no filter has that URL; nothing changed")
		printFilters(stdout, unchanged)
		return exitOK
	}
	return b.printFilters(ctx, c)
}
