package bft

import protos "github.com/hyperledger-labs/SmartBFT/smartbftprotos"

// The Byzantine test seam: set only by the veil_byzantine build
// (byzantine.go, go build -tags veil_byzantine, which package faults
// builds for TestBFTByzantine), nil in every other build, where each
// costs one nil check on its path and changes nothing.
var (
	// byzantineSend rewrites an outgoing consensus message m, encoded as
	// b, for target: it returns the body to send instead.
	byzantineSend func(o *Orderer, target uint64, m *protos.Message, b []byte) []byte
	// byzantineAssemble chooses, from the batch SmartBFT cut, the
	// requests a leader's block holds.
	byzantineAssemble func(o *Orderer, requests [][]byte) [][]byte
)
