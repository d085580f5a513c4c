package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Limits of the block encoding.
const (
	BlockVersion   = 1
	MaxNodeIDLen   = 64
	MaxBlockTxs    = 10_000
	MaxBlockSize   = 8 << 20
	blockDomain    = "veil/block/v1\x00"
	merkleLeafTag  = 0x00
	merkleInnerTag = 0x01
)

// maxBlockFraming is the most a block adds to the one transaction it
// holds: the header with the longest chain id and proposer, the signature,
// the tx count and the transaction's length. MaxRevocationTxSize leaves it.
const maxBlockFraming = 1 + (1 + MaxChainIDLen) + 8 + 32 + 8 + 32 + (1 + MaxNodeIDLen) + (2 + ed25519.SignatureSize) + 4 + 4

// ErrTxRoot is wrapped, with ErrMalformed, by DecodeBlock's refusal of a
// block whose tx root does not match its transactions.
var ErrTxRoot = errors.New("tx root does not match the transactions")

// Header is a block header. Its hash (Hash) is SHA-256 of a domain tag and
// the canonical encoding of every field but Signature; the proposer signs
// that hash with the Ed25519 node key of its certificate.
type Header struct {
	ChainID   string
	Height    uint64
	PrevHash  [32]byte
	Time      int64 // Unix nanoseconds, set by the proposer, never decreasing
	TxRoot    [32]byte
	Proposer  string // node id
	Signature []byte
}

func (h *Header) encodeUnsigned(e *encoder) {
	e.u8(BlockVersion)
	e.str8(h.ChainID)
	e.u64(h.Height)
	e.raw(h.PrevHash[:])
	e.u64(uint64(h.Time))
	e.raw(h.TxRoot[:])
	e.str8(h.Proposer)
}

// Hash is the block hash.
func (h *Header) Hash() [32]byte {
	e := &encoder{b: append(make([]byte, 0, 256), blockDomain...)}
	h.encodeUnsigned(e)
	return sha256.Sum256(e.b)
}

// Block is a header and its transactions, in order.
type Block struct {
	Header
	Txs []*Tx
}

// Encode returns the canonical block encoding: the unsigned header,
// u16 length ‖ signature, u32 count, then each transaction as u32 length ‖
// encoding.
func (b *Block) Encode() []byte {
	e := &encoder{b: make([]byte, 0, 256+b.txBytes())}
	b.encodeUnsigned(e)
	e.bytes16(b.Signature)
	e.u32(uint32(len(b.Txs)))
	for _, tx := range b.Txs {
		e.bytes32(tx.Encode())
	}
	return e.b
}

func (b *Block) txBytes() int {
	n := 0
	for _, tx := range b.Txs {
		n += 4 + tx.Size()
	}
	return n
}

// DecodeBlock parses a canonical block encoding strictly, decoding every
// transaction. It checks encodings and that the tx root matches; the
// signature and the chain rules are checked by validation.
func DecodeBlock(raw []byte) (*Block, error) {
	if len(raw) > MaxBlockSize {
		return nil, errorf(ErrTooLarge, "block is %d bytes, at most %d", len(raw), MaxBlockSize)
	}
	d := &decoder{b: raw}
	if v := d.u8("version"); d.err == nil && v != BlockVersion {
		return nil, errorf(ErrMalformed, "block version %d, this node reads %d", v, BlockVersion)
	}
	b := &Block{}
	b.ChainID = d.str8(MaxChainIDLen, "chain id")
	b.Height = d.u64("height")
	d.fixed(b.PrevHash[:], "previous hash")
	b.Time = int64(d.u64("time"))
	d.fixed(b.TxRoot[:], "tx root")
	b.Proposer = d.str8(MaxNodeIDLen, "proposer")
	b.Signature = d.bytes16(ed25519.SignatureSize, "signature")
	n := d.u32("tx count")
	if d.err == nil && (n > MaxBlockTxs || uint64(n)*4 > uint64(len(d.b))) {
		d.fail("tx count %d exceeds the limit or what is left", n)
	}
	for i := uint32(0); i < n && d.err == nil; i++ {
		enc := d.bytes32(MaxBlockSize, "transaction") // DecodeTx applies its kind's limit, too_large
		if d.err != nil {
			break
		}
		tx, err := DecodeTx(enc)
		if err != nil {
			return nil, fmt.Errorf("block %d tx %d: %w", b.Height, i, err)
		}
		b.Txs = append(b.Txs, tx)
	}
	d.end("block")
	if d.err != nil {
		return nil, d.err
	}
	if root := TxRoot(b.Txs); root != b.TxRoot {
		return nil, fmt.Errorf("%w: %w: block %d", ErrMalformed, ErrTxRoot, b.Height)
	}
	return b, nil
}

// Sign sets the proposer and its signature over the block hash.
func (b *Block) Sign(proposer string, key ed25519.PrivateKey) {
	b.Proposer = proposer
	h := b.Hash()
	b.Signature = ed25519.Sign(key, h[:])
}

// TxRoot is the Merkle root of the block's transactions, with RFC 6962's
// domain-separated leaves and inner nodes: leaf = SHA-256(0x00 ‖ id ‖
// auth), inner = SHA-256(0x01 ‖ left ‖ right); an odd node is promoted
// unchanged; no transactions give SHA-256 of the empty string. Leaves take
// the signature bytes as well as the id (which leaves them out), so the
// proposer's signature covers them: a peer serving a block cannot swap a
// transaction's signature and make one node mark it invalid where the
// others did not.
func TxRoot(txs []*Tx) [32]byte {
	if len(txs) == 0 {
		return sha256.Sum256(nil)
	}
	level := make([][32]byte, len(txs))
	for i, tx := range txs {
		h := sha256.New()
		id := tx.ID()
		h.Write([]byte{merkleLeafTag})
		h.Write(id[:])
		h.Write(tx.Auth)
		h.Sum(level[i][:0])
	}
	var buf [65]byte
	for len(level) > 1 {
		next := level[:0]
		for i := 0; i < len(level); i += 2 {
			if i+1 == len(level) {
				next = append(next, level[i])
				continue
			}
			buf[0] = merkleInnerTag
			copy(buf[1:33], level[i][:])
			copy(buf[33:], level[i+1][:])
			next = append(next, sha256.Sum256(buf[:]))
		}
		level = next
	}
	return level[0]
}
