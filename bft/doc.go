// Package bft orders veil's blocks with SmartBFT (hyperledger-labs
// SmartBFT v1.0.1, the BFT library of Hyperledger Fabric 3) among the
// validators of chain state, on a chain whose genesis chose
// consensus = "bft". It supplies SmartBFT's pieces over veil's: requests
// are transaction encodings from the mempool, proposals are veil blocks,
// votes are Ed25519 signatures with the node keys, a decided block is
// stored with its commit certificate (chain.Ledger.ApplyCertified), and
// block sync carries the certificates.
package bft
