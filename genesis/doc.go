// Package genesis owns what the consortium admin creates before a veil
// chain starts: the chain CA and the node certificates it issues
// (crypto/x509, Ed25519), the CA's revocation list, genesis.json, and the
// directory layout of a local test network.
//
// # Certificates
//
// The chain CA is a self-signed Ed25519 certificate with path length 0: it
// signs node certificates and CRLs, never another CA. A node certificate
// names the node id as its CN (ValidNodeID: 1 to 64 characters of
// [a-z0-9-]) and is good for both ends of mutual TLS; its Ed25519 key is
// also the key the node signs blocks with, which is why NodePublicKey
// returns it. Revocation is a CA-signed X.509 CRL (CA.RevokeNodes,
// ParseCRL); the network layer refuses the serials it lists.
//
// An operator certificate (CA.IssueOperator, admin.go) is a TLS client
// certificate for a person, under the policy OIDOperatorPolicy, with no
// server usage: it opens the admin endpoints of every node's operations
// port (VerifyOperator) and nothing else. Its key is ECDSA P-256 because
// browsers and older TLS clients do not present Ed25519 client
// certificates. Node and member certificates never carry the policy.
//
// # genesis.json
//
// One JSON object; unknown fields are refused. Keys are lowercase hex,
// certificates PEM, the time RFC 3339:
//
//	{
//	  "chain_id": "testnet",
//	  "genesis_time": "2025-01-02T03:04:05Z",
//	  "admin_key": "3b6a27bc…(64 hex digits, Ed25519 public key)",
//	  "ca_cert": "-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----\n",
//	  "validators": [
//	    {"id": "node-1", "cert": "-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----\n"}
//	  ],
//	  "groups": [
//	    {"name": "bank", "group_key": "1101…(hex of gpk_0)", "issuer_proof": "1102…", "opener_proof": "110a…",
//	     "admin_key": "…(64 hex digits)",
//	     "members": [{"join_request": "1103…", "join_response": "1104…", "cert": "-----BEGIN CERTIFICATE-----\n…"}]}
//	  ],
//	  "expiry_window": 1000
//	}
//
// The fields:
//
//   - chain_id: 1 to 64 bytes; every transaction and block names it.
//   - genesis_time: the time of block 0. Validator certificates are checked
//     at this instant, so the verdict on a genesis never changes after its
//     node certificates expire.
//   - admin_key: the consortium admin's Ed25519 public key; it signs the
//     registration of new groups.
//   - ca_cert: the chain CA; every node certificate and every member
//     identity certificate must chain to it.
//   - validators: the nodes that order blocks at the start (raft voters).
//     Each cert must chain to ca_cert and carry id as its CN.
//   - groups: groups present from block 0 (SPEC-groupsig-v2): gpk_0 with
//     the issuer and opener proofs published with it (the ledger checks
//     both), the issuer's admin Ed25519 key, which signs join responses
//     and revocation records, and optional founding members: each a join
//     request made on the member's own key, the issuer's response at epoch
//     0 and the member's identity certificate (checked at genesis_time).
//   - expiry_window: how far past the head, in blocks, a transaction may
//     set its expiry; 0 means chain.DefaultExpiryWindow.
//
// File.Chain turns the file into the chain.Genesis that the ledger hashes
// as block 0; the hash does not depend on the order of validators or
// groups in the file.
//
// # Local network
//
// Init writes a complete test network into one directory, and Layout names
// every path in it (see Layout). Secrets (CA key, admin keys, node keys,
// group keys) are written with mode 0600, atomically.
package genesis
