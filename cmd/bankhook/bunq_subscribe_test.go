package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bankhook/bankhook/bunq"
)

// TestBunqSubscribeUsageListsCategories checks that subscribe's usage names
// every category bunq documents, in lines that fit a terminal.
func TestBunqSubscribeUsageListsCategories(t *testing.T) {
	list := categoryList()
	var got []string
	for line := range strings.Lines(list) {
		assert.LessOrEqual(t, len(strings.TrimSpace(line)), 72, "line %q", line)
		got = append(got, strings.Fields(line)...)
	}
	var want []string
	for _, c := range bunq.Categories() {
		want = append(want, string(c))
	}
	assert.Equal(t, want, got)
	assert.Contains(t, bunqSubscribeUsage, "{{categories}}")
}
