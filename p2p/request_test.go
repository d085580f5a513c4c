package p2p

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// warnLog records the messages of warn records.
type warnLog struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (w *warnLog) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	w.msgs = append(w.msgs, r.Message)
	w.mu.Unlock()
	return nil
}

func (w *warnLog) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnLog) WithGroup(string) slog.Handler      { return w }

func (w *warnLog) count(msg string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := 0
	for _, m := range w.msgs {
		if m == msg {
			c++
		}
	}
	return c
}

// TestRequestStreamGarbage has a certified member write garbage to
// another node's request stream, one connection per kind: the node logs
// a warning, closes that connection, and keeps answering requests, on
// other connections and, after a handler error, on the same one.
func TestRequestStreamGarbage(t *testing.T) {
	ca := newTestCA(t, "garbage CA")
	logs := &warnLog{}
	cfg := testConfig(newIdentity(t, ca, "g1", certOpts{}))
	cfg.Logger = slog.New(logs)
	server := startNode(t, cfg)
	server.HandleRequest(1, func(_ context.Context, from string, req []byte) ([]byte, error) {
		return append([]byte(from+":"), req...), nil
	})
	client := startNode(t, testConfig(newIdentity(t, ca, "g2", certOpts{})))
	if _, err := client.Join([]string{server.Addr()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "a 2-node cluster", func() bool { return len(aliveIDs(client)) == 2 && len(aliveIDs(server)) == 2 })
	serves := func(when string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if resp, err := client.Request(ctx, "g1", 1, []byte("ping")); err != nil || string(resp) != "g2:ping" {
			t.Fatalf("%s: echo %q, %v", when, resp, err)
		}
	}
	dial := func(typ byte) net.Conn {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _, err := client.t.dial(ctx, server.Addr(), "g1", typ)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// closed waits until the server has closed c.
	closed := func(name string, c net.Conn) {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("%s: the connection was not closed: %d bytes, %v", name, n, err)
		}
	}
	frame := func(payload []byte) []byte {
		var b bytes.Buffer
		writeFrame(&b, payload)
		return b.Bytes()
	}
	junk := make([]byte, 200)
	rand.Read(junk)
	junk[0] = 'z' // not an op
	for _, c := range []struct {
		name, warn string
		typ        byte
		bytes      []byte
	}{
		{"oversized frame", "p2p: oversized request, connection closed", connRequest, []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}},
		{"frame shorter than a header", "p2p: malformed request, connection closed", connRequest, frame([]byte{opRequest, 1})},
		{"unknown op", "p2p: malformed request, connection closed", connRequest, frame(encodeRequest('x', 1, 1000, []byte("hi")))},
		{"garbage frame", "p2p: malformed request, connection closed", connRequest, frame(junk)},
		{"unknown connection type", "p2p: unknown connection type", 'z', junk},
	} {
		before := logs.count(c.warn)
		conn := dial(c.typ)
		if _, err := conn.Write(c.bytes); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		closed(c.name, conn)
		waitFor(t, 5*time.Second, fmt.Sprintf("%s: the warning %q", c.name, c.warn), func() bool { return logs.count(c.warn) > before })
		serves("after " + c.name)
	}

	// A frame cut short, then silence: the server waits for it without
	// holding the declared 16 MiB, and serves others meanwhile.
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var stalled []net.Conn
	for range 8 {
		conn := dial(connRequest)
		if _, err := conn.Write([]byte{0x00, 0xff, 0xff, 0xff, opRequest}); err != nil {
			t.Fatal(err)
		}
		stalled = append(stalled, conn)
	}
	serves("with 8 connections stalled inside a 16 MiB frame")
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 32<<20 {
		t.Errorf("8 stalled 16 MiB frames grew the heap by %d MiB", grown>>20)
	}
	for _, c := range stalled {
		c.Close()
	}

	// A handler error leaves the connection in use: the next request on
	// it is answered.
	conn := dial(connRequest)
	for _, req := range [][]byte{encodeRequest(opRequest, 99, 1000, nil), encodeRequest(opRequest, 1, 1000, []byte("again"))} {
		if err := writeFrame(conn, req); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := readFrame(conn, 1<<20)
		if err != nil {
			t.Fatalf("no response on the connection: %v", err)
		}
		status, body, err := decodeResponse(resp)
		switch {
		case err != nil:
			t.Fatal(err)
		case req[1] == 99 && (status != statusError || !strings.Contains(string(body), "no request handler")):
			t.Fatalf("unknown kind: status %d %q", status, body)
		case req[1] == 1 && (status != statusOK || string(body) != "g2:again"):
			t.Fatalf("echo on the same connection: status %d %q", status, body)
		}
	}
	if os.Getenv("P2P_TEST_LOG") != "" {
		t.Logf("warnings: %q", logs.msgs)
	}
}

// BenchmarkReadFrame reads frames of 1 KiB to 4 MiB with readFrame
// (incremental) and, as the baseline in the same run, a read that
// allocates the declared length at once (readFrame before it refused to
// trust the header); incremental/eager is the ratio of their times.
func BenchmarkReadFrame(b *testing.B) {
	eager := func(r io.Reader, max int) ([]byte, error) {
		var hdr [frameHeaderLen]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, err
		}
		n := int(binary.BigEndian.Uint32(hdr[:]))
		if n > max {
			return nil, ErrFrameTooLarge
		}
		buf := make([]byte, n)
		_, err := io.ReadFull(r, buf)
		return buf, err
	}
	for _, size := range []int{1 << 10, 64 << 10, 1 << 20, 4 << 20} {
		var framed bytes.Buffer
		writeFrame(&framed, make([]byte, size))
		data := framed.Bytes()
		var times [2]time.Duration
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				for i, read := range []func(io.Reader, int) ([]byte, error){readFrame, eager} {
					start := time.Now()
					if _, err := read(bytes.NewReader(data), 16<<20); err != nil {
						b.Fatal(err)
					}
					times[i] += time.Since(start)
				}
			}
			b.ReportMetric(times[0].Seconds()/times[1].Seconds(), "incremental/eager")
		})
	}
}

// BenchmarkRequestLarge times requests answered with 4 MiB over a reused
// TLS connection, reading the response with the 64 KiB read-ahead and, as
// the baseline interleaved in the same run, with none (the whole declared
// length allocated at once); incremental/eager is the ratio of their
// times.
func BenchmarkRequestLarge(b *testing.B) {
	nodes := benchCluster(b, 2)
	resp := make([]byte, 4<<20)
	nodes[1].HandleRequest(1, func(context.Context, string, []byte) ([]byte, error) { return resp, nil })
	ctx := context.Background()
	defer func(a int) { frameReadAhead = a }(frameReadAhead)
	var times [2]time.Duration
	for b.Loop() {
		for i, ahead := range [...]int{64 << 10, 1 << 30} {
			frameReadAhead = ahead
			start := time.Now()
			if _, err := nodes[0].Request(ctx, "b1", 1, nil); err != nil {
				b.Fatal(err)
			}
			times[i] += time.Since(start)
		}
	}
	b.ReportMetric(times[0].Seconds()/times[1].Seconds(), "incremental/eager")
}
