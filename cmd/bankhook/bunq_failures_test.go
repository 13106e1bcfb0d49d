package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bankhook/bankhook/bunq"
	"github.com/bankhook/bankhook/bunq/bunqtest"
)

func TestBunqFailuresAndRetry(t *testing.T) {
	t.Parallel()
	e := newBunqEnv(t, bunqtest.Options{})
	e.login()
	e.fail(t, "https://127.0.0.1:1/bunq?token=s3cret", 3)

	r := e.run("", "failures")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3)
	created := e.srv.Failures(e.user.ID)[0].Created.String()
	const target = "https://127.0.0.1:1/bunq?token=s3cret"
	assert.Equal(t, "3\t"+created+"\tMUTATION\tMUTATION_CREATED\t10003\t"+target, lines[0])
	assert.Equal(t, "1\t"+created+"\tMUTATION\tMUTATION_CREATED\t10001\t"+target, lines[2])

	r = e.run("", "failures", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines = strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	require.Len(t, lines, 3)
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, map[string]any{"id": 3.0, "created": created, "category": "MUTATION", "event_type": "MUTATION_CREATED", "object_id": 10003.0, "notification_target": target}, first)
	assert.Equal(t, fmt.Sprintf(`{"id":3,"created":%q,"category":"MUTATION","event_type":"MUTATION_CREATED","object_id":10003,"notification_target":%q}`, created, target), lines[0], "bunq's field names, in this order")

	r = e.run("", "retry", "1", "3")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "re-sent 2 failures in 1 request\n", r.stdout)
	left := e.srv.Failures(e.user.ID)
	require.Len(t, left, 1)
	assert.Equal(t, int64(2), left[0].ID)

	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"nothing to re-send", []string{"retry"}, "missing --all or the IDs"},
		{"both", []string{"retry", "--all", "2"}, "give --all or IDs, not both"},
		{"not an id", []string{"retry", "2", "x"}, `"x" is not a failure id`},
		{"twice", []string{"retry", "2", "2"}, "id 2 given twice"},
		{"failures argument", []string{"failures", "all"}, `unexpected argument "all"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run("", tt.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tt.stderr)
		})
	}

	t.Run("all, in chunks of 100", func(t *testing.T) {
		e.srv.Advance(bunq.RetrySchedule().Span()) // the two re-sent fail again
		require.Len(t, e.srv.Failures(e.user.ID), 3)
		e.fail(t, "https://127.0.0.1:1/bunq", 248)
		require.Len(t, e.srv.Failures(e.user.ID), 251)
		start := len(e.srv.Requests())
		r := e.run("", "retry", "--all")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, "re-sent 251 failures in 3 requests\n", r.stdout)
		posts := 0
		for _, req := range e.srv.Requests()[start:] {
			if req.Method == "POST" && strings.HasSuffix(req.Path, "/notification-filter-failure") {
				posts++
			}
		}
		assert.Equal(t, 3, posts)
		assert.Empty(t, e.srv.Failures(e.user.ID))
		r = e.run("", "retry", "--all")
		assert.Equal(t, "re-sent 0 failures in 0 requests\n", r.stdout)
	})

	t.Run("stale ids are left out, the others re-sent", func(t *testing.T) {
		e.srv.Advance(bunq.RetrySchedule().Span()) // the 251 fail again
		listed := e.srv.Failures(e.user.ID)
		require.Len(t, listed, 251)
		a, b := listed[10].ID, listed[200].ID
		r := e.run("", "retry", fmt.Sprint(a), fmt.Sprint(b)) // re-sent meanwhile
		require.Equal(t, exitOK, r.code, r.stderr)
		c := listed[0].ID
		r = e.run("", "retry", fmt.Sprint(c), fmt.Sprint(a), fmt.Sprint(b), fmt.Sprint(listed[1].ID))
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, fmt.Sprintf("re-sent 2 failures in 2 requests\nstale: 2 failures no longer listed by bunq (re-sent or re-delivered meanwhile): %d,%d\n", a, b), r.stdout)
		r = e.run("", "retry", fmt.Sprint(c))
		assert.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, fmt.Sprintf("re-sent 0 failures in 0 requests\nstale: 1 failure no longer listed by bunq (re-sent or re-delivered meanwhile): %d\n", c), r.stdout)
		r = e.run("", "retry", "--all")
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Equal(t, "re-sent 247 failures in 3 requests\n", r.stdout, "every id still listed, in one pass")
		assert.Empty(t, e.srv.Failures(e.user.ID))
	})
}
