//go:build veil_byzantine

// This file exists only in the veil_byzantine build (go build -tags
// veil_byzantine), which package faults builds for TestBFTByzantine: it
// makes a node a Byzantine validator, as VEIL_BFT_BYZANTINE says, from
// the moment the process gets SIGUSR1 (so that a test turns it on under
// load, once the network has formed). The plain build has neither this
// file nor a way to turn its behaviour on; its only trace there are two
// nil hook variables (hooks.go).

package bft

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"

	protos "github.com/hyperledger-labs/SmartBFT/smartbftprotos"
	"github.com/veilchain/veil/chain"
	"google.golang.org/protobuf/proto"
)

// The behaviours VEIL_BFT_BYZANTINE names.
const (
	// equivocate: as leader, send half of the followers (rounded up) a
	// second, valid block for the same sequence (the same transactions,
	// a nanosecond later, signed by this node), the others the real one.
	byzEquivocate = "equivocate"
	// censor: as leader, leave out every transaction of topic
	// VEIL_BFT_CENSOR_TOPIC from the blocks it proposes.
	byzCensor = "censor"
	// garbage: send random bytes in place of every consensus message.
	byzGarbage = "garbage"
	// wrong-vote: prepare and commit another digest than the proposal's,
	// the commit validly signed by this node.
	byzWrongVote = "wrong-vote"
)

func init() {
	mode := os.Getenv("VEIL_BFT_BYZANTINE")
	switch mode {
	case "":
		return
	case byzEquivocate, byzGarbage, byzWrongVote:
		byzantineSend = func(o *Orderer, target uint64, m *protos.Message, b []byte) []byte {
			if !isArmed(o, mode) {
				return b
			}
			return byzSend(mode, o, target, m, b)
		}
	case byzCensor:
		topic := os.Getenv("VEIL_BFT_CENSOR_TOPIC")
		if topic == "" {
			panic("veil_byzantine build: VEIL_BFT_BYZANTINE=censor needs VEIL_BFT_CENSOR_TOPIC")
		}
		byzantineAssemble = func(o *Orderer, requests [][]byte) [][]byte {
			if !isArmed(o, mode) {
				return requests
			}
			return byzCensorTopic(o, topic, requests)
		}
	default:
		panic(fmt.Sprintf("veil_byzantine build: VEIL_BFT_BYZANTINE=%q: want %s, %s, %s or %s", mode, byzEquivocate, byzCensor, byzGarbage, byzWrongVote))
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		<-usr1
		armed.Store(true)
	}()
}

var (
	// armed is set by SIGUSR1: until then the node is honest.
	armed     atomic.Bool
	armedOnce sync.Once
	// acts counts the Byzantine acts; the first few and then every 20th
	// are logged at warn ("byzantine: …", with the count so far): the
	// proof that the fault was injected.
	acts atomic.Uint64
)

func isArmed(o *Orderer, mode string) bool {
	if !armed.Load() {
		return false
	}
	armedOnce.Do(func() { o.log.Warn("byzantine: armed", "mode", mode, "acts", 0) })
	return true
}

func byzLog(o *Orderer, what string, args ...any) {
	if k := acts.Add(1); k <= 5 || k%20 == 0 {
		o.log.Warn("byzantine: "+what, append(args, "acts", k)...)
	}
}

func byzSend(mode string, o *Orderer, target uint64, m *protos.Message, b []byte) []byte {
	switch mode {
	case byzGarbage:
		g := make([]byte, 1+int(randByte())%256)
		_, _ = rand.Read(g)
		byzLog(o, "garbage sent", "to", o.nodeID(target), "bytes", len(g))
		return g
	case byzEquivocate:
		pp := m.GetPrePrepare()
		if pp == nil || pp.Proposal == nil || !secondHalf(o, target) {
			return b
		}
		alt, err := equivocation(o, pp.Proposal)
		if err != nil {
			o.log.Error("byzantine: equivocation", "err", err)
			return b
		}
		out, err := proto.Marshal(&protos.Message{Content: &protos.Message_PrePrepare{PrePrepare: &protos.PrePrepare{
			View: pp.View, Seq: pp.Seq, Proposal: alt, PrevCommitSignatures: pp.PrevCommitSignatures}}})
		if err != nil {
			return b
		}
		byzLog(o, "equivocated", "to", o.nodeID(target), "seq", pp.Seq)
		return out
	case byzWrongVote:
		switch c := m.Content.(type) {
		case *protos.Message_Prepare:
			p := proto.Clone(c.Prepare).(*protos.Prepare)
			p.Digest = wrongDigest(p.Digest)
			byzLog(o, "prepared a wrong digest", "to", o.nodeID(target), "seq", p.Seq)
			return marshalOr(&protos.Message{Content: &protos.Message_Prepare{Prepare: p}}, b)
		case *protos.Message_Commit:
			cm := proto.Clone(c.Commit).(*protos.Commit)
			cm.Digest = wrongDigest(cm.Digest)
			d, _ := hex.DecodeString(cm.Digest)
			var aux []byte
			if cm.Signature != nil {
				aux = auxiliary(cm.Signature.Msg)
			}
			msg := append(d, aux...)
			cm.Signature = &protos.Signature{Signer: o.self, Value: ed25519.Sign(o.cfg.NodeKey, tagged(commitTag, o.chainID, msg)), Msg: msg}
			byzLog(o, "committed a wrong digest", "to", o.nodeID(target), "seq", cm.Seq)
			return marshalOr(&protos.Message{Content: &protos.Message_Commit{Commit: cm}}, b)
		}
	}
	return b
}

// secondHalf reports whether target is among the followers (the
// validators but this node, in id order) that get the equivocating
// block: the first half, rounded up. With 4 validators neither block
// then has a quorum (the leader and 1 follower; 2 followers), nor with 7
// (the leader and 3; 3).
func secondHalf(o *Orderer, target uint64) bool {
	var followers []uint64
	for _, id := range o.members().ids {
		if id != o.self {
			followers = append(followers, id)
		}
	}
	for k, id := range followers {
		if id == target {
			return k < (len(followers)+1)/2
		}
	}
	return false
}

// equivocation is a second valid proposal for p's sequence: its block a
// nanosecond later, signed again by this node.
func equivocation(o *Orderer, p *protos.Proposal) (*protos.Proposal, error) {
	b, err := chain.DecodeBlock(p.Payload)
	if err != nil {
		return nil, err
	}
	b.Time++
	b.Sign(o.cfg.NodeID, o.cfg.NodeKey)
	return &protos.Proposal{Header: p.Header, Payload: b.Encode(), Metadata: p.Metadata, VerificationSequence: p.VerificationSequence}, nil
}

func wrongDigest(d string) string {
	h := sha256.Sum256([]byte("veil/bft/byzantine/wrong\x00" + d))
	return hex.EncodeToString(h[:])
}

func marshalOr(m *protos.Message, orig []byte) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		return orig
	}
	return b
}

func randByte() byte {
	var b [1]byte
	_, _ = rand.Read(b[:])
	return b[0]
}

// byzCensorTopic leaves out the requests of topic.
func byzCensorTopic(o *Orderer, topic string, requests [][]byte) [][]byte {
	out := requests[:0:0]
	for _, r := range requests {
		if tx, err := chain.DecodeTx(r); err == nil && tx.Topic == topic {
			id := tx.ID()
			byzLog(o, "censored", "tx", hex.EncodeToString(id[:8]), "topic", topic)
			continue
		}
		out = append(out, r)
	}
	return out
}
