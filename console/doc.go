// Package console is the regulator's audit workspace: the HTTP server of
// `veil audit console`, which runs on the regulator's machine (never in a
// node) and serves on 127.0.0.1
//
//   - the node console's files (package ui) at /ui/, with /v1/* (the
//     /v1/events websocket included) and /readyz proxied read-only (GET,
//     HEAD) to one node, so the node's pages work at the console's origin;
//   - the audit workspace's endpoints: GET /audit/info, POST /audit/open
//     (open a committed anonymous transaction with the opener key, in
//     this process: the key is never sent to the node nor to the browser,
//     and no response holds it), POST /audit/check (check an evidence
//     bundle), GET /audit/log (the regulator's log).
//
// It owns the regulator's log: every opening the console did (or, for a
// group whose opener key is shared, every threshold opening's evidence it
// assembled) is appended to a local file as a JSON line (0600, fsynced)
// before the result is answered; no result is shown that is not in the
// log.
//
// It also owns the decoding and checking of evidence files
// (DecodeEvidence, Bundle.Check) and the assembly of a threshold
// opening's evidence from chain data (ThresholdEvidence): `veil audit
// check`, `veil audit open` and `veil audit openings` run the same code
// as POST /audit/check and /audit/open.
//
// The console is CSRF-safe for a browser on the same machine: every
// request must name a loopback host (127.0.0.1, [::1] or localhost: no
// DNS rebinding), a request carrying an Origin must come from the
// console's own origin, POSTs must be application/json (a cross-site form
// cannot send it, a cross-site fetch is stopped by the preflight, which the
// console does not answer), and no response may be framed.
package console
