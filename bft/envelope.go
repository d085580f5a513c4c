package bft

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Message types of the envelope (the p2p message kind the node gives
// consensus): u8 type ‖ body.
const (
	MsgConsensus byte = 1 // body: a SmartBFT protos.Message
	MsgRequest   byte = 2 // body: a forwarded request (a transaction encoding)
)

// maxEnvelope bounds an envelope: a proposal carries a whole block.
const maxEnvelope = 64 << 20

// encodeEnvelope frames body as a message of type typ.
func encodeEnvelope(typ byte, body []byte) []byte {
	out := make([]byte, 0, 1+len(body))
	out = append(out, typ)
	return append(out, body...)
}

// DecodeEnvelope splits an envelope into its type and body (aliasing
// msg); an unknown type, an empty message or an oversized one is an
// error.
func DecodeEnvelope(msg []byte) (typ byte, body []byte, err error) {
	switch {
	case len(msg) == 0:
		return 0, nil, errors.New("bft envelope: empty")
	case len(msg) > maxEnvelope:
		return 0, nil, fmt.Errorf("bft envelope: %d bytes", len(msg))
	case msg[0] != MsgConsensus && msg[0] != MsgRequest:
		return 0, nil, fmt.Errorf("bft envelope: unknown type %d", msg[0])
	case len(msg) == 1:
		return 0, nil, errors.New("bft envelope: no body")
	}
	return msg[0], msg[1:], nil
}

// AppendCertified appends one certified block to a block sync reply:
// u32 len ‖ block ‖ u32 len ‖ certificate.
func AppendCertified(reply, block, cert []byte) []byte {
	reply = binary.BigEndian.AppendUint32(reply, uint32(len(block)))
	reply = append(reply, block...)
	reply = binary.BigEndian.AppendUint32(reply, uint32(len(cert)))
	return append(reply, cert...)
}

// DecodeCertified splits a block sync reply into its blocks and their
// certificates (aliasing reply): pairs of u32-length-prefixed chunks,
// neither empty, nothing left over.
func DecodeCertified(reply []byte) (blocks, certs [][]byte, err error) {
	for len(reply) > 0 {
		var pair [2][]byte
		for i := range pair {
			if len(reply) < 4 {
				return nil, nil, errors.New("certified blocks: truncated length")
			}
			n := binary.BigEndian.Uint32(reply)
			if n == 0 || uint64(n) > uint64(len(reply)-4) {
				return nil, nil, fmt.Errorf("certified blocks: chunk of %d bytes with %d left", n, len(reply)-4)
			}
			pair[i], reply = reply[4:4+n], reply[4+n:]
		}
		blocks, certs = append(blocks, pair[0]), append(certs, pair[1])
	}
	return blocks, certs, nil
}
