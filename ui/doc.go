// Package ui is the node's read-only console: a few static files (HTML,
// CSS and one ES module of plain JavaScript in static/, embedded with
// go:embed, no build step) that the API serves at /ui/. In the browser
// it reads only the documented JSON API (/v1/status, /v1/peers,
// /v1/blocks, /v1/txs, /v1/groups, /v1/topics and the /v1/events
// websocket) at root-relative URLs, so the same files work behind any
// server that serves /v1 at its origin — a node, or the audit workspace
// that proxies /v1 to one.
//
// The console shows the chain (height, head, block rate and tx/s fed by
// /v1/events, the nodes with their roles, heights and health, the leader
// and the mempool), blocks and transactions with their validation codes,
// groups (members by label with their state, epochs with their revocation
// records, pending join requests, the opening committee) and topics
// (rule, tally). It writes nothing and holds no key. When the node is
// unreachable or not ready (/readyz 503) it says so in a banner and keeps
// what it showed last.
//
// The audit hook: on load the console asks GET /audit/info; a node answers
// 404, and only a server that answers 200 with JSON (the audit workspace)
// makes the "Audit" link appear. Each anonymous transaction's row or page
// carries data-tx="<id>" and an empty element of class audit-open where
// such a server's script may put its action; the console dispatches a
// "veil:render" event on document after it renders a page.
package ui
