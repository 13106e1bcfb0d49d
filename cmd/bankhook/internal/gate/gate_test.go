package gate

import (
	"bufio"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListenerMaxConns: past max open connections Accept waits until
// one is closed.
func TestListenerMaxConns(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln := New(tcp, 2, nil)
	defer ln.Close()
	for range 3 {
		c, err := net.Dial("tcp", tcp.Addr().String())
		require.NoError(t, err)
		defer c.Close()
	}
	first, err := ln.Accept()
	require.NoError(t, err)
	second, err := ln.Accept()
	require.NoError(t, err)
	defer second.Close()
	third := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		assert.NoError(t, err)
		third <- c
	}()
	select {
	case <-third:
		t.Fatal("a third connection was accepted while two were open")
	default:
	}
	require.NoError(t, first.Close())
	_ = first.Close() // a second close gives no second slot back
	select {
	case c := <-third:
		require.NoError(t, c.Close())
	case <-time.After(10 * time.Second):
		t.Fatal("the third connection was not accepted once the first closed")
	}
}

// TestListenerAdmit: a refused peer is closed at accept and counted;
// Close ends a waiting Accept.
func TestListenerAdmit(t *testing.T) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln := New(tcp, 4, func(a netip.Addr) bool { return a != netip.MustParseAddr("127.0.0.1") })
	refused, err := net.Dial("tcp", tcp.Addr().String())
	require.NoError(t, err)
	defer refused.Close()
	accepted := make(chan error, 1)
	go func() {
		_, err := ln.Accept()
		accepted <- err
	}()
	_, err = bufio.NewReader(refused).ReadByte()
	require.Error(t, err, "closed by the server")
	require.NoError(t, ln.Close())
	assert.ErrorIs(t, <-accepted, net.ErrClosed)
	assert.Equal(t, uint64(1), ln.Refused())
}
