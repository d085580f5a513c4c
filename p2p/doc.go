// Package p2p is veil's node-to-node layer: a hashicorp/memberlist cluster
// whose every connection is mutual TLS 1.3 checked against the chain CA.
//
// It owns
//
//   - node identity: the node's certificate and key, the chain CA pool and
//     the revocation set ([Identity]), with TLS configurations that other
//     packages (raft's stream layer) reuse;
//   - a memberlist transport that carries both memberlist's packets and its
//     streams over TLS connections on one TCP port, plus veil's own
//     request/response streams;
//   - membership with opaque per-node metadata ([Cluster.Members],
//     [Cluster.Events]);
//   - gossip of opaque messages by kind ([Cluster.Broadcast],
//     [Cluster.Handle]) and direct sends ([Cluster.SendTo]);
//   - request/response by kind ([Cluster.Request], [Cluster.HandleRequest]),
//     used for block sync and for fetching missing transactions. A
//     malformed request frame (shorter than its header, an unknown op, over
//     MaxRequestSize) or an unknown connection type is logged at warn and
//     closes that connection only; a handler's error is answered and the
//     connection stays in use. Frames are read into a buffer that grows as
//     their bytes arrive, so a header alone costs 64 KiB, not the declared
//     length: 8 connections stalled inside declared 16 MiB frames held
//     128 MiB before (TestRequestStreamGarbage).
//
// # Partitions
//
// The persistent packet connection to a peer is dialled with
// TCP_USER_TIMEOUT = 2 s (packetWriteTimeout; Linux): while a peer is cut
// off, writes still land in the kernel's send buffer and TCP retransmits
// them with a doubling timeout, so without it the probes and acks queued
// behind that backlog arrived seconds after the partition healed and
// memberlist fell back to TCP probes or declared the healed node dead
// again. Now the connection is aborted once its data stays unacknowledged
// for 2 s and the next packet dials a fresh one. Measured by the faults
// package's TestNetworkPartitions (real links cut in network namespaces,
// short form, one run each): 21 "UDP probes failed" fallbacks over its
// five cases without the option, 4 with it. A zero window held for 2 s
// aborts it too, as the 2 s write deadline already did once the send
// buffer filled. UserTimeoutControl gives package consensus the same
// option for raft's connections.
//
// It imports no other veil package and knows no chain types: the node layer
// wires its handlers to the mempool and the block store.
//
// # Admission
//
// A connection whose peer certificate does not chain to the chain CA, has
// expired, is revoked, or whose common name is not a valid node id fails the
// TLS handshake and is logged at warn. A node's memberlist name is its node
// id, the common name of its certificate. Outbound traffic addressed to a
// named node requires that name as the server's common name. Inbound, a node
// could still claim another node's name in the gossip it sends, so every
// "alive" claim (name N at address A) is checked before memberlist accepts
// it: the claim stands only if A has been seen, over a verified TLS handshake,
// to be served by the holder of N's certificate. Dialling A for any reason
// with N expected records that proof; otherwise the alive delegate dials A
// once (a bare handshake) and caches the verdict. Consequently a node with a
// valid certificate for "n5" that calls itself "n1" is never admitted under
// "n1": nobody but n1 can prove possession of n1's key. What remains is the
// consortium trust model memberlist itself assumes: an admitted member could
// still gossip false suspicion about others (memberlist refutes it), and the
// claimed origin of a gossiped message is not signed (see [Cluster.Handle]).
//
// # Broadcast delivery
//
// memberlist's own TransmitLimitedQueue hands each user message to
// RetransmitMult·⌈log10(n+1)⌉ random targets, fewest-sent first, and
// receivers never re-gossip user messages. Once the queue holds more than one
// packet's worth, consecutive targets get different messages: in this
// package's 4-node test, 200 messages of up to 70 KB reached only about two
// thirds of (receiver, message) pairs that way. A consortium has few nodes,
// so Broadcast instead pushes one copy to every live member, as a memberlist
// packet (user message) over the persistent TLS connection to it: n−1 copies,
// no randomness, no duplicates, no TLS handshake per message. memberlist's
// gossip still carries membership (alive, suspect, dead) as usual.
//
// A copy is still lost if the connection to that member fails at that moment,
// if its outbound or inbound queue is full (counted in [Stats]), or if this
// node does not yet know a member that just joined. So the layer above must
// periodically pull missing items by id (anti-entropy, using
// [Cluster.Request]); duplicates it causes are its own to drop by id. It
// need not, and veil's node does not, re-broadcast what it receives: with
// every receiver pushing again an item costs n·(n−1) copies instead of n−1
// (at 16 nodes 240 copies a transaction instead of 15), and the pull
// repairs the rare miss. [Stats.GossipSent] counts the copies pushed.
//
// The package's lines and memberlist's (mapped from its "[LEVEL]"
// prefixes) carry component "p2p", so logspec's p2p level governs both.
// [Cluster.Closed] reports a shut-down cluster (the node's /healthz);
// Leave after Shutdown returns ErrClosed, where memberlist would panic.
//
// HTTP listeners (https.go): [Identity.HTTPSConfig] serves a node's API
// and operations port with its current certificate, HTTP/1.1 only (the
// event stream's websocket upgrade needs it), asking for a client
// certificate without requiring one, so that curl and Prometheus connect
// without; [Identity.VerifyClient] checks a presented chain per request
// against the current chain CA and revoked serials (the admin endpoints'
// first check; which certificates count as admin is package node's).
package p2p
