package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

func TestBunqFilters(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{})
	r := e.run("", "filters")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "run bankhook bunq login first")
	e.login()

	r = e.run("", "filters")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)

	a, b := "https://a.example/bunq?token=s3cret", "https://b.example/hook"
	r = e.run("", "subscribe", "--url", a, "MUTATION", "payment")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "MUTATION\t"+a+"\nPAYMENT\t"+a+"\n", r.stdout)
	r = e.run("", "subscribe", "--url", b, "MUTATION")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = e.run("", "subscribe", "--url", a, "REQUEST", "MUTATION")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "MUTATION\t"+b+"\nREQUEST\t"+a+"\nMUTATION\t"+a+"\n", r.stdout, "a's categories replaced, b's kept")
	r = e.run("", "filters")
	assert.Equal(t, "MUTATION\t"+b+"\nREQUEST\t"+a+"\nMUTATION\t"+a+"\n", r.stdout)

	r = e.run("", "unsubscribe", "--url", b)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "REQUEST\t"+a+"\nMUTATION\t"+a+"\n", r.stdout)
	r = e.run("", "unsubscribe", "--url", "https://c.example/")
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stderr, "no filter has that URL")
	r = e.run("", "unsubscribe")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, r.stdout)
	assert.Empty(t, e.srv.Filters(e.user.ID, 0))

	r = e.run("", "subscribe", "--url", a, "--account", fmt.Sprint(e.user.AccountID), "MUTATION")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, e.srv.Filters(e.user.ID, e.user.AccountID), 1)
	r = e.run("", "filters", "--account", fmt.Sprint(e.user.AccountID))
	assert.Equal(t, "MUTATION\t"+a+"\n", r.stdout)
	r = e.run("", "filters")
	assert.Empty(t, r.stdout, "the user's own filters are apart")
	r = e.run("", "filters", "--account", "999999")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "404 Not Found")

	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no url", []string{"subscribe", "MUTATION"}, "--url: missing"},
		{"http url", []string{"subscribe", "--url", "http://a.example/?token=s3cret", "MUTATION"}, "bunq calls https URLs only"},
		{"no category", []string{"subscribe", "--url", a}, "no CATEGORY given"},
		{"unknown category", []string{"subscribe", "--url", a, "MUTATION", "CARD_DISPUTE"}, `category "CARD_DISPUTE" is not one bunq documents`},
		{"negative account", []string{"filters", "--account", "-1"}, "want a monetary account id"},
		{"argument to unsubscribe", []string{"unsubscribe", "all"}, `unexpected argument "all"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run("", tt.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tt.stderr)
			assert.NotContains(t, r.stderr, "s3cret", "a URL's token is not repeated")
		})
	}
}

// TestBunqSubscribeKeepsEveryPage: 25 filters across 3 pages of 10, one
// of a category bankhook does not know, are listed whole and kept whole
// by subscribe and unsubscribe.
func TestBunqSubscribeKeepsEveryPage(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{PageLimit: 10, ExtraCategories: []bunq.Category{"CARD_DISPUTE"}})
	e.login()
	cats := append([]bunq.Category{"CARD_DISPUTE"}, bunq.Categories()...)
	var existing []bunq.NotificationFilterURL
	var want strings.Builder
	for i := range 25 {
		f := bunq.NotificationFilterURL{Category: cats[i/2], NotificationTarget: fmt.Sprintf("https://%c.example/bunq", 'a'+i%2)}
		existing = append(existing, f)
		fmt.Fprintf(&want, "%s\t%s\n", f.Category, f.NotificationTarget)
	}
	require.NoError(t, e.srv.SetFilters(e.user.ID, 0, existing))

	r := e.run("", "filters")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, want.String(), r.stdout, "every page, CARD_DISPUTE included")
	assert.True(t, strings.HasPrefix(r.stdout, "CARD_DISPUTE\thttps://a.example/bunq\n"))

	const hook = "https://hooks.example/bunq?token=s3cret"
	unused := bunq.Categories()[len(bunq.Categories())-1]
	r = e.run("", "subscribe", "--url", hook, string(unused))
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, want.String()+string(unused)+"\t"+hook+"\n", r.stdout)
	assert.Len(t, e.srv.Filters(e.user.ID, 0), 26, "the 25 kept")

	r = e.run("", "unsubscribe", "--url", "https://b.example/bunq")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, e.srv.Filters(e.user.ID, 0), 14, "b's 12 gone, a's 13 and the hook's kept")
	assert.Equal(t, bunq.Category("CARD_DISPUTE"), e.srv.Filters(e.user.ID, 0)[0].Category)
}
