package p2p

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Connection types: the first byte a dialler writes after the TLS handshake
// says what the connection carries.
const (
	connPacket  byte = 'p' // memberlist packets, length-prefixed frames
	connStream  byte = 's' // one memberlist stream
	connRequest byte = 'r' // veil request/response frames
	connProbe   byte = 'h' // bare handshake proving who serves an address
)

// frameHeaderLen is the size of a frame's big-endian uint32 length prefix.
const frameHeaderLen = 4

// ErrFrameTooLarge is returned when a frame's declared length exceeds the
// reader's limit; the connection must then be closed, since its framing can no
// longer be trusted.
var ErrFrameTooLarge = errors.New("p2p: frame too large")

// writeFrame writes payload behind a 4-byte big-endian length prefix in a
// single Write, so one frame never interleaves with another writer's frame as
// long as writers hold the connection's lock.
func writeFrame(w io.Writer, payload []byte) error {
	buf := make([]byte, frameHeaderLen+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(len(payload)))
	copy(buf[frameHeaderLen:], payload)
	_, err := w.Write(buf)
	return err
}

// frameReadAhead is the most readFrame allocates beyond the bytes that
// have arrived: a header alone (garbage, or a peer that declares 16 MiB
// and sends nothing) costs 64 KiB, not the frame limit, per connection.
// A variable only so that a benchmark can compare it with no limit.
var frameReadAhead = 64 << 10

// readFrame reads one length-prefixed frame of at most max bytes. A clean end
// of stream before the first header byte returns io.EOF; a frame cut short
// returns io.ErrUnexpectedEOF. Its buffer grows, by doubling, only as the
// frame's bytes arrive.
func readFrame(r io.Reader, max int) ([]byte, error) {
	var hdr [frameHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, max)
	}
	return readBody(r, int(n), frameReadAhead)
}

// readBody reads exactly size bytes, allocating at most ahead bytes
// beyond those read so far (doubling as they arrive).
func readBody(r io.Reader, size, ahead int) ([]byte, error) {
	buf := make([]byte, 0, min(size, ahead))
	for len(buf) < size {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(size-len(buf), max(len(buf), ahead)))
		}
		k, err := io.ReadFull(r, buf[len(buf):min(cap(buf), size)])
		buf = buf[:len(buf)+k]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	return buf, nil
}

// Request frame operations.
const (
	opRequest byte = 'q' // expects a response from the kind's request handler
	opMessage byte = 'm' // one-way message for the kind's message handler, acknowledged
)

// requestHeaderLen is op(1) kind(1) timeout-ms(4).
const requestHeaderLen = 6

// encodeRequest lays out a request frame's payload.
func encodeRequest(op, kind byte, timeoutMs uint32, body []byte) []byte {
	buf := make([]byte, requestHeaderLen+len(body))
	buf[0], buf[1] = op, kind
	binary.BigEndian.PutUint32(buf[2:], timeoutMs)
	copy(buf[requestHeaderLen:], body)
	return buf
}

// decodeRequest splits a request frame's payload. body aliases frame.
func decodeRequest(frame []byte) (op, kind byte, timeoutMs uint32, body []byte, err error) {
	if len(frame) < requestHeaderLen {
		return 0, 0, 0, nil, fmt.Errorf("p2p: request frame of %d bytes is shorter than its header", len(frame))
	}
	op, kind = frame[0], frame[1]
	if op != opRequest && op != opMessage {
		return 0, 0, 0, nil, fmt.Errorf("p2p: unknown request op %#x", op)
	}
	return op, kind, binary.BigEndian.Uint32(frame[2:]), frame[requestHeaderLen:], nil
}

// Response statuses.
const (
	statusOK    byte = 0
	statusError byte = 1
)

// decodeResponse splits a response frame's payload. body aliases frame.
func decodeResponse(frame []byte) (status byte, body []byte, err error) {
	if len(frame) < 1 {
		return 0, nil, errors.New("p2p: empty response frame")
	}
	if frame[0] != statusOK && frame[0] != statusError {
		return 0, nil, fmt.Errorf("p2p: unknown response status %#x", frame[0])
	}
	return frame[0], frame[1:], nil
}

// Gossip envelope: kind(1) id(8) originLen(1) origin message. The id lets
// receivers drop the duplicates memberlist's retransmissions produce; the
// origin names the node that broadcast it.
const envelopeFixedLen = 10

// encodeEnvelope lays out a gossip message.
func encodeEnvelope(kind byte, id uint64, origin string, msg []byte) []byte {
	buf := make([]byte, envelopeFixedLen+len(origin)+len(msg))
	buf[0] = kind
	binary.BigEndian.PutUint64(buf[1:], id)
	buf[9] = byte(len(origin))
	copy(buf[envelopeFixedLen:], origin)
	copy(buf[envelopeFixedLen+len(origin):], msg)
	return buf
}

// decodeEnvelope splits a gossip message. msg aliases b.
func decodeEnvelope(b []byte) (kind byte, id uint64, origin string, msg []byte, err error) {
	if len(b) < envelopeFixedLen {
		return 0, 0, "", nil, fmt.Errorf("p2p: gossip message of %d bytes is shorter than its header", len(b))
	}
	n := int(b[9])
	if len(b) < envelopeFixedLen+n {
		return 0, 0, "", nil, errors.New("p2p: gossip message origin overruns the message")
	}
	origin = string(b[envelopeFixedLen : envelopeFixedLen+n])
	if !ValidNodeID(origin) {
		return 0, 0, "", nil, fmt.Errorf("p2p: gossip message origin %q is not a node id", origin)
	}
	return b[0], binary.BigEndian.Uint64(b[1:]), origin, b[envelopeFixedLen+n:], nil
}
