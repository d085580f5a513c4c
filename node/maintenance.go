package node

import (
	"encoding/json"
	"net/http"
	"slices"
)

// registerMaintenance mounts the certificate and backup endpoints on the
// operations port: the admin ones need a client certificate of the chain
// CA (api.Operations.HandleAdmin), the revocation question is open, since
// node revocations are chain state every member may read.
func (n *Node) registerMaintenance() {
	n.ops.HandleAdmin("POST /admin/reload-identity", n.reloadIdentityHandler())
	n.ops.HandleAdmin("GET /admin/backup", n.backupHandler())
	n.ops.Handle("GET /nodes/{id}/revoked", http.HandlerFunc(n.serveRevoked))
}

// serveRevoked answers GET /nodes/{id}/revoked: whether a committed
// revocation names the node id (`veil ca renew-node` refuses to renew a
// revoked node).
func (n *Node) serveRevoked(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"node": id, "revoked": slices.Contains(n.ledger.RevokedNodes(), id)})
}
